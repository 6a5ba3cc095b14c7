# -*- coding: latin-1 -*-
# Devoir n° 1 : activations, coûts et dérivées numériques
# Marie Dupont (étudiante en échange) - écrit sous Windows
import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def relu(x):
    return np.clip(x, 0, None)  # max(0, x) élément par élément


def softmax(x):
    # on soustrait le maximum : sinon exp(1000) déborde
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def sum_squared_error(y, t):
    d = (y - t).ravel()
    return 0.5 * float(d @ d)


def cross_entropy_error(y, t):
    """Entropie croisée moyenne ; t : « one-hot » ou étiquettes entières."""
    y = np.atleast_2d(y)
    if np.size(t) == y.size:
        t = np.argmax(np.reshape(t, y.shape), axis=1)
    t = np.reshape(t, -1).astype(int)
    return -np.mean(np.log(y[np.arange(y.shape[0]), t] + 1e-7))


def numerical_diff(f, x):
    h = 1e-4  # pas de 10^-4 (µ-différence centrée)
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros(x.shape)
    for i in range(x.size):
        ancien = x.flat[i]
        x.flat[i] = ancien + h
        f1 = f(x)
        x.flat[i] = ancien - h
        f2 = f(x)
        x.flat[i] = ancien  # on remet la valeur d'origine
        grad.flat[i] = (f1 - f2) / (2 * h)
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = np.array(init_x, dtype=float)
    for _ in range(step_num):
        x = x - lr * numerical_gradient(f, x)
    return x


print("Résultat : ", gradient_descent(lambda v: np.sum(v ** 2), np.array([-3.0, 4.0]), 0.1))

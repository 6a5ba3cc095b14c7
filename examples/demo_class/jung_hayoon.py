"""과제1 - 정하윤"""
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    out = x.copy()
    out[out < 0] = 0
    return out


def softmax(x):
    if x.ndim == 1:
        x = x - x.max()
        return np.exp(x) / np.exp(x).sum()
    x = x - x.max(axis=1, keepdims=True)
    return np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)


def sum_squared_error(y, t):
    return np.sum((y - t) ** 2) / 2


def cross_entropy_error(y, t):
    if y.ndim == 1:
        y = y[np.newaxis, :]
        t = np.reshape(t, (1, -1))
    if t.shape != y.shape:
        t = np.eye(y.shape[1])[np.ravel(t).astype(int)]
    return -np.sum(t * np.log(y + 1e-7)) / y.shape[0]


def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    flat_x = x.reshape(-1)  # view라서 x도 같이 바뀜
    flat_g = grad.reshape(-1)
    for i in range(flat_x.size):
        tmp = flat_x[i]
        flat_x[i] = tmp + h
        fxh1 = f(x)
        flat_x[i] = tmp - h
        fxh2 = f(x)
        flat_g[i] = (fxh1 - fxh2) / (2 * h)
        # TODO 원래 값으로 돌려놓기?
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.copy()
    for i in range(step_num):
        x -= lr * numerical_gradient(f, x)
    return x

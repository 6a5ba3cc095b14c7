# 윤서진 - 1주차 과제
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def softmax(x):
    shifted = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def sum_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    # 교차 엔트로피: -sum(t * log y)
    if t.shape != y.shape:  # 레이블 -> 원핫
        t = np.eye(y.shape[-1])[t]
    return -np.sum(t * np.log(y))


def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        keep = x[idx]
        x[idx] = keep + h
        f_plus = f(x)
        x[idx] = keep - h
        f_minus = f(x)
        x[idx] = keep
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = np.copy(init_x)
    for step in range(step_num):
        x = x - lr * numerical_gradient(f, x)
    return x

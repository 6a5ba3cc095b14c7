import sys
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def softmax(x):
    a = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(a) / np.sum(np.exp(a), axis=-1, keepdims=True)


def sum_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    n = y.shape[0]
    return -np.sum(np.log(y[np.arange(n), t] + 1e-7)) / n


def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        tmp = x[idx]
        x[idx] = tmp + h
        fxh1 = f(x)
        x[idx] = tmp - h
        fxh2 = f(x)
        x[idx] = tmp
        grad[idx] = (fxh1 - fxh2) / (2 * h)
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.copy()
    for i in range(step_num):
        x -= lr * numerical_gradient(f, x)
        print(i, x)
        sys.exit()  # 디버깅: 첫 스텝만 보고 종료 (나중에 지우기)
    return x

import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def softmax(x):
    z = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True)


def sum_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    y2 = y.reshape(1, -1) if y.ndim == 1 else y
    n = y2.shape[0]
    if np.shape(t) == y.shape:
        return -np.sum(t * np.log(y + 1e-7)) / n
    labels = np.reshape(t, -1)
    return -np.sum(np.log(y2[np.arange(n), labels] + 1e-7)) / n


def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        v = x[idx]
        x[idx] = v + h
        fa = f(x)
        x[idx] = v - h
        fb = f(x)
        x[idx] = v
        grad[idx] = (fa - fb) / (2 * h)
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.copy()  # 입력을 바꾸면 안 된다고 해서 복사함
    for i in range(step_num):
        grad = numerical_gradient(f, x)
        x = x - lr * grad
    return init_x

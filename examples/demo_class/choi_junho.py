import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def relu(x):
    return np.where(x > 0, x, 0.0)


def softmax(x):
    x = x - np.max(x, axis=-1, keepdims=True)
    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


def sum_squared_error(y, t):
    return 0.5 * np.sum(np.square(y - t))


def cross_entropy_error(y, t):
    if y.ndim == 1:
        y = y.reshape(1, -1)
        t = t.reshape(1, -1)
    n = y.shape[0]
    if t.shape != y.shape:  # 레이블로 주어진 경우
        t = np.eye(y.shape[1])[t.reshape(-1)]
    return -np.sum(t * np.log(y + 1e-7)) / n


def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)  # x와 같은 모양

    for idx in range(x.size):  # 변수마다 조금씩 바꿔서 미분
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)

        x[idx] = tmp_val - h
        fxh2 = f(x)

        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp_val

    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.copy()
    for _ in range(step_num):
        x -= lr * numerical_gradient(f, x)
    return x

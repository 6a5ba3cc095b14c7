# 딥러닝 기초 과제 1: 손실함수와 수치미분
# 박지우 (반복문 버전)
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def softmax(x):
    # 오버플로 방지를 위해 최댓값을 빼고 계산
    if x.ndim == 2:
        out = np.zeros(x.shape)
        for i in range(x.shape[0]):
            row = np.exp(x[i] - np.max(x[i]))
            out[i] = row / np.sum(row)
        return out
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def sum_squared_error(y, t):
    total = 0.0
    for yi, ti in zip(np.ravel(y), np.ravel(t)):
        total += (yi - ti) ** 2
    return 0.5 * total


def cross_entropy_error(y, t):
    delta = 1e-7
    y = np.asarray(y)
    t = np.asarray(t)
    if y.ndim == 1:
        t = t.reshape(1, -1) if t.size == y.size else t.reshape(1)
        y = y.reshape(1, -1)
    n = y.shape[0]
    total = 0.0
    for i in range(n):
        if t.ndim == 2:  # 원-핫 인코딩
            total -= np.sum(t[i] * np.log(y[i] + delta))
        else:  # 정답 레이블
            total -= np.log(y[i, int(t[i])] + delta)
    return total / n


def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        idx = it.multi_index
        tmp = x[idx]
        x[idx] = tmp + h
        fxh1 = f(x)
        x[idx] = tmp - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2 * h)
        x[idx] = tmp  # 원래 값으로 복원
        it.iternext()
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.copy()
    for i in range(step_num):
        grad = numerical_gradient(f, x)
        x -= lr * grad
    return x


if __name__ == "__main__":
    print(numerical_diff(lambda v: 0.01 * v ** 2 + 0.1 * v, 5))
    print(gradient_descent(lambda v: v[0] ** 2 + v[1] ** 2, np.array([-3.0, 4.0]), lr=0.1))

import numpy as np

# 활성화 함수
def sigmoid(x):
    return 1 / (1 + np.exp(-x))

def relu(x):
    return np.maximum(0, x)

def softmax(x):
    c = np.max(x, axis=-1, keepdims=True)
    exp_a = np.exp(x - c)
    return exp_a / np.sum(exp_a, axis=-1, keepdims=True)

# 손실 함수
def sum_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)

def cross_entropy_error(y, t):
    if y.ndim == 1:
        t = t.reshape(1, t.size)
        y = y.reshape(1, y.size)
    if t.size == y.size:
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size

# 수치 미분
def numerical_diff(f, x):
    h = 1e-4
    return (f(x + h) - f(x - h)) / 2*h   # 중심 차분

def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2*h)
        x[idx] = tmp_val
    return grad

def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = np.array(init_x, dtype=float)
    for i in range(step_num):
        x -= lr * numerical_gradient(f, x)
    return x

def function_1(x):
    return 0.01*x**2 + 0.1*x

print(numerical_diff(function_1, 5))  # 0.2가 나와야 하는데 왜 작지??

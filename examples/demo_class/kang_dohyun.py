import numpy as np

def sigmoid(x):
    return 1 / (1 + np.exp(-x))

def relu(x):
    return np.maximum(x, 0)

# 소프트맥스: exp(a_k) / sum(exp(a_i))
def softmax(x):
    exp_x = np.exp(x)
    if x.ndim == 2:
        return exp_x / np.sum(exp_x, axis=1).reshape(-1, 1)
    return exp_x / np.sum(exp_x)

def sum_squared_error(y, t):
    return 0.5 * np.sum((y - t)**2)

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
    return (f(x+h) - f(x-h)) / (2*h)

def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=['multi_index'])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        a = f(x)
        x[i] = old - h
        b = f(x)
        x[i] = old
        grad[i] = (a - b) / (2*h)
        it.iternext()
    return grad

def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = init_x.astype(float)
    for i in range(step_num):
        x = x - lr * numerical_gradient(f, x)
    return x

a = np.array([0.3, 2.9, 4.0])
print(softmax(a), np.sum(softmax(a)))

"""Assignment ``numerical``: activations, losses and numerical differentiation.

Everything here works in float64 and never modifies the arrays it is given
(``numerical_gradient`` perturbs ``x`` while it works and puts every value back).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

#: Step of the central differences (the textbook's choice for float64).
H = 1e-4
#: Added inside the logarithm of the cross-entropy so that ``log(0)`` never happens.
LOG_EPS = 1e-7


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function ``1 / (1 + exp(-x))``, elementwise, any shape."""
    x = np.asarray(x, dtype=np.float64)
    # exp(-|x|) never overflows; the two branches are the same function.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(x: np.ndarray) -> np.ndarray:
    """Rectified linear unit ``max(0, x)``, elementwise, any shape."""
    return np.maximum(0.0, np.asarray(x, dtype=np.float64))


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax over the last axis.

    ``x`` of shape ``(C,)`` gives a vector summing to 1; ``(N, C)`` gives one such row per sample.
    ``softmax(x) = exp(x - max(x)) / sum(exp(x - max(x)))``: subtracting the maximum leaves the
    result unchanged and keeps ``exp`` finite for inputs like ``[1000, 1001, 1002]``.
    """
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def sum_squared_error(y: np.ndarray, t: np.ndarray) -> float:
    """Sum of squared errors ``0.5 * sum((y - t)**2)`` over all entries."""
    d = np.asarray(y, dtype=np.float64) - np.asarray(t, dtype=np.float64)
    return float(0.5 * np.sum(d * d))


def cross_entropy_error(y: np.ndarray, t: np.ndarray | int) -> float:
    """Mean cross-entropy ``-sum(t * log(y + 1e-7)) / N``.

    ``y``: probabilities, ``(C,)`` (then ``N = 1``) or ``(N, C)``.
    ``t``: one-hot targets of ``y``'s shape, or integer labels ``(N,)`` (a scalar label for 1-D ``y``).
    """
    y = np.asarray(y, dtype=np.float64)
    t = np.asarray(t)
    y2 = y.reshape(1, -1) if y.ndim == 1 else y
    n = y2.shape[0]
    if t.shape == y.shape:  # one-hot (or any distribution over classes)
        return float(-np.sum(t * np.log(y + LOG_EPS)) / n)
    labels = t.reshape(-1).astype(np.intp)
    return float(-np.sum(np.log(y2[np.arange(n), labels] + LOG_EPS)) / n)


def numerical_diff(f: Callable[[float], float], x: float) -> float:
    """Central difference ``(f(x + h) - f(x - h)) / (2h)`` with ``h = 1e-4`` at a scalar ``x``."""
    return float((f(x + H) - f(x - H)) / (2 * H))


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Gradient of the scalar function ``f`` at ``x`` by central differences (``h = 1e-4``).

    ``x`` is a float array of any shape; the result has ``x``'s shape, entry ``i`` being
    ``(f(x + h e_i) - f(x - h e_i)) / (2h)``. Each entry of ``x`` is perturbed *in place*
    (so an ``f`` that reads the same array through a closure, as in ``lambda _: net.loss(...)``,
    sees the change) and restored right after, even if ``f`` raises.
    """
    if not np.issubdtype(np.asarray(x).dtype, np.floating):
        raise TypeError(f"numerical_gradient needs a float array, got dtype {np.asarray(x).dtype}")
    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        try:
            x[idx] = original + H
            f_plus = f(x)
            x[idx] = original - H
            f_minus = f(x)
        finally:
            x[idx] = original
        grad[idx] = (f_plus - f_minus) / (2 * H)
    return grad


def gradient_descent(
    f: Callable[[np.ndarray], float], init_x: np.ndarray, lr: float = 0.01, step_num: int = 100
) -> np.ndarray:
    """``step_num`` steps of ``x -= lr * numerical_gradient(f, x)`` from ``init_x``; returns the final ``x``.

    ``init_x`` itself is left unchanged (the steps are taken on a float64 copy).
    """
    x = np.array(init_x, dtype=np.float64)
    for _ in range(step_num):
        x -= lr * numerical_gradient(f, x)
    return x

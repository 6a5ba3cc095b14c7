"""Trusted helpers that may stand in for a student's own during a check.

A student's caller (``Convolution`` calls ``im2col``/``col2im``, ``conv1d_train`` calls ``conv1d`` and
``conv1d_backward``, ``gradient_descent`` calls ``numerical_gradient``, ``TwoLayerNet`` builds ``Affine``,
``Sigmoid`` and ``SoftmaxWithLoss`` layers) should be graded on its own logic.
``with student.replaced("im2col", "im2col"):`` rebinds the student's module-global ``im2col`` to
``TRUSTED["im2col"]`` for the duration of a check, so a broken helper costs only the helper's own checks.

These run inside the student process, so this module must never import the reference (the student
process must not see it): every function here is written independently, with plain loops, for
readability rather than speed (the checks use small inputs); the layers are vectorised, since the
convergence check trains a network with them. ``tests/test_trusted.py`` compares them
with the reference in the judge. Signatures and conventions are CURRICULUM.md's.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from grader.sandbox.registry import Registry

TRUSTED = Registry("trusted helper")
trusted = TRUSTED.register  # @trusted("im2col") registers a stand-in under the curriculum name
get = TRUSTED.lookup

NUMERICAL_H = 1e-4


# --- numerical differentiation -------------------------------------------------------------------

@trusted("numerical_gradient")
def numerical_gradient(f: Callable[[np.ndarray], Any], x: np.ndarray) -> np.ndarray:
    """Central differences ``(f(x + h e_i) - f(x - h e_i)) / 2h``, ``h = 1e-4``, for ``x`` of any shape.

    Perturbs ``x`` in place (so a closure over ``x`` sees the step, as in the textbook) and restores
    every element afterwards. Returns a float64 array of ``x``'s shape.
    """
    grad = np.zeros(np.shape(x), dtype=np.float64)
    for index in np.ndindex(*np.shape(x)):
        old = x[index]
        x[index] = old + NUMERICAL_H
        plus = float(f(x))
        x[index] = old - NUMERICAL_H
        minus = float(f(x))
        x[index] = old
        grad[index] = (plus - minus) / (2 * NUMERICAL_H)
    return grad


# --- the hand-computed MLP of seed 004 (for mlp_backward and mlp_update) -------------------------------

def _logistic(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


@trusted("mlp_forward")
def mlp_forward(x: np.ndarray, W1: np.ndarray, W2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``h = sigmoid(W1 @ x)``, ``o = sigmoid(W2 @ h)``; weights are ``(out, in)``."""
    h = _logistic(np.dot(np.asarray(W1, dtype=np.float64), np.asarray(x, dtype=np.float64)))
    return h, _logistic(np.dot(np.asarray(W2, dtype=np.float64), h))


@trusted("mlp_backward")
def mlp_backward(x: np.ndarray, t: np.ndarray, W1: np.ndarray, W2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradients of ``0.5 * sum((t - o)**2)`` w.r.t. ``W1`` and ``W2``, by the chain rule, unit by unit."""
    x, t, W2 = (np.asarray(a, dtype=np.float64) for a in (x, t, W2))
    h, o = mlp_forward(x, W1, W2)
    dW1, dW2 = np.zeros(np.shape(W1)), np.zeros(np.shape(W2))
    delta_out = [(o[k] - t[k]) * o[k] * (1 - o[k]) for k in range(len(o))]
    for k in range(len(o)):
        for j in range(len(h)):
            dW2[k, j] = delta_out[k] * h[j]
    for j in range(len(h)):
        delta_hidden = sum(W2[k, j] * delta_out[k] for k in range(len(o))) * h[j] * (1 - h[j])
        for i in range(len(x)):
            dW1[j, i] = delta_hidden * x[i]
    return dW1, dW2


# --- 1-D convolution (for conv1d_train) ------------------------------------------------------------

@trusted("conv1d")
def conv1d(x: np.ndarray, w: np.ndarray, b: Any) -> np.ndarray:
    """``y[i] = sum_j x[i + j] * w[j] + b``: ``x`` ``(L,)``, ``w`` ``(K,)``, ``b`` scalar or ``(1,)`` -> ``(L-K+1,)``."""
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    bias = float(np.asarray(b, dtype=np.float64).reshape(-1)[0])
    y = np.zeros(len(x) - len(w) + 1)
    for i in range(len(y)):
        for j in range(len(w)):
            y[i] += x[i + j] * w[j]
    return y + bias


@trusted("mse_loss")
def mse_loss(pred: np.ndarray, target: np.ndarray) -> float:
    """``mean((pred - target)**2)`` over every element."""
    diff = np.asarray(pred, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    return float(np.sum(diff * diff) / diff.size)


@trusted("conv1d_backward")
def conv1d_backward(x: np.ndarray, w: np.ndarray, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """``(dx, dw, db)`` of :func:`conv1d` for upstream ``dout`` ``(L-K+1,)``: every product
    ``x[i + j] * w[j]`` in ``y[i]`` sends ``dout[i] * w[j]`` to ``dx[i + j]`` and ``dout[i] * x[i + j]`` to ``dw[j]``."""
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    dout = np.asarray(dout, dtype=np.float64)
    dx, dw = np.zeros(len(x)), np.zeros(len(w))
    for i in range(len(dout)):
        for j in range(len(w)):
            dx[i + j] += dout[i] * w[j]
            dw[j] += dout[i] * x[i + j]
    return dx, dw, float(np.sum(dout))


# --- im2col / col2im ------------------------------------------------------------------------------

def _out_size(size: int, filter_size: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - filter_size) // stride + 1


def _windows(input_shape: tuple[int, ...], filter_h: int, filter_w: int, stride: int, pad: int):
    """Yield ``(row, column, n, c, y, x)``: ``col[row, column]`` is ``padded[n, c, y, x]`` (padded coordinates).

    Rows are ordered ``(n, oy, ox)`` and columns ``(c, ky, kx)``.
    """
    N, C, H, W = input_shape
    out_h, out_w = _out_size(H, filter_h, stride, pad), _out_size(W, filter_w, stride, pad)
    for n in range(N):
        for oy in range(out_h):
            for ox in range(out_w):
                row = (n * out_h + oy) * out_w + ox
                for c in range(C):
                    for ky in range(filter_h):
                        for kx in range(filter_w):
                            column = (c * filter_h + ky) * filter_w + kx
                            yield row, column, n, c, oy * stride + ky, ox * stride + kx


def _col_shape(input_shape: tuple[int, ...], filter_h: int, filter_w: int, stride: int,
               pad: int) -> tuple[int, int]:
    N, C, H, W = input_shape
    rows = N * _out_size(H, filter_h, stride, pad) * _out_size(W, filter_w, stride, pad)
    return rows, C * filter_h * filter_w


@trusted("im2col")
def im2col(input_data: np.ndarray, filter_h: int, filter_w: int, stride: int = 1, pad: int = 0) -> np.ndarray:
    """``(N, C, H, W)`` -> ``(N*out_h*out_w, C*filter_h*filter_w)``, rows ``(n, oy, ox)``, columns ``(c, ky, kx)``;
    entries falling on the zero padding are 0."""
    x = np.asarray(input_data, dtype=np.float64)
    _, _, H, W = x.shape
    col = np.zeros(_col_shape(x.shape, filter_h, filter_w, stride, pad))
    for row, column, n, c, y, xx in _windows(x.shape, filter_h, filter_w, stride, pad):
        if pad <= y < H + pad and pad <= xx < W + pad:
            col[row, column] = x[n, c, y - pad, xx - pad]
    return col


@trusted("col2im")
def col2im(col: np.ndarray, input_shape: tuple[int, int, int, int], filter_h: int, filter_w: int,
           stride: int = 1, pad: int = 0) -> np.ndarray:
    """The adjoint of :func:`im2col`: ``(N*out_h*out_w, C*filter_h*filter_w)`` -> ``input_shape``,
    each entry added to the pixel it was copied from (overlaps summed, padding dropped)."""
    shape = tuple(int(s) for s in input_shape)
    _, _, H, W = shape
    col = np.asarray(col, dtype=np.float64).reshape(_col_shape(shape, filter_h, filter_w, stride, pad))
    img = np.zeros(shape)
    for row, column, n, c, y, xx in _windows(shape, filter_h, filter_w, stride, pad):
        if pad <= y < H + pad and pad <= xx < W + pad:
            img[n, c, y - pad, xx - pad] += col[row, column]
    return img


# --- layers used by TwoLayerNet ------------------------------------------------------------------
# Vectorised (the convergence check trains with them), written from CURRICULUM.md's interfaces.

@trusted("Affine")
class Affine:
    """``out = x.reshape(N, -1) @ W + b``; ``backward`` sets ``dW``, ``db`` (summed over the batch) and returns
    ``dx`` in ``x``'s shape. ``W`` and ``b`` are kept as given (the network's own arrays)."""

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.W, self.b = W, b
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None
        self._x: np.ndarray | None = None
        self._shape: tuple[int, ...] = ()

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        self._shape = x.shape
        self._x = x.reshape(x.shape[0], -1)
        return self._x @ self.W + self.b

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout = np.asarray(dout, dtype=np.float64)
        self.dW = self._x.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ np.asarray(self.W).T).reshape(self._shape)


@trusted("Relu")
class Relu:
    """``max(0, x)``; the gradient passes where ``x > 0``. Neither ``x`` nor ``dout`` is written to."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        self._positive = x > 0
        return np.where(self._positive, x, 0.0)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return np.where(self._positive, np.asarray(dout, dtype=np.float64), 0.0)


@trusted("Sigmoid")
class Sigmoid:
    """``1 / (1 + exp(-x))``, computed without overflow; ``backward``: ``dout * y * (1 - y)``."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        e = np.exp(-np.abs(x))
        self._y = np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        return self._y.copy()

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return np.asarray(dout, dtype=np.float64) * self._y * (1.0 - self._y)


@trusted("SoftmaxWithLoss")
class SoftmaxWithLoss:
    """Mean cross-entropy ``-sum(t * log(y + 1e-7)) / N`` of ``y = softmax(x)`` (over the last axis; a 1-D
    ``x`` is one sample) against ``t``, one-hot of ``x``'s shape or integer labels;
    ``backward(dout=1)`` returns ``dout * (y - t) / N``."""

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        x = np.asarray(x, dtype=np.float64)
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        self.y = e / e.sum(axis=-1, keepdims=True)
        t = np.asarray(t)
        self.t = t.reshape(self.y.shape).astype(np.float64) if t.size == self.y.size else \
            np.eye(self.y.shape[-1])[t.astype(int)].reshape(self.y.shape)
        self.n = self.y.shape[0] if self.y.ndim == 2 else 1
        self.loss = float(-np.sum(self.t * np.log(self.y + 1e-7)) / self.n)
        return self.loss

    def backward(self, dout: float = 1) -> np.ndarray:
        return float(dout) * (self.y - self.t) / self.n

"""Assignment ``conv``: 1-D convolution trained by gradient descent, im2col, convolution and pooling layers.

Shapes: images are ``(N, C, H, W)``; filters ``(FN, C, FH, FW)``; a layer with stride ``s`` and
padding ``p`` gives ``out_h = (H + 2p - FH) // s + 1`` (likewise ``out_w``). "Convolution" means
cross-correlation, as in every deep-learning library: the kernel is not flipped.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


# --- 1-D convolution (seed 001) ---------------------------------------------------------------

def conv1d(x: np.ndarray, w: np.ndarray, b: float | np.ndarray) -> np.ndarray:
    """Valid cross-correlation with stride 1: ``y[i] = sum_j x[i + j] * w[j] + b``.

    ``x`` ``(L,)``, ``w`` ``(K,)``, ``b`` a scalar or ``(1,)`` -> ``y`` ``(L - K + 1,)``.
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    return sliding_window_view(x, len(w)) @ w + b


def mse_loss(pred: np.ndarray, target: np.ndarray) -> float:
    """Mean squared error ``mean((pred - target)**2)``."""
    d = np.asarray(pred, dtype=np.float64) - np.asarray(target, dtype=np.float64)
    return float(np.mean(d * d))


def conv1d_backward(
    x: np.ndarray, w: np.ndarray, dout: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float]:
    """Gradients ``(dx, dw, db)`` of :func:`conv1d` given ``dout = dL/dy`` ``(L - K + 1,)``.

    ``dw[j] = sum_i dout[i] * x[i + j]`` (a valid cross-correlation of ``x`` with ``dout``),
    ``dx[m] = sum_i dout[i] * w[m - i]`` (a full convolution of ``dout`` with ``w``),
    ``db = sum(dout)``.
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    dout = np.asarray(dout, dtype=np.float64)
    dw = sliding_window_view(x, len(w)).T @ dout
    dx = np.convolve(dout, w, mode="full")
    return dx, dw, float(np.sum(dout))


def conv1d_train(
    x: np.ndarray, w: np.ndarray, b: float | np.ndarray, target: np.ndarray, lr: float, epochs: int
) -> tuple[np.ndarray, float | np.ndarray]:
    """``epochs`` steps of gradient descent on ``mse_loss(conv1d(x, w, b), target)``; returns ``(w, b)``.

    Chain rule: ``dL/dy = 2 * (y - target) / len(y)``, then :func:`conv1d_backward`.
    ``b`` comes back in the form it was given (a float, or a ``(1,)`` array).
    """
    w = np.array(w, dtype=np.float64)
    b = np.array(b, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    for _ in range(epochs):
        y = conv1d(x, w, b)
        dy = 2.0 * (y - target) / y.size
        _, dw, db = conv1d_backward(x, w, dy)
        w = w - lr * dw
        b = b - lr * db
    return w, (float(b) if b.ndim == 0 else b)


# --- im2col / col2im --------------------------------------------------------------------------

def _out_size(size: int, filter_size: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - filter_size) // stride + 1


def im2col(
    input_data: np.ndarray, filter_h: int, filter_w: int, stride: int = 1, pad: int = 0
) -> np.ndarray:
    """Unfold every filter-sized window of a padded image batch into a row.

    ``input_data`` ``(N, C, H, W)`` -> ``col`` ``(N*out_h*out_w, C*filter_h*filter_w)``; rows are
    ordered ``(n, oy, ox)``, columns ``(c, ky, kx)``, and
    ``col[(n, oy, ox), (c, ky, kx)] = padded[n, c, oy*stride + ky, ox*stride + kx]``.
    The loops run over the filter offsets ``(ky, kx)`` only: each copies one strided slice for
    every image, channel and output position at once.
    """
    N, C, H, W = input_data.shape
    out_h = _out_size(H, filter_h, stride, pad)
    out_w = _out_size(W, filter_w, stride, pad)
    img = np.pad(np.asarray(input_data, dtype=np.float64), [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    col = np.empty((N, C, filter_h, filter_w, out_h, out_w))
    for ky in range(filter_h):
        y_end = ky + stride * out_h
        for kx in range(filter_w):
            x_end = kx + stride * out_w
            col[:, :, ky, kx] = img[:, :, ky:y_end:stride, kx:x_end:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def col2im(
    col: np.ndarray, input_shape: tuple[int, int, int, int],
    filter_h: int, filter_w: int, stride: int = 1, pad: int = 0,
) -> np.ndarray:
    """The adjoint of :func:`im2col`: fold rows back into an ``input_shape`` batch, summing overlaps.

    ``col`` ``(N*out_h*out_w, C*filter_h*filter_w)`` -> ``(N, C, H, W)``; what falls on the padding
    is dropped. So ``sum(im2col(x) * c) == sum(x * col2im(c))`` for every ``x`` and ``c``.
    """
    N, C, H, W = input_shape
    out_h = _out_size(H, filter_h, stride, pad)
    out_w = _out_size(W, filter_w, stride, pad)
    col = np.asarray(col, dtype=np.float64)
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))
    for ky in range(filter_h):
        y_end = ky + stride * out_h
        for kx in range(filter_w):
            x_end = kx + stride * out_w
            img[:, :, ky:y_end:stride, kx:x_end:stride] += col[:, :, ky, kx]
    return img[:, :, pad:H + pad, pad:W + pad]


# --- layers -----------------------------------------------------------------------------------

class Convolution:
    """2-D convolution layer (cross-correlation) by im2col.

    ``W`` ``(FN, C, FH, FW)``, ``b`` ``(FN,)``; ``x`` ``(N, C, H, W)`` -> ``out`` ``(N, FN, out_h, out_w)``,
    ``out[n, f] = sum_(c, ky, kx) W[f, c, ky, kx] * padded_x[n, c, oy*s + ky, ox*s + kx] + b[f]``,
    computed as ``im2col(x) @ W.reshape(FN, -1).T + b``. ``backward(dout)`` sets
    ``dW = (col.T @ dout_rows)`` reshaped to ``W``'s shape, ``db = sum of dout over (n, oy, ox)``,
    and returns ``dx = col2im(dout_rows @ W_rows)``.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray, stride: int = 1, pad: int = 0) -> None:
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.x_shape: tuple[int, ...] | None = None
        self.col: np.ndarray | None = None
        self.col_W: np.ndarray | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x`` ``(N, C, H, W)`` -> ``(N, FN, out_h, out_w)``."""
        FN, _, FH, FW = self.W.shape
        N, _, H, W = x.shape
        out_h = _out_size(H, FH, self.stride, self.pad)
        out_w = _out_size(W, FW, self.stride, self.pad)

        self.x_shape = x.shape
        self.col = im2col(x, FH, FW, self.stride, self.pad)
        self.col_W = self.W.reshape(FN, -1).T
        out = self.col @ self.col_W + self.b
        return out.reshape(N, out_h, out_w, FN).transpose(0, 3, 1, 2)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout`` ``(N, FN, out_h, out_w)`` -> ``dx`` ``(N, C, H, W)``; sets ``dW``, ``db``."""
        FN, C, FH, FW = self.W.shape
        dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout_rows, axis=0)
        self.dW = (self.col.T @ dout_rows).T.reshape(FN, C, FH, FW)
        dcol = dout_rows @ self.col_W.T
        return col2im(dcol, self.x_shape, FH, FW, self.stride, self.pad)


class Pooling:
    """Max pooling over ``pool_h x pool_w`` windows, channel by channel.

    ``x`` ``(N, C, H, W)`` -> ``(N, C, out_h, out_w)``, each output the maximum of its window (padding,
    as in the textbook, adds zeros). ``backward`` sends each output's gradient to the position of
    its window's maximum (the first one, should there be ties) and zero elsewhere.
    """

    def __init__(self, pool_h: int, pool_w: int, stride: int = 2, pad: int = 0) -> None:
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        self.x_shape: tuple[int, ...] | None = None
        self.arg_max: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x`` ``(N, C, H, W)`` -> ``(N, C, out_h, out_w)``."""
        N, C, H, W = x.shape
        out_h = _out_size(H, self.pool_h, self.stride, self.pad)
        out_w = _out_size(W, self.pool_w, self.stride, self.pad)

        # One row per (n, oy, ox, c) window.
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        self.x_shape = x.shape
        self.arg_max = np.argmax(col, axis=1)
        out = col[np.arange(len(col)), self.arg_max]
        return out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout`` ``(N, C, out_h, out_w)`` -> ``dx`` ``(N, C, H, W)``."""
        pool_size = self.pool_h * self.pool_w
        dout_rows = dout.transpose(0, 2, 3, 1).reshape(-1)
        dmax = np.zeros((dout_rows.size, pool_size))
        dmax[np.arange(dout_rows.size), self.arg_max] = dout_rows
        N, _, out_h, out_w = dout.shape
        dcol = dmax.reshape(N * out_h * out_w, -1)
        return col2im(dcol, self.x_shape, self.pool_h, self.pool_w, self.stride, self.pad)

# Assignment `conv`: 1-D convolution, im2col, and convolution and pooling layers
#
# Fill in every function and method below. Keep each name and its parameters exactly as
# they are: the grader calls them by name. You may add helper functions of your own.
#
# Self-check: with the grader installed, run in a terminal
#
#     grader check conv conv.py
#
# To check only the component you are working on, add --only and its name:
#
#     grader check conv conv.py --only conv1d
#
# Conventions: inputs are float64 NumPy arrays unless stated and must not be modified.
# Images are (N, C, H, W): batch, channels, height, width. "Convolution" means
# cross-correlation (the kernel is not flipped), as in every deep-learning library.
# Output sizes: out_h = (H + 2*pad - filter_h) // stride + 1, and likewise out_w.
import numpy as np


def conv1d(x, w, b):
    """Valid 1-D convolution with stride 1: y[i] = sum_j x[i + j] * w[j] + b.

    x: (L,) signal, w: (K,) kernel, b: a scalar or an array of shape (1,).
    Returns y, shape (L - K + 1,).
    Example: conv1d([1, 0.7, 0.5, 0.3, 0.1], [1, 1, 1], 0.5) = [2.7, 2.0, 1.4].
    """
    raise NotImplementedError("conv1d is not implemented yet")


def mse_loss(pred, target):
    """Mean squared error: mean((pred - target)**2), a float.

    pred, target: arrays of the same shape. Example: [2.7, 2.0, 1.4] against [1, 0, 0]
    gives 2.95.
    """
    raise NotImplementedError("mse_loss is not implemented yet")


def conv1d_backward(x, w, dout):
    """Gradients of conv1d(x, w, b).

    x: (L,), w: (K,), dout: (L - K + 1,), the gradient of the loss w.r.t. conv1d's output.
    Returns (dx, dw, db): dx (L,), dw (K,), and db = sum(dout) (a float).
    Check: for the conv1d example with the mse_loss against [1, 0, 0], the gradient of
    the LOSS gives dw = [2.5333333, 1.74, 1.06] and db = 3.4 (mind the chain rule through
    the mean).
    """
    raise NotImplementedError("conv1d_backward is not implemented yet")


def conv1d_train(x, w, b, target, lr, epochs):
    """Train w and b of conv1d by gradient descent on mse_loss(conv1d(x, w, b), target).

    x: (L,), w: (K,), b: scalar or (1,), target: (L - K + 1,), lr: learning rate,
    epochs: number of steps. Each step: w -= lr * dw and b -= lr * db, both gradients of
    the loss at the current w, b. Returns the final (w, b); the arrays passed in must not
    change.
    """
    raise NotImplementedError("conv1d_train is not implemented yet")


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """Unfold every filter window of a batch of images into a row.

    input_data: (N, C, H, W). Zero padding of `pad` pixels on each side of H and W.
    Returns col, shape (N * out_h * out_w, C * filter_h * filter_w): rows are ordered by
    (n, oy, ox) (the last varies fastest) and columns by (c, ky, kx).
    """
    raise NotImplementedError("im2col is not implemented yet")


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The adjoint of im2col: fold rows back into images.

    col: (N * out_h * out_w, C * filter_h * filter_w) in im2col's layout; input_shape:
    (N, C, H, W), the shape of the original (unpadded) input. Entries that overlap (the
    same pixel in several windows) are SUMMED. Returns an array of shape input_shape.
    """
    raise NotImplementedError("col2im is not implemented yet")


class Convolution:
    """Convolution layer.

    W: filters (FN, C, FH, FW); b: bias (FN,). After backward, self.dW (FN, C, FH, FW) and
    self.db (FN,) hold the gradients of the loss w.r.t. W and b.
    """

    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad
        self.dW = None
        self.db = None

    def forward(self, x):
        """x: (N, C, H, W). Returns out, shape (N, FN, out_h, out_w)."""
        raise NotImplementedError("Convolution.forward is not implemented yet")

    def backward(self, dout):
        """dout: (N, FN, out_h, out_w). Sets self.dW and self.db; returns dx (N, C, H, W)."""
        raise NotImplementedError("Convolution.backward is not implemented yet")


class Pooling:
    """Max-pooling layer: the maximum of every pool_h x pool_w window, per channel."""

    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad

    def forward(self, x):
        """x: (N, C, H, W). Returns out, shape (N, C, out_h, out_w)."""
        raise NotImplementedError("Pooling.forward is not implemented yet")

    def backward(self, dout):
        """dout: (N, C, out_h, out_w). Returns dx (N, C, H, W): each window's gradient goes
        to the position of its maximum, zero elsewhere.
        """
        raise NotImplementedError("Pooling.backward is not implemented yet")

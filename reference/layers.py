"""Assignment ``layers``: layers with ``forward``/``backward``, and a two-layer network built from them.

Each layer's ``forward`` caches what its ``backward`` needs; ``backward(dout)`` takes the gradient
of the loss with respect to the layer's output and returns the gradient with respect to its
input (same shape as that input). No layer writes to the arrays it is given or to the arrays
it has returned.
"""
from __future__ import annotations

import numpy as np

from reference._rng import RandomSource, random_source
from reference.numerical import cross_entropy_error, sigmoid, softmax


class Relu:
    """``out = max(0, x)``; ``dx = dout * (x > 0)`` (the gradient at exactly 0 is taken as 0)."""

    def __init__(self) -> None:
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x``: any shape -> ``out`` of the same shape."""
        self.mask = x > 0
        return np.where(self.mask, x, 0.0)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout``: ``out``'s shape -> ``dx``."""
        return np.where(self.mask, dout, 0.0)


class LeakyRelu:
    """``out = x if x > 0 else alpha * x``; ``dx = dout * (1 if x > 0 else alpha)``."""

    def __init__(self, alpha: float = 0.01) -> None:
        self.alpha = alpha
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x``: any shape -> ``out`` of the same shape."""
        self.mask = x > 0
        return np.where(self.mask, x, self.alpha * x)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout``: ``out``'s shape -> ``dx``."""
        return np.where(self.mask, dout, self.alpha * dout)


class Elu:
    """``out = x if x > 0 else alpha * (exp(x) - 1)``; ``dx = dout * (1 if x > 0 else alpha * exp(x))``."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha
        self.x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x``: any shape -> ``out`` of the same shape."""
        self.x = np.array(x, dtype=np.float64)
        negative_part = self.alpha * np.expm1(np.minimum(self.x, 0.0))  # exp never overflows
        return np.where(self.x > 0, self.x, negative_part)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout``: ``out``'s shape -> ``dx``."""
        slope = np.where(self.x > 0, 1.0, self.alpha * np.exp(np.minimum(self.x, 0.0)))
        return dout * slope


class Sigmoid:
    """``out = 1 / (1 + exp(-x))``; ``dx = dout * out * (1 - out)``."""

    def __init__(self) -> None:
        self.out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x``: any shape -> ``out`` of the same shape."""
        self.out = sigmoid(x)
        return self.out.copy()

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout``: ``out``'s shape -> ``dx``."""
        return dout * self.out * (1.0 - self.out)


class Tanh:
    """``out = tanh(x)``; ``dx = dout * (1 - out**2)``."""

    def __init__(self) -> None:
        self.out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x``: any shape -> ``out`` of the same shape."""
        self.out = np.tanh(np.asarray(x, dtype=np.float64))
        return self.out.copy()

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout``: ``out``'s shape -> ``dx``."""
        return dout * (1.0 - self.out * self.out)


class Affine:
    """Fully connected layer ``out = x @ W + b``.

    ``W`` ``(D, M)``, ``b`` ``(M,)``; ``x`` ``(N, D)`` or ``(N, d1, d2, ...)`` with ``d1*d2*... = D``
    (flattened per sample). ``backward`` sets ``dW = x.T @ dout`` ``(D, M)`` and
    ``db = sum(dout, axis=0)`` ``(M,)`` (a sum over the batch, not a mean) and returns
    ``dx = dout @ W.T`` in ``x``'s original shape.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.W = W
        self.b = b
        self.x: np.ndarray | None = None
        self.x_shape: tuple[int, ...] | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x`` ``(N, ...)`` -> ``out`` ``(N, M)``."""
        self.x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout`` ``(N, M)`` -> ``dx`` of ``x``'s shape; sets ``dW``, ``db``."""
        self.dW = self.x.T @ dout
        self.db = np.sum(dout, axis=0)
        return (dout @ self.W.T).reshape(self.x_shape)


class Flatten:
    """``(N, d1, d2, ...)`` -> ``(N, d1*d2*...)``; ``backward`` reshapes the gradient back."""

    def __init__(self) -> None:
        self.x_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``x`` ``(N, ...)`` -> ``(N, D)``."""
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1).copy()

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout`` ``(N, D)`` -> ``dx`` of ``x``'s shape."""
        return dout.reshape(self.x_shape).copy()


def _one_hot(t: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Targets as a float array of ``shape``: one-hot rows from integer labels, or ``t`` itself."""
    t = np.asarray(t)
    if t.shape == shape:
        return t.astype(np.float64)
    rows = np.zeros((int(np.prod(shape[:-1])), shape[-1]))
    rows[np.arange(len(rows)), t.reshape(-1).astype(np.intp)] = 1.0
    return rows.reshape(shape)


class SoftmaxWithLoss:
    """Softmax followed by the mean cross-entropy.

    ``forward(x, t)``: ``x`` scores ``(N, C)`` (or ``(C,)``, then ``N = 1``), ``t`` one-hot of ``x``'s
    shape or integer labels ``(N,)``; returns ``cross_entropy_error(softmax(x), t)``.
    ``backward(dout=1)``: ``dx = dout * (y - t) / N`` with ``y = softmax(x)``.
    """

    def __init__(self) -> None:
        self.y: np.ndarray | None = None
        self.t: np.ndarray | None = None
        self.loss: float | None = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        """Scores and targets -> the scalar loss."""
        self.y = softmax(x)
        self.t = _one_hot(t, self.y.shape)
        self.loss = cross_entropy_error(self.y, t)
        return self.loss

    def backward(self, dout: float = 1.0) -> np.ndarray:
        """-> ``dx`` of ``x``'s shape."""
        batch_size = self.y.shape[0] if self.y.ndim == 2 else 1
        return dout * (self.y - self.t) / batch_size


class Dropout:
    """Dropout as in the textbook (not inverted).

    Training: ``mask = rand(x.shape) > dropout_ratio``, ``out = x * mask``; test:
    ``out = x * (1 - dropout_ratio)``. ``backward`` returns ``dout * mask`` with the mask of the
    last training forward. ``rng`` (optional): a ``np.random.Generator``; None uses NumPy's
    global random state, as ``np.random.rand`` does.
    """

    def __init__(self, dropout_ratio: float = 0.5, *, rng: RandomSource = None) -> None:
        self.dropout_ratio = dropout_ratio
        self.rng = rng
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray, train_flg: bool = True) -> np.ndarray:
        """``x``: any shape -> ``out`` of the same shape."""
        if train_flg:
            self.mask = random_source(self.rng).random(x.shape) > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """``dout``: ``out``'s shape -> ``dx``."""
        return dout * self.mask


class TwoLayerNet:
    """``x -> Affine(W1, b1) -> Sigmoid -> Affine(W2, b2) -> softmax``, trained on the cross-entropy.

    ``params``: ``W1`` ``(input_size, hidden_size)``, ``b1`` ``(hidden_size,)``,
    ``W2`` ``(hidden_size, output_size)``, ``b2`` ``(output_size,)``; weights start as
    ``weight_init_std * randn`` (NumPy's global random state), biases as zeros. The layers are
    built from ``params`` on every call, so entries of ``params`` may be replaced at any time.
    """

    def __init__(
        self, input_size: int, hidden_size: int, output_size: int, weight_init_std: float = 0.01
    ) -> None:
        self.params = {
            "W1": weight_init_std * np.random.randn(input_size, hidden_size),
            "b1": np.zeros(hidden_size),
            "W2": weight_init_std * np.random.randn(hidden_size, output_size),
            "b2": np.zeros(output_size),
        }

    def _layers(self) -> list:
        p = self.params
        return [Affine(p["W1"], p["b1"]), Sigmoid(), Affine(p["W2"], p["b2"])]

    @staticmethod
    def _scores(layers: list, x: np.ndarray) -> np.ndarray:
        for layer in layers:
            x = layer.forward(x)
        return x

    def predict(self, x: np.ndarray) -> np.ndarray:
        """``x`` ``(N, input_size)`` -> class probabilities ``(N, output_size)``."""
        return softmax(self._scores(self._layers(), x))

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        """Mean cross-entropy of ``predict(x)`` against ``t`` (one-hot ``(N, C)`` or labels ``(N,)``)."""
        return cross_entropy_error(self.predict(x), t)

    def accuracy(self, x: np.ndarray, t: np.ndarray) -> float:
        """Fraction of samples whose most probable class is the target class."""
        predicted = np.argmax(self.predict(x), axis=1)
        labels = np.argmax(t, axis=1) if np.ndim(t) == 2 else np.asarray(t)
        return float(np.mean(predicted == labels))

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of :meth:`loss` with respect to every entry of ``params``, by back-propagation."""
        layers = self._layers()
        last = SoftmaxWithLoss()
        last.forward(self._scores(layers, x), t)
        dout = last.backward(1.0)
        for layer in reversed(layers):
            dout = layer.backward(dout)
        first, _, second = layers
        return {"W1": first.dW, "b1": first.db, "W2": second.dW, "b2": second.db}

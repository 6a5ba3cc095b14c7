"""Assignment ``backprop``: a hand-computed MLP, the delta rule, XOR and a deep ReLU network.

Conventions: weight matrices are ``(out, in)``, vectors are 1-D, there are no biases, the
activation is the sigmoid unless stated. The training functions run one *epoch*, visiting the
samples one by one in order and updating the weights after each sample (that is the algorithm,
so they loop over samples). None of them modifies its arguments: they work on copies and
return the new weights.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from reference._rng import RandomSource, random_source
from reference.numerical import relu, sigmoid, softmax


def _f64(*arrays: np.ndarray) -> list[np.ndarray]:
    """float64 copies of ``arrays`` (so the caller's arrays are never written to)."""
    return [np.array(a, dtype=np.float64) for a in arrays]


def _targets(D: np.ndarray) -> np.ndarray:
    """Targets as ``(N, k)`` rows, whether given as ``(N,)`` or ``(N, k)``."""
    D = np.asarray(D, dtype=np.float64)
    return D.reshape(len(D), -1)


# --- the two-layer MLP of seed 004 -------------------------------------------------------------

def mlp_forward(x: np.ndarray, W1: np.ndarray, W2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Forward pass ``h = sigmoid(W1 @ x)``, ``o = sigmoid(W2 @ h)``; returns ``(h, o)``.

    ``x`` ``(n_in,)``, ``W1`` ``(n_hidden, n_in)``, ``W2`` ``(n_out, n_hidden)``.
    """
    h = sigmoid(np.asarray(W1, dtype=np.float64) @ np.asarray(x, dtype=np.float64))
    o = sigmoid(np.asarray(W2, dtype=np.float64) @ h)
    return h, o


def mlp_loss(o: np.ndarray, t: np.ndarray) -> float:
    """Squared error ``0.5 * sum((t - o)**2)``."""
    e = np.asarray(t, dtype=np.float64) - np.asarray(o, dtype=np.float64)
    return float(0.5 * np.sum(e * e))


def mlp_backward(
    x: np.ndarray, t: np.ndarray, W1: np.ndarray, W2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients ``(dW1, dW2)`` of ``mlp_loss(mlp_forward(x, W1, W2)[1], t)``.

    Output delta ``delta_o = (o - t) * o * (1 - o)``, ``dW2 = outer(delta_o, h)``;
    hidden delta ``delta_h = (W2.T @ delta_o) * h * (1 - h)``, ``dW1 = outer(delta_h, x)``.
    """
    x, t, W2 = _f64(x, t, W2)
    h, o = mlp_forward(x, W1, W2)
    delta_o = (o - t) * o * (1.0 - o)
    delta_h = (W2.T @ delta_o) * h * (1.0 - h)
    return np.outer(delta_h, x), np.outer(delta_o, h)


def mlp_update(
    x: np.ndarray, t: np.ndarray, W1: np.ndarray, W2: np.ndarray, lr: float
) -> tuple[np.ndarray, np.ndarray]:
    """One gradient-descent step ``W -= lr * dW`` on both layers; returns the new ``(W1, W2)``."""
    dW1, dW2 = mlp_backward(x, t, W1, W2)
    W1, W2 = _f64(W1, W2)
    return W1 - lr * dW1, W2 - lr * dW2


# --- the delta rule and XOR (seed 000) --------------------------------------------------------

def delta_sgd(W: np.ndarray, X: np.ndarray, D: np.ndarray, alpha: float) -> np.ndarray:
    """One epoch of the delta rule for a single sigmoid neuron; returns the new ``W``.

    ``W`` ``(1, n)``, ``X`` ``(N, n)``, ``D`` ``(N, 1)`` or ``(N,)``. For each sample ``k`` in order:
    ``y = sigmoid(W @ x_k)``, ``delta = y * (1 - y) * (d_k - y)``, ``W = W + alpha * delta * x_k``.
    """
    W, X = _f64(W, X)
    for x, d in zip(X, _targets(D)):
        y = sigmoid(W @ x)
        delta = y * (1.0 - y) * (d - y)
        W = W + alpha * np.outer(delta, x)
    return W


OutputDelta = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _squared_error_delta(y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Output delta of a sigmoid unit under the squared error: ``y * (1 - y) * (d - y)``."""
    return y * (1.0 - y) * (d - y)


def _cross_entropy_delta(y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Output delta of a sigmoid unit under the cross-entropy: ``d - y``."""
    return d - y


def _two_layer_epoch(
    W1: np.ndarray, W2: np.ndarray, X: np.ndarray, D: np.ndarray, alpha: float, output_delta: OutputDelta
) -> tuple[np.ndarray, np.ndarray]:
    """One sample-by-sample epoch of a sigmoid network ``x -> W1 -> sigmoid -> W2 -> sigmoid``."""
    W1, W2, X = _f64(W1, W2, X)
    for x, d in zip(X, _targets(D)):
        y1 = sigmoid(W1 @ x)
        y = sigmoid(W2 @ y1)
        delta = output_delta(y, d)
        delta1 = y1 * (1.0 - y1) * (W2.T @ delta)
        W1 += alpha * np.outer(delta1, x)
        W2 += alpha * np.outer(delta, y1)
    return W1, W2


def backprop_xor(
    W1: np.ndarray, W2: np.ndarray, X: np.ndarray, D: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """One epoch of back-propagation with the squared error; returns the new ``(W1, W2)``.

    ``W1`` ``(hidden, n)``, ``W2`` ``(out, hidden)``, ``X`` ``(N, n)``, ``D`` ``(N, out)`` or ``(N,)``.
    Per sample: ``y1 = sigmoid(W1 @ x)``, ``y = sigmoid(W2 @ y1)``, ``delta = y * (1 - y) * (d - y)``,
    ``delta1 = y1 * (1 - y1) * (W2.T @ delta)``, ``W1 += alpha * outer(delta1, x)``,
    ``W2 += alpha * outer(delta, y1)``.
    """
    return _two_layer_epoch(W1, W2, X, D, alpha, _squared_error_delta)


def backprop_ce(
    W1: np.ndarray, W2: np.ndarray, X: np.ndarray, D: np.ndarray, alpha: float
) -> tuple[np.ndarray, np.ndarray]:
    """As :func:`backprop_xor`, but with the cross-entropy loss: the output delta is ``d - y``."""
    return _two_layer_epoch(W1, W2, X, D, alpha, _cross_entropy_delta)


# --- a deep ReLU network (seed 000) -----------------------------------------------------------

def deep_relu(
    W1: np.ndarray, W2: np.ndarray, W3: np.ndarray, W4: np.ndarray,
    X: np.ndarray, D: np.ndarray, alpha: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One sample-by-sample epoch of a network with three ReLU hidden layers and a softmax output.

    ``X`` ``(N, 25)`` (flattened 5x5 images), ``D`` ``(N, 5)`` one-hot; ``W1`` ``(h1, 25)``,
    ``W2`` ``(h2, h1)``, ``W3`` ``(h3, h2)``, ``W4`` ``(5, h3)``. Per sample:
    ``v_i = W_i @ y_(i-1)``, ``y_i = relu(v_i)`` (``y_0 = x``), ``y = softmax(W4 @ y3)``;
    ``delta = d - y``, ``delta3 = (v3 > 0) * (W4.T @ delta)``, ``delta2 = (v2 > 0) * (W3.T @ delta3)``,
    ``delta1 = (v1 > 0) * (W2.T @ delta2)``; then ``W_i += alpha * outer(delta_i, y_(i-1))``.
    Returns the new ``(W1, W2, W3, W4)``.
    """
    W1, W2, W3, W4, X = _f64(W1, W2, W3, W4, X)
    for x, d in zip(X, _targets(D)):
        v1 = W1 @ x
        y1 = relu(v1)
        v2 = W2 @ y1
        y2 = relu(v2)
        v3 = W3 @ y2
        y3 = relu(v3)
        y = softmax(W4 @ y3)

        delta = d - y
        delta3 = (v3 > 0) * (W4.T @ delta)
        delta2 = (v2 > 0) * (W3.T @ delta3)
        delta1 = (v1 > 0) * (W2.T @ delta2)

        W4 += alpha * np.outer(delta, y3)
        W3 += alpha * np.outer(delta3, y2)
        W2 += alpha * np.outer(delta2, y1)
        W1 += alpha * np.outer(delta1, x)
    return W1, W2, W3, W4


def dropout_mask(y: np.ndarray, ratio: float, *, rng: RandomSource = None) -> np.ndarray:
    """Inverted-dropout mask of ``y``'s shape.

    Exactly ``round(y.size * (1 - ratio))`` entries, chosen at random *without replacement*,
    equal ``1 / (1 - ratio)``; the rest are 0. ``rng``: a ``np.random.Generator`` (or
    ``RandomState``); None draws from NumPy's global random state.
    """
    if not 0.0 <= ratio < 1.0:
        raise ValueError(f"dropout ratio must be in [0, 1), got {ratio}")
    size = np.size(y)
    kept = random_source(rng).choice(size, round(size * (1.0 - ratio)), replace=False)
    mask = np.zeros(size, dtype=np.float64)
    mask[kept] = 1.0 / (1.0 - ratio)
    return mask.reshape(np.shape(y))

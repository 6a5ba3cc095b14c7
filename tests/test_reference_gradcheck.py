"""Every backward pass and gradient function of the reference against central finite differences.

Bar: relative error ``||a - n|| / max(||a||, ||n||) < 1e-7`` in float64 (see test_reference_fd).

Kinks. ReLU, LeakyReLU and ELU inputs are drawn as ``uniform(0.05, 2) * random sign`` (``|x| >= 0.05``),
5000 times the step h = 1e-5, so no perturbation crosses 0; the deep ReLU network's pre-activations
are asserted to stay ``> 1e-3`` from 0. Max-pool inputs are a shuffled ladder of values at least
``1/size`` apart (``reference.golden_cases.distinct``; > 1e-3 here, i.e. > 100 h), so every window has
one maximum that no perturbation can overtake. Dropout draws its mask from a freshly seeded generator
on every forward, so all finite-difference evaluations see the same mask.

The loss ``SoftmaxWithLoss`` returns has the textbook's ``+1e-7`` inside the log; its ``backward``
is the gradient of the exact cross-entropy, so it is checked against differences of an exact
log-softmax loss written here (the same is done for ``TwoLayerNet.gradient``).
"""
from __future__ import annotations

import numpy as np
import pytest

from reference import backprop, conv, layers, numerical, optim
from reference.golden_cases import distinct, off_kinks
from tests.test_reference_fd import assert_gradient, projected, relative_error

SHAPES = [(7,), (4, 5), (2, 3, 2, 2)]


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([2024, *key])


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def _exact_ce(scores: np.ndarray, labels: np.ndarray) -> float:
    """Mean cross-entropy of softmax(scores) against integer labels, via a stable log-sum-exp."""
    scores = np.atleast_2d(scores)
    m = scores.max(axis=1, keepdims=True)
    log_softmax = scores - m - np.log(np.sum(np.exp(scores - m), axis=1, keepdims=True))
    return float(-np.mean(log_softmax[np.arange(len(scores)), labels]))


# --- elementwise layers ---------------------------------------------------------------------------

ACTIVATIONS = {
    "Relu": (layers.Relu, off_kinks),
    "LeakyRelu": (layers.LeakyRelu, off_kinks),
    "LeakyRelu(0.2)": (lambda: layers.LeakyRelu(0.2), off_kinks),
    "Elu": (layers.Elu, off_kinks),
    "Elu(0.5)": (lambda: layers.Elu(0.5), off_kinks),
    "Sigmoid": (layers.Sigmoid, lambda rng, s: 2 * rng.standard_normal(s)),
    "Tanh": (layers.Tanh, lambda rng, s: 1.5 * rng.standard_normal(s)),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_backward(name, shape):
    make, draw = ACTIVATIONS[name]
    rng = _rng(len(name), len(shape))
    x = draw(rng, shape)
    dout = rng.standard_normal(shape)
    layer = make()
    layer.forward(x)
    assert_gradient(layer.backward(dout), projected(lambda v: make().forward(v), dout), x, f"{name}.backward")


@pytest.mark.parametrize("x_shape", [(4, 3), (1, 6), (2, 3, 2, 2)], ids=str)
def test_affine_backward(x_shape):
    rng = _rng(1, *x_shape)
    d, m = int(np.prod(x_shape[1:])), 5
    x, W, b = rng.standard_normal(x_shape), rng.standard_normal((d, m)), rng.standard_normal(m)
    dout = rng.standard_normal((x_shape[0], m))
    layer = layers.Affine(W, b)
    layer.forward(x)
    dx = layer.backward(dout)
    assert_gradient(dx, projected(lambda v: layers.Affine(W, b).forward(v), dout), x, "Affine dx")
    assert_gradient(layer.dW, projected(lambda v: layers.Affine(v, b).forward(x), dout), W, "Affine dW")
    assert_gradient(layer.db, projected(lambda v: layers.Affine(W, v).forward(x), dout), b, "Affine db")


def test_flatten_backward():
    rng = _rng(2)
    x = rng.standard_normal((2, 3, 2, 2))
    dout = rng.standard_normal((2, 12))
    layer = layers.Flatten()
    layer.forward(x)
    assert_gradient(layer.backward(dout), projected(lambda v: layers.Flatten().forward(v), dout), x, "Flatten")


@pytest.mark.parametrize("shape", [(4, 5), (1, 3), (6, 10)], ids=str)
@pytest.mark.parametrize("targets", ["one-hot", "labels"])
def test_softmax_with_loss_backward(shape, targets):
    rng = _rng(3, *shape)
    x = rng.standard_normal(shape)
    labels = rng.integers(0, shape[1], shape[0])
    t = np.eye(shape[1])[labels] if targets == "one-hot" else labels
    layer = layers.SoftmaxWithLoss()
    loss = layer.forward(x, t)
    assert loss == pytest.approx(_exact_ce(x, labels), abs=1e-5)  # differs only by the +1e-7 in the log
    for dout in (1.0, 0.37):
        assert_gradient(layer.backward(dout), lambda v: dout * _exact_ce(v, labels), x, f"SoftmaxWithLoss dout={dout}")


@pytest.mark.parametrize("ratio", [0.2, 0.5])
def test_dropout_backward_uses_the_forward_mask(ratio):
    rng = _rng(4)
    x, dout = rng.standard_normal((5, 6)), rng.standard_normal((5, 6))

    def forward(v):
        return layers.Dropout(ratio, rng=np.random.default_rng(99)).forward(v)

    layer = layers.Dropout(ratio, rng=np.random.default_rng(99))
    layer.forward(x)
    assert_gradient(layer.backward(dout), projected(forward, dout), x, "Dropout")


def test_two_layer_net_gradient():
    rng = _rng(5)
    net = layers.TwoLayerNet(6, 5, 4)
    net.params = {"W1": rng.standard_normal((6, 5)), "b1": rng.standard_normal(5),
                  "W2": rng.standard_normal((5, 4)), "b2": rng.standard_normal(4)}
    x, labels = rng.standard_normal((8, 6)), rng.integers(0, 4, 8)
    for t in (np.eye(4)[labels], labels):
        grads = net.gradient(x, t)
        for key in net.params:
            def loss(v, key=key):
                p = {**net.params, key: v}
                hidden = _sigmoid(x @ p["W1"] + p["b1"])
                return _exact_ce(hidden @ p["W2"] + p["b2"], labels)
            assert_gradient(grads[key], loss, net.params[key], f"TwoLayerNet grad {key}")


# --- conv -----------------------------------------------------------------------------------------

CONV_CASES = [  # x shape, W shape, stride, pad
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 0),
    ((2, 2, 7, 6), (3, 2, 3, 2), 2, 1),
    ((1, 1, 4, 4), (2, 1, 2, 2), 1, 2),
]


@pytest.mark.parametrize("x_shape,w_shape,stride,pad", CONV_CASES, ids=str)
def test_convolution_backward(x_shape, w_shape, stride, pad):
    rng = _rng(6, *x_shape)
    x, W, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    layer = conv.Convolution(W, b, stride, pad)
    dout = rng.standard_normal(layer.forward(x).shape)
    dx = layer.backward(dout)
    assert_gradient(dx, projected(lambda v: conv.Convolution(W, b, stride, pad).forward(v), dout), x, "Conv dx")
    assert_gradient(layer.dW, projected(lambda v: conv.Convolution(v, b, stride, pad).forward(x), dout), W, "Conv dW")
    assert_gradient(layer.db, projected(lambda v: conv.Convolution(W, v, stride, pad).forward(x), dout), b, "Conv db")


@pytest.mark.parametrize("x_shape,pool,stride,pad", [
    ((2, 3, 4, 4), (2, 2), 2, 0),
    ((2, 2, 5, 5), (3, 3), 2, 1),
    ((1, 2, 6, 5), (3, 2), 1, 0),
], ids=str)
def test_pooling_backward(x_shape, pool, stride, pad):
    rng = _rng(7, *x_shape)
    x = distinct(rng, x_shape, positive=pad > 0)
    layer = conv.Pooling(*pool, stride, pad)
    dout = rng.standard_normal(layer.forward(x).shape)
    assert_gradient(layer.backward(dout), projected(lambda v: conv.Pooling(*pool, stride, pad).forward(v), dout), x,
                    "Pooling dx")


@pytest.mark.parametrize("length,k", [(5, 3), (9, 4), (6, 1)])
def test_conv1d_backward(length, k):
    rng = _rng(8, length, k)
    x, w, b = rng.standard_normal(length), rng.standard_normal(k), rng.standard_normal()
    dout = rng.standard_normal(length - k + 1)

    def direct(x_, w_, b_):
        return np.array([sum(x_[i + j] * w_[j] for j in range(k)) + b_ for i in range(length - k + 1)])

    dx, dw, db = conv.conv1d_backward(x, w, dout)
    assert_gradient(dx, projected(lambda v: direct(v, w, b), dout), x, "conv1d dx")
    assert_gradient(dw, projected(lambda v: direct(x, v, b), dout), w, "conv1d dw")
    assert_gradient(np.array([db]), projected(lambda v: direct(x, w, v[0]), dout), np.array([b]), "conv1d db")


# --- backprop -------------------------------------------------------------------------------------

@pytest.mark.parametrize("sizes", [(2, 2, 2), (3, 4, 2), (5, 3, 1)], ids=str)
def test_mlp_backward(sizes):
    n_in, n_hidden, n_out = sizes
    rng = _rng(9, *sizes)
    x, t = rng.uniform(-1, 1, n_in), rng.uniform(0, 1, n_out)
    W1, W2 = rng.uniform(-1, 1, (n_hidden, n_in)), rng.uniform(-1, 1, (n_out, n_hidden))
    dW1, dW2 = backprop.mlp_backward(x, t, W1, W2)
    loss = lambda A, B: 0.5 * np.sum((t - _sigmoid(B @ _sigmoid(A @ x))) ** 2)  # noqa: E731
    assert_gradient(dW1, lambda v: loss(v, W2), W1, "mlp dW1")
    assert_gradient(dW2, lambda v: loss(W1, v), W2, "mlp dW2")


def _step_as_gradient(new: np.ndarray, old: np.ndarray, alpha: float) -> np.ndarray:
    """A single-sample update ``W_new = W - alpha * dE/dW`` read back as ``dE/dW``."""
    return (old - new) / alpha


def test_delta_sgd_single_sample_is_a_gradient_step():
    rng = _rng(10)
    W, x, d, alpha = rng.uniform(-1, 1, (1, 4)), rng.uniform(-1, 1, 4), 1.0, 0.3
    new = backprop.delta_sgd(W, x[None, :], np.array([[d]]), alpha)
    assert_gradient(_step_as_gradient(new, W, alpha), lambda v: 0.5 * np.sum((d - _sigmoid(v @ x)) ** 2), W,
                    "delta rule")


def _bce(y, d):
    return -np.sum(d * np.log(y) + (1 - d) * np.log(1 - y))


@pytest.mark.parametrize("fn,loss", [
    (backprop.backprop_xor, lambda y, d: 0.5 * np.sum((d - y) ** 2)),
    (backprop.backprop_ce, _bce),
], ids=["squared-error", "cross-entropy"])
def test_two_layer_epoch_single_sample_is_a_gradient_step(fn, loss):
    rng = _rng(11)
    W1, W2 = rng.uniform(-1, 1, (4, 3)), rng.uniform(-1, 1, (2, 4))
    x, d, alpha = rng.uniform(-1, 1, 3), np.array([1.0, 0.0]), 0.2
    new1, new2 = fn(W1, W2, x[None, :], d[None, :], alpha)
    E = lambda A, B: loss(_sigmoid(B @ _sigmoid(A @ x)), d)  # noqa: E731
    assert_gradient(_step_as_gradient(new1, W1, alpha), lambda v: E(v, W2), W1, f"{fn.__name__} W1")
    assert_gradient(_step_as_gradient(new2, W2, alpha), lambda v: E(W1, v), W2, f"{fn.__name__} W2")


def test_deep_relu_single_sample_is_a_gradient_step():
    rng = _rng(12, 1)
    Ws = [rng.uniform(-1, 1, s) for s in ((10, 25), (8, 10), (6, 8), (5, 6))]
    x, d, alpha = rng.integers(0, 2, 25).astype(float), np.eye(5)[3], 0.1

    def pre_activations(W):
        vs, y = [], x
        for Wi in W[:3]:
            vs.append(Wi @ y)
            y = np.maximum(vs[-1], 0)
        return vs, W[3] @ y

    vs, _ = pre_activations(Ws)
    assert min(np.abs(v).min() for v in vs) > 1e-3, "pick another seed: a pre-activation sits on the ReLU kink"

    def E(W):
        scores = pre_activations(W)[1]
        return _exact_ce(scores, np.array([3]))

    new = backprop.deep_relu(*Ws, x[None, :], d[None, :], alpha)
    for i in range(4):
        assert_gradient(_step_as_gradient(new[i], Ws[i], alpha),
                        lambda v, i=i: E([v if j == i else Ws[j] for j in range(4)]), Ws[i], f"deep_relu W{i + 1}")


# --- numerical ------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(2,), (3, 4), (2, 1, 2, 2)], ids=str)
def test_numerical_gradient_matches_the_analytic_gradient(shape):
    x = _rng(13, len(shape)).standard_normal(shape)
    w = np.arange(1.0, x.size + 1).reshape(shape)
    grad = numerical.numerical_gradient(lambda v: float(np.sum(w * np.sin(v)) + np.sum(v**2)), x)
    assert relative_error(grad, w * np.cos(x) + 2 * x) < 1e-7


@pytest.mark.parametrize("x", [-1.5, 0.3, 5.0])
def test_numerical_diff_matches_the_analytic_derivative(x):
    assert relative_error(np.array(numerical.numerical_diff(np.sin, x)), np.array(np.cos(x))) < 1e-7
    assert numerical.numerical_diff(lambda v: 0.01 * v**2 + 0.1 * v, 5.0) == pytest.approx(0.2, abs=1e-10)


# --- optim ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 2, 2)], ids=str)
def test_l2_grad_is_the_gradient_of_l2_penalty(shape):
    rng = _rng(14, len(shape))
    W, other, lam = rng.standard_normal(shape), rng.standard_normal((2, 2)), 0.3
    assert_gradient(optim.l2_grad(W, lam), lambda v: optim.l2_penalty([v, other], lam), W, "l2_grad")

"""An independent oracle: the reference layers, convolution, pooling, softmax-CE and optimizers against PyTorch.

Optional: CI does not install torch (``pip install '.[torch]'`` or a CPU wheel adds it); without it
the whole module is skipped. Everything runs in float64; autograd supplies the gradients.
"""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed: the optional torch cross-check is skipped")
F = torch.nn.functional

from reference import conv, layers, optim  # noqa: E402
from reference.golden_cases import distinct, off_kinks  # noqa: E402

pytestmark = pytest.mark.torch
TOL = dict(rtol=1e-12, atol=1e-12)


def _t(a: np.ndarray, grad: bool = False):
    return torch.tensor(a, dtype=torch.float64, requires_grad=grad)


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([31, *key])


def _compare_layer(layer, torch_fn, x: np.ndarray, rng: np.random.Generator) -> None:
    out = layer.forward(x)
    dout = rng.standard_normal(out.shape)
    xt = _t(x, grad=True)
    ot = torch_fn(xt)
    ot.backward(_t(dout))
    np.testing.assert_allclose(out, ot.detach().numpy(), **TOL)
    np.testing.assert_allclose(layer.backward(dout), xt.grad.numpy(), **TOL)


@pytest.mark.parametrize("name", ["Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh"])
def test_activations(name):
    rng = _rng(len(name))
    x = off_kinks(rng, (3, 4, 5))
    layer, fn = {
        "Relu": (layers.Relu(), torch.relu),
        "LeakyRelu": (layers.LeakyRelu(0.1), lambda v: F.leaky_relu(v, 0.1)),
        "Elu": (layers.Elu(0.7), lambda v: F.elu(v, 0.7)),
        "Sigmoid": (layers.Sigmoid(), torch.sigmoid),
        "Tanh": (layers.Tanh(), torch.tanh),
    }[name]
    _compare_layer(layer, fn, x, rng)


def test_affine():
    rng = _rng(1)
    x, W, b = rng.standard_normal((4, 2, 3)), rng.standard_normal((6, 5)), rng.standard_normal(5)
    layer = layers.Affine(W, b)
    Wt, bt = _t(W, True), _t(b, True)
    _compare_layer(layer, lambda v: v.reshape(4, -1) @ Wt + bt, x, rng)
    np.testing.assert_allclose(layer.dW, Wt.grad.numpy(), **TOL)
    np.testing.assert_allclose(layer.db, bt.grad.numpy(), **TOL)


@pytest.mark.parametrize("x_shape,w_shape,stride,pad", [
    ((2, 3, 7, 7), (4, 3, 3, 3), 1, 0), ((2, 2, 8, 7), (3, 2, 3, 2), 2, 1), ((3, 1, 6, 6), (2, 1, 5, 5), 1, 2),
], ids=str)
def test_convolution(x_shape, w_shape, stride, pad):
    rng = _rng(2, *x_shape)
    x, W, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    layer = conv.Convolution(W, b, stride, pad)
    Wt, bt = _t(W, True), _t(b, True)
    _compare_layer(layer, lambda v: F.conv2d(v, Wt, bt, stride=stride, padding=pad), x, rng)
    np.testing.assert_allclose(layer.dW, Wt.grad.numpy(), **TOL)
    np.testing.assert_allclose(layer.db, bt.grad.numpy(), **TOL)


@pytest.mark.parametrize("x_shape,pool,stride,pad", [
    ((2, 3, 4, 4), (2, 2), 2, 0), ((2, 2, 7, 7), (3, 3), 2, 1), ((1, 2, 6, 5), (3, 2), 1, 0),
], ids=str)
def test_max_pooling(x_shape, pool, stride, pad):
    """Positive tie-free inputs when padded: torch pads with -inf, the textbook with 0; both agree then."""
    rng = _rng(3, *x_shape)
    x = distinct(rng, x_shape, positive=pad > 0)
    _compare_layer(conv.Pooling(*pool, stride, pad), lambda v: F.max_pool2d(v, pool, stride, pad), x, rng)


@pytest.mark.parametrize("targets", ["labels", "one-hot"])
def test_softmax_with_loss(targets):
    rng = _rng(4)
    x = rng.standard_normal((6, 5))
    labels = rng.integers(0, 5, 6)
    layer = layers.SoftmaxWithLoss()
    loss = layer.forward(x, labels if targets == "labels" else np.eye(5)[labels])
    xt = _t(x, True)
    exact = F.cross_entropy(xt, torch.tensor(labels))
    exact.backward()
    # The loss keeps the textbook's +1e-7 inside the log: equal to torch on that formula, and within
    # 1e-7 / min(true-class probability) of torch's exact cross-entropy; the gradient is the exact one.
    p = torch.softmax(_t(x), dim=1)[torch.arange(6), torch.tensor(labels)]
    assert loss == pytest.approx(-torch.log(p + 1e-7).mean().item(), rel=1e-13)
    assert abs(loss - exact.item()) <= 1e-7 / p.min().item()
    np.testing.assert_allclose(layer.backward(1.0), xt.grad.numpy(), **TOL)


@pytest.mark.parametrize("name", ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "AdaDelta", "Adam"])
def test_optimizers(name):
    """Six steps on random unit-scale gradients. Epsilons differ by convention (AdaGrad/RMSprop 1e-7 here,
    1e-10/1e-8 in torch; AdaDelta eps inside both roots in both), so those are compared at 1e-6."""
    ours, theirs, tol = {
        "SGD": (optim.SGD(lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1), 1e-12),
        "Momentum": (optim.Momentum(lr=0.1, momentum=0.9), None, 1e-12),
        "Nesterov": (optim.Nesterov(lr=0.1, momentum=0.9),
                     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True), 1e-12),
        "AdaGrad": (optim.AdaGrad(lr=0.1), lambda p: torch.optim.Adagrad(p, lr=0.1), 1e-6),
        "RMSprop": (optim.RMSprop(lr=0.01, decay_rate=0.99),
                    lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.99, eps=1e-7), 1e-6),
        "AdaDelta": (optim.AdaDelta(rho=0.95, eps=1e-6), lambda p: torch.optim.Adadelta(p, lr=1.0, rho=0.95, eps=1e-6),
                     1e-9),
        "Adam": (optim.Adam(lr=0.01), lambda p: torch.optim.Adam(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8), 1e-9),
    }[name]
    if theirs is None:  # torch's momentum is v = m*v + g; p -= lr*v, i.e. ours with v scaled by -lr
        theirs = lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)  # noqa: E731
    rng = _rng(5, len(name))
    W = rng.standard_normal((3, 4))
    params = {"W": W.copy()}
    Wt = _t(W, True)
    optimizer = theirs([Wt])
    for _ in range(6):
        g = rng.standard_normal((3, 4))
        ours.update(params, {"W": g})
        Wt.grad = _t(g)
        optimizer.step()
        np.testing.assert_allclose(params["W"], Wt.detach().numpy(), rtol=tol, atol=tol)

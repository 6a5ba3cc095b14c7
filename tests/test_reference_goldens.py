"""Every golden number of CURRICULUM.md, recomputed by the reference and compared with the printed value."""
from __future__ import annotations

import numpy as np
import pytest

from reference.backprop import mlp_backward, mlp_forward, mlp_loss, mlp_update
from reference.conv import conv1d, conv1d_backward, mse_loss
from reference.numerical import cross_entropy_error, gradient_descent, sum_squared_error

# seed 003
Y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
T = np.eye(10)[2]

# seed 004
X4 = np.array([0.1, 0.2])
W1 = np.array([[0.3, 0.25], [0.4, 0.35]])
W2 = np.array([[0.45, 0.4], [0.7, 0.6]])
T4 = np.array([0.4, 0.6])
LR4 = 0.5
EIGHT_DIGITS = dict(rtol=0, atol=5e-9)  # numbers printed with 8 decimals

# seed 001
X1 = np.array([1.0, 0.7, 0.5, 0.3, 0.1])
W_1D = np.array([1.0, 1.0, 1.0])
B_1D = 0.5
TARGET1 = np.array([1.0, 0.0, 0.0])


def test_sum_squared_error_seed_003():
    assert sum_squared_error(Y, T) == pytest.approx(0.0975, abs=1e-15)


@pytest.mark.parametrize("t", [T, 2, np.array([2])], ids=["one-hot", "scalar-label", "label-array"])
def test_cross_entropy_error_seed_003(t):
    assert cross_entropy_error(Y, t) == pytest.approx(0.510825457099338, abs=1e-15)


def test_gradient_descent_seed_003_reaches_the_origin():
    x0 = np.array([-3.0, 4.0])
    x = gradient_descent(lambda v: v[0] ** 2 + v[1] ** 2, x0, lr=0.1, step_num=100)
    assert np.all(np.abs(x) < 1e-8), x
    np.testing.assert_array_equal(x0, [-3.0, 4.0])  # init_x untouched


def test_mlp_forward_seed_004():
    h, o = mlp_forward(X4, W1, W2)
    np.testing.assert_allclose(h, [0.51998934, 0.52747230], **EIGHT_DIGITS)
    np.testing.assert_allclose(o, [0.60944600, 0.66384491], **EIGHT_DIGITS)
    assert mlp_loss(o, T4) == pytest.approx(0.02397190, abs=5e-9)


def test_mlp_update_seed_004():
    new_W1, new_W2 = mlp_update(X4, T4, W1, W2, LR4)
    assert new_W2[0, 0] == pytest.approx(0.43703857, abs=5e-9)  # w5+
    np.testing.assert_allclose(new_W2, [[0.43703857, 0.38685205], [0.69629578, 0.59624247]], **EIGHT_DIGITS)
    np.testing.assert_allclose(new_W1, [[0.29959556, 0.24919112], [0.39964496, 0.34928991]], **EIGHT_DIGITS)
    assert mlp_loss(mlp_forward(X4, new_W1, new_W2)[1], T4) == pytest.approx(0.02323634, abs=5e-9)


def test_mlp_backward_seed_004_is_the_update_step():
    dW1, dW2 = mlp_backward(X4, T4, W1, W2)
    np.testing.assert_allclose(W2 - LR4 * dW2, [[0.43703857, 0.38685205], [0.69629578, 0.59624247]],
                               **EIGHT_DIGITS)


def test_conv1d_seed_001():
    np.testing.assert_allclose(conv1d(X1, W_1D, B_1D), [2.7, 2.0, 1.4], rtol=0, atol=1e-15)
    np.testing.assert_allclose(conv1d(X1, W_1D, np.array([B_1D])), [2.7, 2.0, 1.4], rtol=0, atol=1e-15)


def test_mse_loss_seed_001():
    assert mse_loss(conv1d(X1, W_1D, B_1D), TARGET1) == pytest.approx(2.95, abs=1e-14)


def test_conv1d_gradient_seed_001_is_the_chain_rule_not_the_seed():
    pred = conv1d(X1, W_1D, B_1D)
    _, dw, db = conv1d_backward(X1, W_1D, 2 * (pred - TARGET1) / pred.size)
    np.testing.assert_allclose(dw, [2.5333333, 1.74, 1.06], rtol=0, atol=5e-8)
    assert db == pytest.approx(3.4, abs=1e-14)
    assert not np.allclose(dw, [7.48, 6.0, 2.52])  # the seed's own (wrong) gradient

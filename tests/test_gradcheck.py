"""Finite differences: correct gradients pass at ~1e-9, planted bugs fail with a located message."""
from __future__ import annotations

import numpy as np
import pytest

from grader.checks import CheckFailed
from grader.compare import relative_error
from grader.gradcheck import (check_gradient, directional_derivative, layer_gradcheck, numeric_gradient,
                              off_kinks, param_gradcheck)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


class Counted:
    """Wraps f, counting calls and remembering every argument it saw."""

    def __init__(self, f):
        self.f, self.calls, self.seen = f, 0, []

    def __call__(self, x):
        self.calls += 1
        self.seen.append(x.copy())
        return self.f(x)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


LABELS = np.array([0, 2, 1, 2])
FUNCTIONS = {   # name: (f, analytic gradient, shape of x)
    "quadratic": (lambda x: 0.5 * np.sum(x ** 2), lambda x: x.copy(), (3, 4)),
    "sin-product": (lambda x: np.sum(np.sin(x) * x), lambda x: np.cos(x) * x + np.sin(x), (7,)),
    "softmax-cross-entropy": (
        lambda z: -np.mean(np.log(softmax(z)[np.arange(4), LABELS])),
        lambda z: (softmax(z) - np.eye(3)[LABELS]) / 4, (4, 3)),
    "tanh-4d": (lambda x: np.sum(np.tanh(x) ** 2), lambda x: 2 * np.tanh(x) * (1 - np.tanh(x) ** 2),
                (2, 1, 3, 2)),
}


def failure(fn, *args, **kwargs) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        fn(*args, **kwargs)
    return info.value


# --- numeric_gradient / directional_derivative ----------------------------------------------------

@pytest.mark.parametrize("name", FUNCTIONS)
def test_numeric_gradient_of_correct_functions(name):
    f, grad, shape = FUNCTIONS[name]
    x = rng().standard_normal(shape)
    counted = Counted(f)
    num = numeric_gradient(counted, x)
    assert num.shape == shape and counted.calls == 2 * x.size
    assert relative_error(num, grad(x)) < 1e-8


def test_numeric_gradient_restores_x_and_perturbs_one_element_at_a_time():
    x = rng().standard_normal((2, 3))
    before = x.copy()

    def f_that_mutates(v):
        value = float(np.sum(v ** 3))
        v[...] = 0.0          # a careless f must not corrupt later evaluations or the caller's x
        return value

    counted = Counted(f_that_mutates)
    num = numeric_gradient(counted, x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(num, 3 * x ** 2, rtol=1e-8)
    for seen in counted.seen:
        assert np.count_nonzero(seen != x) == 1


@pytest.mark.parametrize("dtype", [np.int64, np.int32, bool])
def test_integer_input_is_refused(dtype):
    with pytest.raises(TypeError, match="float array"):
        numeric_gradient(lambda v: float(np.sum(v)), np.arange(3).astype(dtype))
    with pytest.raises(TypeError, match="float array"):
        check_gradient(np.ones(3), lambda v: float(np.sum(v)), np.arange(3), what="g", rng=rng())


def test_float32_input_is_promoted():
    x = np.linspace(-1, 1, 5, dtype=np.float32)
    num = numeric_gradient(lambda v: float(np.sum(v ** 2)), x)
    assert num.dtype == np.float64
    assert relative_error(num, 2 * x.astype(np.float64)) < 1e-9


def test_directional_derivative_costs_two_calls():
    f, grad, shape = FUNCTIONS["tanh-4d"]
    x, u = rng(1).standard_normal(shape), rng(2).standard_normal(shape)
    counted = Counted(f)
    assert directional_derivative(counted, x, u) == pytest.approx(np.sum(grad(x) * u), rel=1e-8)
    assert counted.calls == 2


def test_f_must_return_one_number():
    err = failure(check_gradient, np.ones(3), lambda v: v, np.ones(3), what="g", rng=rng())
    assert err.message.startswith("f(x + h) has shape (3,), expected shape ()")


# --- check_gradient ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", FUNCTIONS)
def test_correct_gradients_pass_small(name):
    f, grad, shape = FUNCTIONS[name]
    x = rng(3).standard_normal(shape)
    counted = Counted(f)
    check_gradient(grad(x), counted, x, what=name, rng=rng())
    assert counted.calls == 2 * x.size          # small inputs: every element


def test_correct_gradient_passes_large_with_few_calls():
    f, grad, _ = FUNCTIONS["tanh-4d"]
    x = rng(4).standard_normal((20, 30))
    counted = Counted(f)
    check_gradient(grad(x), counted, x, what="tanh", rng=rng())
    assert counted.calls == 2 * 2 + 2 * 8


def test_wrong_gradient_message_names_what_index_and_both_numbers():
    f, grad, shape = FUNCTIONS["quadratic"]
    x = rng(5).standard_normal(shape)
    wrong = grad(x)
    wrong[1, 2] += 0.5
    err = failure(check_gradient, wrong, f, x, what="q'(x)", rng=rng())
    assert err.message.startswith(
        f"q'(x) differs from central differences of the forward pass at index (1, 2): "
        f"numeric {x[1, 2]:.6g}, analytic {x[1, 2] + 0.5:.6g} (1 of 12 checked elements differ;")
    assert "relative error" in err.message
    assert err.details["type"] == "array" and err.details["worst_index"] == [1, 2]


def test_one_wrong_element_of_a_hundred_is_found():
    f, grad, _ = FUNCTIONS["sin-product"]
    x = rng(6).standard_normal(100)
    wrong = grad(x)
    wrong[37] *= 1.01
    err = failure(check_gradient, wrong, f, x, what="g", rng=rng())
    assert "at index 37:" in err.message and "(1 of 100 checked elements differ;" in err.message


def test_confirmation_catches_what_a_projection_misses():
    """Sparse gradient: one huge entry hides a wrong small entry from every random projection."""
    weights = np.zeros(200)
    weights[5] = 1e6
    f = lambda v: float(weights @ v)   # noqa: E731
    x = rng(7).standard_normal(200)
    wrong = weights.copy()
    wrong[150] = 1.0
    u = rng(8).standard_normal(200)
    screen_gap = abs(wrong @ u - directional_derivative(f, x, u)) / abs(weights @ u)
    assert screen_gap < 1e-5            # the projection alone would pass it
    counted = Counted(f)
    err = failure(check_gradient, wrong, counted, x, what="g", rng=rng())
    assert "at index 150: numeric 0, analytic 1" in err.message
    assert counted.calls == 2 * 2 + 2 * 8        # the screen passed; the confirmed sample did not


def test_large_input_failing_screen_is_located_by_sampling():
    f, grad, _ = FUNCTIONS["quadratic"]
    x = rng(9).standard_normal(3000)
    counted = Counted(f)
    err = failure(check_gradient, 3 * grad(x), counted, x, what="g", rng=rng())
    assert "(64 of 64 checked elements differ;" in err.message
    assert err.message.endswith("Likely cause: every element is 3 times the expected value.")
    assert counted.calls == 2 * 2 + 2 * 64


def test_error_outside_the_sample_is_reported_from_the_projection():
    f, grad, _ = FUNCTIONS["quadratic"]
    x = rng(10).uniform(1, 2, 3000)
    wrong = grad(x)
    wrong[1234] = 0.0
    err = failure(check_gradient, wrong, f, x, what="g", rng=rng())
    assert err.message.startswith("g does not match central differences of the forward pass: along "
                                  "a random direction u the numeric derivative is")
    assert err.details["type"] == "scalars"


def test_analytic_of_wrong_shape_or_type():
    x = np.ones((2, 3))
    assert failure(check_gradient, np.ones(6), lambda v: 0.0, x, what="dW", rng=rng()).message == (
        "dW has shape (6,), expected shape (2, 3): same number of elements in a different layout: "
        "a reshape or transpose in the wrong place?")
    assert failure(check_gradient, None, lambda v: 0.0, x, what="dW", rng=rng()).message.startswith(
        "dW is None")


# --- layers and parameters -----------------------------------------------------------------------

class Affine:
    def __init__(self, W, b, *, bug=None):
        self.W, self.b, self.bug = W, b, bug

    def forward(self, x):
        self.x_shape, self.x = x.shape, x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout if self.bug != "transposed dW" else (dout.T @ self.x)
        self.db = dout.sum(axis=0) if self.bug != "mean db" else dout.mean(axis=0)
        return (dout @ self.W.T).reshape(self.x_shape)


class Sigmoid:
    def __init__(self, *, forget_dout=False):
        self.forget_dout = forget_dout

    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        local = self.out * (1 - self.out)
        return local if self.forget_dout else dout * local


class Relu:
    def forward(self, x):
        self.mask = x <= 0
        return np.where(self.mask, 0.0, x)

    def backward(self, dout):
        return np.where(self.mask, 0.0, dout)


def test_layer_gradcheck_passes_correct_layers_and_leaves_x_alone():
    x = rng(11).standard_normal((3, 2, 2, 2))       # 4-D input, flattened by Affine
    before = x.copy()
    layer = Affine(rng(12).standard_normal((8, 5)), rng(13).standard_normal(5))
    layer_gradcheck(layer.forward, layer.backward, x, what="Affine.backward: dx", rng=rng())
    sig = Sigmoid()
    layer_gradcheck(sig.forward, sig.backward, rng(14).standard_normal((4, 5)), what="Sigmoid", rng=rng())
    relu = Relu()
    layer_gradcheck(relu.forward, relu.backward, off_kinks(rng(15).standard_normal((4, 5))),
                    what="Relu.backward: dx", rng=rng())
    np.testing.assert_array_equal(x, before)


def test_missing_dout_is_hidden_by_all_ones_but_caught_by_random_dout():
    x = rng(16).standard_normal((4, 5))
    sig = Sigmoid(forget_dout=True)
    sig.forward(x)
    dx_for_ones = sig.backward(np.ones_like(x))
    check_gradient(dx_for_ones, lambda v: float(np.sum(Sigmoid().forward(v))), x, what="dx", rng=rng())
    err = failure(layer_gradcheck, sig.forward, sig.backward, x, what="Sigmoid.backward: dx", rng=rng())
    assert err.message.startswith("Sigmoid.backward: dx differs from central differences")
    with pytest.raises(ValueError, match="constant dout"):
        layer_gradcheck(sig.forward, sig.backward, x, what="dx", rng=rng(), dout=np.ones((4, 5)))


def test_param_gradcheck_passes_dW_and_db():
    x, W, b = rng(17).standard_normal((4, 3)), rng(18).standard_normal((3, 3)), rng(19).standard_normal(3)
    layer, dout = Affine(W, b), rng(20).standard_normal((4, 3))
    layer.forward(x)
    layer.backward(dout)
    param_gradcheck(lambda Wv: Affine(Wv, b).forward(x), layer.dW, W, dout=dout, what="dW", rng=rng())
    param_gradcheck(lambda bv: Affine(W, bv).forward(x), layer.db, b, dout=dout, what="db", rng=rng())


def test_param_gradcheck_catches_transposed_dW_and_mean_db():
    x, W, b = rng(21).standard_normal((4, 3)), rng(22).standard_normal((3, 3)), rng(23).standard_normal(3)
    layer, dout = Affine(W, b, bug="transposed dW"), rng(24).standard_normal((4, 3))
    layer.forward(x)
    layer.backward(dout)
    err = failure(param_gradcheck, lambda Wv: Affine(Wv, b).forward(x), layer.dW, W, dout=dout,
                  what="Affine.backward: dW", rng=rng())
    assert err.message.startswith("Affine.backward: dW differs from central differences")
    assert err.message.endswith("Likely cause: the result is the transpose of the expected matrix: "
                                "swapped operands in a matrix product (A.T @ B instead of B.T @ A) "
                                "or a missing or extra .T?")
    layer = Affine(W, b, bug="mean db")
    layer.forward(x)
    layer.backward(dout)
    err = failure(param_gradcheck, lambda bv: Affine(W, bv).forward(x), layer.db, b, dout=dout,
                  what="Affine.backward: db", rng=rng(), batch_size=4)
    assert "Likely cause: every element is 1/N of the expected value (N = 4, the batch size)" in err.message


def test_forward_output_of_wrong_shape_fails_cleanly():
    err = failure(layer_gradcheck, lambda v: v.sum(), lambda d: d, np.ones(3), what="dx", rng=rng())
    assert err.message == "dx: the output of forward(x) is a single number (3) where an array was expected"


def test_off_kinks_keeps_elements_away_from_zero():
    x = np.array([-1.0, -1e-4, 0.0, 3e-3, 0.5])
    np.testing.assert_array_equal(off_kinks(x), [-1.0, -0.01, 0.01, 0.01, 0.5])
    np.testing.assert_array_equal(off_kinks([0.995, 2.0], kinks=(1.0,)), [0.99, 2.0])

"""Mutants of the reference name a wrong result in the code's own words; exceptions get a likely cause.

The replay reads grader.calllog.LOG as the proxy fills it; here it is filled as the proxy would, with the
results a buggy student would have returned (computed by hand-written buggy code, not by the mutants)."""
from __future__ import annotations

import numpy as np
import pytest

from grader import calllog
from grader.diagnose import diagnose, exception_cause
from grader.mutants import explain, mutants_of

RNG = np.random.default_rng(3)


@pytest.fixture(autouse=True)
def fresh_log():
    calllog.LOG.clear()
    yield
    calllog.LOG.clear()


def _layer_calls(cls: str, ctor: tuple, x: np.ndarray, dout: np.ndarray, out: np.ndarray, dx: np.ndarray) -> None:
    calllog.LOG.add(calllog.Call("new", cls, 1, ctor, {}))
    calllog.LOG.add(calllog.Call("method", "forward", 1, (x,), {}, out))
    calllog.LOG.add(calllog.Call("method", "backward", 1, (dout,), {}, dx))


def test_every_operator_family_appears_among_affine_mutants():
    sentences = " | ".join(m.sentence for m in mutants_of("Affine"))
    for words in ("mean where a sum belongs", "`axis=0` is missing", "axis=1 where axis=0 belongs",
                  "the operands of `@` are swapped", "`.T` is missing", "an extra `.T`", "the term `+ self.b` is missing"):
        assert words in sentences, words


def test_affine_db_mean_is_named_in_the_references_words():
    x, W, b, dout = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 2)), RNG.standard_normal(2), RNG.standard_normal((4, 2))
    _layer_calls("Affine", (W, b), x, dout, x @ W + b, dout @ W.T)
    calllog.LOG.add(calllog.Call("getattr", "db", 1, (), {}, dout.mean(axis=0)))
    cause = diagnose(dout.mean(axis=0), dout.sum(axis=0), explain=explain)
    assert cause == ("your result is what `self.db = np.mean(dout, axis=0)` gives where "
                     "`self.db = np.sum(dout, axis=0)` belongs (mean where a sum belongs)")


def test_sigmoid_backward_without_one_minus_out():
    x, dout = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    out = 1 / (1 + np.exp(-x))
    _layer_calls("Sigmoid", (), x, dout, out, dout * out)
    cause = explain(dout * out)
    assert cause is not None and "the factor `1.0 - self.out` is missing" in cause


def test_leaky_relu_with_the_default_slope_hard_coded():
    x, dout = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    out = np.where(x > 0, x, 0.01 * x)
    calllog.LOG.add(calllog.Call("new", "LeakyRelu", 1, (0.2,), {}))
    calllog.LOG.add(calllog.Call("method", "forward", 1, (x,), {}, out))
    assert "the default alpha = 0.01 is hard-coded where the parameter alpha belongs" in explain(out)


def test_delta_rule_over_a_fixed_count_of_samples():
    W, X, D = RNG.standard_normal((1, 3)), RNG.standard_normal((6, 3)), RNG.uniform(size=6)
    w = W.copy()
    for k in range(4):  # the seed's `for k in range(4)`
        y = 1 / (1 + np.exp(-(w @ X[k])))
        w = w + 0.5 * (y * (1 - y) * (D[k] - y)) * X[k]
    calllog.LOG.add(calllog.Call("call", "delta_sgd", None, (W, X, D, 0.5), {}, w))
    assert "stops after 4 iterations" in explain(w)


def test_hand_written_variant_tiny_h():
    calllog.LOG.add(calllog.Call("call", "numerical_diff", None, (calllog.Ref(testfn="square_1d"), 3.0), {}, 0.0))
    assert explain(np.array(0.0)).startswith("h is so small that x + h rounds to x")


def test_no_mutant_for_unrelated_values_or_unknown_calls():
    x = RNG.standard_normal((3, 4))
    _layer_calls("Relu", (), x, x, np.maximum(x, 0), x)
    assert explain(RNG.standard_normal((3, 4))) is None  # not a logged result
    calllog.LOG.add(calllog.Call("call", "not_in_the_reference", None, (x,), {}, x + 1))
    assert explain(x + 1) is None


def test_describe_call_names_constructor_arguments_and_shapes():
    calllog.LOG.add(calllog.Call("new", "Pooling", 7, (2, 2), {"stride": 1, "pad": 1}))
    call = calllog.Call("method", "forward", 7, (np.zeros((2, 3, 4, 4)),), {})
    names = calllog.parameter_names(call)
    assert names == ("x",)
    assert calllog.describe_call(call, names) == "Pooling(2, 2, stride=1, pad=1).forward(x) with x (2, 3, 4, 4) float64"
    arrays, settings = calllog.arguments(call, names)
    assert list(arrays) == ["x"] and settings == {"pool_h": 2, "pool_w": 2, "stride": 1, "pad": 1}


@pytest.mark.parametrize("exc_type, message, arrays, settings, words", [
    ("ValueError", "cannot reshape array of size 36 into shape (2,2,2,2)", {}, {"pad": 1}, "ignores pad (pad = 1"),
    ("IndexError", "index 2 is out of bounds for axis 0 with size 2", {"x": np.zeros((2, 3))}, {},
     "range(x.size) works for 1-D input only"),
    ("IndexError", "arrays used as indices must be of integer (or boolean) type", {}, {}, "t.argmax(axis=1)"),
    ("TypeError", "'float' object cannot be interpreted as an integer", {}, {}, "use `//`"),
    ("ValueError", "operands could not be broadcast together with shapes (5,5) (1,20) ", {}, {},
     "a 1-D (5,) array meets a (5, 1) column"),
    ("TypeError", "Value after * must be an iterable, not NoneType", {}, {}, "forward did not store"),
    ("AttributeError", "module 'numpy' has no attribute 'float'.", {}, {}, "np.float was removed from NumPy"),
    ("TypeError", "only length-1 arrays can be converted to Python scalars", {}, {}, "use .item()"),
    ("TypeError", "only 0-dimensional arrays can be converted to Python scalars", {}, {}, "use .item()"),
])
def test_exception_causes(exc_type, message, arrays, settings, words):
    assert words in exception_cause(exc_type, message, "", arrays, settings)


def test_a_reshape_with_literal_sizes_is_named_from_the_students_line():
    cause = exception_cause("ValueError", "cannot reshape array of size 5 into shape (4,1)",
                            "dW1 = (alpha * delta1).reshape(4, 1) * x.reshape(1, 3)")
    assert cause.startswith("reshape(4, 1) hard-codes sizes that fit one input only")


def test_a_row_index_past_the_end_is_a_loop_bound_not_a_flat_index():
    cause = exception_cause("IndexError", "index 4 is out of bounds for axis 0 with size 4", "x = X[k, :].T",
                            {"X": np.zeros((4, 3))})
    assert "hard-coded loop bound" in cause


def test_no_cause_for_an_unknown_exception():
    assert exception_cause("KeyError", "'W1'") is None

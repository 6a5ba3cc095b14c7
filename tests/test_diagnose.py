"""Each known bug pattern is planted and must be named with its exact sentence."""
from __future__ import annotations

import numpy as np
import pytest

from grader.diagnose import diagnose, exception_cause, scope_names, shape_cause

RNG = np.random.default_rng(7)
DW = RNG.standard_normal((4, 3))          # a gradient-like matrix, no special structure
N = 4                                     # its batch size


def test_named_variant_wins_over_generic_patterns():
    cause = "the bias gradient uses mean instead of sum over the batch"
    assert diagnose(DW / N, DW, variants={cause: DW / N}, batch_size=N) == cause


def test_named_variant_of_another_shape():
    t = RNG.standard_normal(5)
    y = RNG.standard_normal((5, 1))
    cause = "y is (N, 1) and t is (N,): y - t broadcast to (N, N)"
    assert diagnose(y - t, (y.ravel() - t), variants={cause: y - t}) == cause


def test_variant_that_does_not_match_is_skipped():
    assert diagnose(-DW, DW, variants={"something else": DW * 3}) == (
        "the sign is flipped: every element is the negative of the expected value")


def test_nan_from_overflow():
    x = np.array([1000.0, 1001.0, 1002.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(x) / np.sum(np.exp(x))
    stable = np.exp(x - x.max()) / np.sum(np.exp(x - x.max()))
    assert diagnose(naive, stable) == (
        "the result has NaN or inf where finite values were expected: overflow in exp: subtract "
        "the max before exponentiating? (a log of 0 or a division by 0 does this too)")


def test_all_zeros():
    assert diagnose(np.zeros_like(DW), DW) == (
        "every element is 0: is the value computed but never stored or returned "
        "(an array initialised with zeros and never filled)?")


def test_sign_flip():
    assert diagnose(-DW, DW) == "the sign is flipped: every element is the negative of the expected value"


def test_transposed_weight_gradient():
    x, dout = RNG.standard_normal((N, 3)), RNG.standard_normal((N, 2))
    assert diagnose(dout.T @ x, x.T @ dout) == (
        "the result is the transpose of the expected matrix: swapped operands in a matrix product "
        "(A.T @ B instead of B.T @ A) or a missing or extra .T?")


def test_transposed_square():
    sq = RNG.standard_normal((3, 3))
    assert diagnose(sq.T, sq).startswith("the result is the transpose of the expected matrix")


def test_one_over_n_with_batch_size():
    assert diagnose(DW / N, DW, batch_size=N) == (
        "every element is 1/N of the expected value (N = 4, the batch size): "
        "did you average over the batch where a sum was expected?")


def test_n_times_with_batch_size():
    assert diagnose(DW * N, DW, batch_size=N) == (
        "every element is N = 4 (the batch size) times the expected value: "
        "did you sum over the batch where a mean was expected, or forget to divide by N?")


def test_factor_two():
    assert diagnose(2 * DW, DW) == (
        "every element is 2 times the expected value: the 0.5 in 0.5*sum((y-t)**2) missing, "
        "or an extra 2 from the derivative of the square?")


def test_factor_half():
    assert diagnose(DW / 2, DW) == (
        "every element is half the expected value: a factor 2 missing (from the derivative "
        "of the square?), or an extra 0.5?")


def test_batch_size_two_names_the_batch_not_the_square():
    assert diagnose(DW / 2, DW, batch_size=2).startswith("every element is 1/N of the expected value (N = 2")


def test_other_factor_without_batch_size():
    assert diagnose(DW / N, DW) == "every element is 0.25 times the expected value"


def test_factor_is_robust_to_zeros_in_expected():
    expected = DW.copy()
    expected[0, :] = 0.0
    expected[2, 1] = 1e-300
    assert diagnose(3 * expected, expected) == "every element is 3 times the expected value"


def test_inconsistent_factor_is_not_a_factor():
    got = DW * 3
    got[1, 1] = DW[1, 1] * 2
    assert diagnose(got, DW) is None


def test_nonzero_where_expected_is_zero_breaks_the_factor():
    expected = DW.copy()
    expected[0, 0] = 0.0
    got = 3 * expected
    got[0, 0] = 0.5
    assert diagnose(got, expected) is None


def test_scalar_gets_only_named_factors():
    assert diagnose(np.array(0.195), np.array(0.0975)).startswith("every element is 2 times")
    assert diagnose(np.array(0.3), np.array(0.1)) is None


def test_constant_offset():
    assert diagnose(DW + 1.0, DW) == (
        "every element is off by the same constant (+1): a constant term added or dropped "
        "(a bias, or a +1/-1 in the formula)?")


def test_broadcast_signature():
    n = 5
    for expected_shape in [(n,), (n, 1)]:
        expected = RNG.standard_normal(expected_shape)
        got = RNG.standard_normal((n, n))
        assert diagnose(got, expected) == (
            "shape (5, 5) is what broadcasting gives when an (N,) array meets an (N, 1) array: "
            "give both operands the same shape (reshape or ravel) before the operation")


def test_first_row_only():
    got = np.zeros_like(DW)
    got[0] = DW[0]
    assert diagnose(got, DW) == (
        "only the first row matches the expected value: does a loop stop after its first "
        "iteration (a `return` inside the loop)?")


def test_first_element_only():
    expected = np.array([0.5, 0.25, 0.125, 0.0625])
    got = np.array([0.5, 0.3, 0.1, 0.9])
    assert diagnose(got, expected) == (
        "only the first element matches the expected value: does a loop stop after its first "
        "iteration (a `return` inside the loop)?")


def test_one_wrong_element_is_not_first_row_only():
    got = DW.copy()
    got[2, 1] += 0.3
    assert diagnose(got, DW) is None


def test_no_known_pattern():
    assert diagnose(RNG.standard_normal((4, 3)), DW) is None


@pytest.mark.parametrize("got, expected, start", [
    ((3,), (3, 1), "a 1-D array was returned where a column (N, 1) was expected"),
    ((3, 1), (3,), "a column (N, 1) was returned where a 1-D array (N,) was expected"),
    ((1, 3), (3, 1), "the shape is the transpose of the expected shape"),
    ((2, 3), (3, 2), "the shape is the transpose of the expected shape"),
    ((), (3,), "a single number was returned where an array was expected"),
    ((3,), (), "an array was returned where a single number was expected"),
    ((2, 12), (2, 3, 4), "the result is still flattened to (N, D)"),
    ((4, 3), (2, 6), "same number of elements in a different layout"),
    ((2, 3, 0, 0), (2, 3, 5, 5), "an axis came out empty: a slice like a[pad:-pad] is empty when pad = 0"),
])
def test_shape_causes(got, expected, start):
    assert shape_cause(got, expected).startswith(start)


def test_unrelated_shapes_have_no_cause():
    assert shape_cause((2, 5), (3, 4)) is None


# Exceptions met in the public corpus (CS231n solutions written for Python 2, students' DLFS repositories).
X4 = np.zeros((2, 3, 2, 2))
LABELS = np.array([3, 0, 4, 0])


@pytest.mark.parametrize("exc_type, message, line, arrays, words", [
    ("NameError", "name 'xrange' is not defined", "for i in xrange(H_out):", {}, "xrange is Python 2, gone from "
     "Python 3: use range"),
    ("NameError", "name 'reduce' is not defined", "", {}, "use functools.reduce (from functools import reduce)"),
    ("AttributeError", "'dict' object has no attribute 'iteritems'", "", {}, "iteritems is Python 2"),
    ("NameError", "name 'sout' is not defined", "self.db = np.sum(sout, axis=0)", {"dout": np.zeros(3)},
     "sout is not defined: a typo for dout?"),
    ("NameError", "name 'W3' is not defined", "out = x @ W3", {"x": np.zeros(3)}, "W3 is not defined where it is used"),
    ("ValueError", "shapes (2,3,2,2) and (12,4) not aligned: 2 (dim 3) != 12 (dim 0)", "", {"x": X4},
     "x (2, 3, 2, 2) is not flattened before the product: reshape it to (N, D) = (2, 12)"),
    ("ValueError", "matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature "
     "(n?,k),(k,m?)->(n?,m?) (size 12 is different from 2)", "", {"x": X4},
     "x (2, 3, 2, 2) is not flattened before the product"),
    ("ValueError", "operands could not be broadcast together with shapes (4,) (4,5) ", "", {"t": LABELS},
     "t holds integer labels, shape (4,), and your code treats it as one-hot (4, 5)"),
    ("TypeError", "Convolution.backward() takes 1 positional argument but 2 were given", "", {},
     "Convolution.backward is defined with 0 argument(s) besides self but is called with 1"),
    ("TypeError", "Pooling() takes no arguments", "", {}, "is it spelt __init__, two underscores on each side"),
    ("TypeError", "Momentum.__init__() missing 2 required positional arguments: 'lr' and 'momentum'", "", {},
     "Momentum's __init__ has parameters without defaults"),
    ("AttributeError", "'builtin_function_or_method' object has no attribute 'like'",
     "self.v[key] = np.zeros.like(val)", {}, "np.zeros.like is not a NumPy function: did you mean np.zeros_like?"),
    ("UnboundLocalError", "cannot access local variable 'X' where it is not associated with a value",
     "return numerical_gradient_1d(f, X)", {"x": np.zeros(2)}, "X is used before your function assigns it: a typo "
     "for x?"),
])
def test_exception_causes_from_the_corpus(exc_type, message, line, arrays, words):
    assert words in exception_cause(exc_type, message, line, arrays)


def test_a_name_differing_in_case_from_a_parameter_is_called_a_typo():
    assert exception_cause("NameError", "name 'W' is not defined", "self.W = W", {}, {},
                           scope=["self", "w", "b"]) == "W is not defined: a typo for w?"


def test_scope_names_are_the_raising_function_s_parameters_and_locals():
    class Statement:
        source, lineno, cell = "class C:\n    def __init__(self, w, b):\n        k = 1\n        self.W = W\n", 10, None
    assert scope_names([Statement()], "alice.py, line 13") == ["self", "w", "b", "k"]
    assert scope_names([Statement()], "alice.py, line 30") == []


def test_a_product_of_other_shapes_is_not_called_unflattened():
    cause = exception_cause("ValueError", "shapes (2,3,2,2) and (10,4) not aligned: 2 (dim 3) != 10 (dim 0)", "",
                            {"x": X4})
    assert "not flattened" not in cause


def test_float_labels_meeting_probabilities_are_not_called_integer_labels():
    cause = exception_cause("ValueError", "operands could not be broadcast together with shapes (4,) (4,5) ", "",
                            {"t": LABELS.astype(float)})
    assert "integer labels" not in cause

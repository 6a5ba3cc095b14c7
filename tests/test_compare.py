"""as_array validation, assert_close / assert_scalar_close / assert_unchanged messages and details."""
from __future__ import annotations

import json

import numpy as np
import pytest

from grader.checks import CheckFailed
from grader.compare import (as_array, as_scalar, assert_close, assert_scalar_close, assert_shape,
                            assert_unchanged, elementwise_relative_error, relative_error)


def failure(fn, *args, **kwargs) -> CheckFailed:
    with pytest.raises(CheckFailed) as info:
        fn(*args, **kwargs)
    json.dumps(info.value.details, allow_nan=False)   # details are always plain JSON
    return info.value


# --- as_array ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    (3, np.array(3.0)),
    (True, np.array(1.0)),
    (np.float32(0.5), np.array(0.5)),
    ([[1, 2], [3, 4]], np.array([[1.0, 2.0], [3.0, 4.0]])),
    ((1.0, 2.0), np.array([1.0, 2.0])),
    ([np.array([1, 2]), np.array([3, 4])], np.array([[1.0, 2.0], [3.0, 4.0]])),
    (np.arange(3, dtype=np.int8), np.array([0.0, 1.0, 2.0])),
])
def test_as_array_converts_plain_data_to_float64(value, expected):
    arr = as_array(value, "y")
    assert arr.dtype == np.float64
    np.testing.assert_array_equal(arr, expected)


def test_as_array_copies():
    x = np.ones(3)
    as_array(x, "y")[0] = 5.0
    assert x[0] == 1.0


@pytest.mark.parametrize("value, message", [
    (None, "softmax(x) is None: did you forget to `return` the result?"),
    ((np.ones(2), np.ones(2)), "softmax(x) is a tuple of 2 values where one array was expected: "
                               "did you return several values?"),
    ("0.5", "softmax(x) is a string ('0.5'), not a number or an array"),
    ({"y": 1.0}, "softmax(x) is a dict, not a number or an array of numbers"),
    (1 + 2j, "softmax(x) holds complex numbers; real numbers were expected"),
    (np.ones(2, dtype=complex), "softmax(x) holds complex numbers; real numbers were expected"),
    (np.array([1.0, None]), "softmax(x) is an array of dtype object, not an array of numbers"),
    ([1.0, None], "softmax(x) is None: did you forget to `return` the result?"),
    ([[1.0, 2.0], [3.0]], "softmax(x) is a nested list of uneven lengths (or huge numbers), "
                          "not a rectangular array of numbers"),
    (np.ones((1, 1)).view(np.matrix), "softmax(x) is a matrix object, not a number or an array of numbers"),
])
def test_as_array_rejects_with_a_student_message(value, message):
    assert failure(as_array, value, "softmax(x)").message == message


class Liar:
    """Pretends to be every number; any method call is recorded."""

    calls: list[str] = []

    def __getattribute__(self, name):
        Liar.calls.append(name)
        return object.__getattribute__(self, name)

    def __array__(self, *args, **kwargs):
        return np.zeros(3)

    def __float__(self):
        return 0.0

    def __eq__(self, other):
        return True


class LyingFloat(float):
    def __sub__(self, other):
        return 0.0


@pytest.mark.parametrize("value", [Liar(), [Liar()], LyingFloat(1.0), np.zeros(2).view(np.ma.MaskedArray)])
def test_as_array_never_touches_other_objects(value):
    Liar.calls.clear()
    with pytest.raises(CheckFailed):
        as_array(value, "y")
    assert Liar.calls == []


def test_absurd_values_fail_as_student_errors():
    deep: list = [1.0]
    for _ in range(5000):
        deep = [deep]
    assert "nested more than 32 lists deep" in failure(as_array, deep, "y").message
    assert "huge numbers" in failure(as_array, [2 ** 2000], "y").message


def test_scalar_where_array_expected():
    assert failure(as_array, 2.0, "relu(x)", allow_scalar=False).message == (
        "relu(x) is a single number (2) where an array was expected")
    assert failure(as_array, 2.0, "relu(x)", shape=(3,)).message == (
        "relu(x) has shape (), expected shape (3,): a single number was returned where an array was expected")


@pytest.mark.parametrize("got_shape, shape, message", [
    ((4,), (4, 1), "db has shape (4,), expected shape (4, 1): a 1-D array was returned where a "
                   "column (N, 1) was expected: use keepdims=True or reshape(-1, 1)"),
    ((4, 1), (4,), "db has shape (4, 1), expected shape (4,): a column (N, 1) was returned where a "
                   "1-D array (N,) was expected: use ravel() or drop keepdims=True"),
    ((1, 4), (4, 1), "db has shape (1, 4), expected shape (4, 1): the shape is the transpose of the "
                     "expected shape: swapped operands in a matrix product or a missing or extra .T?"),
    ((4, 4), (4,), "db has shape (4, 4), expected shape (4,): shape (4, 4) is what broadcasting gives "
                   "when an (N,) array meets an (N, 1) array: give both operands the same shape "
                   "(reshape or ravel) before the operation"),
    ((2, 5), (3, 4), "db has shape (2, 5), expected shape (3, 4)"),
])
def test_shape_mismatch_names_both_shapes(got_shape, shape, message):
    assert failure(as_array, np.ones(got_shape), "db", shape=shape).message == message


def test_shape_wildcards():
    assert assert_shape(np.ones((7, 10)), (None, 10), "scores").shape == (7, 10)
    assert failure(assert_shape, np.ones((7, 9)), (None, 10), "scores").message.startswith(
        "scores has shape (7, 9), expected shape (any, 10)")


def test_as_scalar_accepts_one_element_arrays():
    assert as_scalar(np.array([[0.5]]), "loss") == 0.5
    assert failure(as_scalar, np.ones(3), "loss").message == (
        "loss has shape (3,), expected shape (): an array was returned where a single number "
        "was expected: a missing sum or mean?")


# --- assert_close ------------------------------------------------------------------------------

EXPECTED = np.array([[0.1, 0.2, 0.3], [0.4, 0.512, 0.6]])


def test_close_values_pass():
    assert_close(EXPECTED * (1 + 1e-8), EXPECTED, what="dx")
    assert_close(EXPECTED.astype(np.float32), EXPECTED, what="dx", rtol=1e-6)
    assert_close(EXPECTED.tolist(), EXPECTED, what="dx")


def test_mismatch_message_names_index_both_numbers_and_counts():
    got = EXPECTED.copy()
    got[1, 1] = 0.128
    got[0, 2] = 0.31
    err = failure(assert_close, got, EXPECTED, what="Affine.backward: dx")
    assert err.message == (
        "Affine.backward: dx differs from the expected value at index (1, 1): expected 0.512, "
        f"got 0.128 (2 of 6 elements differ; max abs error 0.384; relative error "
        f"{relative_error(got, EXPECTED):.3g}).")


def test_mismatch_details_table_around_worst():
    got = np.arange(20.0)
    expected = got.copy()
    expected[9] = 100.0
    details = failure(assert_close, got, expected, what="y").details
    assert details["type"] == "array" and details["what"] == "y"
    assert details["shape"] == [20] and details["worst_index"] == [9] and details["size"] == 20
    assert details["mismatched"] == 1 and details["max_abs_err"] == 91.0
    assert [r["index"] for r in details["rows"]] == ["[7]", "[8]", "[9]", "[10]", "[11]"]
    assert [r["worst"] for r in details["rows"]] == [False, False, True, False, False]
    assert details["rows"][2] == {"index": "[9]", "expected": 100.0, "got": 9.0, "worst": True}


def test_one_dimensional_index_is_a_plain_number():
    err = failure(assert_close, [1.0, 5.0], [1.0, 2.0], what="y")
    assert "at index 1: expected 2, got 5" in err.message


def test_likely_cause_from_diagnosis_and_variants():
    err = failure(assert_close, EXPECTED / 3, EXPECTED, what="db", batch_size=3)
    assert err.message.endswith(
        "Likely cause: every element is 1/N of the expected value (N = 3, the batch size): "
        "did you average over the batch where a sum was expected?")
    cause = "the bias gradient uses dout[0] instead of a sum over the batch"
    err = failure(assert_close, EXPECTED[0] + 1, EXPECTED[0], what="db", variants={cause: EXPECTED[0] + 1})
    assert err.message.endswith(f"Likely cause: {cause}.")


def test_shape_mismatch_in_assert_close_uses_variants_then_shape_causes():
    err = failure(assert_close, np.ones((3, 3)), np.ones(3), what="y - t")
    assert "what broadcasting gives" in err.message
    cause = "t is (N,) and y is (N, 1)"
    err = failure(assert_close, np.ones((3, 3)), np.ones(3), what="y - t", variants={cause: np.ones((3, 3))})
    assert err.message == f"y - t has shape (3, 3), expected shape (3,): {cause}"


def test_nan_where_finite_expected_has_its_own_message():
    got = EXPECTED.copy()
    got[0, 1] = np.nan
    got[1, 2] = np.inf
    err = failure(assert_close, got, EXPECTED, what="softmax(x)")
    assert err.message.startswith(
        "softmax(x) contains NaN at index (0, 1) where a finite value was expected "
        "(2 of 6 elements are NaN or inf). Likely cause: the result has NaN or inf")
    assert err.details["rows"][1]["got"] == "nan"


def test_nan_expected_matches_nan_only():
    expected = np.array([1.0, np.nan])
    assert_close([1.0, np.nan], expected, what="y")
    assert "at index 1: expected NaN, got 2" in failure(assert_close, [1.0, 2.0], expected, what="y").message


def test_inputs_are_attached_for_reproduction():
    err = failure(assert_close, [1.0], [2.0], what="y", inputs={"x": np.array([np.inf, 1.0]), "big": np.ones(100)})
    assert err.details["inputs"] == {"x": ["inf", 1.0], "big": "array of shape (100,)"}


def test_assert_close_rejects_garbage_before_comparing():
    assert failure(assert_close, None, EXPECTED, what="dx").message.startswith("dx is None")


# --- scalars, mutation, errors -----------------------------------------------------------------

def test_scalar_close():
    assert_scalar_close(np.float64(0.0975), 0.0975, what="sum_squared_error(y, t)")
    assert_scalar_close([0.0975], 0.0975, what="sum_squared_error(y, t)")
    err = failure(assert_scalar_close, 0.195, 0.0975, what="sum_squared_error(y, t)")
    assert err.message == (
        "sum_squared_error(y, t) is 0.195, expected 0.0975 (abs error 0.0975). Likely cause: every "
        "element is 2 times the expected value: the 0.5 in 0.5*sum((y-t)**2) missing, or an extra 2 "
        "from the derivative of the square?")
    assert err.details == {"type": "scalars", "rows": [
        {"name": "sum_squared_error(y, t)", "expected": "0.0975", "got": "0.195"}]}


def test_scalar_with_batch_factor():
    err = failure(assert_scalar_close, 0.51 * 4, 0.51, what="loss", batch_size=4)
    assert "N = 4 (the batch size) times the expected value" in err.message


def test_unchanged_passes_on_equal_arrays_with_nan():
    x = np.array([1.0, np.nan, -2.0])
    assert_unchanged(x, x.copy(), "relu(x)")


def test_unchanged_reports_in_place_modification():
    x = np.linspace(-1, 1, 12)
    after = np.maximum(x, 0)
    err = failure(assert_unchanged, x, after, "relu(x)", name="its input x")
    assert err.message == (
        "relu(x) modified its input x in place at 6 of 12 elements: work on a copy (x.copy()) or "
        "build a new array (np.maximum, np.where) instead of assigning into the array you were given")
    assert err.details["worst_index"] == [0] and err.details["mismatched"] == 6


def test_unchanged_reports_shape_change():
    err = failure(assert_unchanged, np.ones((2, 3)), np.ones(6), "flatten(x)", name="x")
    assert err.message == "flatten(x) changed the shape of x from (2, 3) to (6,) in place"


def test_relative_errors():
    assert relative_error([0.0, 0.0], [0.0, 0.0]) == 0.0
    assert relative_error([1.0, 0.0], [0.0, 0.0]) == 1.0
    assert relative_error([2.0], [1.0]) == pytest.approx(1 / 3)
    np.testing.assert_allclose(elementwise_relative_error([1.0, 0.0, 3.0], [1.0, 1e-12, 1.0]),
                               [0.0, 1e-4, 0.5])

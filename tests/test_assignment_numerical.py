"""The `numerical` checks name the likely cause of each known bug and charge only the component at fault.
Each planted submission is the reference with one textual change (graded in one CLI run)."""
from __future__ import annotations

import pytest

from reference.submission import as_submission
from tests.helpers_planted import Planted, assert_planted, grade_planted

REFERENCE = as_submission("numerical")
FAILED = ("failed",)


def _planted(old: str, new: str) -> str:
    assert REFERENCE.count(old) == 1, f"the reference no longer contains {old!r}"
    return REFERENCE.replace(old, new)


PLANTED: Planted = {
    "reference": (REFERENCE, {}),
    "softmax_whole_batch": (_planted(
        "    e = np.exp(x - np.max(x, axis=-1, keepdims=True))\n    return e / np.sum(e, axis=-1, keepdims=True)",
        "    e = np.exp(x - np.max(x))\n    return e / np.sum(e)"), {
        "softmax/golden-batch": (FAILED, "the batch is normalised as one vector"),
        "softmax/stable-for-large-inputs": (FAILED, "the batch is normalised as one vector"),
    }),
    "softmax_columns": (_planted(
        "    e = np.exp(x - np.max(x, axis=-1, keepdims=True))\n    return e / np.sum(e, axis=-1, keepdims=True)",
        "    e = np.exp(x - np.max(x, axis=0, keepdims=True))\n    return e / np.sum(e, axis=0, keepdims=True)"), {
        "softmax/golden-batch": (FAILED, "each column is normalised instead of each row"),
        "softmax/stable-for-large-inputs": (FAILED, "each column is normalised instead of each row"),
    }),
    "relu_keeps_negatives": (_planted("return np.maximum(0.0, np.asarray(x, dtype=np.float64))",
                                      "return np.asarray(x, dtype=np.float64).copy()"), {
        "relu/golden": (FAILED, "negative inputs are kept"),
    }),
    "relu_wrong_way_round": (_planted("return np.maximum(0.0, np.asarray(x, dtype=np.float64))",
                                      "return np.minimum(0.0, np.asarray(x, dtype=np.float64))"), {
        "relu/golden": (FAILED, "the comparison is the wrong way round"),
    }),
    "ce_without_minus": (_planted("return float(-np.sum(t * np.log(y + LOG_EPS)) / n)",
                                  "return float(np.sum(t * np.log(y + LOG_EPS)) / n)"), {
        "cross_entropy_error/golden-seed": (FAILED, "the minus sign is missing"),
        "cross_entropy_error/golden-batch": (FAILED, None),
    }),
    "ce_log_zero": (_planted("return float(-np.sum(t * np.log(y + LOG_EPS)) / n)",
                             "return float(-np.sum(t * np.log(y)) / n)"), {
        "cross_entropy_error/golden-seed": (FAILED, "log(0) = -inf"),
    }),
    "diff_forward": (_planted("return float((f(x + H) - f(x - H)) / (2 * H))",
                              "return float((f(x + H) - f(x)) / H)"), {
        "numerical_diff/matches-central-difference": (FAILED, "a forward difference"),
        "numerical_diff/is-exact-on-quadratics": (FAILED, "a forward difference"),
    }),
    # numerical_diff/matches-central-difference makes its calls in one batch (student.call_many): a call that
    # raises is still reported as its own, after the calls before it passed, as a loop of single calls reports it
    "diff_raises_far_out": (_planted("    return float((f(x + H) - f(x - H)) / (2 * H))",
                                     "    if x > 1.9:\n        raise ValueError('too far out')\n"
                                     "    return float((f(x + H) - f(x - H)) / (2 * H))"), {
        "numerical_diff/matches-central-difference": (
            ("error",), "too far out (diff_raises_far_out.py, line 70) in the call numerical_diff(f, 2.0)"),
        "numerical_diff/is-exact-on-quadratics": (("error",), "ValueError: too far out"),
    }),
    # a wrong value on an earlier call fails the check before a later call's raise is read
    "diff_forward_then_raises": (_planted("    return float((f(x + H) - f(x - H)) / (2 * H))",
                                          "    if x > 1.9:\n        raise ValueError('too far out')\n"
                                          "    return float((f(x + H) - f(x)) / H)"), {
        "numerical_diff/matches-central-difference": (FAILED, "a forward difference"),
        "numerical_diff/is-exact-on-quadratics": (("error",), "ValueError: too far out"),
    }),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return grade_planted(tmp_path_factory.mktemp("numerical"), "numerical", PLANTED, 20)


@pytest.mark.parametrize("name", list(PLANTED))
def test_planted_bug_fails_exactly_its_checks(results: dict[str, dict], name: str) -> None:
    assert_planted(results[name], PLANTED[name][1])

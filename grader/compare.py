"""Assertion helpers for checks: validate a student's value as plain numeric data, compare it
with the expected value in float64, and fail with a message a student can act on.

A failure raises :class:`grader.checks.CheckFailed` whose ``details`` follow the results.json
schema (``{"type": "array", ...}`` or ``{"type": "scalars", ...}``), always plain JSON.

Values from the student are never trusted: :func:`as_array` accepts only exact built-in
numbers, NumPy numeric scalars, plain ``ndarray``s and lists/tuples of those, and never calls
a method of anything else.
"""
from __future__ import annotations

from typing import Any, Mapping, NoReturn

import numpy as np
from numpy.typing import ArrayLike

from grader.checks import CheckFailed
from grader.diagnose import diagnose, shape_cause
from grader.mutants import explain
from grader.shrink import smallest_failing_input

_NUMBER_KINDS = "biuf"
_PY_NUMBERS = (bool, int, float)
_NP_NUMBERS = frozenset(t for t in set(np.sctypeDict.values()) if np.dtype(t).kind in _NUMBER_KINDS)
_NP_COMPLEX = frozenset(t for t in set(np.sctypeDict.values()) if np.dtype(t).kind == "c")
_ROWS_AROUND_WORST = 2
_INPUT_SIZE_SHOWN = 64
_MAX_NESTING = 32


# --- conversion -------------------------------------------------------------------------------

def as_array(
    value: Any,
    what: str,
    *,
    shape: tuple[int | None, ...] | None = None,
    allow_scalar: bool = True,
) -> np.ndarray:
    """``value`` (ndarray, number, nested lists) as a new float64 array, or ``CheckFailed``.

    ``shape`` (``None`` entries are wildcards) is enforced with a message naming both shapes
    and the likely cause; a tuple of plain numbers is accepted like a list, a tuple holding
    arrays (several return values) is not. ``allow_scalar=False`` rejects a single number when
    no ``shape`` is given.
    """
    if type(value) is tuple and not all(_is_plain_number(v) for v in value):
        _fail(f"{what} is a tuple of {len(value)} values where one array was expected: "
              "did you return several values?")
    _check_plain(value, what)
    try:
        arr = np.array(value, dtype=np.float64)
    except (ValueError, TypeError, OverflowError):
        _fail(f"{what} is a nested list of uneven lengths (or huge numbers), "
              "not a rectangular array of numbers")
    if shape is None and not allow_scalar and arr.ndim == 0:
        _fail(f"{what} is a single number ({_fmt(arr)}) where an array was expected")
    if shape is not None and not _shape_fits(arr.shape, shape):
        _fail(shape_message(what, arr.shape, shape))
    return arr


def as_scalar(value: Any, what: str) -> float:
    """``value`` as a Python float. Arrays holding exactly one number are accepted too."""
    arr = as_array(value, what)
    if arr.size != 1:
        _fail(shape_message(what, arr.shape, ()))
    return float(arr.reshape(()))


def assert_shape(value: Any, shape: tuple[int | None, ...], what: str) -> np.ndarray:
    """Check the shape of ``value`` (``None`` = any size) and return it as float64."""
    return as_array(value, what, shape=shape)


def shape_message(what: str, got: tuple[int, ...], expected: tuple[int | None, ...],
                  cause: str | None = None) -> str:
    """``"<what> has shape (3, 1), expected shape (3,): <cause>"``."""
    exp_text = str(tuple("any" if d is None else d for d in expected)).replace("'", "")
    cause = cause or shape_cause(got, expected)
    return f"{what} has shape {tuple(got)}, expected shape {exp_text}" + (f": {cause}" if cause else "")


def _check_plain(value: Any, what: str, depth: int = 0) -> None:
    """Raise CheckFailed unless ``value`` is plain numeric data (exact types only)."""
    kind = type(value)
    if depth > _MAX_NESTING:
        _fail(f"{what} is nested more than {_MAX_NESTING} lists deep, not an array of numbers")
    if value is None:
        _fail(f"{what} is None: did you forget to `return` the result?")
    if _is_plain_number(value):
        return
    if kind is complex or kind in _NP_COMPLEX:
        _fail(f"{what} holds complex numbers; real numbers were expected")
    if kind is np.ndarray:
        if value.dtype.kind == "c":
            _fail(f"{what} holds complex numbers; real numbers were expected")
        if value.dtype.kind not in _NUMBER_KINDS:
            _fail(f"{what} is an array of dtype {value.dtype}, not an array of numbers")
        return
    if kind is list or kind is tuple:
        for item in value:
            _check_plain(item, what, depth + 1)
        return
    if kind is str:
        _fail(f"{what} is a string ({value[:30]!r}), not a number or an array")
    _fail(f"{what} is a {_type_name(value)}, not a number or an array of numbers")


def _is_plain_number(value: Any) -> bool:
    return type(value) in _PY_NUMBERS or type(value) in _NP_NUMBERS


def _type_name(value: Any) -> str:
    name = type.__dict__["__name__"].__get__(type(value))
    return {"dict": "dict", "set": "set", "bytes": "bytes"}.get(name, f"{name} object")


def _shape_fits(got: tuple[int, ...], expected: tuple[int | None, ...]) -> bool:
    return len(got) == len(expected) and all(e is None or g == e for g, e in zip(got, expected))


# --- comparison --------------------------------------------------------------------------------

def assert_close(
    got: Any,
    expected: ArrayLike,
    *,
    what: str,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    variants: Mapping[str, ArrayLike] | None = None,
    inputs: Mapping[str, Any] | None = None,
    batch_size: int | None = None,
) -> None:
    """Fail unless ``got`` has ``expected``'s shape and ``|got - expected| <= atol + rtol*|expected|``.

    NaN is equal only to NaN. ``variants`` (cause sentence -> array that bug gives) and
    ``batch_size`` feed :func:`grader.diagnose.diagnose`; ``inputs`` (small arrays/numbers)
    are copied into ``details["inputs"]`` so a student can reproduce the case.
    """
    exp = np.asarray(expected, dtype=np.float64)
    arr = as_array(got, what)
    extra = {"inputs": _json_inputs(inputs)} if inputs else {}
    if arr.shape != exp.shape:
        cause = diagnose(arr, exp, variants=variants, batch_size=batch_size, explain=explain)
        raise _with_counterexample(CheckFailed(shape_message(what, arr.shape, exp.shape, cause), extra or None), arr)
    bad = ~np.isclose(arr, exp, rtol=rtol, atol=atol, equal_nan=True)
    if bad.any():
        cause = diagnose(arr, exp, variants=variants, batch_size=batch_size, explain=explain)
        raise _with_counterexample(mismatch_failure(arr, exp, bad, what=what, cause=cause, extra=extra), arr)


def _with_counterexample(failure: CheckFailed, got: np.ndarray) -> CheckFailed:
    """``failure`` with the smallest input that still fails appended (grader.shrink), when one is found."""
    note = smallest_failing_input(got)
    return CheckFailed(f"{failure.message} {note}", failure.details) if note else failure


def assert_scalar_close(
    got: Any,
    expected: float,
    *,
    what: str,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    variants: Mapping[str, ArrayLike] | None = None,
    batch_size: int | None = None,
) -> None:
    """Fail unless the number ``got`` is close to ``expected`` (a one-element array is accepted)."""
    g, e = as_scalar(got, what), float(expected)
    if np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True):
        return
    cause = diagnose(np.array(g), np.array(e), variants=variants, batch_size=batch_size, explain=explain)
    message = f"{what} is {g:.6g}, expected {e:.6g} (abs error {abs(g - e):.3g})."
    rows = [{"name": what, "expected": f"{e:.10g}", "got": f"{g:.10g}"}]
    raise CheckFailed(message + _likely(cause), {"type": "scalars", "rows": rows})


def assert_unchanged(before: ArrayLike, after: Any, what: str, *, name: str = "its input",
                     hint: str | None = None) -> None:
    """Fail if ``after`` (an input as the student's code left it) differs from ``before``.

    E.g. ``assert_unchanged(x, x_after, "relu(x)", name="its input x")`` gives "relu(x) modified
    its input x in place at 3 of 12 elements: work on a copy ...".
    """
    b = np.asarray(before, dtype=np.float64)
    a = as_array(after, f"{name} after {what}")
    if a.shape != b.shape:
        _fail(f"{what} changed the shape of {name} from {b.shape} to {a.shape} in place")
    changed = ~((a == b) | (np.isnan(a) & np.isnan(b)))
    if not changed.any():
        return
    hint = hint or ("work on a copy (x.copy()) or build a new array (np.maximum, np.where) "
                    "instead of assigning into the array you were given")
    worst = int(np.flatnonzero(changed)[0])
    details = array_details(what=f"{name} after {what}", shape=b.shape, got=a.ravel(),
                            expected=b.ravel(), flat_index=np.arange(b.size), worst=worst,
                            mismatched=int(changed.sum()))
    raise CheckFailed(f"{what} modified {name} in place at {int(changed.sum())} of {b.size} "
                      f"elements: {hint}", details)


def relative_error(a: ArrayLike, b: ArrayLike) -> float:
    """Norm-based relative error ``||a - b|| / max(||a|| + ||b||, tiny)`` (0 when both are 0)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = max(float(np.linalg.norm(a) + np.linalg.norm(b)), np.finfo(np.float64).tiny)
    return float(np.linalg.norm(a - b) / denom)


def elementwise_relative_error(a: ArrayLike, b: ArrayLike) -> np.ndarray:
    """CS231n-style ``|a - b| / max(1e-8, |a| + |b|)`` per element (same shape as ``a``)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))


# --- failure reports ---------------------------------------------------------------------------

def mismatch_failure(
    got: np.ndarray,
    expected: np.ndarray,
    bad: np.ndarray,
    *,
    what: str,
    cause: str | None,
    shape: tuple[int, ...] | None = None,
    flat_index: np.ndarray | None = None,
    against: str = "the expected value",
    labels: tuple[str, str] = ("expected", "got"),
    noun: str = "elements",
    rank_by: np.ndarray | None = None,
    extra: Mapping[str, Any] | None = None,
) -> CheckFailed:
    """The ``CheckFailed`` for elementwise mismatches ``bad`` between ``got`` and ``expected``.

    Full arrays by default; for a sample of elements pass flat vectors ``got``/``expected``/
    ``bad`` with the original ``shape`` and the sampled ``flat_index`` (ascending). The worst
    element is the mismatch with the largest absolute error, or the largest ``rank_by``.
    """
    shape = got.shape if shape is None else shape
    g, e, bad = got.ravel(), expected.ravel(), bad.ravel()
    flat_index = np.arange(g.size) if flat_index is None else flat_index
    abs_err = np.where(np.isnan(g - e), np.inf, np.abs(g - e))
    rank = abs_err if rank_by is None else np.where(np.isnan(rank_by), np.inf, rank_by.ravel())
    worst = int(np.flatnonzero(bad)[np.argmax(rank[bad])])
    where = _index_text(np.unravel_index(flat_index[worst], shape)) if shape else ""
    counts = (f"{int(bad.sum())} of {g.size} {noun} differ; max abs error {np.max(abs_err):.3g}; "
              f"relative error {relative_error(g, e):.3g}")
    broken = ~np.isfinite(g) & np.isfinite(e)
    if broken.any():
        worst = int(np.flatnonzero(broken)[0])
        where = _index_text(np.unravel_index(flat_index[worst], shape)) if shape else ""
        lead = f"{what} contains {_fmt(g[worst])}{where} where a finite value was expected"
        counts = f"{int(broken.sum())} of {g.size} {noun} are NaN or inf"
    else:
        lead = f"{what} differs from {against}{where}: {labels[0]} {_fmt(e[worst])}, {labels[1]} {_fmt(g[worst])}"
    details = array_details(what=what, shape=shape, got=g, expected=e, flat_index=flat_index,
                            worst=worst, mismatched=int(bad.sum()))
    return CheckFailed(f"{lead} ({counts})." + _likely(cause), {**details, **(extra or {})})


def array_details(*, what: str, shape: tuple[int, ...], got: np.ndarray, expected: np.ndarray,
                  flat_index: np.ndarray, worst: int, mismatched: int) -> dict[str, Any]:
    """``details`` of type "array": a few rows around position ``worst`` of the flat vectors."""
    lo, hi = max(0, worst - _ROWS_AROUND_WORST), min(got.size, worst + _ROWS_AROUND_WORST + 1)
    def index(i: int) -> list[int]:
        return [int(k) for k in np.unravel_index(flat_index[i], shape)]

    rows = [{"index": str(index(i)), "expected": _json_number(expected[i]), "got": _json_number(got[i]), "worst": i == worst}
            for i in range(lo, hi)]
    abs_err = np.abs(got - expected)
    return {
        "type": "array", "what": what, "shape": list(shape),
        "worst_index": index(worst),
        "max_abs_err": _json_number(np.max(np.where(np.isnan(abs_err), np.inf, abs_err))),
        "rel_err": _json_number(relative_error(got, expected)),
        "mismatched": mismatched, "size": int(np.prod(shape)), "rows": rows,
    }


def _index_text(index: tuple[Any, ...]) -> str:
    ints = tuple(int(i) for i in index)
    return f" at index {ints[0]}" if len(ints) == 1 else f" at index {ints}"


def _likely(cause: str | None) -> str:
    if not cause:
        return ""
    return f" Likely cause: {cause}" + ("" if cause.endswith(("?", ".", "!")) else ".")


def _fmt(value: Any) -> str:
    value = float(value)
    return f"{value:.6g}" if np.isfinite(value) else {"nan": "NaN"}.get(str(value), str(value))


def _json_number(value: Any) -> float | str:
    value = float(value)
    return value if np.isfinite(value) else str(value)


def _json_inputs(inputs: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in inputs.items():
        arr = np.asarray(value, dtype=np.float64)
        out[name] = (np.vectorize(_json_number, otypes=[object])(arr).tolist()
                     if arr.size <= _INPUT_SIZE_SHOWN else f"array of shape {arr.shape}")
    return out


def _fail(message: str) -> NoReturn:
    raise CheckFailed(message)

"""The smallest input that still fails: a counterexample a person can read.

When a comparison fails, the call that produced the student's value (from :mod:`grader.calllog`) is replayed
with fewer rows (the batch axis of every array that has the same first dimension cut to 1, 2, ...) and then with
simpler values (rounded to one decimal), each time on the student's code (through the proxy, in the student
process) and on the reference (judge-side). The smallest variant on which they still disagree is described.
A handful of student calls at most; nothing is tried for calls whose inputs the judge cannot rebuild (objects of
the student's) or whose results are random.
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable

import numpy as np

from grader import calllog, mutants
from grader.errors import StudentError

MAX_TRIES = 12
_SHOWN = 12


def smallest_failing_input(got: Any) -> str | None:
    """"Smallest failing input: x = [[1.0, -0.5]] (1, 2): expected [...], got [...]" or None."""
    student = calllog.LOG.student
    if student is None or calllog.LOG.paused:
        return None
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    found = mutants._producing_call(got)
    if found is None:
        return None
    index, pick = found
    history = calllog.LOG.history(index)
    owner = history[0].name if history[0].kind in ("new", "call") else None
    definitions = mutants._definitions(owner) if owner else None
    if definitions is None or not 1 <= len(history) <= 4 or _has_objects(history):
        return None
    module, _ = definitions
    with _paused():
        return _shrink(student, module, history, pick, got)


@contextlib.contextmanager
def _paused():
    calllog.LOG.paused = True
    try:
        yield
    finally:
        calllog.LOG.paused = False


def _has_objects(history: list[calllog.Call]) -> bool:
    values = [a for c in history for a in (*c.args, *c.kwargs.values())]
    return any(isinstance(v, calllog.Ref) and v.testfn is None for v in values)


def _shrink(student: Any, module: Any, history: list[calllog.Call], pick: Callable[[Any], Any],
            got: np.ndarray) -> str | None:
    tries = [0]

    def disagree(candidate: list[calllog.Call]) -> tuple[Any, Any] | None:
        if tries[0] >= MAX_TRIES:
            return None
        tries[0] += 1
        mine = _on_student(student, candidate)
        theirs = mutants._replay(module, mutants.Mutant("reference", ()), candidate, {})
        if mine is _NONE or theirs is mutants._FAILED:
            return None
        with contextlib.suppress(Exception):
            a, b = np.asarray(pick(mine), dtype=np.float64), np.asarray(pick(theirs), dtype=np.float64)
            if a.shape != b.shape or not np.allclose(a, b, rtol=1e-6, atol=1e-9, equal_nan=True):
                return a, b
        return None

    again = disagree(history)  # deterministic, and still failing when replayed?
    if again is None or again[0].shape != got.shape or not np.array_equal(again[0], got, equal_nan=True):
        return None
    best, outcome = history, again
    for axis in (0, -1):  # fewer rows first, then fewer columns
        size_now = _size(best, axis)
        for size in range(1, size_now) if size_now else ():
            candidate = _cut(best, axis, size_now, size)
            if (found := disagree(candidate)) is not None:
                best, outcome = candidate, found
                break
    for decimals in (0, 1):  # simplest values: whole numbers, else one decimal
        simpler = _rounded(best, decimals)
        if simpler is not best and (found := disagree(simpler)) is not None:
            best, outcome = simpler, found
            break
    if best is history:
        return None
    inputs = [f"{_name(calllog.parameter_names(c), i)} = {_show(a)}" for c in best
              for i, a in enumerate(c.args) if isinstance(a, np.ndarray)]
    return (f"The smallest failing input found: {', '.join(inputs)}: expected {_show(outcome[1])}, "
            f"got {_show(outcome[0])}.")


_NONE = object()


def _on_student(student: Any, history: list[calllog.Call]) -> Any:
    from grader.sandbox.testfns import TEST_FUNCTIONS  # noqa: F401 - the proxy resolves test functions by name
    obj, value = None, _NONE
    try:
        for call in history:
            args = tuple(_arg(student, a) for a in call.args)
            kwargs = {k: _arg(student, v) for k, v in call.kwargs.items()}
            if call.kind == "new":
                obj = student.get(call.name)(*args, **kwargs)
            elif call.kind == "call":
                value = student.get(call.name)(*args, **kwargs)
            elif call.kind == "method":
                value = getattr(obj, call.name)(*args, **kwargs)
            elif call.kind == "getattr":
                value = getattr(obj, call.name)
    except (StudentError, AttributeError, TypeError):
        return _NONE
    return value


def _arg(student: Any, value: Any) -> Any:
    if isinstance(value, calllog.Ref):
        return student.testfn(value.testfn)
    return value.copy() if isinstance(value, np.ndarray) else value


def _size(history: list[calllog.Call], axis: int) -> int:
    """The size along ``axis`` most arrays of the calls share (0 when there is none): the batch for axis 0."""
    sizes = [a.shape[axis] for c in history if c.kind != "new" for a in c.args
             if isinstance(a, np.ndarray) and a.ndim >= 2]
    return max(set(sizes), key=sizes.count) if sizes else 0


def _cut(history: list[calllog.Call], axis: int, size_now: int, size: int) -> list[calllog.Call]:
    def cut(a: Any) -> Any:
        if isinstance(a, np.ndarray) and a.ndim >= 2 and a.shape[axis] == size_now:
            return np.take(a, np.arange(size), axis=axis)
        return a
    return [c if c.kind == "new" else
            calllog.Call(c.kind, c.name, c.target, tuple(cut(a) for a in c.args), dict(c.kwargs), None, c.seed)
            for c in history]


def _rounded(history: list[calllog.Call], decimals: int) -> list[calllog.Call]:
    def simple(a: Any) -> Any:
        return np.round(a, decimals) if isinstance(a, np.ndarray) and a.dtype.kind == "f" else a
    changed = [calllog.Call(c.kind, c.name, c.target, tuple(simple(a) for a in c.args), dict(c.kwargs), None, c.seed)
               for c in history]
    same = all(np.array_equal(a, b) for c, d in zip(history, changed) for a, b in zip(c.args, d.args)
               if isinstance(a, np.ndarray))
    return history if same else changed


def _name(names: tuple[str, ...], i: int) -> str:
    return names[i] if i < len(names) else f"arg{i + 1}"


def _show(value: Any) -> str:
    arr = np.asarray(value, dtype=np.float64)
    if arr.size > _SHOWN:
        return f"an array of shape {arr.shape}"

    def text(a: np.ndarray) -> str:
        return "[" + ", ".join(text(x) for x in a) + "]" if a.ndim else f"{float(a):.4g}"
    return text(arr) + (f" {arr.shape}" if arr.ndim >= 1 else "")

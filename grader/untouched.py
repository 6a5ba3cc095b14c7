"""Every call watches its inputs: the arrays a check sends are compared with what the student's code left.

There is no separate "watched" moment a submission could detect. After every call into the student process
the runtime compares each array argument with the bytes it received and sends back the ones the call changed,
and the arrays inside dict/list arguments and objects it holds (the request looks the same whatever check
makes it, and carries no check id); the judge compares those with what it sent, by value, and keeps a
:class:`CallLedger` per submission. A mutation check then asserts, for its component, that no call so far
(golden, gradient, property checks alike, and its own) changed an input it must leave alone::

    @check("relu", "mutation", points=1)
    def test_relu_leaves_input_alone(student):
        x = hidden_rng().normal(size=(4, 5))
        student.relu(x)
        assert_calls_left_inputs_alone(student, "relu", {0: "its input x"})
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from grader.checks import CheckFailed, fail
from grader.compare import assert_unchanged

Position = int | str  # a positional index or a keyword name
MAX_TOUCHED = 50  # changed arrays kept per callee and argument (an optimizer changes its params every call)


@dataclass
class Touched:
    """One call that changed one of its array arguments."""

    callee: str
    position: Position
    before: np.ndarray
    after: Any
    check_id: str
    path: str = ""  # where in a dict/list argument: "['W']"


@dataclass
class CallLedger:
    """Per submission: how many calls each callee got, and which array arguments they changed."""

    calls: dict[str, int] = field(default_factory=dict)
    touched: dict[str, list[Touched]] = field(default_factory=dict)

    def record(self, callee: str, check_id: str, sent: tuple[Any, ...] | list[Any], sent_kwargs: Mapping[str, Any],
               args_after: Any, kwargs_after: Any) -> None:
        self.calls[callee] = self.calls.get(callee, 0) + 1
        after_args = list(args_after) if isinstance(args_after, (list, tuple)) else []
        after_kwargs = kwargs_after if isinstance(kwargs_after, dict) else {}
        pairs = [(i, v, after_args[i] if i < len(after_args) else None) for i, v in enumerate(sent)]
        pairs += [(k, v, after_kwargs.get(k)) for k, v in sent_kwargs.items()]
        for position, before, after in pairs:
            if after is before:  # the student process found it exactly as sent (grader/sandbox/runtime.py)
                continue
            if type(before) is np.ndarray:
                if before.dtype.kind in "biuf" and _changed(before, after):
                    self._touch(Touched(callee, position, before.copy(), after, check_id))
            elif type(before) in (dict, list, tuple):
                for path, inner, inner_after in _nested_arrays(before, after):
                    if inner.dtype.kind in "biuf" and _changed(inner, inner_after):
                        self._touch(Touched(callee, position, inner.copy(), inner_after, check_id, path))

    def _touch(self, touched: Touched) -> None:
        found = self.touched.setdefault(touched.callee, [])
        if sum(t.position == touched.position for t in found[-MAX_TOUCHED:]) < MAX_TOUCHED:
            found.append(touched)

    def changed(self, callee: str, positions: Mapping[Position, str]) -> list[Touched]:
        return [t for t in self.touched.get(callee, []) if t.position in positions]


def _nested_arrays(before: Any, after: Any, path: str = "", depth: int = 0):
    """(path, array sent, what the call left there) for the arrays inside a dict/list argument."""
    if type(before) is np.ndarray:
        yield path, before, after
    elif depth < 4 and type(before) is dict:
        for key, value in before.items():
            yield from _nested_arrays(value, after.get(key) if isinstance(after, dict) else None,
                                      f"{path}[{key!r}]", depth + 1)
    elif depth < 4 and type(before) in (list, tuple):
        items = after if isinstance(after, (list, tuple)) else []
        for i, value in enumerate(before):
            yield from _nested_arrays(value, items[i] if i < len(items) else None, f"{path}[{i}]", depth + 1)


def _changed(before: np.ndarray, after: Any) -> bool:
    if type(after) is not np.ndarray or after.shape != before.shape:
        return True
    try:
        b, a = before.astype(np.float64), after.astype(np.float64)
    except (TypeError, ValueError):
        return True
    return bool(np.any(~((a == b) | (np.isnan(a) & np.isnan(b)))))


def assert_calls_left_inputs_alone(student: Any, callee: str, names: Mapping[Position, str], *,
                                   what: str | None = None, hint: str | None = None) -> None:
    """Fail if any call of ``callee`` so far changed an argument at one of ``names``' positions
    (``{0: "its input x", "dout": "dout"}``), with the message of :func:`grader.compare.assert_unchanged`."""
    ledger: CallLedger | None = getattr(student, "call_ledger", None)
    if ledger is None:
        return
    found = ledger.changed(callee, names)
    if not found:
        return
    first = found[0]
    calls = ledger.calls.get(callee, 0)
    label = what or f"{callee}(...)"
    note = (f" (seen in {len(found)} of {calls} calls of {callee} during grading)" if calls > 1 else "")
    try:
        assert_unchanged(first.before, first.after, what=label, name=names[first.position] + first.path, hint=hint)
    except AssertionError as exc:
        raise _with_note(exc, note) from None
    # assert_unchanged saw no difference: the argument came back as something that is not an array
    fail(f"{label} replaced {names[first.position]}{first.path} with something that is not an array{note}")


def _with_note(exc: AssertionError, note: str) -> AssertionError:
    if isinstance(exc, CheckFailed):
        return CheckFailed(exc.message + note, exc.details)
    return AssertionError(str(exc) + note)

"""What the current check asked of the student's code, as plain data: the calls, in order, with their results.

The proxy (:mod:`grader.sandbox.proxy`) records every call into the student process here; nothing else writes.
Readers are judge-side explanations of a failure: :mod:`grader.mutants` replays the calls on mutants of the
reference to find the one edit that reproduces the student's result, and an exception names the call that
raised it. The log holds copies of arguments and results (arrays, numbers, handles' ids), never student objects,
and is cleared when a new check starts.
"""
from __future__ import annotations

import copy
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_ENTRIES = 400
_SHOWN_ELEMENTS = 6


@dataclass(frozen=True)
class Ref:
    """An argument that lived in the student process: a handle (``id``) or a named trusted test function."""

    handle: int | None = None
    testfn: str | None = None


@dataclass
class Call:
    """One request: ``kind`` "new" (a class called), "call" (a function), "method", "getattr" or "put"."""

    kind: str
    name: str                    # function or class name; the method or attribute name for "method"/"getattr"
    target: int | None = None    # the handle the method/getattr was made on, or the handle "new"/"put" created
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    result: Any = None
    seed: int | None = None


class CallLog:
    """The calls of one check, oldest first."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.classes: dict[int, str] = {}
        self.paused = False  # calls made to explain a failure (grader.shrink) are not logged
        self._student: Any = None

    @property
    def student(self) -> Any:
        """The proxy the logged calls went through (None when it is gone)."""
        return self._student() if self._student is not None else None

    @student.setter
    def student(self, value: Any) -> None:
        self._student = weakref.ref(value) if value is not None else None

    def clear(self) -> None:
        self.calls.clear()
        self.classes.clear()

    def add(self, call: Call) -> None:
        if self.paused:
            return
        if len(self.calls) < MAX_ENTRIES:
            self.calls.append(call)
        if call.kind == "new" and call.target is not None:
            self.classes[call.target] = call.name

    def history(self, index: int) -> list[Call]:
        """The calls needed to redo call ``index``: its handle's construction and every earlier call on it."""
        last = self.calls[index]
        if last.kind in ("call", "put", "new"):
            return [last]
        return [c for c in self.calls[:index + 1] if c.target == last.target and c.kind in ("new", "method", "getattr")]


LOG = CallLog()
"""The log of the check running in this process (pytest workers run one check at a time)."""


_ATOMS = frozenset((int, float, complex, str, bool, type(None)))


def plain_copy(value: Any, to_ref: Any) -> Any:
    """A judge-side copy of an argument or result: arrays copied, handles as :class:`Ref` (via ``to_ref``)."""
    kind = type(value)
    if kind is np.ndarray:  # the usual cases first, by exact type (this runs for every argument of every call)
        return value.copy()
    if kind in _ATOMS:
        return value
    ref = to_ref(value)
    if ref is not None:
        return ref
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, tuple)):
        return type(value)(plain_copy(v, to_ref) for v in value)
    if isinstance(value, dict):
        return {k: plain_copy(v, to_ref) for k, v in value.items()}
    return copy.copy(value) if isinstance(value, (int, float, complex, str, bool, type(None), np.generic)) else None


def describe_value(value: Any) -> str:
    """``float64 array of shape (2, 3, 4, 4)``, ``2``, ``'relu'``: how an argument is named in a message."""
    if isinstance(value, np.ndarray):
        if value.size <= _SHOWN_ELEMENTS and value.ndim <= 1:
            return np.array2string(value, precision=4, separator=", ") + f" ({value.dtype})"
        return f"{value.dtype} array of shape {tuple(value.shape)}"
    if isinstance(value, Ref):
        return f"test function {value.testfn}" if value.testfn else "an object of yours"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {describe_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)) and len(value) > _SHOWN_ELEMENTS:
        return f"a {type(value).__name__} of {len(value)} items"
    return repr(value)


def _brief(value: Any) -> str:
    """``(2, 3) float64`` for an array (its values when tiny), else as :func:`describe_value`."""
    if isinstance(value, np.ndarray) and not (value.size <= _SHOWN_ELEMENTS and value.ndim <= 1):
        return f"{tuple(value.shape)} {value.dtype}"
    return "= " + describe_value(value)


def describe_call(call: Call, names: tuple[str, ...] = ()) -> str:
    """``Pooling(2, 2, stride=1, pad=1).forward(x)`` with the arguments' shapes and dtypes after it."""
    def name(i: int) -> str:
        return names[i] if i < len(names) else f"arg{i + 1}"

    def big(a: Any) -> bool:
        return isinstance(a, (np.ndarray, Ref, dict, list))

    def arglist(args: tuple, kwargs: dict[str, Any], named: bool) -> str:
        parts = [(name(i) if named else describe_value(a)) if big(a) else repr(a) for i, a in enumerate(args)]
        return ", ".join(parts + [f"{k}={describe_value(v) if big(v) else repr(v)}" for k, v in kwargs.items()])

    if call.kind == "method":
        ctor = next((c for c in LOG.calls if c.kind == "new" and c.target == call.target), None)
        owner = f"{ctor.name}({arglist(ctor.args, ctor.kwargs, False)})" if ctor else "your object"
        head = f"{owner}.{call.name}({arglist(call.args, call.kwargs, True)})"
    else:
        head = f"{call.name}({arglist(call.args, call.kwargs, True)})"
    shown = [f"{name(i)} {_brief(a)}" for i, a in enumerate(call.args) if big(a)]
    return head + (f" with {', '.join(shown)}" if shown else "")


def parameter_names(call: Call) -> tuple[str, ...]:
    """The reference's names for the call's positional parameters (``x``, ``dout``), or ``()``."""
    import inspect

    from grader.mutants import reference_object

    owner = LOG.classes.get(call.target) if call.kind == "method" else call.name
    obj = reference_object(owner) if owner else None
    if obj is None:  # no reference installed (a student kit): the submission's own names
        return _own_parameter_names(owner, call.name if call.kind == "method" else None)
    fn = getattr(obj, call.name, None) if call.kind == "method" else obj
    try:
        params = list(inspect.signature(fn).parameters) if fn is not None else []
    except (TypeError, ValueError):
        return ()
    return tuple(p for p in params if p != "self")


def _own_parameter_names(owner: str | None, method: str | None) -> tuple[str, ...]:
    """The parameters of the submission's own function ``owner`` (its class's ``__init__``, or ``method``)."""
    import ast

    loaded = getattr(LOG.student, "loaded", None)
    for _, tree in loaded.statement_trees() if loaded is not None and owner else ():
        for node in tree.body:
            if getattr(node, "name", None) != owner:
                continue
            if isinstance(node, ast.ClassDef):
                wanted = method or "__init__"
                node = next((n for n in node.body if getattr(n, "name", None) == wanted), None)
            elif method is not None:
                node = None
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                a = node.args
                params = [*a.posonlyargs, *a.args, *([a.vararg] if a.vararg else []), *a.kwonlyargs,
                          *([a.kwarg] if a.kwarg else [])]
                return tuple(p.arg for p in params if p.arg != "self")
    return ()


def arguments(call: Call, names: tuple[str, ...]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """(array arguments by name, other settings by name) of ``call``, with its object's constructor settings."""
    arrays: dict[str, np.ndarray] = {}
    settings: dict[str, Any] = {}

    def take(args: tuple, kwargs: dict[str, Any], params: tuple[str, ...]) -> None:
        for i, value in enumerate(args):
            key = params[i] if i < len(params) else f"arg{i + 1}"
            (arrays if isinstance(value, np.ndarray) else settings)[key] = value
        for key, value in kwargs.items():
            (arrays if isinstance(value, np.ndarray) else settings)[key] = value

    if call.kind == "method":
        ctor = next((c for c in LOG.calls if c.kind == "new" and c.target == call.target), None)
        if ctor is not None:
            take(ctor.args, ctor.kwargs, parameter_names(ctor))
    take(call.args, call.kwargs, names)
    return arrays, settings

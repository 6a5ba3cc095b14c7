"""The recording backend (kit build time only): asks the real reference, stores every answer.

It answers the same nodes as :class:`grader.kit.answers.Replay` (so the keys are the same), but each
question goes to the real module, function or object, and the answer (plus the state of any argument the
call changed in place, as ``optimizer.update(params, grads)`` changes ``params``) is stored for the kit.
"""
from __future__ import annotations

import copy
import importlib
import os
import types
from typing import Any, Callable

import numpy as np

from grader.kit import keys
from grader.kit.answers import (
    GOLDEN_MODULE, AnswerFunction, AnswerModule, AnswerObject, Backend, BoundMethod, Node, NotInKit, answer_class,
    existing_object, marker_of, question as asked,
)

# What a recording does with the question being asked (``Record(mode=...)`` says, per question):
RECORD = "record"  # ask the reference, store the answer
PROBE = "probe"    # ask the reference, store nothing; a question never recorded is NotInKit (as the kit would say)
LIVE = "live"      # ask the reference, store nothing (the full grader's behaviour)
from grader.kit.store import Writer, is_data


class _Golden:
    """What the kit asks of the golden store: one case at a time."""

    @staticmethod
    def case_of(assignment: str, name: str) -> Any:
        from reference.golden import load

        try:
            return load(assignment)[name]
        except KeyError:
            raise KeyError(f"no golden case {name!r} for {assignment}; regenerate: python -m reference.golden") from None


class Record(Backend):
    """Answers from the real reference and stores them (``entries``, arrays in ``writer``)."""

    def __init__(self, judge_only: dict[str, Any] | None = None, mode: Callable[[], str] = lambda: RECORD) -> None:
        self.mode = mode  # RECORD, PROBE or LIVE for the question asked now
        self.entries: dict[str, Any] = {}
        self.writer = Writer()
        self.judge_only = judge_only or {}  # check module name -> the original module (real helpers)
        self.questions = 0
        self.asked_by: dict[str, set[str]] = {}  # question -> the check functions that asked it
        self.probed = self.probed_early = False  # a PROBE missed; a PROBE ran before a RECORD had finished

    # -- the real thing behind a node
    def real(self, node: Any) -> Any:
        if node._kit_real is None and isinstance(node, AnswerModule):
            object.__setattr__(node, "_kit_real", self._module(node._kit_name))
        return node._kit_real

    def _module(self, dotted: str) -> Any:
        if dotted == GOLDEN_MODULE:
            return _Golden
        if dotted in self.judge_only:
            return self.judge_only[dotted]
        return importlib.import_module(dotted)

    # -- wrapping real values into nodes (answers that are not data)
    def wrap(self, value: Any, state: str) -> Any:
        if is_data(value):
            return copy.deepcopy(value)
        if isinstance(value, types.ModuleType):
            node = AnswerModule(self, state, value, value.__name__)
            return node
        if isinstance(value, type):
            return answer_class(self, state, value.__name__, value)
        if isinstance(value, (list, tuple)):
            items = [self.wrap(v, keys.key(state, "item", i)) for i, v in enumerate(value)]
            return items if isinstance(value, list) else tuple(items)
        if isinstance(value, dict) and all(isinstance(k, (str, int)) for k in value):
            return {k: self.wrap(v, keys.key(state, "item", k)) for k, v in value.items()}
        if _is_dataclass_data(value):
            return copy.deepcopy(value)
        if callable(value) and isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
            return AnswerFunction(self, state, value, getattr(value, "__name__", "function"))
        return existing_object(self, state, value)

    def _known(self, question: str, what: str) -> None:
        """In PROBE mode, a question the recording never stored fails as the kit's replay would fail."""
        if question not in self.entries and self.mode() == PROBE:
            self.probed_early = self.probed_early or not self.entries
            self.probed = True
            raise NotInKit(what)

    def _store(self, question: str, answer: dict[str, Any]) -> None:
        if self.mode() != RECORD:
            return
        self.probed_early = self.probed_early or self.probed  # a probe must come after every recording
        self.questions += 1
        self.entries[question] = answer
        self.asked_by.setdefault(question, set()).add(current_check())

    def without(self, functions: set[str]) -> dict[str, Any]:
        """The entries, less those asked only by the check functions ``functions`` (left out of the kit)."""
        return {q: a for q, a in self.entries.items() if not self.asked_by.get(q) or self.asked_by[q] - functions}

    def _data(self, value: Any) -> Any:
        return self.writer.to_data(value, marker_of)

    # -- the backend's questions
    def get(self, node: Any, name: str) -> Any:
        question = keys.key(node._kit_state, "get", name)
        self._known(question, f"{node._kit_name}.{name}")
        real = getattr(self.real(node), name)
        if isinstance(node, AnswerObject) and isinstance(real, types.MethodType):
            self._store(question, {"method": True})
            return BoundMethod(node, name)
        value = self.wrap(real, question)
        self._store(question, {"value": self._data(value)})
        return value

    def call(self, node: Any, method: str | None, args: tuple, kwargs: dict) -> Any:
        question = asked(node, method, args, kwargs)
        self._known(question, f"{node._kit_name}{'.' + method if method else ''}(...)")
        target = getattr(self.real(node), method) if method is not None else self.real(node)
        before = _snapshot(args, kwargs)
        answer: dict[str, Any] = {}
        try:
            result = target(*_unwrap(args), **_unwrap(kwargs))
        except Exception as exc:  # the reference raising is an answer too (a check may expect it)
            answer["raise"] = [type(exc).__name__, str(exc)]
            result = None
        value = self.wrap(result, question)
        answer["value"] = self._data(value)
        changed = _changed(before, args, kwargs)
        if changed:
            answer["mutated"] = [[path, self._data(v)] for path, v in changed]
        self._store(question, answer)
        if method is not None:
            node._kit_state = keys.key(question, "after")
        if "raise" in answer:
            raise exc_from(answer["raise"])
        return value

    def new(self, instance: AnswerObject, args: tuple, kwargs: dict) -> None:
        cls = type(instance)
        question = keys.key(cls._kit_class_state, "new", cls.__qualname__, args, kwargs)
        self._known(question, f"{cls.__name__}(...)")
        real_cls = _real_class(cls)
        try:
            real = real_cls(*_unwrap(args), **_unwrap(kwargs))
        except Exception as exc:
            self._store(question, {"raise": [type(exc).__name__, str(exc)]})
            raise
        self._store(question, {"new": True})
        instance._kit_state = question
        instance._kit_real = real

    def set(self, node: Any, name: str, value: Any) -> None:
        setattr(self.real(node), name, _unwrap(value))
        super().set(node, name, value)


def current_check() -> str:
    """The test function pytest is running now (``test_x`` of ``path::test_x[solution] (call)``), or ``""``."""
    running = os.environ.get("PYTEST_CURRENT_TEST", "")
    return running.split("::")[-1].split("[")[0].split(" ")[0] if "::" in running else ""


def current_params() -> list[str]:
    """The parameter ids of the test pytest is running now (``test_x[rounded]`` -> ``["rounded"]``: the
    submission, and a case if the check has some)."""
    running = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
    return running.rsplit("[", 1)[1].rstrip("]").split("-") if running.endswith("]") else []


def exc_from(raised: list[str]) -> Exception:
    from grader.kit.answers import _exception_type

    return _exception_type(raised[0])(raised[1])


def _real_class(cls: type) -> type:
    for klass in cls.__mro__:
        real = klass.__dict__.get("_kit_class_real")
        if real is not None:
            return real
    raise TypeError(f"{cls.__name__}: no recorded class behind it")


def _is_dataclass_data(value: Any) -> bool:
    import dataclasses

    return dataclasses.is_dataclass(value) and not isinstance(value, type)


def _unwrap(value: Any) -> Any:
    """Nodes back to the real objects they stand for (arguments going to the real reference)."""
    if isinstance(value, (Node, AnswerObject)) and getattr(value, "_kit_real", None) is not None:
        return value._kit_real
    if isinstance(value, BoundMethod):
        return getattr(value.owner._kit_real, value.name)
    if isinstance(value, tuple):
        return tuple(_unwrap(v) for v in value)
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    return value


def _walk(value: Any, path: list) -> list[tuple[list, Any]]:
    """(path, array/dict/list) for every mutable container reachable in an argument, outer ones first."""
    found: list[tuple[list, Any]] = []
    if isinstance(value, np.ndarray):
        found.append((path, value))
    elif isinstance(value, dict):
        found.append((path, value))
        for k, v in value.items():
            found += _walk(v, path + [k])
    elif isinstance(value, (list, tuple)):
        if isinstance(value, list):
            found.append((path, value))
        for i, v in enumerate(value):
            found += _walk(v, path + [i])
    return found


def _arguments(args: tuple, kwargs: dict) -> list[tuple[list, Any]]:
    found = []
    for i, a in enumerate(args):
        found += _walk(a, ["args", i])
    for k, v in kwargs.items():
        found += _walk(v, ["kwargs", k])
    return found


def _shape_of(value: Any) -> Any:
    """What changing a container replaces rather than updates: its keys and its non-array entries."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    return keys.encode([(k, None if isinstance(v, (np.ndarray, dict, list, tuple)) else v) for k, v in items])


def _snapshot(args: tuple, kwargs: dict) -> list[tuple[list, Any]]:
    return [(p, v.copy() if isinstance(v, np.ndarray) else _shape_of(v)) for p, v in _arguments(args, kwargs)]


def _changed(before: list[tuple[list, Any]], args: tuple, kwargs: dict) -> list[tuple[list, Any]]:
    """The argument parts a call changed: arrays changed in place, containers whose entries were replaced."""
    after = {tuple(map(repr, p)): v for p, v in _arguments(args, kwargs)}
    changed: list[tuple[list, Any]] = []
    for path, old in before:
        new = after.get(tuple(map(repr, path)))
        if new is None or any(path[:len(c)] == c for c, _ in changed):
            continue
        if isinstance(new, np.ndarray):
            differs = not isinstance(old, np.ndarray) or not _same_bytes(old, new)
        else:
            differs = old != _shape_of(new)
        if differs and is_data(new):
            changed.append((path, copy.deepcopy(new)))
    return changed


def _same_bytes(old: np.ndarray, new: np.ndarray) -> bool:
    """Equal as keys see arrays (dtype, shape, bytes), without hashing them."""
    return old.dtype.str == new.dtype.str and old.shape == new.shape and old.tobytes() == new.tobytes()

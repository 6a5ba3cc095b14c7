"""Stand-ins for the reference that the checks of a student kit talk to.

In a kit, a check module's ``from reference import numerical as ref`` reads
``ref = _kit.module("reference.numerical")``: ``ref.softmax(x)``, ``ref.Affine(W, b).forward(x)``,
``layer.dW`` answer exactly what the reference answered for the same question when the kit was built,
from the answers file beside the module. Every question has a content key (:mod:`grader.kit.keys`): the
node it is asked of (a module, a function, an object in its current state), what is asked, and the
arguments. An object's state key moves on with every method call and attribute write, so ``layer.dW``
after ``backward(dout)`` is a different question from ``layer.dW`` before it.

The same nodes run at build time over a recording backend (:mod:`grader.kit.recording`) that asks the real
reference and stores the answers, so the keys of building and replaying are computed by the same code.
A question that was never asked at build time raises :class:`NotInKit`, a failed check that says so.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.kit import keys
from grader.kit.store import Reader

GOLDEN_MODULE = "reference.golden"
NOT_IN_KIT = "the student kit has no expected value for this"


class NotInKit(AssertionError):
    """The kit has no recorded answer for what this check asked (the student's code took a path the public
    inputs never took when the kit was built): the check fails with this message. (An ``AssertionError``, not
    a ``CheckFailed``: this module also runs in the student process, which never imports pytest.)"""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(
            f"{NOT_IN_KIT}: the check asked for {what} on values the model "
            "solution never produced when the kit was built. Either your result differs from the expected one "
            "earlier in this check, or values your own code made enter this check (e.g. your net's own random "
            "parameters, drawn in another order) and your code may well be right. The full grader (`grader "
            "check`) computes the expected value for your values.")


class Backend:
    """Answers questions about nodes; :class:`Replay` from a file, ``recording.Record`` from the reference."""

    def get(self, node: "Node", name: str) -> Any:
        raise NotImplementedError

    def call(self, node: "Node", method: str | None, args: tuple, kwargs: dict) -> Any:
        raise NotImplementedError

    def new(self, instance: "AnswerObject", args: tuple, kwargs: dict) -> None:
        raise NotImplementedError

    def set(self, node: "Node", name: str, value: Any) -> None:
        node._kit_state = keys.key(node._kit_state, "set", name, value)


class Node:
    """Something the answers talk about: its backend, its state key, and (recording only) the real thing."""

    _kit_kind = "node"

    def __init__(self, backend: Backend, state: str, real: Any = None, name: str = "") -> None:
        object.__setattr__(self, "_kit_backend", backend)
        object.__setattr__(self, "_kit_state", state)
        object.__setattr__(self, "_kit_real", real)
        object.__setattr__(self, "_kit_name", name)

    @staticmethod
    def _kit_key_of(node: "Node") -> str:
        return node._kit_state

    def __repr__(self) -> str:
        return f"<kit answer {self._kit_kind} {self._kit_name}>"


class AnswerModule(Node):
    """``ref`` itself: attributes are functions, classes and constants of the reference module."""

    _kit_kind = "module"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._kit_backend.get(self, name)


class AnswerFunction(Node):
    """A reference function (or a bound method of an answer object)."""

    _kit_kind = "fn"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._kit_backend.call(self, None, args, kwargs)


class BoundMethod:
    """``layer.forward`` of an answer object: calling it asks ``layer`` in its state at call time."""

    def __init__(self, owner: "AnswerObject", name: str) -> None:
        self.owner, self.name = owner, name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        owner = self.owner
        return owner._kit_backend.call(owner, self.name, args, kwargs)


class AnswerClassType(type):
    """The type of answer classes: ``ref.TwoLayerNet._scores`` (a class attribute) is a question too."""

    def __getattr__(cls, name: str) -> Any:
        if name.startswith("__") or name.startswith("_kit_"):
            raise AttributeError(name)
        real = next((k.__dict__["_kit_class_real"] for k in cls.__mro__ if k.__dict__.get("_kit_class_real")), None)
        node = Node(cls._kit_class_backend, cls._kit_class_state, real, cls.__name__)
        return cls._kit_class_backend.get(node, name)


class AnswerObject(metaclass=AnswerClassType):
    """An instance of a reference class (a layer, an optimizer, a network). Subclasses made by
    :func:`answer_class` stand for the classes themselves, so ``ref.Affine(W, b)`` works as it reads."""

    _kit_kind = "obj"
    _kit_class_state = ""
    _kit_class_backend: Backend | None = None
    _kit_class_real: Any = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        object.__setattr__(self, "_kit_backend", type(self)._kit_class_backend)
        object.__setattr__(self, "_kit_real", None)
        object.__setattr__(self, "_kit_name", type(self).__name__)
        object.__setattr__(self, "_kit_state", "")
        # what it was built from: arrays it may keep and that may change in place (a layer's W)
        object.__setattr__(self, "_kit_args", (args, kwargs))
        self._kit_backend.new(self, args, kwargs)

    @staticmethod
    def _kit_key_of(node: Any) -> str:
        return node._kit_state

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name.startswith("_kit_"):
            raise AttributeError(name)
        return self._kit_backend.get(self, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_kit_"):
            object.__setattr__(self, name, value)
        else:
            self._kit_backend.set(self, name, value)

    def __repr__(self) -> str:
        return f"<kit answer object {self._kit_name}>"


def answer_class(backend: Backend, state: str, name: str, real: Any = None) -> type:
    """A Python class standing for a reference class (so checks may call it, and subclass it)."""
    return type(name, (AnswerObject,), {"_kit_class_state": state, "_kit_class_backend": backend,
                                        "_kit_class_real": real, "__qualname__": name})


def existing_object(backend: Backend, state: str, real: Any = None) -> AnswerObject:
    """An answer object that a call returned (not built by the check): no constructor call."""
    obj = AnswerObject.__new__(answer_class(backend, state, "object", None))
    for attr, value in (("_kit_backend", backend), ("_kit_real", real), ("_kit_name", "object"),
                        ("_kit_state", state), ("_kit_args", ())):
        object.__setattr__(obj, attr, value)
    return obj


def question(node: Any, method: str | None, args: tuple, kwargs: dict) -> str:
    """The key of calling ``node`` (or its ``method``): an object's arrays are keyed as they are now."""
    return keys.key(node._kit_state, "call", method, getattr(node, "_kit_args", ()), args, kwargs)


def marker_of(value: Any) -> dict[str, str] | None:
    """How the answers file names a node (``{"obj": key}``...), or None for data."""
    if isinstance(value, type) and issubclass(value, AnswerObject):
        return {"class": value._kit_class_state, "name": value.__name__}
    if isinstance(value, AnswerObject):
        return {"obj": value._kit_state}
    if isinstance(value, (BoundMethod,)):
        return {"method": value.name, "of": value.owner._kit_state}
    if isinstance(value, Node):
        return {value._kit_kind: value._kit_state}
    return None


# ------------------------------------------------------------------------------------------ replay

class Replay(Backend):
    """Answers from answers folders (``answers.json`` + ``answers.npz`` each)."""

    def __init__(self, *sources: Path | Reader) -> None:
        self.readers = [s if isinstance(s, Reader) else Reader(Path(s)) for s in sources]
        self._reader = self.readers[0] if self.readers else None

    def _answer(self, question: str, what: str) -> dict[str, Any]:
        for reader in self.readers:
            if question in reader.entries:
                self._reader = reader
                return reader.entries[question]
        raise NotInKit(what)

    def _value(self, data: Any) -> Any:
        return self._reader.from_data(data, self._unmark)

    def _unmark(self, mark: dict[str, Any]) -> Any:
        if "class" in mark:
            return answer_class(self, mark["class"], mark.get("name", "object"))
        if "obj" in mark:
            return existing_object(self, mark["obj"])
        if "method" in mark:
            return BoundMethod(existing_object(self, mark["of"]), mark["method"])
        (kind, state), = mark.items()
        return AnswerModule(self, state) if kind == "module" else AnswerFunction(self, state)

    def get(self, node: Any, name: str) -> Any:
        answer = self._answer(keys.key(node._kit_state, "get", name), f"{node._kit_name}.{name}")
        if answer.get("method"):
            return BoundMethod(node, name)
        return self._value(answer["value"])

    def call(self, node: Any, method: str | None, args: tuple, kwargs: dict) -> Any:
        asked = question(node, method, args, kwargs)
        answer = self._answer(asked, f"{node._kit_name}{'.' + method if method else ''}(...)")
        if method is not None:
            node._kit_state = keys.key(asked, "after")
        for path, data in answer.get("mutated", []):
            write_back(args, kwargs, path, self._value(data))
        if "raise" in answer:
            kind, message = answer["raise"]
            raise _exception_type(kind)(message)
        return self._value(answer["value"])

    def new(self, instance: AnswerObject, args: tuple, kwargs: dict) -> None:
        cls = type(instance)
        question = keys.key(cls._kit_class_state, "new", cls.__qualname__, args, kwargs)
        answer = self._answer(question, f"{cls.__name__}(...)")
        if "raise" in answer:
            kind, message = answer["raise"]
            raise _exception_type(kind)(message)
        instance._kit_state = question


def _exception_type(name: str) -> type[Exception]:
    import builtins

    found = getattr(builtins, name, None)
    return found if isinstance(found, type) and issubclass(found, Exception) else RuntimeError


def write_back(args: tuple, kwargs: dict, path: list, value: Any) -> None:
    """Put a recorded argument state back in place: ``path`` is ``["args", 0]``, ``["kwargs", "params", "W"]``..."""
    import numpy as np

    container: Any = args if path[0] == "args" else kwargs
    for step in path[1:-1]:
        container = container[step]
    target = container[path[-1]]
    if isinstance(target, np.ndarray) and isinstance(value, np.ndarray) and target.shape == value.shape:
        target[...] = value
    elif isinstance(target, dict) and isinstance(value, dict):
        target.clear()
        target.update(value)
    elif isinstance(target, list) and isinstance(value, list):
        target[:] = value
    else:
        container[path[-1]] = value


# ------------------------------------------------------------------------------------------ entry points

class Answers:
    """What a transformed check module holds as ``_kit``: its answer modules, golden cases, judge-only helpers."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def module(self, dotted: str, attr: str | None = None) -> Any:
        """``reference.numerical`` (as a module) or, with ``attr``, one of its attributes."""
        if dotted == GOLDEN_MODULE and attr == "load":
            return self.golden_load
        mod = AnswerModule(self.backend, keys.key("module", dotted), name=dotted)
        return mod if attr is None else getattr(mod, attr)

    def golden_load(self, assignment: str) -> "GoldenCases":
        return GoldenCases(self.module(GOLDEN_MODULE), assignment)

    def judge_only(self, module: str, name: str) -> Any:
        """A helper of the check module whose code is answer-like: recorded like the reference."""
        return getattr(AnswerModule(self.backend, keys.key("judge-only", module), name=module), name)


class GoldenCases:
    """``load(assignment)[name]``: one recorded golden case at a time (never the whole store)."""

    def __init__(self, golden: AnswerModule, assignment: str) -> None:
        self.golden, self.assignment = golden, assignment

    def __getitem__(self, name: str) -> Any:
        return self.golden.case_of(self.assignment, name)


_BACKENDS: dict[str, Backend] = {}


def register(folder: Path, backend: Backend) -> None:
    """Answer the check modules of ``folder`` with ``backend`` (the kit builder's recording run)."""
    _BACKENDS[str(Path(folder).resolve())] = backend


def answers_for(module_file: str) -> Answers:
    """The ``_kit`` of a transformed check module: the recording backend while building, else its answers file."""
    folder = str(Path(module_file).resolve().parent)
    if folder not in _BACKENDS:
        _BACKENDS[folder] = Replay(Path(folder))
    return Answers(_BACKENDS[folder])


def golden_fixture(module_file: str, assignment: str) -> Any:
    """The ``golden`` pytest fixture of a kit's check module (the grader's reads the golden store)."""
    import pytest

    @pytest.fixture
    def golden() -> Any:
        cases = answers_for(module_file).golden_load(assignment)

        def get(name: str) -> Any:
            return cases[name]

        return get

    return golden

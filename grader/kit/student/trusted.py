"""The student kit's trusted stand-ins (installed as ``grader/sandbox/trusted.py``): answers, not code.

In the full grader, ``with student.replaced("numerical_gradient"):`` swaps a working helper into the
student process so that a caller is graded on its own logic. The kit has no working helpers: each
stand-in answers what the real one answered, when the kit was built, for the same call in the same
order (a caller that is right makes exactly those calls). A call it has no answer for goes to the
student's own helper, as if nothing had been swapped: the caller is then graded with its own helpers,
which is what the full grader would conclude too when the caller itself is wrong.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from grader.kit import keys
from grader.kit.answers import AnswerFunction, AnswerObject, NotInKit, Replay, answer_class

ANSWERS = Path(__file__).resolve().parent / "trusted_answers"  # one folder per assignment of the kit(s)


def _folders() -> list[Path]:
    # Inside grader/sandbox: the fork server imports only the grader package (and NumPy), never grader_kit.
    return sorted(p for p in ANSWERS.iterdir() if p.is_dir()) if ANSWERS.is_dir() else []


BACKEND = Replay(*_folders())  # read when the fork server starts, before any student process exists


class _StandIn(AnswerFunction):
    def __init__(self, name: str, original: Any) -> None:
        super().__init__(BACKEND, keys.key("trusted", name), name=name)
        object.__setattr__(self, "_kit_original", original)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except NotInKit:
            if callable(self._kit_original):
                return self._kit_original(*args, **kwargs)
            raise


def _stand_in_class(name: str, original: Any) -> type:
    base = answer_class(BACKEND, keys.key("trusted", name), name)

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:  # noqa: N807
        instance = object.__new__(cls)
        try:
            AnswerObject.__init__(instance, *args, **kwargs)
        except NotInKit:
            if isinstance(original, type):
                return original(*args, **kwargs)  # not an instance of cls: __init__ is not called again
            raise
        object.__setattr__(instance, "_kit_built", True)
        return instance

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        pass  # built in __new__

    return type(name, (base,), {"__new__": __new__, "__init__": __init__})


def _original(name: str) -> Any:
    """The student's own binding that the stand-in replaces (the runtime keeps it while it is swapped)."""
    frame = sys._getframe(2)
    while frame is not None:
        replaced = getattr(frame.f_locals.get("self"), "replaced", None)
        if isinstance(replaced, dict) and name in replaced:
            return replaced[name]
        frame = frame.f_back
    return None


def _kind(name: str) -> str:
    """``"class"`` or ``"function"``: what the real helper was when the kit was built."""
    question = keys.key("trusted", name, "kind")
    for reader in BACKEND.readers:
        if question in reader.entries:
            return reader.entries[question]["value"]
    return "function"


def get(name: str) -> Any:
    """The stand-in for the student's ``name`` (a function or a class)."""
    original = _original(name)
    if _kind(name) == "class":
        return _stand_in_class(name, original)
    return _StandIn(name, original)

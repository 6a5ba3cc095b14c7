"""A dict of named callables that the judge refers to by name and the student process looks up.

``grader/sandbox/drivers.py`` (training loops), ``trusted.py`` (stand-in helpers) and ``testfns.py``
(functions passed as ``f``) each keep one. Plain data crosses the boundary (the name); the callable
itself only ever runs where it is looked up.
"""
from __future__ import annotations

from typing import Callable, TypeVar

T = TypeVar("T", bound=Callable)


class Registry(dict[str, Callable]):
    """``name -> callable``; ``register(name)`` is a decorator, ``lookup(name)`` names the known ones on a miss."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind  # what one entry is called in error messages, e.g. "driver"

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator: store the function (or class) under ``name``."""

        def deco(fn: T) -> T:
            self[name] = fn
            return fn

        return deco

    def lookup(self, name: str) -> Callable:
        """The entry called ``name``; ``KeyError`` naming the known ones otherwise."""
        try:
            return self[name]
        except KeyError:
            raise KeyError(f"unknown {self.kind} {name!r}; known: {', '.join(sorted(self))}") from None

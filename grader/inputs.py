"""Hidden inputs: what a check draws at grading time from the instructor's secret (grader/secret.py).

A check has two kinds of cases:

* **public** cases: the course notes' own numbers and the golden store's cases, which students can run
  themselves. Their messages show expected values.
* **hidden** cases, drawn with :func:`hidden_rng` (or the ``inputs`` fixture): the same for every regrade
  with the instructor's key, different under any other key, unknown to students. A check that draws one
  is a hidden check: its message says what is wrong (shape, factor, sign, likely cause) but never shows
  an expected number (grader/redact.py removes them).

In a check::

    from grader.inputs import hidden_rng

    @check("relu", "golden", points=1)
    def test_relu_fresh(student):
        x = hidden_rng().normal(0.0, 2.0, size=(4, 5))   # a new matrix under each instructor key
        assert_close(student.relu(x), ref.relu(x), what="relu(x) for x of shape (4, 5)")

``hidden_rng(n)`` gives independent streams within one check (n = 0, 1, 2, ...).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.secret import Keyring


@dataclass
class _Current:
    keyring: Keyring | None = None
    check_id: str = ""
    drew_hidden: bool = False


_CURRENT = _Current()


def begin_check(keyring: Keyring, check_id: str) -> None:
    """The plugin calls this before each check (one check at a time per judge process)."""
    global _CURRENT
    _CURRENT = _Current(keyring, check_id)


def drew_hidden() -> bool:
    """Has the current check drawn hidden inputs (so far)?"""
    return _CURRENT.drew_hidden


def hidden_rng(stream: int | str = 0) -> np.random.Generator:
    """A generator of this check's hidden inputs (keyed by the instructor's secret, the check id and
    ``stream``). Outside a graded run (a check imported by a script) it uses the key file all the same."""
    current = _CURRENT
    if current.keyring is None:
        current.keyring = Keyring.from_file()
    current.drew_hidden = True
    return current.keyring.rng(current.check_id, stream)


def current_keyring() -> Keyring:
    if _CURRENT.keyring is None:
        _CURRENT.keyring = Keyring.from_file()
    return _CURRENT.keyring


class Inputs:
    """The ``inputs`` fixture: ``inputs.rng(n)`` is :func:`hidden_rng` (n), plus shorthands."""

    def rng(self, stream: int | str = 0) -> np.random.Generator:
        return hidden_rng(stream)

    def normal(self, *shape: int, scale: float = 1.0, stream: int | str = 0) -> np.ndarray:
        return hidden_rng(stream).normal(0.0, scale, size=shape)

    def uniform(self, low: float, high: float, *shape: int, stream: int | str = 0) -> np.ndarray:
        return hidden_rng(stream).uniform(low, high, size=shape)

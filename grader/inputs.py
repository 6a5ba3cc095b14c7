"""Hidden inputs: what a check draws at grading time from the instructor's secret (grader/secret.py).

A check has two kinds of cases:

* **public** cases: the course notes' own numbers and the golden store's cases, which students can run
  themselves. Their messages show expected values.
* **keyed** ("hidden") cases, drawn with :func:`hidden_rng` (or the ``inputs`` fixture) from the
  submission's own key (the instructor's key and the submission's code, grader/secret.py): the same for every
  regrade of the same file, different for any other file or key, unknown to students. A check that draws one
  has its message say what is wrong (shape, factor, sign, likely cause) but never show an expected number
  (grader/redact.py removes them). (Not to be confused with ``@check(hidden=True)``: a check not shipped in
  the student kit.)

In a check::

    from grader.inputs import hidden_rng

    @check("relu", "golden", points=1)
    def test_relu_fresh(student):
        x = hidden_rng().normal(0.0, 2.0, size=(4, 5))   # a new matrix under each instructor key
        assert_close(student.relu(x), ref.relu(x), what="relu(x) for x of shape (4, 5)")

``hidden_rng(n)`` gives independent streams within one check (n = 0, 1, 2, ...).

**Twins of public cases.** A public case can be hard-coded: a file that returns the recorded answers of the
public inputs, keyed by input, would pass. So a check that passes on public inputs only (it drew no keyed
input) is run a second time, as its *twin*: the same check function, where every public input is replaced
by a keyed input of the same kind (same shape, dtype, value range and settings): ``golden(name)`` gives the
case rebuilt from a keyed generator (``reference.golden.twin_case``) and :func:`example` a keyed value in the
literal's range. The check earns its points only if the twin passes too (``grader.credit``); the twin's
message is redacted like any keyed case's. An honest partial implementation that handles the public case's
kind of input passes its twin as well. In a check::

    x = example(np.array([3.0, 4.0]))            # [3, 4] in the public run, keyed values in [3, 4] in the twin
    x = example(5.0, low=1.0, high=10.0)         # 5.0, or a keyed float in [1, 10]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from grader.secret import Keyring


@dataclass
class _Current:
    keyring: Keyring | None = None  # this submission's key (grader/secret.py: derived from its code)
    check_id: str = ""
    drew_hidden: bool = False
    twin: bool = False  # running the twin of a public check (grader.plugin)
    examples: int = 0  # example() values drawn so far in this run (each twin value has its own stream)
    public: int = 0  # public inputs (example() values, golden cases) this check used
    instructor: Keyring | None = None  # the instructor's key itself: the same for every submission


_CURRENT = _Current()


def begin_check(keyring: Keyring, check_id: str, instructor: Keyring | None = None) -> None:
    """The plugin calls this before each check (one check at a time per judge process) with the submission's
    key and the instructor's."""
    global _CURRENT
    _CURRENT = _Current(keyring, check_id, instructor=instructor)


def begin_twin(keyring: Keyring, check_id: str, instructor: Keyring | None = None) -> None:
    """The plugin calls this before it runs the twin of a public check: its inputs are keyed from here on."""
    global _CURRENT
    _CURRENT = _Current(keyring, check_id, drew_hidden=True, twin=True, instructor=instructor)


def drew_hidden() -> bool:
    """Has the current check drawn hidden inputs (so far)?"""
    return _CURRENT.drew_hidden


def in_twin() -> bool:
    """Is the current run the twin of a public check (public inputs replaced by keyed ones of the same kind)?"""
    return _CURRENT.twin


def twin_drew() -> bool:
    """Did the twin run replace any public input (an ``example`` value or a ``golden`` case)? A check whose
    inputs are all unwrapped literals has a twin identical to itself."""
    return _CURRENT.examples > 0


def used_public() -> bool:
    """Did the current check take a public input through :func:`example` or a golden case? (Then it has a twin
    even if it also drew keyed numbers, e.g. a gradient check's random directions.)"""
    return _CURRENT.public > 0


def example(value, low: float | None = None, high: float | None = None):
    """A public input of a check (a literal the course notes or the kit show): ``value`` itself, except in the
    twin run, where it is a keyed value of the same kind: same shape and dtype, drawn uniformly from
    [``low``, ``high``] (default: the range of ``value``'s own entries; a single number x gets
    [x - (|x| + 1)/2, x + (|x| + 1)/2]), and arranged in the same order as ``value``'s entries (increasing
    scores stay increasing, the maximum stays in its place). Integer and boolean values stay as they are unless
    ``low`` and ``high`` are given (then integers in [low, high])."""
    current = _CURRENT
    if not current.twin:
        current.public += 1
        return value
    current.examples += 1
    rng = current_keyring().rng(f"twin\0{current.check_id}", current.examples)
    array = np.asarray(value)
    if array.dtype.kind in "biu" and (low is None or high is None):
        return value
    if low is None or high is None:
        lo, hi = float(np.min(array)), float(np.max(array))
        if lo == hi:
            lo, hi = lo - (abs(lo) + 1) / 2, hi + (abs(hi) + 1) / 2
        low, high = (lo if low is None else low), (hi if high is None else high)
    if array.dtype.kind in "biu":
        drawn = rng.integers(int(low), int(high) + 1, size=array.shape).astype(array.dtype)
    else:
        drawn = rng.uniform(low, high, size=array.shape).astype(array.dtype if array.dtype.kind == "f" else float)
    drawn = _in_the_same_order(drawn, array)
    if isinstance(value, np.ndarray):
        return drawn
    return type(value)(drawn.item()) if isinstance(value, (int, float)) else drawn.tolist()


def hidden_rng(stream: int | str = 0) -> np.random.Generator:
    """A generator of this check's hidden inputs (keyed by the instructor's secret, the check id and
    ``stream``). Outside a graded run (a check imported by a script) it uses the key file all the same."""
    current = _CURRENT
    if current.keyring is None:
        current.keyring = Keyring.from_file()
    current.drew_hidden = True
    return current.keyring.rng(current.check_id, stream)


def class_rng(stream: int | str = 0) -> np.random.Generator:
    """Like :func:`hidden_rng`, but keyed by the instructor's key only: the same for every submission of the
    class. Only for inputs that are expensive to choose and worth it to share (starting weights the reference
    must be able to solve from, searched once per judge process): a student who harvested them could share
    them, which :func:`hidden_rng`'s per-submission inputs rule out."""
    current = _CURRENT
    current.drew_hidden = True
    return instructor_keyring().rng(current.check_id, stream)


def instructor_keyring() -> Keyring:
    """The instructor's key (the same for every submission): :func:`class_rng`'s."""
    return _CURRENT.instructor or current_keyring()


def current_keyring() -> Keyring:
    if _CURRENT.keyring is None:
        _CURRENT.keyring = Keyring.from_file()
    return _CURRENT.keyring


def _in_the_same_order(drawn: np.ndarray, like: np.ndarray) -> np.ndarray:
    """``drawn``'s values rearranged so that its entries are ordered as ``like``'s are (the smallest where
    ``like`` has its smallest, ...): increasing scores stay increasing, a row's maximum stays where it was."""
    if drawn.size < 2:
        return drawn
    out = np.empty(drawn.size, dtype=drawn.dtype)
    out[np.argsort(like.reshape(-1), kind="stable")] = np.sort(drawn.reshape(-1))
    return out.reshape(drawn.shape)


_TWIN_CASES: dict[tuple[str, str], object] = {}


def golden_case(assignment: str, name: str):
    """The golden case ``name`` of ``assignment`` (``reference.golden``), or in the twin run its keyed twin
    (the same for every submission under one key, so it is computed once per judge process)."""
    from reference.golden import load, twin_case

    if not _CURRENT.twin:
        _CURRENT.public += 1
        cases = load(assignment)
        if name not in cases:
            raise KeyError(f"no golden case {name!r} for {assignment}; regenerate: python -m reference.golden")
        return cases[name]
    _CURRENT.examples += 1
    keyring = current_keyring()
    key = (keyring.fingerprint(), name)
    if key not in _TWIN_CASES:
        _TWIN_CASES[key] = twin_case(name, keyring.rng(f"twin-case\0{name}"))
    return _TWIN_CASES[key]


class Inputs:
    """The ``inputs`` fixture: ``inputs.rng(n)`` is :func:`hidden_rng` (n), plus shorthands."""

    def rng(self, stream: int | str = 0) -> np.random.Generator:
        return hidden_rng(stream)

    def normal(self, *shape: int, scale: float = 1.0, stream: int | str = 0) -> np.ndarray:
        return hidden_rng(stream).normal(0.0, scale, size=shape)

    def uniform(self, low: float, high: float, *shape: int, stream: int | str = 0) -> np.ndarray:
        return hidden_rng(stream).uniform(low, high, size=shape)

"""What an instructor writes checks with: the ``@check`` decorator and ``CheckFailed``.

A check is a plain pytest test that takes the ``student`` fixture::

    from grader.checks import check
    from grader.compare import assert_close

    @check("sigmoid", "golden", points=1)
    def test_sigmoid_golden_seed(student):
        x = np.array([-1.0, 0.0, 2.0])
        assert_close(student.sigmoid(x), ref.sigmoid(x), what="sigmoid(x)")

The check's id is ``<component>/<rest of the function name>``: ``test_sigmoid_golden_seed``
becomes ``sigmoid/golden-seed`` (the ``test_`` prefix and a leading component name are
dropped, underscores become hyphens), unless ``id=`` is given. With ``pytest.mark.parametrize``
each case is a check of its own (``sigmoid/shapes[2x3]``) and the points are shared among the cases.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable, TypeVar

import pytest

F = TypeVar("F", bound=Callable[..., Any])

KINDS = ("golden", "shape", "gradcheck", "convergence", "property", "mutation", "static")
DEFAULT_TIMEOUT = 5.0  # seconds per check; reference answers take milliseconds


class CheckFailed(AssertionError):
    """A wrong answer: ``message`` is shown to the student, ``details`` feed the reports.

    ``details`` is plain JSON data, e.g. ``{"type": "array", "rows": [...]}`` for an
    expected-vs-got table or ``{"type": "curves", ...}`` for a loss-curve plot.
    """

    def __init__(self, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


def fail(message: str, **details: Any) -> None:
    """Fail the current check with a message for the student."""
    raise CheckFailed(message, details)


@dataclass(frozen=True)
class CheckInfo:
    """A check's declaration, read back from its pytest marker."""

    id: str
    component: str
    kind: str
    points: float
    timeout: float
    description: str
    hidden: bool = False  # never shipped in the student kit (grader/kit)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "component": self.component,
            "kind": self.kind,
            "max_score": self.points,
            "timeout": self.timeout,
            "description": self.description,
            "hidden": self.hidden,
        }


def check_id(function_name: str, component: str) -> str:
    name = function_name.removeprefix("test_")
    prefix = component.lower() + "_"
    if name.lower().startswith(prefix):
        name = name[len(prefix):]
    return f"{component}/{name.replace('_', '-')}"


def check(
    component: str,
    kind: str,
    points: float = 1,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    id: str | None = None,
    hidden: bool = False,
) -> Callable[[F], F]:
    """Declare a test function as a graded check of ``component``.

    ``hidden=True``: the check is graded but never shipped in the student kit (``grader kit``), e.g. a
    check on fresh inputs whose expected values the kit must not reveal. Checks are public by default."""
    if kind not in KINDS:
        raise ValueError(f"unknown check kind {kind!r}; use one of {', '.join(KINDS)}")
    if points < 0:
        raise ValueError("points must be >= 0")

    def decorate(fn: F) -> F:
        info = CheckInfo(
            id=id or check_id(fn.__name__, component),
            component=component,
            kind=kind,
            points=float(points),
            timeout=float(timeout),
            description=(fn.__doc__ or "").strip().split("\n")[0],
            hidden=hidden,
        )
        return pytest.mark.grader_check(info=info)(fn)

    return decorate


def info_of(item: pytest.Item) -> CheckInfo | None:
    """The check a collected test item is, or None for a plain test.

    A check parametrised with ``pytest.mark.parametrize`` is one check per case: its id gets the case
    (``softmax/shapes[2-3]``) and its points are shared equally among the cases."""
    marker = item.get_closest_marker("grader_check")
    if marker is None:
        return None
    info: CheckInfo = marker.kwargs["info"]
    callspec = getattr(item, "callspec", None)
    cases = [name for name in (callspec.params if callspec else {}) if name != "student"]
    if not cases:
        return info
    case = "-".join(_case_id(name, callspec.params[name], callspec.indices[name]) for name in cases)
    return replace(info, id=f"{info.id}[{case}]", points=info.points / _case_count(item))


def _case_id(name: str, value: Any, index: int) -> str:
    """``3``, ``0.5``, ``relu``, ``2x3`` for short scalars, strings and tuples of ints; else ``<name><index>``."""
    if isinstance(value, (bool, int, float, str)) and 0 < len(str(value)) <= 20 and "[" not in str(value):
        return str(value)
    if isinstance(value, tuple) and value and all(isinstance(v, int) for v in value) and len(value) <= 6:
        return "x".join(map(str, value))
    return f"{name}{index}"


def _case_count(item: pytest.Item) -> int:
    """How many cases the item's function is parametrised into (the product over its parametrize marks)."""
    count = 1
    for mark in item.iter_markers("parametrize"):
        values = mark.args[1] if len(mark.args) > 1 else mark.kwargs.get("argvalues", ())
        count *= max(1, len(list(values)))
    return count

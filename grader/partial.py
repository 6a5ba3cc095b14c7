"""Fair partial credit: grade a component on its own logic when it calls another of the student's.

``Convolution`` calls the student's ``im2col``; ``mlp_update`` calls their ``mlp_backward``; ``TwoLayerNet``
builds their ``Affine`` layers. A bug in
the helper should cost the helper's checks only. :func:`graded_alone` runs a check's body with the
student's own helpers and, if that fails, again with trusted stand-ins (``grader/sandbox/trusted.py``)
swapped in for the duration of the re-run.
"""
from __future__ import annotations

from contextlib import ExitStack
from typing import Any, Callable

from grader.checks import CheckFailed
from grader.errors import StudentError, StudentRaised


def with_hint(exc: Exception, hint: str) -> Exception:
    """The same failure, its message led by ``hint`` (e.g. which helper to fix first)."""
    if isinstance(exc, CheckFailed):
        return CheckFailed(f"{hint} What this check saw: {exc.message}", exc.details)
    if isinstance(exc, StudentRaised):
        return StudentRaised(exc.exc_type, f"{exc.message}. {hint}", exc.traceback, exc.where, exc.call, exc.cause)
    return exc


def graded_alone(student: Any, helpers: tuple[str, ...], body: Callable[[], None],
                 hint: Callable[[], str] | None = None) -> None:
    """Run ``body`` (a check's calls and assertions); if it fails, run it again with the student's
    ``helpers`` replaced by trusted ones and pass if that passes. If both fail, raise the first
    failure, led by ``hint()`` when it has something to say."""
    try:
        body()
        return
    except (CheckFailed, StudentRaised) as exc:
        first = exc
    defined = [h for h in helpers if student.has(h)]
    if defined:
        try:
            with ExitStack() as stack:
                for helper in defined:
                    stack.enter_context(student.replaced(helper, helper))
                body()
            return
        except (CheckFailed, StudentError):  # a timeout or crash of the re-run: report the first failure
            pass
    text = hint() if hint else ""
    raise (with_hint(first, text) if text else first)

"""Turn the outcome of one check (an exception or none) into a verdict: status, score, message.

Judge side. Everything here reads exception objects raised by the judge's own code
(``CheckFailed``, ``AssertionError``, the ``StudentError`` family carrying text); nothing
here ever holds an object from the student process.
"""
from __future__ import annotations

from typing import Any

from grader.checks import CheckFailed, CheckInfo
from grader.errors import StudentError, StudentMissing, StudentRaised, StudentTimeout

MAX_MESSAGE = 2000


def _clip(text: str, limit: int = MAX_MESSAGE) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _assertion_message(exc: AssertionError) -> str:
    """The instructor's own message of a plain ``assert cond, "msg"`` (pytest appends its explanation)."""
    text = str(exc).strip()
    if not text:
        return "the check's assertion failed"
    # pytest's rewritten asserts add "\nassert <expr>" lines that mean nothing to a student.
    first, _, _ = text.partition("\nassert ")
    return first.strip() or text.splitlines()[0]


EXIT_TYPES = {
    "SystemExit": "your code called sys.exit() or exit(): a function must return its result, never end the program",
    "KeyboardInterrupt": "your code raised KeyboardInterrupt: remove it, a function must return its result",
}


def _raised_message(exc: StudentRaised) -> str:
    where = f" ({exc.where})" if exc.where else ""
    if exc.exc_type in EXIT_TYPES:
        return EXIT_TYPES[exc.exc_type] + where
    if exc.exc_type == "NotImplementedError":
        return f"not implemented yet: your code still raises NotImplementedError{where}"
    text = f"{exc.exc_type}: {exc.message}" if exc.message else exc.exc_type
    call = f" in the call {exc.call}" if exc.call else ""
    cause = f". Likely cause: {exc.cause}" if exc.cause else ""
    return f"your code raised {text}{where}{call}{cause}"


def verdict(info: CheckInfo, exc: BaseException | None) -> dict[str, Any]:
    """The JSON record of one check's outcome (without the submission id)."""
    status, message, details = "passed", "", {}
    if exc is None:
        pass
    elif isinstance(exc, CheckFailed):
        status, message, details = "failed", exc.message, exc.details
    elif isinstance(exc, StudentMissing):
        status, message = "missing", str(exc)
    elif isinstance(exc, StudentTimeout):
        status, message = "timeout", str(exc)
    elif isinstance(exc, StudentRaised):
        status = "error"
        message = _raised_message(exc)
        if exc.traceback:
            details = {"type": "traceback", "text": _clip(exc.traceback, 8000)}
    elif isinstance(exc, StudentError):
        status, message = "error", str(exc)
    elif isinstance(exc, AssertionError):
        status, message = "failed", _assertion_message(exc)
    else:
        status = "error"
        message = (
            f"internal grader error in this check ({type(exc).__name__}: {exc}); "
            "this is not your fault: please tell your instructor"
        )
    return {
        "id": info.id,
        "component": info.component,
        "kind": info.kind,
        "status": status,
        "score": info.points if status == "passed" else 0.0,
        "max_score": info.points,
        "message": _clip(message),
        "details": details,
    }

"""What can go wrong on the student's side of a call, as the judge sees it.

The sandbox raises these in the judge when a call into the student process does not
return plain data; the pytest plugin maps them to check statuses (``error``, ``timeout``,
``missing``). They carry text only, never objects from the student process.
"""
from __future__ import annotations


class StudentError(Exception):
    """Base class: the student's code did not give an answer. Maps to status ``error``."""

    status = "error"


class StudentRaised(StudentError):
    """The student's code raised an exception (its type name, message and trimmed traceback)."""

    def __init__(self, exc_type: str, message: str, traceback: str = "", where: str = "", call: str = "",
                 cause: str = "") -> None:
        self.exc_type, self.message, self.traceback, self.where = exc_type, message, traceback, where
        self.call = call    # the call as the check made it ("Pooling(2, 2, stride=1, pad=1).forward(x) with x = ...")
        self.cause = cause  # the likely cause, when one fits (grader.diagnose.exception_cause)
        super().__init__(f"{exc_type}: {message}" + (f" ({where})" if where else ""))


class StudentTimeout(StudentError):
    """The call did not finish within its time limit; the student process was killed."""

    status = "timeout"

    def __init__(self, seconds: float, what: str = "") -> None:
        self.seconds, self.what = seconds, what
        super().__init__(f"{what or 'call'} did not finish within {seconds:g} s (infinite loop?)")


class StudentCrashed(StudentError):
    """The student process died: sys.exit/os._exit, a segfault, or the memory cap."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class StudentMissing(StudentError):
    """The component is not defined in the submission. Maps to status ``missing``."""

    status = "missing"

    def __init__(self, name: str, hint: str = "") -> None:
        self.name, self.hint = name, hint
        super().__init__(f"`{name}` is not defined in your submission" + (f": {hint}" if hint else ""))


class StudentBadValue(StudentError):
    """The student's code returned something that is not plain data (or not the expected type)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)

"""A student process answers on the CPU its judge is waiting on.

Judge and student process take turns (the judge sends a request and blocks until the reply), so they never need
two CPUs at once; but when the scheduler wakes the student on the other CPU, every round trip pays two cross-CPU
wake-ups and cold caches. On a 2-core VM that is about 1 ms per small call instead of 0.4 ms. So before each
request the judge moves its student process to the CPU the judge is running on, when that changed since the last
request (one ``sched_setaffinity``; reading the current CPU costs a fraction of a microsecond). The fork server and
the spare student process being confined meanwhile stay free to use the other CPUs. Processes the student's code
starts inherit the one CPU (it gets no more of the machine than its judge's turn). Nothing here is a confinement
measure: a student may change its own affinity, and that only costs it time.
"""
from __future__ import annotations

import ctypes
import os

try:
    _sched_getcpu = ctypes.CDLL(None, use_errno=True).sched_getcpu
    _sched_getcpu.restype = ctypes.c_int
except (OSError, AttributeError):  # not glibc/musl on Linux: nothing to follow
    _sched_getcpu = None


def current_cpu() -> int:
    """The CPU this thread runs on now, or -1 where that is unknown."""
    return _sched_getcpu() if _sched_getcpu is not None else -1


class Follower:
    """Keeps one process on the judge's current CPU: call :meth:`follow` before each request."""

    def __init__(self, pid: int) -> None:
        self.pid, self.cpu = pid, -1
        self.useful = _sched_getcpu is not None and len(os.sched_getaffinity(0)) > 1

    def follow(self) -> None:
        if not self.useful:
            return
        cpu = _sched_getcpu()
        if cpu == self.cpu or cpu < 0:
            return
        try:
            os.sched_setaffinity(self.pid, {cpu})
            self.cpu = cpu
        except OSError:  # it is gone (the request will say so) or not ours to move: stop trying
            self.useful = False

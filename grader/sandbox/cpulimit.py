"""A call's time limit counts the student process's CPU time, not the wall clock.

A check's ``timeout`` (and a loading statement's) is what the student's code may *compute*. Measured on the
wall clock, the same correct submission would time out on a busy machine (a shared grading server, a Dask
worker next to other work) and pass on an idle one: its verdict would depend on the machine's load. So the
judge waits for a reply until the student process has used ``seconds`` of CPU time, read from the kernel's
per-process CPU clocks (one ``clock_gettime`` per call; the process tree's clocks are only read again when
the call runs past ``seconds`` of wall time).

Code that waits instead of computing (``time.sleep``, a blocked read) uses no CPU time: a wall-clock
backstop of ``WALL_FACTOR`` times the limit ends it. Both give the same verdict, "did not finish within
``seconds`` s". On an idle machine a busy loop is stopped after ``seconds`` as before; under load the judge
waits longer, for the student's share of the CPU.

What is counted: the process that runs the student's code (all its threads; where a keeper made its PID
namespace, the keeper's child, not the keeper, which only waits). A child process that student code forks is not counted (it is killed with the tree; the backstop
bounds it). Where a clock cannot be read (the process is gone), the wall clock decides, as before.
"""
from __future__ import annotations

import time

WALL_FACTOR = 5.0  # a call that waits rather than computes ends after this many times its limit
STEP = 0.02  # seconds: the shortest wait between two readings of the clocks


def cpu_clock(pid: int) -> int:
    """The kernel's CPU-time clock of process ``pid`` (CPUCLOCK_SCHED of its whole thread group)."""
    return ((~pid) << 3) | 2


def student_pid(keeper: int) -> int:
    """The process that runs the student's code, given the process the fork server forked when that may be a
    keeper: the keeper's only child (the keeper just waits for it), else the process itself."""
    try:
        with open(f"/proc/{keeper}/task/{keeper}/children") as fh:
            children = [int(pid) for pid in fh.read().split()]
    except (OSError, ValueError):
        children = []
    return children[0] if len(children) == 1 else keeper


_SPENT = 0.0  # CPU seconds that calls from this judge process used, each at most its limit


def spent() -> float:
    """CPU seconds the student processes of this judge process have used in calls so far (each call counted at
    most up to its limit): the per-submission budget is charged from it, so it does not run out sooner on a busy
    machine. A judge runs one check at a time, so the difference over a check is that check's."""
    return _SPENT


class CpuLimit:
    """One call's limit: ``seconds`` of the student's CPU time, at most ``WALL_FACTOR * seconds`` of wall time."""

    def __init__(self, clock: int, seconds: float) -> None:
        self.clock, self.seconds = clock, seconds
        self.started = time.monotonic()
        self.backstop = self.started + WALL_FACTOR * seconds
        self.cpu_at_start = self._cpu()
        self.timed_out = False  # set by the judge when it gave up waiting: the call is charged its whole limit
        self.charged = 0.0  # what the call cost, once it is over (finish)

    def _cpu(self) -> float | None:
        try:
            return time.clock_gettime(self.clock)
        except OSError:  # the process is gone: its death is already on the way to the judge
            return None

    def used(self) -> float:
        """CPU seconds the student used since the call began (the wall time if a clock cannot be read)."""
        now = self._cpu()
        if now is None or self.cpu_at_start is None:
            return time.monotonic() - self.started
        return now - self.cpu_at_start

    def finish(self) -> float:
        """The call is over: the CPU seconds it used (at most its limit; all of it once it timed out, also when it
        was waiting rather than computing), added to :func:`spent`."""
        global _SPENT
        self.charged = self.seconds if self.timed_out else min(self.used(), self.seconds)
        _SPENT += self.charged
        return self.charged

    def seconds_left(self) -> float:
        """How long to wait before asking again; 0 or less: the limit is used up."""
        now = time.monotonic()
        wall_left = self.backstop - now
        if wall_left <= 0:
            return 0.0
        elapsed = now - self.started
        if elapsed < self.seconds:  # one thread cannot have used more CPU than this: no need to read clocks
            return min(self.seconds - elapsed, wall_left)
        left = self.seconds - self.used()
        return left if left <= 0 else min(max(left, STEP), wall_left)

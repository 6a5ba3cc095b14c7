"""A judge keeps one CPU while it grades a submission, and its student process answers on that CPU.

Judge and student process take turns (the judge sends a request and blocks until the reply), so they never need
two CPUs at once; but when the scheduler wakes the student on the other CPU, every round trip pays two cross-CPU
wake-ups and cold caches. On a 2-core VM that is about 1 ms per small call instead of 0.4 ms. So before each
request the judge moves its student process to the CPU the judge is running on, when that changed since the last
request (one ``sched_setaffinity``; reading the current CPU costs a fraction of a microsecond). The fork server and
the spare student process being confined meanwhile stay free to use the other CPUs. Processes the student's code
starts inherit the one CPU (it gets no more of the machine than its judge's turn). Nothing here is a confinement
measure: a student may change its own affinity, and that only costs it time.

Following is not enough if the judge itself moves: a judge that blocks while its student process computes is
woken on whichever CPU is idle at that moment, the other one, and then moves its student there at the next request:
two migrations per call, caches cold on both sides (0.7 ms per small call instead of 0.3 ms). So each judge also
*sits* on one CPU for the length of a submission (:class:`JudgeSeat`): at a submission's start it lets the
scheduler place it (a short sleep with every allowed CPU open), keeps the CPU it woke on unless another judge of
the same run holds it (:class:`Seats`, shared memory made before the judges fork), and goes back to its whole CPU
set when the run ends. Re-choosing at every submission lets a judge leave a CPU that something else made busy.

Work that is not the judge's turn keeps off the judges' CPUs where CPUs are to spare: the fork server (and the
spares it forks) runs on the CPUs no judge of the run sits on (:meth:`JudgeSeat.keep_off`), and a student process
about to be killed leaves its judge's CPU first (:meth:`Follower.let_go`), so that its exit does not take the
judge's turn.
"""
from __future__ import annotations

import contextlib
import ctypes
import mmap
import os
import struct
import time

try:
    _sched_getcpu = ctypes.CDLL(None, use_errno=True).sched_getcpu
    _sched_getcpu.restype = ctypes.c_int
except (OSError, AttributeError):  # not glibc/musl on Linux: nothing to follow
    _sched_getcpu = None


try:  # the CPUs this judge may use, read before any judge sits (forked judge workers inherit it)
    _JUDGE_CPUS = set(os.sched_getaffinity(0))
except (AttributeError, OSError):
    _JUDGE_CPUS = set()


def current_cpu() -> int:
    """The CPU this thread runs on now, or -1 where that is unknown."""
    return _sched_getcpu() if _sched_getcpu is not None else -1


class Follower:
    """Keeps one process on the judge's current CPU: call :meth:`follow` before each request."""

    def __init__(self, pid: int) -> None:
        self.pid, self.cpu = pid, -1
        try:  # its own CPUs and those the judge may use (a seated judge has one; a spare kept off it may have one too)
            self.home = set(os.sched_getaffinity(pid))
            self.useful = _sched_getcpu is not None and len(self.home | _JUDGE_CPUS) > 1
        except OSError:
            self.home, self.useful = set(), False

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

    def let_go(self, *others: int) -> None:
        """Before the process (and ``others``: its keeper, where it has one) is killed: off the judge's CPU, so
        that their exits (freeing a process's memory takes about a millisecond) run beside the judge instead of
        in its turn."""
        if not self.useful:
            return
        cpu = self.cpu if self.cpu >= 0 else _sched_getcpu()
        elsewhere = ((self.home | _JUDGE_CPUS) - {cpu}) or self.home  # a spare's set may be the judge's CPU alone
        for pid in (self.pid, *others):
            with contextlib.suppress(OSError):
                os.sched_setaffinity(pid, elsewhere)


SLOT = struct.Struct("i")  # one judge's CPU in :class:`Seats` (-1: none)
PLACE_SECONDS = 0.0002  # the sleep that lets the scheduler place a judge on an idle CPU


class Seats:
    """The CPU each judge of one run sits on, in shared memory: make it before forking the judges."""

    def __init__(self, judges: int) -> None:
        self.judges = judges
        self.memory = mmap.mmap(-1, SLOT.size * judges)  # MAP_SHARED: the forked judges see each other's writes
        for judge in range(judges):
            self.set(judge, -1)

    def set(self, judge: int, cpu: int) -> None:
        SLOT.pack_into(self.memory, SLOT.size * judge, cpu)

    def held_by_others(self, judge: int) -> set[int]:
        return {SLOT.unpack_from(self.memory, SLOT.size * other)[0] for other in range(self.judges) if other != judge}

    def held(self) -> set[int]:
        """The CPUs the run's judges sit on now."""
        return self.held_by_others(-1) - {-1}


class JudgeSeat:
    """One judge thread's CPU: :meth:`sit` at each submission's start, :meth:`stand` when the run ends."""

    def __init__(self, seats: Seats | None = None, judge: int = 0) -> None:
        self.seats, self.judge = seats, judge
        self.allowed = set(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else set()
        self.useful = _sched_getcpu is not None and len(self.allowed) > 1
        self.cpu = -1

    def sit(self) -> int:
        """Sit on a CPU for the next submission; returns it (-1 where this machine has one CPU or none to choose)."""
        if not self.useful:
            return -1
        try:
            if self.cpu >= 0:
                os.sched_setaffinity(0, self.allowed)
                time.sleep(PLACE_SECONDS)  # woken where the scheduler finds room
            cpu = self._free(_sched_getcpu())
            if self.seats is not None:
                self.seats.set(self.judge, cpu)
                if cpu in self.seats.held_by_others(self.judge) and self.judge > 0:  # two judges chose at once:
                    cpu = self._free(cpu)  # the later one (by number) moves
                    self.seats.set(self.judge, cpu)
            os.sched_setaffinity(0, {cpu})
        except OSError:  # a CPU went offline, or a cgroup's cpuset changed: stay free
            self.useful = False
            return -1
        self.cpu = cpu
        return cpu

    def _free(self, cpu: int) -> int:
        """``cpu`` if no other judge of the run holds it, else the first CPU nobody holds (``cpu`` if none)."""
        taken = self.seats.held_by_others(self.judge) if self.seats is not None else set()
        if cpu in taken or cpu not in self.allowed:
            return min(self.allowed - taken, default=cpu)
        return cpu

    def keep_off(self, pid: int) -> None:
        """Let process ``pid`` (the fork server, and with it the student processes it forks from then on) run only
        on the CPUs no judge of the run sits on, or on all of them when there are none: its work (forking and
        confining the next spare, reaping the last) then runs beside the judges instead of in their turns."""
        if not self.useful or self.seats is None:
            return
        with contextlib.suppress(OSError):  # set each time: another judge of the run may have moved it since
            os.sched_setaffinity(pid, (self.allowed - self.seats.held()) or self.allowed)

    def stand(self) -> None:
        """Back to every CPU this thread had before its first :meth:`sit`."""
        if self.cpu >= 0:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(0, self.allowed)
            if self.seats is not None:
                self.seats.set(self.judge, -1)
        self.cpu = -1

"""Judge workers forked from the pytest session that collected the checks (instead of pytest-xdist).

``grader grade`` collects the check modules once, in its own process. With ``--jobs N`` this plugin then
forks N - 1 judge workers from that process, and the session itself is the N-th. A fork costs
milliseconds, where an xdist worker is a fresh Python that imports pytest, NumPy and the checks and
collects them again (about a second).

Every judge (the session and its workers) takes one submission at a time from a shared queue (a pipe
holding the submissions' numbers), so a slow submission holds up one judge, not a pre-assigned share of
the class, and runs its checks with pytest's own ``runtestprotocol``. Workers send their test reports
back; the session logs them as if it had run those checks itself (``VerdictCollector`` and pytest's
own reporting work as usual).

The session starts its fork server while it collects (a Python importing NumPy: about 0.2 s that then
costs no wall-clock time; see ``grader.sandbox.process.boot_fork_server``); each worker uses it too, on a control channel of its own
(``grader.sandbox.process.fork_server_channel``). Judges never
run student code themselves. A worker that dies (a bug in the judge) loses nothing: the session grades
what it had not finished.
"""
from __future__ import annotations

import fcntl
import json
import os
import queue
import select
import socket
import struct
import sys
import threading
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest
from _pytest.runner import runtestprotocol

from grader.sandbox.affinity import JudgeSeat, Seats

LENGTH = struct.Struct("!I")
RECORD = struct.Struct("!i")  # one submission's number in the work queue; STOP ends a judge's work
STOP = -1
F_SETPIPE_SZ = 1031


def send(sock: socket.socket, message: Any) -> None:
    data = json.dumps(message).encode()
    sock.sendall(LENGTH.pack(len(data)) + data)


def receive(sock: socket.socket) -> Any:
    """One message, or None when the other end closed."""
    head = _read_exactly(sock, LENGTH.size)
    if head is None:
        return None
    body = _read_exactly(sock, LENGTH.unpack(head)[0])
    return None if body is None else json.loads(body)


def _read_exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def submission_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("student") if callspec else None


def groups_of(items: list[pytest.Item]) -> list[list[pytest.Item]]:
    """The items grouped by submission, in collection order (pytest orders them submission by submission)."""
    groups: dict[Any, list[pytest.Item]] = {}
    for item in items:
        groups.setdefault(submission_of(item), []).append(item)
    return list(groups.values())


class WorkQueue:
    """Submission numbers in a pipe that every judge reads: a read of one record takes one submission."""

    def __init__(self, count: int, judges: int) -> None:
        self.lock = threading.Lock()  # the session's reader thread tops up too
        self.read_fd, self.write_fd = os.pipe()
        records = [*range(count), *[STOP] * judges]
        try:
            fcntl.fcntl(self.write_fd, F_SETPIPE_SZ, max(1 << 16, RECORD.size * len(records)))
        except OSError:  # larger than this system allows: the class is written as the pipe drains
            pass
        self.pending = b"".join(RECORD.pack(r) for r in records)
        os.set_blocking(self.write_fd, False)
        self.top_up()

    def top_up(self) -> None:
        """Write what fits of the remaining records (in the session only; whole records, at most PIPE_BUF)."""
        with self.lock:
            while self.pending:
                try:
                    written = os.write(self.write_fd, self.pending[:4096])
                except BlockingIOError:
                    return
                self.pending = self.pending[written:]

    def take(self) -> int:
        """The next submission's number (or STOP); blocks while the queue is empty."""
        return RECORD.unpack(os.read(self.read_fd, RECORD.size))[0]

    def take_here(self) -> int:
        """``take`` in the session, which keeps the pipe filled."""
        self.top_up()
        return self.take()

    def cancel(self, judges: int) -> None:
        """Nothing more to hand out (``-x``): drop what is queued, every judge gets its STOP."""
        os.set_blocking(self.read_fd, False)
        try:
            while os.read(self.read_fd, 1 << 16):
                pass
        except BlockingIOError:
            pass
        os.set_blocking(self.read_fd, True)
        with self.lock:
            self.pending = RECORD.pack(STOP) * judges
        self.top_up()


@dataclass
class Worker:
    pid: int
    sock: socket.socket
    group: int | None = None  # the submission it is grading
    done: set[str] = field(default_factory=set)  # node ids of that submission it has reported


class ForkedWorkers:
    """pytest plugin: the session and ``jobs - 1`` forked judge workers grade the class, submission by submission."""

    def __init__(self, jobs: int) -> None:
        self.jobs = jobs
        self.booting: threading.Event | None = None

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "xdist_group(name): the checks of one submission run in one worker")

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        if not session.config.getoption("--grader-in-process", False):
            from grader.sandbox.process import boot_fork_server

            self.booting = boot_fork_server()

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        if self.booting is not None:
            self.booting.wait()  # the keeper thread then only waits: this process may fork
        if session.testsfailed or session.config.option.collectonly:
            return None  # pytest's own loop says so
        groups = groups_of(session.items)
        jobs = max(1, min(self.jobs, len(groups)))
        work = WorkQueue(len(groups), jobs)
        seats = Seats(jobs)
        workers = [_fork(session, groups, work, JudgeSeat(seats, judge)) for judge in range(1, jobs)]
        _Session(session, groups, work, workers, jobs, JudgeSeat(seats, 0)).run()
        return True


def _fork(session: pytest.Session, groups: list[list[pytest.Item]], work: WorkQueue, seat: JudgeSeat) -> Worker:
    from grader.sandbox import process

    ours, theirs = socket.socketpair()
    channel = None if session.config.getoption("--grader-in-process", False) else process.fork_server_channel()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the worker (coverage does not follow forks)
        ours.close()
        code = 1
        try:
            process.use_fork_server_channel(channel)
            _serve(session, groups, work, theirs, seat)
            code = 0
        finally:
            process.stop_sandbox()
            os._exit(code)
    theirs.close()
    if channel is not None:
        channel.close()
    return Worker(pid, ours)


class _Session:
    """The session's side: grades submissions from the queue itself and logs its workers' reports
    between its own checks (a thread only reads them off the sockets)."""

    def __init__(self, session: pytest.Session, groups: list[list[pytest.Item]], work: WorkQueue,
                 workers: list[Worker], jobs: int, seat: JudgeSeat) -> None:
        self.session, self.groups, self.work, self.jobs, self.seat = session, groups, work, jobs, seat
        self.by_nodeid = {item.nodeid: item for group in groups for item in group}
        self.inbox: queue.Queue[tuple[Worker, Any]] = queue.Queue()
        self.workers = workers
        self.reader = threading.Thread(target=self._read_all, daemon=True)
        self.cancelled = False

    def run(self) -> None:
        self.reader.start()
        try:
            for item, nextitem in _items_taken(self.groups, _seated(self.work.take_here, self.seat)):
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
                self._log_inbox(block=False)
        finally:
            self.seat.stand()
        while self.reader.is_alive() or not self.inbox.empty():
            self._log_inbox(block=True)
        left = [i for w in self.workers if w.group is not None for i in self.groups[w.group] if i.nodeid not in w.done]
        for i, item in enumerate(left):  # a worker died in the middle of a submission: grade the rest here
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=left[i + 1] if i + 1 < len(left) else None)
        if self.session.shouldfail:
            raise self.session.Failed(self.session.shouldfail)
        if self.session.shouldstop:
            raise self.session.Interrupted(self.session.shouldstop)

    def _read_all(self) -> None:
        """In a thread: messages from every worker into ``inbox`` until all have exited; only I/O here."""
        live = {w.sock.fileno(): w for w in self.workers}
        while live:
            self.work.top_up()
            for fd in select.select(list(live), [], [], 0.2)[0]:
                worker = live[fd]
                message = receive(worker.sock)
                if message is None:
                    worker.sock.close()
                    os.waitpid(worker.pid, 0)
                    del live[fd]
                self.inbox.put((worker, message))

    def _log_inbox(self, block: bool) -> None:
        while True:
            try:
                worker, message = self.inbox.get(block=block, timeout=0.2 if block else None)
            except queue.Empty:
                return
            block = False
            if message is None:
                continue
            if "group" in message:
                worker.group, worker.done = message["group"], set()
            else:
                self._log(worker, message)
            if (self.session.shouldfail or self.session.shouldstop) and not self.cancelled:
                self.cancelled = True
                self.work.cancel(self.jobs)

    def _log(self, worker: Worker, message: dict[str, Any]) -> None:
        item = self.by_nodeid[message["nodeid"]]
        hook = item.ihook
        hook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        for data in message["reports"]:
            report = self.session.config.hook.pytest_report_from_serializable(config=self.session.config, data=data)
            hook.pytest_runtest_logreport(report=report)
        hook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        worker.done.add(item.nodeid)


def _serve(session: pytest.Session, groups: list[list[pytest.Item]], work: WorkQueue, sock: socket.socket,
           seat: JudgeSeat) -> None:
    """In a worker: grade submissions from the queue; send each check's reports as they come."""
    config = session.config

    def take() -> int:
        index = work.take()
        if index != STOP:
            send(sock, {"group": index})
        return index

    for item, nextitem in _items_taken(groups, _seated(take, seat)):
        reports = [r for r in runtestprotocol(item, log=False, nextitem=nextitem) if _worth_sending(r)]
        send(sock, {"nodeid": item.nodeid, "reports": [
            config.hook.pytest_report_to_serializable(config=config, report=r) for r in reports]})


def _seated(take: Any, seat: JudgeSeat) -> Any:
    """``take``, and the judge sits on a CPU for each submission it takes, its fork server off the judges' CPUs
    when there are CPUs to spare (grader/sandbox/affinity.py)."""
    from grader.sandbox import process

    def taken() -> int:
        index = take()
        if index != STOP:
            seat.sit()
            process.keep_fork_server_off(seat)
        return index

    return taken


def _worth_sending(report: pytest.TestReport) -> bool:
    """A passed set-up or tear-down says nothing the session's reporting uses (pytest's terminal reporter
    and the verdict collector skip them); leaving them out halves what the session has to log."""
    return report.when == "call" or not report.passed or bool(report.user_properties)


def _items_taken(groups: list[list[pytest.Item]], take: Any) -> Iterator[tuple[pytest.Item, pytest.Item | None]]:
    """(item, next item) over the submissions taken from the queue; the next submission is taken while the
    last check of the current one is pending, so that pytest knows what to tear down after it."""

    def next_group() -> list[pytest.Item] | None:
        index = take()
        return None if index == STOP else groups[index]

    group = next_group()
    while group is not None:
        for i, item in enumerate(group[:-1]):
            yield item, group[i + 1]
        following = next_group()
        yield group[-1], following[0] if following else None
        group = following

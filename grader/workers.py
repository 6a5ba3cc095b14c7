"""Judge workers forked from the pytest session that collected the checks (instead of pytest-xdist).

``grader grade`` collects the check modules once, in its own process; with ``--jobs N`` this plugin
then forks N judge workers from that process. A fork costs milliseconds, where an xdist worker is a
fresh Python that imports pytest, NumPy and the checks and collects them again (about a second).
Each worker asks the session for one submission at a time (so a slow submission holds up one
worker, not a pre-assigned share of the class), runs that submission's checks with pytest's own
``runtestprotocol`` and sends the test reports back; the session logs them as if it had run the
checks itself (``VerdictCollector``, ``--junitxml``, ``-x`` work as usual).

Workers are judges: they drive student processes through their own fork server (started in the
worker, never shared) and never run student code themselves. A worker that dies (a bug in the
judge) loses nothing: the session runs what it had not finished itself.
"""
from __future__ import annotations

import json
import os
import select
import socket
import struct
import sys
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import pytest
from _pytest.runner import runtestprotocol

LENGTH = struct.Struct("!I")
NO_MORE = -1


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


@dataclass
class Worker:
    pid: int
    sock: socket.socket
    group: int | None = None  # the group it is running
    done: set[str] = field(default_factory=set)  # node ids of that group it has reported


class ForkedWorkers:
    """pytest plugin: run the session's checks in ``jobs`` forked judge workers, submission by submission."""

    def __init__(self, jobs: int, before_fork: Callable[[], None] | None = None) -> None:
        self.jobs = jobs
        self.before_fork = before_fork

    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "xdist_group(name): the checks of one submission run in one worker")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        if session.testsfailed or session.config.option.collectonly:
            return None  # pytest's own loop says so
        groups = groups_of(session.items)
        jobs = min(self.jobs, len(groups))
        if jobs < 2:
            return None
        if self.before_fork:
            self.before_fork()
        left = _Dispatcher(session, groups, [self._fork(session, groups) for _ in range(jobs)]).run()
        for i, item in enumerate(left):  # a worker died: the session grades what it had not finished
            item.config.hook.pytest_runtest_protocol(item=item, nextitem=left[i + 1] if i + 1 < len(left) else None)
        if session.shouldfail:
            raise session.Failed(session.shouldfail)
        if session.shouldstop:
            raise session.Interrupted(session.shouldstop)
        return True

    def _fork(self, session: pytest.Session, groups: list[list[pytest.Item]]) -> Worker:
        ours, theirs = socket.socketpair()
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the worker (coverage does not follow forks)
            ours.close()
            code = 1
            try:
                _forget_inherited_sandbox()
                _serve(session, groups, theirs)
                code = 0
            finally:
                _stop_sandbox()
                os._exit(code)
        theirs.close()
        return Worker(pid, ours)


class _Dispatcher:
    """The session's side: hands out groups, logs the workers' reports, notices a worker's death."""

    def __init__(self, session: pytest.Session, groups: list[list[pytest.Item]], workers: list[Worker]) -> None:
        self.session, self.groups, self.workers = session, groups, workers
        self.next_group = 0
        self.by_nodeid = {item.nodeid: item for group in groups for item in group}
        self.unfinished: list[pytest.Item] = []

    def run(self) -> list[pytest.Item]:
        """Until every worker has exited; returns the items that dead workers did not finish."""
        live = {w.sock.fileno(): w for w in self.workers}
        while live:
            for fd in select.select(list(live), [], [])[0]:
                worker = live[fd]
                message = receive(worker.sock)
                if message is None:
                    self._lost(worker)
                    del live[fd]
                elif "ask" in message:
                    send(worker.sock, self._hand_out(worker))
                else:
                    self._log(worker, message)
        return self.unfinished

    def _hand_out(self, worker: Worker) -> int:
        stop = self.session.shouldfail or self.session.shouldstop
        if stop or self.next_group >= len(self.groups):
            worker.group = None
            return NO_MORE
        worker.group, worker.done = self.next_group, set()
        self.next_group += 1
        return worker.group

    def _log(self, worker: Worker, message: dict[str, Any]) -> None:
        item = self.by_nodeid[message["nodeid"]]
        hook = item.ihook
        hook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        for data in message["reports"]:
            report = self.session.config.hook.pytest_report_from_serializable(config=self.session.config, data=data)
            hook.pytest_runtest_logreport(report=report)
        hook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        worker.done.add(item.nodeid)

    def _lost(self, worker: Worker) -> None:
        worker.sock.close()
        _, status = os.waitpid(worker.pid, 0)
        if worker.group is not None:  # it died in the middle of a submission
            self.unfinished += [i for i in self.groups[worker.group] if i.nodeid not in worker.done]


def _serve(session: pytest.Session, groups: list[list[pytest.Item]], sock: socket.socket) -> None:
    """In a worker: run the groups the session hands out; send each item's reports as they come."""
    config = session.config
    for item, nextitem in _items_handed_out(groups, sock):
        reports = runtestprotocol(item, log=False, nextitem=nextitem)
        send(sock, {"nodeid": item.nodeid, "reports": [
            config.hook.pytest_report_to_serializable(config=config, report=r) for r in reports]})


def _items_handed_out(groups: list[list[pytest.Item]], sock: socket.socket
                      ) -> Iterator[tuple[pytest.Item, pytest.Item | None]]:
    """(item, next item) over the groups the session hands out; the next group is asked for while the
    last item of the current one is pending, so that pytest knows what to tear down after it."""

    def ask() -> list[pytest.Item] | None:
        send(sock, {"ask": True})
        index = receive(sock)
        return None if index is None or index == NO_MORE else groups[index]

    group = ask()
    while group is not None:
        for i, item in enumerate(group[:-1]):
            yield item, group[i + 1]
        following = ask()
        yield group[-1], following[0] if following else None
        group = following


def _forget_inherited_sandbox() -> None:
    """A forked worker must start its own fork server: one inherited from the session would share its
    control socket with the session (the session starts none before forking, this is a safeguard)."""
    from grader.sandbox import process

    process._SERVER = None
    process._LIVE.clear()


def _stop_sandbox() -> None:
    """Stop this worker's fork server and its spare student process (``os._exit`` skips atexit)."""
    from grader.sandbox import process

    process._shutdown()

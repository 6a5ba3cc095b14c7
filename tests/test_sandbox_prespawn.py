"""The fork server client's spare student process (forked ahead, taken by the next submission of the
same configuration) and its asynchronous requests: the spare holds no submission, is replaced when its
configuration does not fit or it died, and nothing of it outlives the client."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from grader.sandbox import Student
from grader.sandbox.process import (
    ForkServerClient, Forked, default_scratch_root, fork_server, sandbox_processes,
)
from grader.sandbox.protocol import encode_message, recv_frame, send_frame
from grader.sandbox.testing import submission


def config(**changes: object) -> dict:
    return {"memory_mb": 2048, "cpu_seconds": 600, "namespaces": True, **changes}


def no_scratch(path: str) -> bool:
    """A scratch dir is gone (in the allow-list root there is none on the host: its tmpfs vanishes)."""
    return not path or not Path(path).exists()


def ask(forked: Forked, op: str) -> dict:
    send_frame(forked.sock, encode_message({"op": op}))
    return recv_frame(forked.sock, time.monotonic() + 30)[0]


def gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().split(b")")[-1].split()[0] == b"Z"
    except OSError:
        return True


def wait_until(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


@pytest.fixture
def client():
    """A fork server of its own (the judge's shared one keeps serving the other tests)."""
    server = ForkServerClient(default_scratch_root())
    yield server
    server.terminate()


def test_a_student_process_leaves_a_spare_that_holds_no_submission(client):
    taken = client.student(config(), default_scratch_root(), "alice")
    assert not taken.scratch or Path(taken.scratch).name.startswith("alice-")
    spare = client.spare
    assert spare is not None and spare is not taken
    client.read_until(lambda: spare.pid is not None)
    assert not gone(spare.pid)
    assert not spare.scratch or os.listdir(spare.scratch) == []
    again = client.student(config(), default_scratch_root(), "bob")
    assert again is spare, "the next student process of the same configuration is the spare"
    reply = ask(again, "names")
    assert reply["ok"] and reply["names"] == {}, "the spare was given a submission before it was taken"


def test_a_spare_of_another_configuration_is_killed_and_not_used(client):
    client.student(config(), default_scratch_root(), "alice")
    old = client.spare
    client.read_until(lambda: old.pid is not None)
    old_pid, old_scratch = old.pid, old.scratch
    other = client.student(config(memory_mb=1024), default_scratch_root(), "bob")
    assert other is not old
    assert wait_until(lambda: gone(old_pid)), "the unfitting spare was not killed"
    assert no_scratch(old_scratch)
    assert ask(other, "ping")["ok"]
    assert client.spare is not None and client.spare.key == other.key


def test_a_spare_that_died_waiting_is_replaced(client):
    client.student(config(), default_scratch_root(), "alice")
    spare = client.spare
    client.read_until(lambda: spare.pid is not None)
    os.kill(spare.pid, signal.SIGKILL)
    assert wait_until(lambda: gone(spare.pid))
    taken = client.student(config(), default_scratch_root(), "bob")
    assert taken is not spare and ask(taken, "ping")["ok"]


def test_nothing_of_the_spare_outlives_the_client():
    client = ForkServerClient(default_scratch_root())
    taken = client.student(config(), default_scratch_root(), "alice")
    spare = client.spare
    client.read_until(lambda: spare.pid is not None)
    scratches = [taken.scratch, spare.scratch]
    assert len(sandbox_processes(client.token)) >= 3  # the server, the taken process, the spare
    client.terminate()
    assert wait_until(lambda: sandbox_processes(client.token) == []), "a student process outlived its fork server"
    assert all(no_scratch(s) for s in scratches)


def test_replies_are_matched_to_requests_in_order(client):
    got = []
    for pid in (1, 2, 3):  # not children of the server: it answers without killing anything
        client.post({"cmd": "reap", "pid": pid, "kill": False, "grace": 0}, on_reply=lambda r, fds: got.append(r))
    hello, _ = client.call({"cmd": "hello"})
    assert hello["pid"] == client.pid
    assert got == [{"status": None}] * 3


def test_closing_a_student_kills_its_tree_and_deletes_its_scratch_without_waiting():
    proxy = Student(submission("def f():\n    return 1\n"))
    assert proxy.f() == 1
    backend = proxy._backend
    pid, scratch = backend.pid, backend.scratch
    proxy.close()
    assert no_scratch(scratch)
    assert wait_until(lambda: gone(pid))
    assert wait_until(lambda: pid not in sandbox_processes())
    assert fork_server().spare is not None, "the judge's fork server keeps a spare for the next submission"

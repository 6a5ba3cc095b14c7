"""Judge workers forked from the judge share its fork server, each on a control channel of its own
(grader/sandbox/process.py ``fork_server_channel``/``use_fork_server_channel``; grader/workers.py uses them):
one fork server per grading run, and a worker that dies takes its student processes with it."""
from __future__ import annotations

import json
import os
import threading
import time

import numpy as np
import pytest

from grader.sandbox import Student
from grader.sandbox import process
from grader.sandbox.testing import submission

SOURCE = "def double(x):\n    return 2 * x\n\ndef spin():\n    while True:\n        pass\n"


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _in_worker(channel, write_fd: int, crash: bool) -> None:
    """In a forked child: grade through the shared server, report what it used, then end (or die)."""
    code = 1
    try:
        process.use_fork_server_channel(channel)
        student = Student(submission(SOURCE))
        value = student.double(np.arange(3.0)).tolist()
        report = {"server": process.fork_server().pid, "student": student._backend.pid, "value": value}
        if crash:  # the student is busy in its own loop (it never reads its channel's end) when its worker dies
            threading.Thread(target=student.spin, daemon=True).start()
            time.sleep(0.3)
        os.write(write_fd, json.dumps(report).encode())
        if not crash:
            process.stop_sandbox()
        code = 0
    finally:
        os._exit(code)


def _worker(crash: bool) -> dict:
    server = process.fork_server()
    channel = process.fork_server_channel()
    assert channel is not None
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read_fd)
        _in_worker(channel, write_fd, crash)
    os.close(write_fd)
    channel.close()
    with os.fdopen(read_fd, "rb") as fh:
        report = json.loads(fh.read())
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    report["judge_server"] = server.pid
    return report


@pytest.mark.parametrize("crash", [False, True], ids=["worker-ends", "worker-dies-while-its-student-spins"])
def test_a_forked_worker_grades_through_the_judges_fork_server(crash: bool) -> None:
    report = _worker(crash)
    assert report["value"] == [0.0, 2.0, 4.0]
    assert report["server"] == report["judge_server"]  # no fork server of its own
    deadline = time.monotonic() + 10
    while _alive(report["student"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(report["student"]), "the worker's student process outlived its worker"
    # the judge's own use of the server is unaffected
    with Student(submission(SOURCE)) as student:
        assert student.double(1.5) == 3.0
    assert process.fork_server().pid == report["judge_server"]

"""The allow-list root and what a student process can learn about the grader (issue 8, classes 1, 2, 4, 7, 10):
nothing it can read, list, inherit or find in its memory names where the grader lives; no trusted helper is
in an ordinary student process; the network is gone; memory and disk are capped; a trusted stand-in runs
only in a separate process, built from the helper's source alone."""
from __future__ import annotations

import os
import socket
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from grader.errors import StudentCrashed, StudentRaised
from grader.sandbox import Student, isolation_available
from grader.sandbox.process import PROJECT_ROOT
from grader.sandbox.standins import source_of
from grader.sandbox.testing import submission
from grader.sandbox.trusted import TRUSTED

pytestmark = pytest.mark.skipif(not isolation_available(), reason="needs the allow-list root")

PROBES = '''
import gc, os, socket, sys, types

def texts():
    """Everything a process can read about itself and its surroundings, as text."""
    found = [repr(dict(os.environ)), repr(sys.path), sys.executable, sys.prefix, repr(sys.argv),
             repr(getattr(sys, "orig_argv", [])), os.getcwd()]
    for name in ("environ", "cmdline", "mountinfo", "maps", "cgroup"):
        try:
            found.append(open("/proc/self/" + name, "rb").read().decode(errors="replace"))
        except OSError:
            pass
    for fd in os.listdir("/proc/self/fd"):
        try:
            found.append(os.readlink("/proc/self/fd/" + fd))
        except OSError:
            pass
    for folder, dirs, files in os.walk("/"):
        if folder.startswith("/proc"):
            dirs.clear()
            continue
        found.append(folder)
    for obj in gc.get_objects():
        if isinstance(obj, types.CodeType):
            found.append(obj.co_filename)
        elif isinstance(obj, types.ModuleType):
            found.append(str(getattr(obj, "__file__", "")))
    return "\\n".join(found)

def function_names():
    """(module, name) of every function object in the process."""
    return sorted({(str(getattr(f, "__module__", "")), f.__name__) for f in gc.get_objects()
                   if isinstance(f, (types.FunctionType, type))})

def connect(host, port):
    try:
        socket.create_connection((host, port), timeout=1).close()
        return "connected"
    except OSError as exc:
        return type(exc).__name__

def interfaces():
    return sorted(name for _, name in socket.if_nameindex())

def fill(path, megabytes):
    """Write files of 32 MiB (under the file-size rlimit) until ``megabytes`` or an error."""
    chunk = b"x" * 2**20
    written = 0
    try:
        while written < megabytes:
            with open(f"{path}-{written}", "wb") as fh:
                for _ in range(32):
                    fh.write(chunk)
                    fh.flush()
                    written += 1
    except OSError as exc:
        return written, exc.strerror
    return written, None

def memfd(megabytes, held=[]):
    """Hold ``megabytes`` in memfd files of 32 MiB each (under the file-size rlimit)."""
    chunk = b"x" * 2**20
    for i in range(megabytes):
        if i % 32 == 0:
            held.append(os.memfd_create("hog"))
        os.write(held[-1], chunk)
    return megabytes

def uses_helper(x):
    return im2col(x, 2, 2)
'''


@pytest.fixture(scope="module")
def student():
    proxy = Student(submission(PROBES))
    proxy.set_context("allowlist", 60.0)
    yield proxy
    proxy.close()


def test_nothing_the_process_can_read_names_where_the_grader_lives(student):
    seen = student.texts()
    here = {str(PROJECT_ROOT), os.path.realpath(PROJECT_ROOT), os.path.dirname(np.__file__)}
    if sys.prefix != sys.base_prefix:  # a virtual environment (the README's .venv) holds the grader's packages;
        here.add(sys.prefix)           # without one, sys.prefix is the interpreter's own, whose stdlib is allowed
    for place in here:
        assert place not in seen, place
    assert "reference" not in {Path(line).name for line in seen.splitlines()}


def test_no_trusted_helper_is_in_an_ordinary_student_process(student):
    names = student.function_names()
    assert not [m for m, _ in names if "trusted" in m], names
    stand_ins = {getattr(f, "__name__", n) for n, f in TRUSTED.items()}
    mine = {n for m, n in names if m != "submission"}
    assert not (stand_ins & mine), stand_ins & mine


def test_a_stand_in_runs_in_a_separate_process_that_holds_only_its_helper(student):
    x = np.arange(2 * 1 * 3 * 3, dtype=float).reshape(2, 1, 3, 3)
    with pytest.raises(StudentRaised):
        student.uses_helper(x)  # the submission has no im2col
    ordinary_pid = student._backend.pid
    with student.replaced("im2col"):
        assert student._backend.pid != ordinary_pid
        assert student.uses_helper(x).shape == (8, 4)
        names = {n for _, n in student.function_names()}
        assert "im2col" in names and "col2im" not in names and "Affine" not in names
    assert student._backend.pid == ordinary_pid
    assert "im2col" not in {n for _, n in student.function_names()}


def test_the_stand_in_source_is_the_helper_and_what_it_uses_only():
    text = source_of("im2col")
    assert "def im2col" in text and "def _windows" in text
    assert "def col2im" not in text and "Registry" not in text and "grader" not in text


class Listener:
    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port, self.accepted = self.sock.getsockname()[1], []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while True:
            try:
                self.accepted.append(self.sock.accept())
            except OSError:
                return


def test_there_is_no_network(student):
    listener = Listener()
    try:
        assert student.connect("127.0.0.1", listener.port) != "connected"
        assert student.interfaces() == ["lo"]
        assert listener.accepted == []
    finally:
        listener.sock.close()


def test_the_writable_folders_share_one_size_cap(student):
    written, error = student.fill("/dev/shm/big", 400)
    assert error == "No space left on device" and 200 < written <= 256
    written, error = student.fill("/var/tmp/more", 400)
    assert error == "No space left on device" and written < 8


def test_memory_in_a_memfd_is_counted(student):
    if "cgroup" not in student.isolation_level:
        pytest.skip("no writable cgroup here: memory is capped by RLIMIT_AS only")
    with pytest.raises(StudentCrashed, match="SIGKILL"):
        student.memfd(3000)

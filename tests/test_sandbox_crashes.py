"""Hostile and broken submissions end as StudentCrashed/StudentTimeout/StudentRaised in the judge,
never hang or crash it, leave no process behind, and the next call works after a transparent restart."""
from __future__ import annotations

import time

import numpy as np
import pytest

from grader.errors import StudentBadValue, StudentCrashed, StudentRaised, StudentTimeout
from grader.sandbox import Student, isolation_available
from grader.sandbox.process import PROJECT_ROOT, sandbox_processes
from grader.sandbox.testing import submission

SOURCE = '''
import ctypes, os, signal, sys, time
import numpy as np

def ok(x):
    return x + 1

def call_sys_exit():
    sys.exit(3)

def call_os_exit():
    os._exit(4)

def segfault():
    return ctypes.string_at(0)

def interrupt():
    raise KeyboardInterrupt

def raise_system_exit():
    raise SystemExit("bye")

def raise_base_exception():
    raise BaseException("odd")

def spin_ignoring_signals():
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        pass

def fork_children(n):
    made = 0
    for _ in range(n):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            time.sleep(120)
            os._exit(0)
        made += 1
    return made

def leave_setsid_child():
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            time.sleep(120)
        os._exit(0)
    os.waitpid(pid, 0)
    return True

def allocate_50_gb():
    big = np.ones(50 * 2**30 // 8)
    return big.sum()

def huge_result():
    return np.broadcast_to(np.zeros(1), (2**20, 2**14))

def deep_result():
    out = []
    for _ in range(10**4):  # deeper than the recursion limit, and quick to build on a busy machine
        out = [out]
    return out

def make_counter():
    class Counter:
        n = 0
    return Counter()
'''


def settle(baseline: set[int], seconds: float = 3.0) -> set[int]:
    """Processes of this judge's fork server beyond ``baseline``, after giving kills a moment."""
    deadline = time.monotonic() + seconds
    while True:
        extra = set(sandbox_processes()) - baseline
        if not extra or time.monotonic() > deadline:
            return extra
        time.sleep(0.05)


@pytest.fixture(params=[True, False], ids=["namespaces", "no-namespaces"])
def student(request):
    Student(submission("x = 1")).close()  # make sure the fork server runs before the baseline
    baseline = set(sandbox_processes())
    proxy = Student(submission(SOURCE), namespaces=request.param)
    proxy.set_context("crash-tests", 1.5)
    assert proxy.ok(1) == 2
    yield proxy
    proxy.close()
    assert settle(baseline) == set(), "a student process was left behind"


def restarted_and_working(student: Student, generation: int) -> None:
    assert student.ok(41) == 42
    assert student._backend.generation > generation


@pytest.mark.parametrize("name, error, text", [
    ("call_os_exit", StudentCrashed, "exited with status 4"),
    ("segfault", StudentCrashed, "segmentation fault"),
])
def test_the_process_dying_is_a_crash(student, name, error, text):
    generation = student._backend.generation
    with pytest.raises(error, match=text):
        getattr(student, name)()
    restarted_and_working(student, generation)


@pytest.mark.parametrize("name, exc_type", [
    ("call_sys_exit", "SystemExit"), ("interrupt", "KeyboardInterrupt"), ("raise_system_exit", "SystemExit"),
    ("raise_base_exception", "BaseException"), ("allocate_50_gb", "MemoryError"),
])
def test_base_exceptions_and_memory_errors_are_student_errors(student, name, exc_type):
    with pytest.raises(StudentRaised) as info:
        getattr(student, name)()
    assert exc_type in info.value.exc_type
    assert student.ok(1) == 2  # same process, still serving


def test_an_infinite_loop_ignoring_signals_times_out_and_is_killed(student):
    generation = student._backend.generation
    student.set_context("spin", 0.5)
    t0 = time.monotonic()
    with pytest.raises(StudentTimeout):
        student.spin_ignoring_signals()
    assert time.monotonic() - t0 < 5
    restarted_and_working(student, generation)


def test_children_and_escaped_grandchildren_are_killed(student):
    assert student.fork_children(20) == 20
    assert student.leave_setsid_child() is True
    assert student.ok(1) == 2
    # close happens in the fixture, which asserts that nothing is left


def test_a_fork_bomb_is_bounded(student):
    student.set_context("bomb", 10.0)
    made = student.fork_children(500)
    assert made < 500  # RLIMIT_NPROC for the student's own uid stops it


@pytest.mark.parametrize("name", ["huge_result", "deep_result"])
def test_oversized_results_are_bad_values_not_judge_memory(student, name):
    with pytest.raises(StudentBadValue):
        getattr(student, name)()
    assert student.ok(1) == 2


def test_handles_from_before_a_restart_are_dead(student):
    counter = student.make_counter()
    assert counter.n == 0
    with pytest.raises(StudentCrashed):
        student.call_os_exit()
    with pytest.raises(StudentCrashed, match="restarted"):
        counter.n


def test_load_time_hang_and_exit_become_notes_and_the_rest_loads():
    source = "def a():\n    return 1\nwhile True:\n    pass\nimport os\nos._exit(9)\ndef b():\n    return 2\n"
    with Student(submission(source), load_budget=5.0, statement_timeout=1.0) as proxy:
        proxy.set_context("load", 2.0)
        started = time.monotonic()
        assert proxy.a() == 1 and proxy.b() == 2
        assert time.monotonic() - started < 15
        messages = {n.lineno: n.message for n in proxy.load_notes}
    assert 3 in messages and "did not finish" in messages[3]
    assert 6 in messages and "exited with status 9" in messages[6]


def test_a_load_time_failure_is_a_note():
    with Student(submission("import numpy as np\nfrom mnist import load_mnist\ndef f():\n    return 5\n")) as proxy:
        assert proxy.f() == 5
        (note,) = proxy.load_notes
    assert note.lineno == 2 and "ModuleNotFoundError" in note.message and note.severity == "warning"


def test_closing_twice_and_results_after_close_are_safe():
    proxy = Student(submission("def f(x):\n    return np.asarray(x)\nimport numpy as np\n"))
    assert np.array_equal(proxy.f([1, 2]), [1, 2])
    proxy.close()
    proxy.close()


JUDGE = """
import sys, time
sys.path.insert(0, {root!r})
from grader.sandbox import Student
from grader.sandbox.process import fork_server
from grader.sandbox.testing import submission
proxy = Student(submission({source!r}))
proxy.set_context("orphans", 5.0)
{busy}
print(fork_server().token, flush=True)
time.sleep(60)
"""
CHILDREN = "proxy.fork_children(3)"
# a student busy in its own code reads no channel, so it cannot notice the judge is gone: it must be killed
SPINNING = ("import threading\nthreading.Thread(target=proxy.spin_ignoring_signals, daemon=True).start()\n"
            "time.sleep(0.5)")


def _running(pids: list[int]) -> bool:
    """Is one of ``pids`` on the CPU or ready for it (state R)?"""
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rpartition(")")[2].split()[0] == "R":
                    return True
        except OSError:
            continue
    return False


@pytest.mark.skipif(not isolation_available(), reason="needs PID namespaces")
@pytest.mark.parametrize("busy", [CHILDREN, SPINNING], ids=["children", "spinning"])
def test_student_processes_die_with_a_judge_that_is_killed(busy):
    import signal
    import subprocess
    import sys

    code = JUDGE.format(root=str(PROJECT_ROOT), source=SOURCE, busy=busy)
    judge = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        token = judge.stdout.readline().strip()
        assert token and sandbox_processes(token)
        if busy == SPINNING:  # kill the judge only once its student is running its own loop
            deadline = time.monotonic() + 10
            while not _running(sandbox_processes(token)) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _running(sandbox_processes(token))
    finally:
        judge.send_signal(signal.SIGKILL)
        judge.wait()
    deadline = time.monotonic() + 5
    while sandbox_processes(token) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox_processes(token) == []

"""Isolation: the student process cannot reach the grading code, cannot change the judge, and what
it sends back is plain data or an inert handle."""
from __future__ import annotations

import builtins
import math
import os
from pathlib import Path

import numpy as np
import pytest

from grader.errors import StudentBadValue, StudentRaised
from grader.sandbox import RemoteObject, Student, isolation, isolation_available
from grader.sandbox.process import PROJECT_ROOT
from grader.sandbox.testing import submission

PROBES = '''
import builtins, math, os
import numpy as np

def try_import(name):
    try:
        __import__(name)
    except ImportError as exc:
        return "ImportError: " + str(exc)
    return "imported"

def read(path):
    with open(path) as fh:
        return fh.read()

def listdir(path):
    return sorted(os.listdir(path))

def write(path, text):
    with open(path, "w") as fh:
        fh.write(text)
    return os.path.abspath(path)

def cwd():
    return os.getcwd()

def sabotage():
    np.allclose = lambda *a, **k: True
    np.testing.assert_allclose = lambda *a, **k: None
    math.isclose = lambda *a, **k: True
    builtins.abs = lambda x: 0
    builtins.isinstance = lambda *a: True
    return True

class Liar(float):
    def __eq__(self, other):
        return True
    __hash__ = float.__hash__

class Everything:
    def __eq__(self, other):
        return True
    def __array__(self, dtype=None, copy=None):
        return np.zeros(3)
    def __sub__(self, other):
        return 0.0
    __rsub__ = __sub__
    def __abs__(self):
        return 0.0
    def __float__(self):
        return 0.0
    def __len__(self):
        return 3

class LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)

def liar():
    return Liar(123.0)

def everything():
    return Everything()

def everything_in_a_list():
    return [Everything(), 1.0]

def lying_array():
    return np.array([1.0, 2.0]).view(LyingArray)
'''


@pytest.fixture(scope="module")
def secret_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("other-submissions")
    (d / "bob.py").write_text("SECRET = 42\n")
    return d


@pytest.fixture(scope="module")
def student(secret_dir):
    proxy = Student(submission(PROBES), hide_paths=[str(secret_dir)])
    proxy.set_context("isolation", 5.0)
    yield proxy
    proxy.close()


def test_isolation_level_is_reported(student):
    level = student.isolation_level
    assert "rlimits" in level
    assert ("namespaces(" in level and "allow-list-root" in level) == isolation_available()


@pytest.mark.parametrize("name", ["reference", "reference.golden", "assignments", "grader", "grader.compare", "tests"])
def test_grading_packages_cannot_be_imported(student, name):
    assert student.try_import(name).startswith("ImportError")


def test_reference_files_and_other_submissions_cannot_be_read(student, secret_dir):
    for path in [PROJECT_ROOT / "reference" / "__init__.py", PROJECT_ROOT / "reference" / "golden" / "index.json",
                 PROJECT_ROOT / "grader" / "errors.py", secret_dir / "bob.py"]:
        with pytest.raises(StudentRaised) as info:
            student.read(str(path))
        assert info.value.exc_type in ("FileNotFoundError", "PermissionError")


@pytest.mark.skipif(not isolation_available(), reason="needs mount namespaces")
def test_only_the_allow_list_exists(student, secret_dir):
    for hidden in (PROJECT_ROOT, secret_dir):
        with pytest.raises(StudentRaised) as info:
            student.listdir(str(hidden))
        assert info.value.exc_type == "FileNotFoundError", hidden
    assert set(student.listdir("/")) <= {"dev", "etc", "proc", "root", "sandbox", "tmp", "usr", "var", "lib", "lib64",
                                         "opt", "home"}
    assert student.listdir("/tmp") == [".dev-shm", ".var-tmp"]
    assert student.listdir("/proc")[0] == "1"  # its own PID namespace: PID 1 is the student process


def _exit_code_of(pid: int) -> int:
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


@pytest.mark.skipif(not isolation_available() or os.geteuid() != 0, reason="one fork per student process needs root")
def test_a_pid_1_fork_leaves_the_forker_in_its_own_namespace_and_falls_back_when_refused_one(monkeypatch):
    spaces = isolation.PidNamespaces()
    assert spaces.direct
    pid, init = spaces.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(0 if os.getpid() == 1 else 1)
    assert init and _exit_code_of(pid) == 0, "the child is not PID 1 of a namespace of its own"
    pid = os.fork()  # the forker's next child is in the forker's namespace again
    if pid == 0:  # pragma: no cover - the child
        os._exit(0 if os.getpid() != 1 else 1)
    assert _exit_code_of(pid) == 0

    def refused(flags: int) -> None:
        raise OSError(28, "no space left for one more PID namespace")

    monkeypatch.setattr(isolation, "unshare", refused)  # the kernel's limit on namespaces reached
    pid, init = spaces.fork()
    if pid == 0:  # pragma: no cover - the child
        os._exit(0 if os.getpid() != 1 else 1)
    assert not init and _exit_code_of(pid) == 0, "a refused namespace must give a plain fork (the child keeps)"


def _status(pid: int, key: str) -> list[str]:
    line = next(line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith(key + ":"))
    return line.split()[1:]


@pytest.mark.skipif(not isolation_available() or os.geteuid() != 0, reason="one fork per student process needs root")
def test_as_root_the_process_forked_is_the_students_pid_1_with_its_own_cgroup_and_uid(student):
    student.cwd()  # started
    backend = student._backend
    pid = backend.pid
    assert _status(pid, "NSpid") == [str(pid), "1"], "the fork server forked a keeper, not PID 1 itself"
    assert int(_status(pid, "PPid")[0]) == backend._server.pid
    assert backend._follower.pid == pid, "the judge times and follows another process than the student's"
    assert int(_status(pid, "Uid")[0]) == 10_000_000 + pid  # named by the pid the fork server knows
    if "cgroup" in student.isolation_level:
        assert any(line.endswith(f"/s{pid}") for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines())


@pytest.mark.skipif(not isolation_available(), reason="needs mount namespaces")
def test_writes_land_in_a_private_tmpfs_that_vanishes():
    with Student(submission(PROBES)) as proxy:
        written = proxy.write("result.txt", "hello")
        assert written == "/tmp/result.txt" and proxy.read("/tmp/result.txt") == "hello"
        assert os.path.dirname(written) == proxy.cwd()
        for outside in (str(PROJECT_ROOT / "grader" / "pwned.py"), "/etc/pwned", "/usr/lib/pwned"):
            with pytest.raises(StudentRaised):
                proxy.write(outside, "x")
            assert not os.path.exists(outside)
    with Student(submission(PROBES)) as other:
        with pytest.raises(StudentRaised):
            other.read("/tmp/result.txt")


def test_without_namespaces_writes_land_in_a_scratch_dir_that_is_deleted():
    with Student(submission(PROBES), namespaces=False) as proxy:
        if not proxy._backend.scratch:
            pytest.skip("the student process has no scratch dir on the host here")
        written = proxy.write("result.txt", "hello")
        scratch = Path(proxy._backend.scratch)
        assert (scratch / "result.txt").read_text() == "hello"
        assert os.path.dirname(written) == proxy.cwd()
    assert not scratch.exists()


def test_monkeypatching_in_the_submission_changes_nothing_in_the_judge(student):
    assert student.sabotage() is True
    assert not np.allclose(np.zeros(2), np.ones(2))
    with pytest.raises(AssertionError):
        np.testing.assert_allclose(np.zeros(2), np.ones(2))
    assert not math.isclose(0.0, 1.0)
    assert builtins.abs(-2) == 2 and not builtins.isinstance(1, str)


def test_a_float_subclass_with_a_lying_eq_is_not_a_number(student):
    got = student.liar()
    assert isinstance(got, RemoteObject)
    assert got != 123.0 and got != got.__class__
    with pytest.raises(StudentBadValue):
        float(got)


@pytest.mark.parametrize("convert", [np.asarray, float, len, abs, lambda o: np.allclose(o, np.zeros(3)),
                                     lambda o: o - np.zeros(3)])
def test_an_object_lying_about_everything_earns_nothing(student, convert):
    got = student.everything()
    assert isinstance(got, RemoteObject) and got != np.zeros(3)
    with pytest.raises((StudentBadValue, TypeError)):
        convert(got)


def test_lying_objects_inside_data_stay_handles(student):
    obj, number = student.everything_in_a_list()
    assert isinstance(obj, RemoteObject) and number == 1.0


def test_an_ndarray_subclass_arrives_as_a_plain_array_with_its_real_values(student):
    got = student.lying_array()
    assert type(got) is np.ndarray and not np.array_equal(got, [0.0, 0.0])
    assert np.array_equal(got, [1.0, 2.0])


def test_compare_helpers_refuse_handles(student):
    compare = pytest.importorskip("grader.compare")
    from grader.checks import CheckFailed

    with pytest.raises((StudentBadValue, CheckFailed)):
        compare.as_array(student.everything(), what="everything()")

"""``grader grade ... --scheduler tcp://HOST:PORT`` on a real Dask cluster started here: a scheduler and two
workers (the ``dask scheduler`` and ``dask worker`` command lines, no nanny), graded through the CLI in a
subprocess. results.json must be the local run's, byte for byte but for its ``generated_at`` time stamp, also
when a worker is killed in the middle of a submission (the scheduler runs that task again on the other worker)
and when the workers' student processes share one core with busy loops (time limits count CPU time). A grading
machine whose key is not the workers' gets an error. Without ``--scheduler`` neither dask nor distributed is
imported.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.helpers_submissions import (
    buggy_source, notebook_text, reference_source, source_cells, write_notebook, write_py,
)

distributed = pytest.importorskip("distributed")

PROJECT = Path(__file__).resolve().parent.parent
DASK = str(Path(sys.executable).with_name("dask"))
SLOW_SECONDS = 4.0
SLOW_TOML = 'name = "slowpoke"\ntitle = "Two functions, one of them slow"\ntotal_points = 2\n'
SLOW_CHECKS = '''from grader.checks import check


@check("add_one", "golden", points=1, timeout=2)
def test_add_one(student):
    assert student.add_one(41) == 42, "add_one(41) should be 42"


@check("double", "golden", points=1, timeout=10)
def test_double(student):
    assert student.double(3) == 6, "double(3) should be 6"
'''
FAST = "def add_one(x):\n    return x + 1\n\ndef double(x):\n    return x * 2\n"
SLOW = f"import time\n\ndef add_one(x):\n    return x + 1\n\ndef double(x):\n    time.sleep({SLOW_SECONDS})\n    return x * 2\n"


def _start(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, cwd=PROJECT, stdout=log.open("w"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


def _start_worker(address: str, name: str, root: Path) -> subprocess.Popen:
    return _start([DASK, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", name,
                   "--local-directory", str(root / name)], root / f"{name}.log")


def scheduler_address(info: Path, seconds: float = 60) -> str:
    """The address in the scheduler's file, once it is written in full (it appears before its contents)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return json.loads(info.read_text())["address"]
        except (OSError, ValueError, KeyError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("dask")
    info = root / "scheduler.json"
    procs = [_start([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(info)], root / "scheduler.log")]
    try:
        address = scheduler_address(info)
        procs += [_start_worker(address, f"worker{i}", root) for i in (1, 2)]
        client = distributed.Client(address, timeout="30s")
        client.wait_for_workers(2, timeout=60)
        yield SimpleNamespace(address=address, client=client, root=root, procs=procs)
        client.close()
    finally:
        stop(procs)


def stop(procs: list[subprocess.Popen]) -> None:
    """Terminate, then kill what is still running after 10 s (a worker whose scheduler is gone keeps retrying)."""
    for proc in procs:
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def grade(*args: str, scheduler: str | None = None, python: tuple[str, ...] = ()) -> subprocess.Popen:
    extra = ["--scheduler", scheduler] if scheduler else []
    return subprocess.Popen([sys.executable, *python, "-m", "grader", "grade", *args, "--quiet", *extra], cwd=PROJECT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen, out: Path) -> tuple[bytes, str]:
    """results.json and stderr of a finished ``grader grade``."""
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr[-3000:]
    return (out / "results.json").read_bytes(), stderr


def without_timestamp(results: bytes) -> bytes:
    return b"\n".join(line for line in results.split(b"\n") if b'"generated_at"' not in line)


def test_a_class_graded_on_the_cluster_gets_the_local_results(cluster, tmp_path: Path) -> None:
    ok = reference_source("numerical")
    klass = tmp_path / "class"
    write_py(klass / "alice.py", ok)
    write_notebook(klass / "bora.ipynb", ["%matplotlib inline", *source_cells(ok)])
    write_py(klass / "chris.py", buggy_source("numerical", "softmax_no_max"))
    write_py(klass / "dana.py", buggy_source("numerical", "sse_no_half"))
    (klass / "trunc.ipynb").write_text(notebook_text(source_cells(ok))[:300], encoding="utf-8")
    local, remote = tmp_path / "local", tmp_path / "remote"
    on_cluster = grade("numerical", str(klass), "--out", str(remote), scheduler=cluster.address)
    here = grade("numerical", str(klass), "--out", str(local), "--jobs", "1", python=("-X", "importtime"))
    expected, imports = finish(here, local)
    assert without_timestamp(finish(on_cluster, remote)[0]) == without_timestamp(expected)
    imported = {line.split("|")[-1].strip().split(".")[0] for line in imports.splitlines() if "|" in line}
    assert "numpy" in imported and not imported & {"dask", "distributed"}  # without --scheduler, no Dask at all
    subs = {s["id"]: s for s in json.loads(expected)["submissions"]}
    assert subs["alice"]["score"] == subs["bora"]["score"] == 20 and subs["chris"]["score"] < 20
    assert subs["trunc"]["status"] == "load_error"


def descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        try:
            for task in os.listdir(f"/proc/{parent}/task"):
                with open(f"/proc/{parent}/task/{task}/children") as fh:
                    children = {int(c) for c in fh.read().split()}
                todo += children - found
                found |= children
        except OSError:
            continue
    return found


def _running_on(client, key_part: str) -> str | None:
    """The address of the worker executing the task whose key contains ``key_part`` (not just queued)."""
    def executing(dask_worker) -> list[str]:
        return [str(ts.key) for ts in dask_worker.state.tasks.values() if ts.state == "executing"]

    for address, keys in client.run(executing).items():
        if any(key_part in key for key in keys):
            return address
    return None


def test_a_worker_killed_in_the_middle_of_a_submission_costs_nothing(cluster, tmp_path: Path) -> None:
    assignment = tmp_path / "slowpoke"
    assignment.mkdir()
    (assignment / "assignment.toml").write_text(SLOW_TOML)
    (assignment / "test_slowpoke.py").write_text(SLOW_CHECKS)
    klass = tmp_path / "class"
    write_py(klass / "fast.py", FAST)
    write_py(klass / "slow.py", SLOW)
    write_py(klass / "wrong.py", FAST.replace("x * 2", "x * 3"))
    local, remote = tmp_path / "local", tmp_path / "remote"

    on_cluster = grade(str(assignment), str(klass), "--out", str(remote), scheduler=cluster.address)
    deadline, victim = time.monotonic() + 60, None
    while victim is None and time.monotonic() < deadline and on_cluster.poll() is None:
        victim = _running_on(cluster.client, "grade-slow-")
        time.sleep(0.1)
    assert victim is not None, "the slow submission never ran"
    time.sleep(1.0)  # well inside its double(), which sleeps SLOW_SECONDS
    pid = cluster.client.run(os.getpid, workers=[victim])[victim]
    tree = descendants(pid)  # its fork server and the slow submission's student process
    assert tree, "the worker runs no student process"
    os.kill(pid, signal.SIGKILL)
    cluster.procs.append(_start_worker(cluster.address, "worker3", cluster.root))  # the next test has two again

    remote_results = finish(on_cluster, remote)[0]
    expected = finish(grade(str(assignment), str(klass), "--out", str(local), "--jobs", "1"), local)[0]
    assert without_timestamp(remote_results) == without_timestamp(expected)
    subs = {s["id"]: s for s in json.loads(remote_results)["submissions"]}
    assert subs["slow"]["score"] == subs["fast"]["score"] == 2 and subs["wrong"]["score"] == 1
    deadline = time.monotonic() + 10
    while (alive := {p for p in tree if Path(f"/proc/{p}").exists()}) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert alive == set()  # the dead worker's fork server and student processes died with it


CRUNCH_TOML = 'name = "crunch"\ntitle = "Functions that compute, loop or wait"\ntotal_points = 3\n'
CRUNCH_CHECKS = '''from grader.checks import check


@check("crunch", "golden", points=1, timeout=1.5)
def test_crunch(student):
    assert student.crunch(0.6) == 0.6, "crunch(0.6) should return 0.6"


@check("nap", "golden", points=1, timeout=0.5)
def test_nap(student):
    assert student.nap(0.2) == 0.2, "nap(0.2) should return 0.2"


@check("add_one", "golden", points=1)
def test_add_one(student):
    assert student.add_one(1) == 2, "add_one(1) should be 2"
'''
# crunch() computes for 0.6 s of its own CPU time, however busy the machine is; nap() sleeps
CRUNCH = """import time

def crunch(seconds):
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
    return seconds

def nap(seconds):
    time.sleep(seconds)
    return seconds

def add_one(x):
    return x + 1
"""
BURNERS = 4  # each student process gets a fifth of one core or less: crunch(0.6) takes 3 s or more of wall time


@pytest.fixture
def busy_workers(cluster):
    """The student processes of every worker (its fork server, and so everything forked from it) share one core
    with BURNERS busy loops, as on a loaded grading server; afterwards they get all cores back."""
    from grader.sandbox.process import isolation_available  # starts the worker's fork server in its task thread

    core, everything = min(os.sched_getaffinity(0)), os.sched_getaffinity(0)
    workers = cluster.client.run(os.getpid)
    for address in workers:
        cluster.client.submit(isolation_available, workers=[address], pure=False).result(timeout=60)
    pinned = set().union(*(descendants(pid) for pid in workers.values()))
    assert pinned, "the workers have no fork server"
    # each in a session of its own, as a student process is: with autogroup scheduling, sessions share a core
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True)
               for _ in range(BURNERS)]
    try:
        for pid in pinned | {b.pid for b in burners}:
            os.sched_setaffinity(pid, {core})
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
        for pid in pinned:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(pid, everything)


def test_a_busy_worker_gives_the_verdicts_of_an_idle_machine(cluster, busy_workers, tmp_path: Path) -> None:
    """A check's time limit counts the student's CPU time: correct code that a loaded worker runs slowly (in wall
    time: 3 s and more, over its limit of 1.5 s) passes as on an idle machine, and code that loops or sleeps past its limit times out on both, with the
    same message."""
    assignment = tmp_path / "crunch"
    assignment.mkdir()
    (assignment / "assignment.toml").write_text(CRUNCH_TOML)
    (assignment / "test_crunch.py").write_text(CRUNCH_CHECKS)
    klass = tmp_path / "class"
    write_py(klass / "fair.py", CRUNCH)
    write_py(klass / "loops.py", CRUNCH.replace("while time.process_time() - start < seconds:", "while True:"))
    write_py(klass / "naps.py", CRUNCH.replace("time.sleep(seconds)", "time.sleep(100 * seconds)"))
    local, remote = tmp_path / "local", tmp_path / "remote"
    on_cluster = grade(str(assignment), str(klass), "--out", str(remote), scheduler=cluster.address)
    here = grade(str(assignment), str(klass), "--out", str(local), "--jobs", "1")
    remote_results, expected = finish(on_cluster, remote)[0], finish(here, local)[0]
    assert without_timestamp(remote_results) == without_timestamp(expected)
    subs = {s["id"]: s for s in json.loads(remote_results)["submissions"]}
    assert subs["fair"]["score"] == 3, subs["fair"]
    status = {s: {c["id"]: c["status"] for c in subs[s]["checks"]} for s in ("loops", "naps")}
    assert status["loops"]["crunch/crunch"] == status["naps"]["nap/nap"] == "timeout"
    assert subs["loops"]["score"] == subs["naps"]["score"] == 2


def test_a_worker_with_another_key_refuses_to_grade(cluster, tmp_path: Path) -> None:
    """Hidden inputs and call seeds derive from the instructor's key: a worker whose key file holds another key
    would grade other inputs, so the run stops with an error that says how to give the workers the key."""
    sub = write_py(tmp_path / "a.py", reference_source("numerical"))
    other = tmp_path / "instructor.key"
    other.write_text("7a" * 32 + "\n")
    other.chmod(0o600)
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", "numerical", str(sub), "--out", str(tmp_path / "o"),
                           "--quiet", "--scheduler", cluster.address], cwd=PROJECT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "GRADER_SECRET_FILE": str(other)})
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "has another grading key than the grading machine" in lines[0], proc.stderr
    assert "GRADER_SECRET_FILE=" in lines[0] and "7a7a" not in proc.stderr  # the fix; never the key


@pytest.mark.slow
def test_a_worker_that_cannot_confine_student_code_refuses_to_grade(tmp_path: Path) -> None:
    """A worker where student code would get rlimits only (no namespaces: made as in test_sandbox_weak.py) grades
    nothing, and the run stops with the worker's reason; the grading machine's own confinement is not asked."""
    from tests.test_sandbox_weak import NO_NAMESPACES

    probe = subprocess.run(["unshare", "-Ur", "sh", "-c", NO_NAMESPACES, "sh", "true"], capture_output=True)
    if shutil.which("unshare") is None or shutil.which("setpriv") is None or probe.returncode != 0:
        pytest.skip("cannot make a place without namespaces here (unshare -Ur)")
    info = tmp_path / "scheduler.json"
    procs = [_start([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                     "--scheduler-file", str(info)], tmp_path / "scheduler.log")]
    try:
        address = scheduler_address(info)
        procs.append(_start(["unshare", "-Ur", "sh", "-c", NO_NAMESPACES, "sh", DASK, "worker", address, "--nthreads",
                             "1", "--no-nanny", "--no-dashboard", "--local-directory", str(tmp_path / "weak")],
                            tmp_path / "weak.log"))
        with distributed.Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
        sub = write_py(tmp_path / "a.py", reference_source("numerical"))
        proc = grade("numerical", str(sub), "--out", str(tmp_path / "o"), scheduler=address)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        stop(procs)
    assert proc.returncode == 2, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot confine student code: student code would run with rlimits only" in lines[0]


def test_an_unreachable_scheduler_is_a_one_line_error(tmp_path: Path) -> None:
    sub = write_py(tmp_path / "a.py", reference_source("numerical"))
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", "numerical", str(sub), "--out", str(tmp_path / "o"),
                           "--scheduler", "tcp://127.0.0.1:9"], cwd=PROJECT, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in lines[0], proc.stderr

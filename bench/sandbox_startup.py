"""What isolation costs: student-process start-up via the fork server vs a fresh Python+NumPy, its
steps (spawn, load, close) as a grading run sees them, and the round trip of a small call vs the same
call in-process (through the same protocol encoder).

    python bench/sandbox_startup.py [--starts 20] [--calls 2000] [--gap 0.03] [--baseline CHECKOUT]

With ``bwrap`` installed it also times a bubblewrap sandbox per student (bare, and starting Python +
NumPy inside it, which is what a bwrap-per-student design pays). With ``--baseline`` it times the
student-process start-up of another checkout (e.g. main) in alternation with this one, so the ratio is
measured under the same load. Prints times and ratios; asserts nothing (the machine may be busy).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.sandbox import InProcessStudent, Student  # noqa: E402
from grader.sandbox.affinity import JudgeSeat  # noqa: E402
from grader.sandbox.process import LoadResult, StudentProcess, fork_server  # noqa: E402
from grader.sandbox.testing import submission  # noqa: E402
from timing import median_time  # noqa: E402

SOURCE = """
import numpy as np

def sigmoid(x):
    return 1 / (1 + np.exp(-x))

class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        return x @ self.W + self.b
"""


def fresh_numpy() -> None:
    subprocess.run([sys.executable, "-c", "import numpy"], check=True)


def bwrap(command: list[str]) -> None:
    """One bubblewrap sandbox as tight as ours (read-only system, new namespaces, no network)."""
    tops = sorted({"/" + Path(p).parts[1] for p in (sys.prefix, os.path.realpath(sys.executable), np.__file__)})
    binds = [arg for top in tops if top != "/usr" for arg in ("--ro-bind", top, top)]
    subprocess.run(["bwrap", "--ro-bind", "/usr", "/usr", *binds,
                    "--symlink", "usr/lib", "/lib", "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin",
                    "--proc", "/proc", "--dev", "/dev",
                    "--tmpfs", "/tmp", "--unshare-all", "--die-with-parent", "--new-session", *command],
                   check=True, stdout=subprocess.DEVNULL)


STARTUP_PROBE = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from grader.sandbox import Student
from grader.sandbox.process import StudentProcess, fork_server
from grader.sandbox.testing import submission
fork_server()
src = "def f(x):\n    return x + 1\n"
cold, spawn = [], []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter(); p = Student(submission(src)); p.load_result; p.close(); cold.append(time.perf_counter() - t)
    time.sleep(0.03)
    proc = StudentProcess(submission(src)); t = time.perf_counter(); proc._spawn(); spawn.append(time.perf_counter() - t)
    proc.close(); time.sleep(0.03)
print(json.dumps({"cold": sorted(cold)[len(cold) // 2], "spawn": sorted(spawn)[len(spawn) // 2]}))
"""


def startup_of(checkout: Path, repeat: int) -> dict[str, float]:
    """Median start+load and spawn-from-the-spare of ``checkout``'s sandbox, in a fresh judge process."""
    out = subprocess.run([sys.executable, "-c", STARTUP_PROBE, str(checkout), str(repeat)], capture_output=True,
                         text=True, cwd=checkout)
    if out.returncode != 0:
        raise RuntimeError(f"start-up probe of {checkout} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(baseline: Path, repeat: int, rounds: int = 3) -> None:
    here = Path(__file__).resolve().parents[1]
    results: dict[str, list[dict[str, float]]] = {"baseline": [], "this": []}
    for _ in range(rounds):  # alternate, so both see the same load
        results["baseline"].append(startup_of(baseline, repeat))
        results["this"].append(startup_of(here, repeat))
    for key in ("cold", "spawn"):
        before = statistics.median(r[key] for r in results["baseline"])
        after = statistics.median(r[key] for r in results["this"])
        print(f"{key:5} start-up: baseline {1e3 * before:6.1f} ms, this checkout {1e3 * after:6.1f} ms, "
              f"ratio {after / before:4.2f}")


def student_start(namespaces: bool) -> None:
    proxy = Student(submission(SOURCE), namespaces=namespaces)
    proxy.load_result  # spawn + load
    proxy.close()


def steps(repeat: int, gap: float) -> dict[str, float]:
    """Median seconds of ``_spawn`` (take a confined process + init), ``_load`` and ``close``, with
    ``gap`` s between submissions, as while grading (the fork server prepares the next process then)."""
    times: dict[str, list[float]] = {"spawn": [], "load": [], "close": []}
    for _ in range(repeat):
        proc = StudentProcess(submission(SOURCE))
        t0 = time.perf_counter()
        proc._spawn()
        t1 = time.perf_counter()
        names, notes = proc._load()
        t2 = time.perf_counter()
        proc.load_result = LoadResult(names, notes, proc.isolation, t2 - t0)
        proc.close()
        t3 = time.perf_counter()
        for key, seconds in zip(times, (t1 - t0, t2 - t1, t3 - t2)):
            times[key].append(seconds)
        time.sleep(gap)
    return {key: statistics.median(values) for key, values in times.items()}


def per_call(proxy, calls: int, x: np.ndarray) -> float:
    proxy.sigmoid(x)
    t0 = time.perf_counter()
    for _ in range(calls):
        proxy.sigmoid(x)
    return (time.perf_counter() - t0) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=20)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--gap", type=float, default=0.03, help="seconds of grading between submissions")
    parser.add_argument("--baseline", type=Path, default=None, help="another checkout to compare start-up with")
    args = parser.parse_args()
    if args.baseline is not None:
        compare(args.baseline.resolve(), args.starts)
        return

    t0 = time.perf_counter()
    server = fork_server()
    print(f"fork server start (once per judge process): {1e3 * (time.perf_counter() - t0):8.1f} ms"
          f"   namespaces available: {server.namespaces}")
    python = median_time(fresh_numpy, args.starts)
    print(f"fresh `python -c 'import numpy'`:             {1e3 * python:8.1f} ms")
    if shutil.which("bwrap"):
        bare = median_time(lambda: bwrap(["/usr/bin/true"]), args.starts)
        numpy = median_time(lambda: bwrap([sys.executable, "-c", "import numpy"]), args.starts)
        print(f"bubblewrap sandbox per student: bare {1e3 * bare:.1f} ms, with python+numpy {1e3 * numpy:.1f} ms")
    for namespaces in (True, False):
        start = median_time(lambda: student_start(namespaces), args.starts)
        label = "with namespaces" if namespaces else "without namespaces"
        print(f"student process start + load ({label:18}): {1e3 * start:8.1f} ms"
              f"   ratio to fresh python+numpy: {start / python:5.2f}")
    step = steps(args.starts, args.gap)
    print(f"steps with {1e3 * args.gap:.0f} ms of grading between submissions: spawn {1e3 * step['spawn']:.1f} ms, "
          f"load {1e3 * step['load']:.1f} ms, close {1e3 * step['close']:.1f} ms")

    x = np.linspace(-2, 2, 10)
    with Student(submission(SOURCE)) as isolated:
        free = per_call(isolated, args.calls, x)
    seat = JudgeSeat()
    seat.sit()  # as a grading run's judge does (grader/workers.py)
    try:
        with Student(submission(SOURCE)) as isolated:
            remote = per_call(isolated, args.calls, x)
        local = per_call(InProcessStudent(submission(SOURCE)), args.calls, x)
    finally:
        seat.stand()
    direct = median_time(lambda: 1 / (1 + np.exp(-x)), args.calls)
    print(f"small call sigmoid(x[10]), isolated, judge free to move:  {1e6 * free:8.1f} us")
    print(f"small call sigmoid(x[10]), isolated:           {1e6 * remote:8.1f} us   (judge seated on a CPU, as when "
          f"grading)")
    print(f"same call in-process (same protocol encoding): {1e6 * local:8.1f} us"
          f"   isolated / in-process: {remote / local:5.2f}")
    print(f"same computation as a plain numpy expression:  {1e6 * direct:8.1f} us")


if __name__ == "__main__":
    main()

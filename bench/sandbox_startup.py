"""What isolation costs: student-process start-up via the fork server vs a fresh Python+NumPy, its
steps (spawn, load, close) as a grading run sees them, and the round trip of a small call vs the same
call in-process (through the same protocol encoder).

    python bench/sandbox_startup.py [--starts 20] [--calls 2000] [--gap 0.03]

Prints times and ratios; asserts nothing (the machine may be busy).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.sandbox import InProcessStudent, Student  # noqa: E402
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
    args = parser.parse_args()

    t0 = time.perf_counter()
    server = fork_server()
    print(f"fork server start (once per judge process): {1e3 * (time.perf_counter() - t0):8.1f} ms"
          f"   namespaces available: {server.namespaces}")
    python = median_time(fresh_numpy, args.starts)
    print(f"fresh `python -c 'import numpy'`:             {1e3 * python:8.1f} ms")
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
        remote = per_call(isolated, args.calls, x)
    local = per_call(InProcessStudent(submission(SOURCE)), args.calls, x)
    direct = median_time(lambda: 1 / (1 + np.exp(-x)), args.calls)
    print(f"small call sigmoid(x[10]), isolated:           {1e6 * remote:8.1f} us")
    print(f"same call in-process (same protocol encoding): {1e6 * local:8.1f} us"
          f"   isolated / in-process: {remote / local:5.2f}")
    print(f"same computation as a plain numpy expression:  {1e6 * direct:8.1f} us")


if __name__ == "__main__":
    main()

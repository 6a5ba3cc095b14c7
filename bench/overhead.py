"""The engine's overhead targets, each a ratio measured within one run (issue 12):

    python bench/overhead.py [--rounds 3] [--class-size 60]

1. A class of 20 notebooks graded by a whole ``python -m grader grade numerical DIR --out OUT``
   (process start to the last report) vs 20 bare ``python -c "import numpy"`` starts, and vs
   nbgrader's 61 s for the same class (measured once, serially, on this machine's class of 20).
2. Isolated vs in-process: ``grade(..., jobs=1)`` with student processes vs with the checks calling the
   submission in the judge (``isolated=False``), same class of 20 .py files.
3. Parallel efficiency: ``grade(..., jobs=2)`` vs ``jobs=1`` on a class of ``--class-size`` submissions
   (no hanging ones: one submission that spends 10 s in timeouts measures the timeout, not the engine):
   efficiency = t(jobs=1) / (2 * t(jobs=2)).

Rounds alternate the two sides of each ratio (the machine may be shared); medians are printed, with
the load average. Prints times and ratios; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from grade_class import build_class, timed  # noqa: E402

NBGRADER_SECONDS = 61.0  # nbgrader's serial autograde of the same 20 notebooks (issue 12)
TARGETS = {"class20": 1.0, "isolation": 1.2, "efficiency": 0.9, "speedup": 20.0}


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def interleaved(rounds: int, **sides: Callable[[], float]) -> dict[str, float]:
    """Median seconds of each side, the sides alternating within each round."""
    times: dict[str, list[float]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, fn in sides.items():
            times[name].append(fn())
    return {name: statistics.median(values) for name, values in times.items()}


def stopwatch(fn: Callable[[], object]) -> Callable[[], float]:
    def run() -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    return run


def bare_numpy_starts(n: int) -> None:
    for _ in range(n):
        subprocess.run([sys.executable, "-c", "import numpy"], check=True)


def whole_grade(folder: Path, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "grader", "grade", "numerical", str(folder), "--out", str(out), "--quiet"],
                   check=True, cwd=ROOT)


def verdict(value: float, target: float, at_least: bool = False) -> str:
    met = value >= target if at_least else value <= target
    return f"(target {'>=' if at_least else '<='} {target:g}: {'met' if met else 'NOT met'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--class-size", type=int, default=60, help="class for the parallel efficiency (default 60)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="grader-overhead-"))
    try:
        print(f"{load()}; {os.cpu_count()} cores")
        notebooks, files, big = work / "notebooks", work / "files", work / "big"
        build_class("numerical", 20, notebooks, hanging=False, notebooks=True)
        build_class("numerical", 20, files, hanging=False)
        build_class("numerical", args.class_size, big, hanging=False)

        t = interleaved(args.rounds, numpy=stopwatch(lambda: bare_numpy_starts(20)),
                        grade=stopwatch(lambda: whole_grade(notebooks, work / "out")))
        ratio = t["grade"] / t["numpy"]
        print(f"20 notebooks, `python -m grader grade numerical DIR --out OUT`: {t['grade']:.2f} s; "
              f"20 x `python -c 'import numpy'`: {t['numpy']:.2f} s; ratio {ratio:.2f} {verdict(ratio, TARGETS['class20'])}")
        speedup = NBGRADER_SECONDS / t["grade"]
        print(f"  vs nbgrader's {NBGRADER_SECONDS:g} s: {speedup:.1f}x faster {verdict(speedup, TARGETS['speedup'], True)}")

        t = interleaved(args.rounds, isolated=lambda: timed("numerical", files, 1, isolated=True)[0],
                        local=lambda: timed("numerical", files, 1, isolated=False)[0])
        ratio = t["isolated"] / t["local"]
        print(f"20 submissions, grade(jobs=1): isolated {t['isolated']:.2f} s, in-process {t['local']:.2f} s; "
              f"ratio {ratio:.2f} {verdict(ratio, TARGETS['isolation'])}")

        t = interleaved(args.rounds, one=lambda: timed("numerical", big, 1)[0], two=lambda: timed("numerical", big, 2)[0])
        efficiency = t["one"] / (2 * t["two"])
        print(f"{args.class_size} submissions, grade(): jobs=1 {t['one']:.2f} s, jobs=2 {t['two']:.2f} s; "
              f"parallel efficiency {efficiency:.2f} {verdict(efficiency, TARGETS['efficiency'], True)}")
        print(load())
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

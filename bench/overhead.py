"""The engine's overhead targets, each a ratio measured within one run (issue 12):

    python bench/overhead.py [--rounds 3] [--class-size 60]

1. A class of 20 notebooks graded by a whole ``python -m grader grade numerical DIR --out OUT``
   (process start to the last report) vs 20 bare ``python -c "import numpy"`` starts, and vs
   nbgrader's 61 s for the same class (measured once, serially, on this machine's class of 20).
2. Isolated vs in-process: ``grade(..., jobs=1)`` with student processes vs with the checks calling the
   submission in the judge (``isolated=False``), same class of 20 .py files.
3. Parallel efficiency: ``grade(..., jobs=2)`` vs ``jobs=1`` on a class of ``--class-size`` submissions
   (no hanging ones: one submission that spends 10 s in timeouts measures the timeout, not the engine):
   efficiency = t(jobs=1) / (2 * t(jobs=2)). Beside it, what bounds it:
   - how many cores a lone ``jobs=1`` run already keeps busy (its CPU / wall: its fork server confines the next
     student process and reaps the last on the idle core), and t(jobs=1) / CPU(jobs=2), the most efficiency
     ``jobs=2`` can show with the CPU time it needs (two cores give it at most two CPU-seconds per second);
   - the machine's own ceiling: the class split in two halves, graded at once by two ``grade(jobs=1)`` processes
     held to one CPU each (bench/grade_once.py ``--cpu``: they share nothing, not even a CPU), against the whole
     class graded by one such process on one CPU. Whatever these two lose to each other (caches, memory
     bandwidth, a hypervisor's scheduling) no design of ``jobs=2`` can win back; and ``jobs=2``'s own
     efficiency against that one-CPU ``jobs=1``.

Every side runs in processes of its own (bench/grade_once.py for a ``grade()`` call). Rounds alternate the
two sides of each ratio (the machine may be shared); medians are printed, each with the fastest and slowest round
(the machine's noise), with the load average, and next to each wall-clock ratio the ratio of CPU time (user + sys
of the whole process tree), which a busy machine disturbs less. Prints times and ratios; asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from grade_class import build_class  # noqa: E402

NBGRADER_SECONDS = 61.0  # nbgrader's serial autograde of the same 20 notebooks (issue 12)
TARGETS = {"class20": 1.0, "isolation": 1.2, "efficiency": 0.9, "speedup": 20.0}


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass
class Cost:
    wall: float  # seconds
    cpu: float  # user + sys seconds of the whole process tree (fork servers, student processes, workers)
    spread: tuple[float, float] = (0.0, 0.0)  # the fastest and slowest round's wall time (medians only)

    def __str__(self) -> str:
        return f"{self.wall:.2f} s ({self.spread[0]:.2f}-{self.spread[1]:.2f})"


def measured(fn: Callable[[], float | None]) -> Callable[[], Cost]:
    """``fn`` runs subprocesses (and may return its own wall-clock time); its wall and CPU time."""
    def run() -> Cost:
        before, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        inner = fn()
        wall, after = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return Cost(inner if inner is not None else wall, cpu)
    return run


def interleaved(rounds: int, **sides: Callable[[], Cost]) -> dict[str, Cost]:
    """Median wall and CPU time of each side, the sides alternating within each round."""
    costs: dict[str, list[Cost]] = {name: [] for name in sides}
    for _ in range(rounds):
        for name, fn in sides.items():
            costs[name].append(fn())
    return {name: Cost(statistics.median(c.wall for c in values), statistics.median(c.cpu for c in values),
                       (min(c.wall for c in values), max(c.wall for c in values)))
            for name, values in costs.items()}


def bare_numpy_starts(n: int) -> None:
    for _ in range(n):
        subprocess.run([sys.executable, "-c", "import numpy"], check=True)


def whole_grade(folder: Path, out: Path) -> None:
    shutil.rmtree(out, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "grader", "grade", "numerical", str(folder), "--out", str(out), "--quiet"],
                   check=True, cwd=ROOT)


def grade_call(folder: Path, jobs: int, in_process: bool = False, cpu: int | None = None) -> float:
    """The wall-clock seconds of one ``grade()`` call, in a process of its own (bench/grade_once.py), on CPU ``cpu``
    only if given."""
    return grade_calls_at_once([folder], jobs, in_process, [cpu])


def grade_calls_at_once(folders: list[Path], jobs: int = 1, in_process: bool = False,
                        cpus: list[int | None] | None = None) -> float:
    """``grade()`` of each folder, each in a process of its own (the i-th on CPU ``cpus[i]`` only, if given), all
    started together: the slowest call's wall-clock seconds."""
    args = [sys.executable, str(ROOT / "bench" / "grade_once.py"), "numerical"]
    runs = [subprocess.Popen(args + [str(folder), "--jobs", str(jobs)] + ["--in-process"] * in_process
                             + (["--cpu", str(cpu)] if cpu is not None else []),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for folder, cpu in zip(folders, cpus or [None] * len(folders))]
    seconds = []
    for run in runs:
        out, err = run.communicate()
        if run.returncode != 0:
            raise RuntimeError(f"bench/grade_once.py failed:\n{err[-2000:]}")
        seconds.append(float(out.split()[-1]))
    return max(seconds)


def halves(folder: Path, work: Path) -> list[Path]:
    """The submissions of ``folder`` split into two folders of (nearly) equal size."""
    files = sorted(folder.iterdir())
    parts = [work / "half1", work / "half2"]
    for part, chunk in zip(parts, (files[: len(files) // 2], files[len(files) // 2:])):
        part.mkdir()
        for file in chunk:
            shutil.copy(file, part / file.name)
    return parts


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

        t = interleaved(args.rounds, numpy=measured(lambda: bare_numpy_starts(20)),
                        grade=measured(lambda: whole_grade(notebooks, work / "out")))
        print(f"20 notebooks, `python -m grader grade numerical DIR --out OUT` vs 20 x `python -c 'import numpy'`:")
        ratio = t["grade"].wall / t["numpy"].wall
        print(f"  wall {t['grade']} vs {t['numpy']}: ratio {ratio:.2f} {verdict(ratio, TARGETS['class20'])}")
        ratio = t["grade"].cpu / t["numpy"].cpu
        print(f"  CPU  {t['grade'].cpu:.2f} s vs {t['numpy'].cpu:.2f} s: ratio {ratio:.2f}")
        speedup = NBGRADER_SECONDS / t["grade"].wall
        print(f"  vs nbgrader's {NBGRADER_SECONDS:g} s: {speedup:.1f}x faster {verdict(speedup, TARGETS['speedup'], True)}")

        t = interleaved(args.rounds, isolated=measured(lambda: grade_call(files, 1)),
                        local=measured(lambda: grade_call(files, 1, in_process=True)))
        ratio = t["isolated"].wall / t["local"].wall
        print(f"20 submissions, grade(jobs=1), isolated vs in-process: wall {t['isolated']} vs "
              f"{t['local']}: ratio {ratio:.2f} {verdict(ratio, TARGETS['isolation'])}; CPU of the whole "
              f"process {t['isolated'].cpu:.2f} s vs {t['local'].cpu:.2f} s: ratio {t['isolated'].cpu / t['local'].cpu:.2f}")

        split, cpus = halves(big, work), sorted(os.sched_getaffinity(0))[:2]
        ceiling_sides = dict(single=measured(lambda: grade_call(big, 1, cpu=cpus[0])),
                             pair=measured(lambda: grade_calls_at_once(split, cpus=cpus))) if len(cpus) == 2 else {}
        t = interleaved(args.rounds, one=measured(lambda: grade_call(big, 1)), two=measured(lambda: grade_call(big, 2)),
                        **ceiling_sides)
        efficiency = t["one"].wall / (2 * t["two"].wall)
        print(f"{args.class_size} submissions, grade(): jobs=1 {t['one']}, jobs=2 {t['two']}; "
              f"parallel efficiency {efficiency:.2f} {verdict(efficiency, TARGETS['efficiency'], True)} "
              f"(CPU {t['one'].cpu:.2f} s vs {t['two'].cpu:.2f} s)")
        print(f"  jobs=1 keeps {t['one'].cpu / t['one'].wall:.2f} cores busy (CPU / wall); the most efficiency jobs=2 "
              f"can show with its CPU time on 2 cores, t(jobs=1) / CPU(jobs=2), is {t['one'].wall / t['two'].cpu:.2f}")
        if not ceiling_sides:
            print("  (one CPU to run on: no ceiling to measure)")
        else:
            ceiling = t["single"].wall / (2 * t["pair"].wall)
            print(f"  this machine's ceiling: jobs=1 held to one CPU {t['single']} (CPU {t['single'].cpu:.2f} s); two such "
                  f"runs of half the class each, on CPUs {cpus[0]} and {cpus[1]} at once, {t['pair']} (the slower; CPU "
                  f"{t['pair'].cpu:.2f} s): efficiency {ceiling:.2f}; jobs=2 against the one-CPU jobs=1: "
                  f"{t['single'].wall / (2 * t['two'].wall):.2f}")
        print(load())
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

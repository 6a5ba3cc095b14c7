"""Grade a synthetic class and print what the engine costs.

    python bench/grade_class.py [--n 200] [--assignment numerical|backprop] [--quick]

Builds N submissions (correct ones, one-bug ones of several kinds, correct Colab notebooks full of
junk cells, and one in 50 that hangs in one component), then prints, from one run:

- submissions per second through ``grader.grade.grade`` at ``jobs=1`` and ``jobs=2`` (no reports;
  writing the reports is timed on its own);
- the engine's overhead: the same grading (a class without the hanging submissions) with
  ``isolated=True`` vs ``isolated=False`` (checks run in-process, no student processes), as a ratio;
- the start-up of a student process from the fork server vs a fresh ``python -c "import numpy"``.

Prints times and ratios; asserts nothing (the machine may be busy). ``--quick``: N = 20.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from grader.grade import GradeRun, grade  # noqa: E402
from tests.helpers_submissions import (  # noqa: E402
    BACKPROP_BUGS, NUMERICAL_BUGS, buggy_source, reference_source, source_cells, write_notebook, write_py,
)

COLAB_JUNK = ["from google.colab import drive\ndrive.mount('/content/drive')", "!pip install numpy", "%matplotlib inline",
              "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()"]
HANGS = {  # appended to a correct submission: this component loops forever, the others are fine
    "numerical": "\ndef softmax(x):\n    while True:\n        pass\n",
    "backprop": "\ndef dropout_mask(y, ratio, *, rng=None):\n    while True:\n        pass\n",
}
HANG_EVERY = 50
HANG_AT = 10  # submissions 10, 60, 110, ... hang (so a --quick class of 20 has one)


def kind_of(i: int) -> str:
    """What submission ``i`` of the class is: ``hang`` (1 in 50), ``colab``, ``buggy`` or ``correct``."""
    if i % HANG_EVERY == HANG_AT:
        return "hang"
    return {9: "colab", 5: "buggy", 6: "buggy", 7: "buggy", 8: "buggy"}.get(i % 10, "correct")


def build_class(assignment: str, n: int, folder: Path, *, hanging: bool = True, notebooks: bool = False) -> Counter:
    """Write ``n`` submissions of ``assignment`` into ``folder``; returns how many of each kind.
    ``notebooks``: every submission is a notebook (as a Jupyter course hands them in)."""
    ok = reference_source(assignment)
    bugs = sorted(NUMERICAL_BUGS if assignment == "numerical" else BACKPROP_BUGS)
    kinds: Counter = Counter()
    for i in range(n):
        kind = kind_of(i)
        if kind == "hang" and not hanging:
            kind = "correct"
        name = folder / f"student{i:04d}"
        if kind == "colab":
            source, junk = ok, COLAB_JUNK
        elif kind == "buggy":
            bug = bugs[sum(v for k, v in kinds.items() if k.startswith("buggy")) % len(bugs)]
            source, junk, kind = buggy_source(assignment, bug), [], f"buggy ({bug})"
        elif kind == "hang":
            source, junk = ok + HANGS[assignment], []
        else:
            source, junk = ok, []
        if junk or notebooks:
            write_notebook(name.with_suffix(".ipynb"), [*junk, *source_cells(source)])
        else:
            write_py(name.with_suffix(".py"), source)
        kinds[kind] += 1
    return kinds


def timed(assignment: str, folder: Path, jobs: int, isolated: bool = True) -> tuple[float, GradeRun]:
    t0 = time.perf_counter()
    run = grade(assignment, [str(folder)], None, jobs=jobs, isolated=isolated)
    return time.perf_counter() - t0, run


def statuses(run: GradeRun) -> list[tuple[str, str, str]]:
    return [(s["id"], c["id"], c["status"]) for s in run.results["submissions"] for c in s["checks"]]


def outcome_summary(run: GradeRun) -> str:
    subs = run.results["submissions"]
    full = sum(1 for s in subs if s["score"] == s["max_score"])
    counts = Counter(c["status"] for s in subs for c in s["checks"])
    return f"{full}/{len(subs)} full marks; checks: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def time_reports(run: GradeRun, out: Path) -> float:
    from grader.reports import write_reports

    t0 = time.perf_counter()
    out.mkdir()
    write_reports(run.results, out)
    return time.perf_counter() - t0


def startup(repeat: int) -> tuple[float, float]:
    """(median student-process start + load via the fork server, median fresh python + import numpy), seconds."""
    from sandbox_startup import fresh_numpy, student_start
    from timing import median_time

    from grader.sandbox.process import fork_server

    fork_server()
    return median_time(lambda: student_start(True), repeat), median_time(fresh_numpy, repeat)


def report_throughput(args: Any, work: Path) -> None:
    full = work / "class"
    kinds = build_class(args.assignment, args.n, full)
    print(f"class: {args.n} submissions of `{args.assignment}`: "
          + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())))
    runs = {}
    for jobs in (1, 2):
        seconds, runs[jobs] = timed(args.assignment, full, jobs)
        print(f"  jobs={jobs}: {seconds:7.1f} s   {args.n / seconds:6.2f} submissions/s   {outcome_summary(runs[jobs])}")
    same = statuses(runs[1]) == statuses(runs[2])
    print(f"  jobs=1 and jobs=2 give the same verdicts: {'yes' if same else 'NO'}")
    print(f"  writing the reports (HTML per student + class index): {time_reports(runs[2], work / 'reports'):.1f} s")


def report_overhead(args: Any, work: Path) -> None:
    calm = work / "calm"
    build_class(args.assignment, args.n, calm, hanging=False)
    isolated, iso_run = timed(args.assignment, calm, 1, isolated=True)
    local, local_run = timed(args.assignment, calm, 1, isolated=False)
    same = statuses(iso_run) == statuses(local_run)
    print(f"overhead (class without hanging submissions, jobs=1): isolated {isolated:.1f} s, in-process {local:.1f} s, "
          f"ratio {isolated / local:.2f}  ({1e3 * (isolated - local) / args.n:.0f} ms per submission; "
          f"same verdicts: {'yes' if same else 'NO'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="submissions in the class (default 200)")
    parser.add_argument("--assignment", choices=("numerical", "backprop"), default="numerical")
    parser.add_argument("--quick", action="store_true", help="N = 20, fewer start-up samples")
    parser.add_argument("--starts", type=int, default=20, help="samples of the start-up timing")
    args = parser.parse_args()
    if args.quick:
        args.n, args.starts = 20, 5

    work = Path(tempfile.mkdtemp(prefix="grade-class-"))
    try:
        report_throughput(args, work)
        report_overhead(args, work)
        student, python = startup(args.starts)
        print(f"student process start + load from the fork server: {1e3 * student:.1f} ms; "
              f"fresh `python -c 'import numpy'`: {1e3 * python:.1f} ms; ratio {student / python:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""What convergence checks cost: `python -m grader grade` on 10 copies of the reference, backprop vs layers.

Issue 12 asks that a backprop submission cost no more than twice a layers submission. Both are graded in the
same run, alternately, best of ``--repeat``; prints seconds per submission and the ratio (never asserts).

    python bench/convergence_cost.py [--copies 10] [--repeat 3] [--jobs 2]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timing import best_time  # noqa: E402
from reference.submission import as_submission  # noqa: E402


def _class(root: Path, assignment: str, copies: int) -> Path:
    folder = root / assignment
    folder.mkdir()
    source = as_submission(assignment)
    for i in range(copies):
        (folder / f"student{i:02d}.py").write_text(source, encoding="utf-8")
    return folder


def _grade(assignment: str, folder: Path, out: Path, jobs: int) -> None:
    subprocess.run([sys.executable, "-m", "grader", "grade", assignment, str(folder), "--out", str(out),
                    "--jobs", str(jobs)], check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        classes = {a: _class(root, a, args.copies) for a in ("layers", "backprop")}
        seconds = {a: best_time(lambda a=a: _grade(a, classes[a], root / f"out-{a}", args.jobs), args.repeat)
                   for a in classes}
    load = os.getloadavg()[0]
    for assignment, s in seconds.items():
        print(f"{assignment:9s} {args.copies} copies of the reference: {s:6.2f} s ({s / args.copies:.3f} s each)")
    print(f"backprop / layers per submission: {seconds['backprop'] / seconds['layers']:.2f}  "
          f"(load average {load:.2f}, --jobs {args.jobs})")


if __name__ == "__main__":
    main()

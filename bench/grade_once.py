"""One ``grader.grade.grade`` call in a process of its own, for bench/overhead.py (which measures the CPU of the
whole process tree): ``python bench/grade_once.py ASSIGNMENT DIR --jobs N [--in-process] [--cpu K]``; prints the
call's wall-clock seconds. ``--cpu K``: the process and everything it starts (fork server, student processes) run on
CPU K only, as on a machine with one core."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("assignment")
parser.add_argument("folder")
parser.add_argument("--jobs", type=int, default=1)
parser.add_argument("--in-process", action="store_true")
parser.add_argument("--cpu", type=int, default=None)
args = parser.parse_args()
if args.cpu is not None:  # before the grader is imported (it reads the CPUs its judges may use) and starts anything
    os.sched_setaffinity(0, {args.cpu})

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.grade import grade  # noqa: E402

t0 = time.perf_counter()
grade(args.assignment, [args.folder], None, jobs=args.jobs, isolated=not args.in_process)
print(time.perf_counter() - t0)

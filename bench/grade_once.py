"""One ``grader.grade.grade`` call in a process of its own, for bench/overhead.py (which measures the CPU of the
whole process tree): ``python bench/grade_once.py ASSIGNMENT DIR --jobs N [--in-process]``; prints the call's
wall-clock seconds."""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from grader.grade import grade  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("assignment")
parser.add_argument("folder")
parser.add_argument("--jobs", type=int, default=1)
parser.add_argument("--in-process", action="store_true")
args = parser.parse_args()
t0 = time.perf_counter()
grade(args.assignment, [args.folder], None, jobs=args.jobs, isolated=not args.in_process)
print(time.perf_counter() - t0)

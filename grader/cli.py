"""Command line: ``grader grade``, ``grader check``, ``grader list`` (see CONTRACT.md).

Exit status: 0 when every submission was graded, whatever the scores; 2 with a one-line
reason on stderr for the instructor's own mistakes.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from grader import __version__
from grader.assignments import SHIPPED, AssignmentError, resolve
from grader.discover import DiscoveryError
from grader.distributed import ClusterError
from grader.grade import GradeError, grade
from grader.runner import CheckModuleError, collect_catalog

USER_ERRORS = (AssignmentError, DiscoveryError, GradeError, CheckModuleError, ClusterError)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description="Grade deep-learning-from-scratch NumPy assignments.")
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("grade", help="grade a class: files, notebooks, folders or LMS zip downloads")
    g.add_argument("assignment", help=f"one of {', '.join(SHIPPED)}, or the path to your own assignment folder")
    g.add_argument("paths", nargs="+", metavar="PATH", help=".py, .ipynb, folders and .zip archives")
    g.add_argument("--out", required=True, type=Path, metavar="DIR", help="where results.json and the reports go")
    g.add_argument("--jobs", type=int, default=None, metavar="N", help="worker processes (default: all cores)")
    g.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    g.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=None,
                   help="grade on this Dask cluster's workers (docs/DASK.md)")

    c = sub.add_parser("check", help="check one submission of yours and read the result here")
    c.add_argument("assignment")
    c.add_argument("file", help="your .py or .ipynb file")
    c.add_argument("--out", type=Path, default=None, metavar="DIR", help="also write results.json and an HTML report")
    c.add_argument("--only", action="append", default=[], metavar="COMPONENT",
                   help="check only this component (e.g. softmax); repeatable")

    ls = sub.add_parser("list", help="the assignments, their components and points")
    ls.add_argument("assignment", nargs="?", help="only this assignment")
    return parser


def _cmd_grade(args: argparse.Namespace) -> int:
    from grader.reports.terminal import Progress, render_class_summary

    progress: Progress | None = None

    def start(total: int) -> None:
        nonlocal progress
        if not args.quiet:
            progress = Progress(total, sys.stderr)

    def advance(record: dict) -> None:
        if progress is not None:
            progress.advance(f"{record['submission']}: {record['id']}")

    run = grade(args.assignment, args.paths, args.out, jobs=args.jobs, on_start=start, on_verdict=advance,
                scheduler=args.scheduler)
    if progress is not None:
        progress.close()
    if not args.quiet:
        print(render_class_summary(run.results))
        print(f"results: {args.out / 'results.json'}\nclass report: {args.out / 'index.html'}")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from grader.reports.terminal import render_submission, supports_color

    if not Path(args.file).is_file():
        raise GradeError(f"{args.file}: no such file; give the path to your .py or .ipynb")
    run = grade(args.assignment, [args.file], args.out, jobs=1, only=args.only)
    sub = run.results["submissions"][0]
    print(render_submission(sub, run.results["checks"], color=supports_color(sys.stdout)))
    if args.only:
        print(f"checked only {', '.join(args.only)}: run without --only for the whole assignment")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    names = [args.assignment] if args.assignment else list(SHIPPED)
    with tempfile.TemporaryDirectory(prefix="grader-list-") as tmp:
        for name in names:
            assignment = resolve(name)
            catalog = collect_catalog(assignment, Path(tmp))
            total = sum(c.points for c in catalog)
            print(f"{assignment.name}: {assignment.title} ({total:g} points)")
            components: dict[str, float] = {}
            for c in catalog:
                components[c.component] = components.get(c.component, 0.0) + c.points
            for component, points in components.items():
                kinds = ", ".join(c.kind for c in catalog if c.component == component)
                print(f"  {component:<22} {points:>5g}  ({kinds})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if getattr(args, "jobs", None) is not None and args.jobs < 1:
        print("grader: error: --jobs must be at least 1", file=sys.stderr)
        return 2
    try:
        return {"grade": _cmd_grade, "check": _cmd_check, "list": _cmd_list}[args.command](args)
    except USER_ERRORS as exc:
        print(f"grader: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130

"""Command line: ``grader grade``, ``check``, ``list``, ``export``, ``gradescope`` (see CONTRACT.md).

Exit status: 0 when every submission was graded, whatever the scores; 2 with a one-line
reason on stderr for the instructor's own mistakes; 130 after Ctrl-C (what was graded is kept).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from grader import __version__
from grader.assignments import SHIPPED, AssignmentError, resolve
from grader.discover import SOURCE_SUFFIXES, DiscoveryError, discover_all
from grader.distributed import ClusterError
from grader.export import FORMATS, ExportError
from grader.grade import GradeError, Interrupted, grade
from grader.results import ResultsNotWritten
from grader.roster import RosterError
from grader.runner import CheckModuleError, collect_catalog

USER_ERRORS = (AssignmentError, DiscoveryError, GradeError, CheckModuleError, RosterError, ExportError,
               ResultsNotWritten, ClusterError)

EXAMPLES = """examples:
  grader grade numerical examples/demo_class --out out          grade a class (then open out/index.html)
  grader grade layers canvas_download.zip --roster roster.csv --out hw3
                                                                LMS zip + class list: absent students are 'missing'
  grader grade layers canvas_download.zip --out hw3             again: grades only new or changed files
  grader export hw3 --format canvas                             gradebook CSV to import into Canvas
  grader check numerical my_hw.py --only softmax,relu           a student checks two functions
  grader gradescope layers --out dist                           the Gradescope autograder zip
  grader list layers                                            components and points
"""

LEGEND = ("legend: ✓ passed  ✗ failed (wrong answer)  ! error (the code raised)  ◷ timed out  "
          "? missing (not defined); status 'missing' = on the roster, no submission")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description="Grade deep-learning-from-scratch NumPy assignments.",
                                     epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    g = sub.add_parser("grade", help="grade a class: files, notebooks, folders or LMS zip downloads",
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    g.add_argument("assignment", help=f"one of {', '.join(SHIPPED)}, or the path to your own assignment folder")
    g.add_argument("paths", nargs="+", metavar="PATH", help=".py, .ipynb, folders and .zip archives")
    g.add_argument("--out", required=True, type=Path, metavar="DIR", help="where results.json and the reports go")
    g.add_argument("--jobs", type=int, default=None, metavar="N", help="worker processes (default: all cores)")
    g.add_argument("--roster", type=Path, default=None, metavar="FILE.csv",
                   help="class list (Canvas gradebook or Moodle worksheet export): absent students become 'missing'")
    g.add_argument("--force", action="store_true", help="regrade everything (default: only new or changed files)")
    g.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    g.add_argument("--allow-weak-isolation", action="store_true",
                   help="grade even where student code can be confined by rlimits only (no namespaces)")
    g.add_argument("--scheduler", metavar="tcp://HOST:PORT", default=None,
                   help="grade on this Dask cluster's workers (docs/DASK.md)")

    c = sub.add_parser("check", help="check one submission of yours and read the result here",
                       epilog="examples:\n  grader check numerical my_hw.py\n  grader check layers hw.ipynb --only Affine,relu",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("assignment")
    c.add_argument("file", help="your .py or .ipynb file")
    c.add_argument("--out", type=Path, default=None, metavar="DIR", help="also write results.json and an HTML report")
    c.add_argument("--only", action="append", default=[], metavar="COMPONENT",
                   help="check only these components (e.g. softmax or Affine,Relu; any case); repeatable")

    ls = sub.add_parser("list", help="the assignments, their components and points")
    ls.add_argument("assignment", nargs="?", help="only this assignment")

    e = sub.add_parser("export", help="export a graded folder for Canvas, Moodle, Gradescope or JUnit",
                       epilog="examples:\n  grader export hw3 --format canvas\n  grader export hw3 --format junit --out junit.xml",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("dir", type=Path, metavar="DIR", help="the --out folder of `grader grade`")
    e.add_argument("--format", required=True, choices=FORMATS)
    e.add_argument("--out", type=Path, default=None, metavar="PATH",
                   help="file to write (default: DIR/exports/<format file>); a folder for several gradescope results")

    gs = sub.add_parser("gradescope", help="build the Gradescope autograder zip for an assignment",
                        epilog="example:\n  grader gradescope layers --out dist   (upload dist/layers-autograder.zip)",
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    gs.add_argument("assignment")
    gs.add_argument("--out", required=True, type=Path, metavar="DIR")
    __import__("grader.kit.cli").kit.cli.add_parser(sub)  # `grader kit`: grader/kit/cli.py
    return parser


def _swapped(assignment: str, paths: Sequence[str]) -> str | None:
    """A hint when the submission came first and the assignment second."""
    looks_like_file = Path(assignment).suffix.lower() in (*SOURCE_SUFFIXES, ".zip") or Path(assignment).is_file()
    named = [p for p in paths if p in SHIPPED or p.casefold() in SHIPPED]
    if looks_like_file and named:
        rest = " ".join([assignment, *(p for p in paths if p != named[0])])
        return f"the assignment comes first: did you mean `{named[0]} {rest}`?"
    return None


def _cmd_grade(args: argparse.Namespace) -> int:
    from grader.reports.terminal import Progress, render_class_summary

    progress: Progress | None = None

    def start(total: int) -> None:
        nonlocal progress
        if not args.quiet and total:
            progress = Progress(total, sys.stderr)

    def advance(record: dict) -> None:
        if progress is not None:
            progress.advance(f"{record['submission']}: {record['id']}")

    if not args.scheduler:  # a Dask worker checks its own confinement (grader/distributed.py)
        _refuse_weak_isolation(args.allow_weak_isolation)
    try:
        run = grade(args.assignment, args.paths, args.out, jobs=args.jobs, on_start=start, on_verdict=advance,
                    roster=args.roster, force=args.force, scheduler=args.scheduler)
    finally:
        if progress is not None:
            progress.close()
    if not args.quiet:
        print(render_class_summary(run.results))
        print(LEGEND)
        skipped = run.results.get("skipped") or []
        if skipped:
            print(f"skipped {len(skipped)} file{'s' * (len(skipped) != 1)} (not graded):")
            for s in skipped:
                print(f"  {s['path']}: {s['reason']}")
        print(f"graded {run.graded}, unchanged since the last run {run.reused}"
              + ("" if not run.reused else " (use --force to regrade them)"))
        print(f"results: {args.out / 'results.json'}\nclass report: {args.out / 'index.html'}")
    return 0


def _refuse_weak_isolation(allowed: bool) -> None:
    """``grader grade`` stops where student code could only be confined by rlimits (see docs/SANDBOX.md)."""
    from grader.sandbox.process import weak_isolation_reason

    reason = "" if allowed else weak_isolation_reason()
    if reason:
        raise GradeError(f"{reason}; pass --allow-weak-isolation to grade anyway")


def _one_submission(assignment: str, file: str) -> None:
    """`grader check` grades one submission: an archive or folder holding several is refused with a reason."""
    path = Path(file)
    if not path.exists():
        raise GradeError(f"{file}: no such file; give the path to your .py or .ipynb")
    if path.is_file() and path.suffix.lower() in SOURCE_SUFFIXES:
        return
    with tempfile.TemporaryDirectory(prefix="grader-check-") as tmp:
        found = discover_all([path], Path(tmp), assignment=assignment)
    if len(found.submissions) > 1:
        ids = ", ".join(s.id for s in found.submissions[:5]) + (" ..." if len(found.submissions) > 5 else "")
        raise GradeError(f"{file} holds {len(found.submissions)} submissions ({ids}); `grader check` grades one: "
                         f"give one file, or grade them all with `grader grade {assignment} {file} --out DIR`")


def _cmd_check(args: argparse.Namespace) -> int:
    from grader.reports.terminal import render_submission, supports_color

    resolve(args.assignment)
    _one_submission(args.assignment, args.file)
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


def _cmd_export(args: argparse.Namespace) -> int:
    from grader.export import DEFAULT_NAMES, EXPORTS_DIR, export, read_results, without_lms_id

    results = read_results(args.dir)
    out = args.out or args.dir / EXPORTS_DIR / DEFAULT_NAMES[args.format]
    written = export(results, args.format, out)
    print(f"{args.format}: {written}")
    unmatched = without_lms_id(results) if args.format in ("canvas", "moodle") else []
    if unmatched:
        print(f"warning: {len(unmatched)} row(s) without an LMS user id ({', '.join(unmatched[:5])}"
              f"{' ...' if len(unmatched) > 5 else ''}): {args.format.capitalize()} cannot match them; "
              "grade with --roster, or from the LMS's bulk download", file=sys.stderr)
    return 0


def _cmd_gradescope(args: argparse.Namespace) -> int:
    from grader.gradescope import build_autograder

    path = build_autograder(args.assignment, args.out)
    print(f"autograder: {path} (upload it in the assignment's Configure Autograder page)")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "jobs", None) is not None and args.jobs < 1:
        print("grader: error: --jobs must be at least 1", file=sys.stderr)
        return 2
    commands = {"grade": _cmd_grade, "check": _cmd_check, "list": _cmd_list, "export": _cmd_export,
                "gradescope": _cmd_gradescope}
    try:
        return (getattr(args, "run", None) or commands[args.command])(args)
    except Interrupted as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("grader: interrupted; nothing was lost that a rerun of the same command will not redo", file=sys.stderr)
        return 130
    except USER_ERRORS as exc:
        hint = _hint(args)
        print(f"grader: error: {exc}" + (f" ({hint})" if hint else ""), file=sys.stderr)
        return 2


def _hint(args: argparse.Namespace) -> str | None:
    if args.command == "grade":
        return _swapped(args.assignment, args.paths)
    if args.command == "check":
        return _swapped(args.assignment, [args.file])
    return None

"""``grader kit ASSIGNMENT... --out DIR [--solution FILE] [--jobs N]``: build the student kits (registered by
grader/cli.py; several assignments are built in parallel processes)."""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from grader.assignments import SHIPPED


def add_parser(sub: Any) -> None:
    k = sub.add_parser("kit", help="build the student kit: a wheel with the public checks and no answer code")
    k.add_argument("assignment", nargs="+",
                   help=f"one of {', '.join(SHIPPED)} (or several), or the path to your own assignment folder")
    k.add_argument("--out", required=True, type=Path, metavar="DIR", help="where the wheels and their READMEs go")
    k.add_argument("--solution", type=Path, default=None, metavar="FILE",
                   help="a full-marks submission to record the answers with (default: the reference's own; "
                        "one assignment only)")
    k.add_argument("--jobs", type=int, default=os.cpu_count() or 1, metavar="N",
                   help="build several assignments' kits in N processes at once (default: one per core)")
    k.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from grader.kit.build import KitError, build_kit, build_kits

    if args.solution is not None and len(args.assignment) > 1:
        print("grader: error: --solution FILE records one assignment's answers; build that kit alone",
              file=sys.stderr)
        return 2
    try:
        if len(args.assignment) == 1:
            built_all = [build_kit(args.assignment[0], args.out, solution=args.solution)]
        else:
            built_all = build_kits(args.assignment, args.out, args.jobs)
    except KitError as exc:
        print(f"grader: error: {exc}", file=sys.stderr)
        return 2
    for built in built_all:
        _report(built, args.out)
    return 0


def _report(built: Any, out: Path) -> None:
    print(f"{built.wheel}\n  {len(built.public)} public checks, {len(built.hidden)} hidden checks left out, "
          f"{built.questions} recorded answers, {built.trusted_calls} trusted-helper answers; "
          f"built in {built.seconds['total']:.1f} s")
    if built.student_dependent:
        print(f"  left out (their expected values depend on the student's own results): "
              f"{', '.join(built.student_dependent)}")
    print(f"  install: pip install {built.wheel}   (Colab: see {out / ('README-' + built.assignment + '.md')})")

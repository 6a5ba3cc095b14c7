"""``grader kit ASSIGNMENT --out DIR [--solution FILE]``: build the student kit (registered by grader/cli.py)."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from grader.assignments import SHIPPED


def add_parser(sub: Any) -> None:
    k = sub.add_parser("kit", help="build the student kit: a wheel with the public checks and no answer code")
    k.add_argument("assignment", help=f"one of {', '.join(SHIPPED)}, or the path to your own assignment folder")
    k.add_argument("--out", required=True, type=Path, metavar="DIR", help="where the wheel and its README go")
    k.add_argument("--solution", type=Path, default=None, metavar="FILE",
                   help="a full-marks submission to record the answers with (default: the reference's own)")
    k.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from grader.kit.build import KitError, build_kit

    try:
        built = build_kit(args.assignment, args.out, solution=args.solution)
    except KitError as exc:
        print(f"grader: error: {exc}", file=sys.stderr)
        return 2
    print(f"{built.wheel}\n  {len(built.public)} public checks, {len(built.hidden)} hidden checks left out, "
          f"{built.questions} recorded answers, {built.trusted_calls} trusted-helper answers; "
          f"built in {built.seconds['total']:.1f} s")
    if built.student_dependent:
        print(f"  left out (their expected values depend on the student's own results): "
              f"{', '.join(built.student_dependent)}")
    print(f"  install: pip install {built.wheel}   (Colab: see {args.out / ('README-' + built.assignment + '.md')})")
    return 0

"""``grader-check ASSIGNMENT FILE [--only COMPONENT]``: the kit's public checks, the report in the terminal."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from grader_kit.kit import KitError, assignments, check_file


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="grader-check",
                                     description="Check your work on the assignment's public checks (student kit).")
    parser.add_argument("assignment", help=f"one of: {', '.join(assignments()) or '(none installed)'}")
    parser.add_argument("file", help="your .py or .ipynb file")
    parser.add_argument("--only", action="append", default=[], metavar="COMPONENT",
                        help="check only this component (e.g. softmax); repeatable")
    args = parser.parse_args(argv)
    if not Path(args.file).is_file():
        print(f"grader-check: error: {args.file}: no such file; give the path to your .py or .ipynb", file=sys.stderr)
        return 2
    from grader.reports.terminal import render_submission, supports_color

    try:
        results = check_file(args.assignment, args.file, args.only)
    except KitError as exc:
        print(f"grader-check: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("grader-check: interrupted", file=sys.stderr)
        return 130
    print(render_submission(results["submissions"][0], results["checks"], color=supports_color(sys.stdout)))
    if args.only:
        print(f"checked only {', '.join(args.only)}: run without --only for the whole assignment")
    print("(the public checks of the student kit: your grade also uses other inputs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

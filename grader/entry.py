"""The ``grader`` command's entry point: starts the sandbox's fork server before the CLI's own imports.

A ``grader grade``/``grader check`` process needs its fork server (a Python importing NumPy inside the
allow-list root: about 0.3 s of start-up) before its first student process, and it first spends about as long
importing pytest, jinja2 and the checks' machinery. Started here (the process launched in this thread, about
25 ms; a background thread then waits for its hello), the two overlap: by the time the judge has loaded the class
and collected the checks, the fork server is usually up. The grading
run itself starts it too (``grader.sandbox.process.boot_sandbox``, same server: a second start is a no-op), so nothing
depends on this shortcut; it is skipped where it cannot know the assignment cheaply (options before the
assignment's name), for ``--scheduler`` runs (the cluster's workers grade) and for every other command.
"""
from __future__ import annotations

import sys
from typing import Sequence

SANDBOXED_COMMANDS = ("grade", "check")


def start_sandbox_early(argv: Sequence[str]) -> bool:
    """Begin booting the fork server for ``grader grade|check ASSIGNMENT ...``; True if it was started."""
    if len(argv) < 2 or argv[0] not in SANDBOXED_COMMANDS or argv[1].startswith("-"):
        return False
    if any(a == "--scheduler" or a.startswith("--scheduler=") for a in argv) or "-h" in argv or "--help" in argv:
        return False
    try:
        from grader.assignments import resolve

        assignment = resolve(argv[1])
    except Exception:  # noqa: BLE001 - the CLI reports a bad assignment in its own words
        return False
    import numpy  # noqa: F401 - the root's description lists the shared libraries NumPy maps into this process

    from grader.sandbox.process import boot_sandbox

    return boot_sandbox(assignment.packages) is not None


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    start_sandbox_early(args)
    from grader.cli import main as cli_main

    return cli_main(args)

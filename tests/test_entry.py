"""The ``grader`` command starts its fork server before its own imports (grader/entry.py), only where it will
grade here, and a class graded that way is graded as before."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from grader.sandbox import isolation_available

ROOT = Path(__file__).resolve().parents[1]

PROBE = textwrap.dedent("""
    import json, sys
    from grader.entry import start_sandbox_early
    started = start_sandbox_early(sys.argv[1:])
    heavy = sorted(m for m in ("pytest", "jinja2", "grader.sandbox.proxy", "grader.cli") if m in sys.modules)
    alive = False
    if started:
        from grader.sandbox import process
        process._BOOTED.wait(60)
        alive = process._SERVER is not None and process._SERVER.alive()
    print(json.dumps({"started": started, "alive": alive, "heavy": heavy}))
""")


def _probe(*argv: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.skipif(not isolation_available(), reason="needs the allow-list root")
def test_grade_and_check_start_the_fork_server_before_importing_pytest() -> None:
    for command in ("grade", "check"):
        report = _probe(command, "numerical", "somewhere", "--out", "out")
        assert report == {"started": True, "alive": True, "heavy": []}, command


@pytest.mark.parametrize("argv", [
    ["list", "numerical"],
    ["grade", "numerical", "dir", "--scheduler", "tcp://127.0.0.1:8786"],
    ["grade", "numerical", "dir", "--scheduler=tcp://127.0.0.1:8786"],
    ["grade", "no-such-assignment", "dir"],
    ["grade", "--jobs", "2", "numerical", "dir"],
    ["grade", "numerical", "--help"],
    ["grade"],
], ids=["other-command", "scheduler", "scheduler=", "unknown-assignment", "options-first", "help", "bare"])
def test_no_early_start_where_this_machine_will_not_grade_or_the_assignment_is_unclear(argv: list[str]) -> None:
    assert _probe(*argv)["started"] is False


def test_an_unknown_assignment_is_still_reported_by_the_cli(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "grader", "grade", "no-such-assignment", str(tmp_path), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2
    assert "no-such-assignment" in done.stderr

"""Grading planted-bug submissions in one CLI run, and asserting exactly which checks each one fails."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.cli import main as cli_main
from grader.credit import CONDITIONAL_KINDS

# name -> (source, {check id: (allowed statuses, words the message must contain or None)})
Planted = dict[str, tuple[str, dict[str, tuple[tuple[str, ...], str | None]]]]


def grade_planted(root: Path, assignment: str, planted: Planted, max_score: float,
                  extra: dict[str, str] | None = None) -> dict[str, dict]:
    """Grade every planted source (and ``extra`` name -> source) in ONE CLI run (--jobs 2); submissions by id."""
    subs = root / "subs"
    subs.mkdir()
    for name, source in {**{n: s for n, (s, _) in planted.items()}, **(extra or {})}.items():
        (subs / f"{name}.py").write_text(source, encoding="utf-8")
    out = root / "out"
    assert cli_main(["grade", assignment, str(subs), "--out", str(out), "--jobs", "2"]) == 0
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert data["max_score"] == max_score
    return {s["id"]: s for s in data["submissions"]}


def _uncredited_expected(check: dict, checks: list[dict], expected: dict) -> bool:
    """A mutation/static check whose component's result checks are all expected to fail is not credited."""
    values = [c["id"] for c in checks if c["component"] == check["component"] and c["kind"] not in CONDITIONAL_KINDS]
    return check["kind"] in CONDITIONAL_KINDS and bool(values) and all(v in expected for v in values)


def assert_planted(sub: dict, expected: dict[str, tuple[tuple[str, ...], str | None]]) -> None:
    """The expected checks end in an allowed status with the expected words; a mutation or static check of a
    component whose every result check is expected to fail shows "not credited"; every other check passes."""
    assert sub["status"] == "graded"
    for c in sub["checks"]:
        if c["id"] in expected:
            statuses, text = expected[c["id"]]
            assert c["status"] in statuses, (c["id"], c["status"], c["message"])
            assert text is None or text in c["message"], (c["id"], c["message"])
        elif _uncredited_expected(c, sub["checks"], expected):
            assert c["status"] == "failed" and c["message"].startswith("not credited"), (c["id"], c["message"])
        else:
            assert c["status"] == "passed", (c["id"], c["status"], c["message"])
    assert sub["score"] == pytest.approx(sum(c["score"] for c in sub["checks"]))

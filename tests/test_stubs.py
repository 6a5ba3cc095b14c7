"""A zero stub, an identity stub and a constant stub of EVERY component of EVERY assignment, graded through the
CLI, earn exactly 0 (issue 8, class 8: stubs that satisfied a check's logic earned 3-26 % of the points).

The stubs are made from student_template/ (tests/stubs.py): every function or method the template leaves
unimplemented returns zeros, its first array argument, or 0.5s, as many values as the reference returns.
"""
from __future__ import annotations

import json

import pytest

from grader.cli import main as cli_main
from tests.stubs import KINDS, stub_source

ASSIGNMENTS = ("numerical", "backprop", "layers", "optim", "conv")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_stubs_earn_nothing(tmp_path, assignment: str) -> None:
    subs = tmp_path / "subs"
    subs.mkdir()
    for kind in KINDS:
        (subs / f"{kind}.py").write_text(stub_source(assignment, kind), encoding="utf-8")
    out = tmp_path / "out"
    assert cli_main(["grade", assignment, str(subs), "--out", str(out), "--jobs", "2"]) == 0
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    earned = {s["id"]: [(c["id"], c["score"]) for c in s["checks"] if c["score"] > 0] for s in results["submissions"]}
    assert set(earned) == set(KINDS)
    assert earned == {kind: [] for kind in KINDS}

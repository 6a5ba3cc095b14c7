"""`grader check --only COMPONENT`: a student checks the component they are working on."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.cli import main
from tests.helpers_submissions import buggy_source, write_py


def test_only_runs_the_named_components(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sub = write_py(tmp_path / "mine.py", buggy_source("numerical", "sse_no_half"))
    out = tmp_path / "out"
    assert main(["check", "numerical", str(sub), "--only", "softmax", "--only", "sum_squared_error",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "3/5" in printed and "checked only softmax, sum_squared_error" in printed
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert {c["component"] for c in results["checks"]} == {"softmax", "sum_squared_error"}
    assert results["max_score"] == 5
    checks = results["submissions"][0]["checks"]
    assert [c["id"] for c in checks] == [c["id"] for c in results["checks"]]
    assert {c["status"] for c in checks if c["component"] == "softmax"} == {"passed"}


def test_an_unknown_component_is_a_one_line_error_that_lists_the_right_names(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sub = write_py(tmp_path / "mine.py", buggy_source("numerical", "sse_no_half"))
    assert main(["check", "numerical", str(sub), "--only", "sofmax"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "no component 'sofmax'" in err and "softmax" in err

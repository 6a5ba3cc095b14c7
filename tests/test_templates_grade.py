"""The student templates graded as they are score 0 with friendly messages; with the reference
dropped into them they score full marks. One grading run per assignment covers both."""
from __future__ import annotations

from pathlib import Path

import pytest

from grader.assignments import SHIPPED
from grader.grade import grade
from reference.submission import as_submission

TEMPLATES = Path(__file__).resolve().parent.parent / "student_template"


@pytest.mark.parametrize("assignment", SHIPPED)
def test_template_scores_zero_and_reference_in_template_scores_full(assignment: str, tmp_path: Path) -> None:
    skeleton = (TEMPLATES / f"{assignment}.py").read_text(encoding="utf-8")
    (tmp_path / "skeleton.py").write_text(skeleton, encoding="utf-8")
    (tmp_path / "solved.py").write_text(
        skeleton + "\n\n# ---- the reference, dropped into the template ----\n" + as_submission(assignment),
        encoding="utf-8")

    results = grade(assignment, [str(tmp_path)], None, jobs=2).results
    subs = {s["id"]: s for s in results["submissions"]}

    solved = subs["solved"]
    failing = [(c["id"], c["status"], c["message"][:200]) for c in solved["checks"] if c["status"] != "passed"]
    assert failing == [] and solved["score"] == results["max_score"]

    empty = subs["skeleton"]
    assert empty["score"] == 0
    for c in empty["checks"]:
        assert c["status"] in ("missing", "error"), c
        assert "internal grader error" not in c["message"], c
        assert "not implemented yet" in c["message"] or "not defined" in c["message"], c

"""An instructor's check may use pytest.mark.parametrize: each case is a check, the points are shared."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.cli import main
from tests.helpers_submissions import write_py

TOML = 'name = "cases"\ntitle = "Parametrised checks"\ntotal_points = 3\n'
CHECKS = '''import numpy as np
import pytest

from grader.checks import check
from grader.compare import assert_close


@pytest.mark.parametrize("shape", [(2, 3), (4,), (1, 1, 5)])
@check("square", "golden", points=2)
def test_square_shapes(student, shape):
    x = np.arange(float(np.prod(shape))).reshape(shape) - 2
    assert_close(student.square(x), x * x, what=f"square(x) for x of shape {shape}")


@pytest.mark.parametrize("value", [0.5, 3])
@check("square", "property", points=1)
def test_square_scalars(student, value):
    assert student.square(value) == value * value, f"square({value})"
'''
# Right for arrays, wrong for 1-element-per-row shapes and for Python scalars.
SUBMISSION = '''import numpy as np

def square(x):
    x = np.asarray(x, dtype=float)
    if x.ndim == 3:
        return x
    if x.ndim == 0:
        return float(x) * 2
    return x * x
'''


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("cases")
    folder = root / "cases"
    folder.mkdir()
    (folder / "assignment.toml").write_text(TOML, encoding="utf-8")
    (folder / "test_cases.py").write_text(CHECKS, encoding="utf-8")
    sub = write_py(root / "mine.py", SUBMISSION)
    assert main(["grade", str(folder), str(sub), "--out", str(root / "out"), "--quiet"]) == 0
    return json.loads((root / "out" / "results.json").read_text(encoding="utf-8"))


def test_each_case_is_a_check_with_its_share_of_the_points(results: dict) -> None:
    ids = [c["id"] for c in results["checks"]]
    assert ids == ["square/shapes[2x3]", "square/shapes[4]", "square/shapes[1x1x5]",
                   "square/scalars[0.5]", "square/scalars[3]"]
    assert [c["max_score"] for c in results["checks"]] == pytest.approx([2 / 3] * 3 + [0.5] * 2)
    assert results["max_score"] == pytest.approx(3)


def test_a_failing_case_costs_only_its_share(results: dict) -> None:
    sub = results["submissions"][0]
    status = {c["id"]: c["status"] for c in sub["checks"]}
    assert status == {"square/shapes[2x3]": "passed", "square/shapes[4]": "passed",
                      "square/shapes[1x1x5]": "failed", "square/scalars[0.5]": "failed",
                      "square/scalars[3]": "failed"}
    assert sub["score"] == pytest.approx(4 / 3)
    message = next(c["message"] for c in sub["checks"] if c["id"] == "square/shapes[1x1x5]")
    assert "(1, 1, 5)" in message


def test_cases_that_look_alike_are_an_instructor_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "twins"
    folder.mkdir()
    (folder / "assignment.toml").write_text(TOML.replace("3", "1"), encoding="utf-8")
    (folder / "test_twins.py").write_text(
        "import pytest\nfrom grader.checks import check\n\n\n"
        "@pytest.mark.parametrize('v', [1, 1])\n@check('square', 'golden', points=1)\n"
        "def test_square(student, v):\n    assert student.square(v) == v * v\n", encoding="utf-8")
    sub = write_py(tmp_path / "mine.py", SUBMISSION)
    assert main(["grade", str(folder), str(sub), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "two parametrised cases get the same check id 'square/square[1]'" in err

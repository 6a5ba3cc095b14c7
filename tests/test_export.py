"""`grader export` and `grader gradescope` through the CLI, each output validated as its consumer documents it:

- Gradescope results.json against a JSON Schema of Gradescope's documented format (tests/fixtures);
- JUnit XML by a parser and by pytest's own junit schema (junit-10.xsd, taken from pytest's source
  distribution of the installed version; skipped with the reason when PyPI cannot be reached);
- the Canvas and Moodle CSVs by the columns their importers read;
- the Gradescope autograder zip by running its run_autograder in a folder laid out as Gradescope does.
"""
from __future__ import annotations

import csv
import datetime as _dt
import json
import os
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest

from tests.helpers_submissions import buggy_source, reference_source, write_py

FIXTURES = Path(__file__).parent / "fixtures"
OK = reference_source("numerical")
ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section
"Kim, Minji",125,S125,mkim,A
"Park, Jiwoo",123,S123,jpark,A
"""


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "grader", *args], capture_output=True, text=True, timeout=600)
    assert not check or done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("export")
    dl = root / "dl"
    write_py(dl / "kimminji_LATE_125_470_numerical.py", OK)
    write_py(dl / "parkjiwoo_123_456_numerical.py", buggy_source("numerical", "softmax_no_max"))
    write_py(dl / "Lee Jiho_777_assignsubmission_file_numerical.py", OK)
    write_py(dl / "mallory;=2+5;.py", OK)
    (dl / "broken.ipynb").write_text("{not json", encoding="utf-8")
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    out = root / "out"
    cli("grade", "numerical", str(dl), "--roster", str(root / "roster.csv"), "--out", str(out), "--quiet")
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return SimpleNamespace(root=root, out=out, results=results, subs={s["id"]: s for s in results["submissions"]})


def test_gradescope_results_follow_the_documented_schema(graded) -> None:
    schema = json.loads((FIXTURES / "gradescope_results.schema.json").read_text(encoding="utf-8"))
    folder = graded.root / "gs"
    cli("export", str(graded.out), "--format", "gradescope", "--out", str(folder))
    files = sorted(folder.glob("*.json"))
    assert len(files) == len(graded.results["submissions"])
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.validate(data, schema)
        assert sum(t["score"] for t in data["tests"]) == pytest.approx(data["score"])
        assert sum(t["max_score"] for t in data["tests"]) == pytest.approx(graded.results["max_score"])
    park = json.loads(next(p for p in files if p.name.startswith("parkjiwoo")).read_text(encoding="utf-8"))
    failed = [t for t in park["tests"] if t["status"] == "failed"]
    assert failed and all(t["output"] and t["name"].startswith("softmax: ") for t in failed)
    one = cli("export", str(graded.out), "--format", "gradescope", "--out", str(graded.root / "one.json"), check=False)
    assert one.returncode == 2 and "holds one submission" in one.stderr  # five submissions: a folder is needed


def _pytest_junit_schema(cache: Path) -> Path:
    """pytest's own JUnit schema (testing/example_scripts/junit-10.xsd) from the installed version's sdist."""
    version = pytest.__version__
    target = cache / f"junit-10-pytest-{version}.xsd"
    if target.exists():
        return target
    done = subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                           f"pytest=={version}", "-d", str(cache)], capture_output=True, text=True, timeout=300)
    sdists = list(cache.glob(f"pytest-{version}.tar.gz"))
    if done.returncode != 0 or not sdists:
        pytest.skip(f"pytest {version}'s source distribution could not be downloaded from PyPI: {done.stderr[-300:]}")
    with tarfile.open(sdists[0]) as tar:
        member = tar.extractfile(f"pytest-{version}/testing/example_scripts/junit-10.xsd")
        target.write_bytes(member.read())
    return target


def test_junit_xml_parses_and_validates_against_pytests_junit_schema(graded, tmp_path_factory) -> None:
    import xmlschema

    path = graded.root / "junit.xml"
    cli("export", str(graded.out), "--format", "junit", "--out", str(path))
    root = ET.parse(path).getroot()
    assert root.tag == "testsuites" and int(root.get("tests")) == len(graded.results["checks"]) * len(graded.subs)
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    park = suites["parkjiwoo"]
    props = {p.get("name"): p.get("value") for p in park.iter("property")}
    assert props["score"] == f"{graded.subs['parkjiwoo']['score']:g}" and props["max_score"] == "20"
    assert props["lms_user_id"] == "123" and props["points:softmax/golden-batch"].endswith("/1")
    assert any(case.find("failure") is not None for case in park.iter("testcase"))
    schema = xmlschema.XMLSchema(str(_pytest_junit_schema(tmp_path_factory.mktemp("xsd"))))
    schema.validate(str(path))


def test_canvas_csv_has_the_columns_canvas_imports(graded) -> None:
    with open(graded.out / "exports" / "canvas.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[0][5] == graded.results["title"] and rows[1][0] == "Points Possible" and rows[1][5] == "20"
    by_id = {r[1]: r for r in rows[2:]}
    assert by_id["125"][:5] == ["Kim, Minji", "125", "S125", "mkim", "A"] and by_id["125"][5] == "20"
    assert by_id["123"][0] == "Park, Jiwoo" and float(by_id["123"][5]) < 20
    assert by_id["777"][0] == "Lee Jiho"  # Moodle's id kept even without a roster row
    warned = cli("export", str(graded.out), "--format", "canvas")
    assert "without an LMS user id" in warned.stderr and "broken" in warned.stderr


def test_moodle_worksheet_has_the_columns_moodle_reads(graded) -> None:
    with open(graded.out / "exports" / "moodle.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {"Identifier", "Grade", "Last modified (grade)", "Feedback comments"} <= set(rows[0])
    lee = next(r for r in rows if r["Identifier"] == "Participant 777")
    assert lee["Grade"] == "20.00" and lee["Full name"] == "Lee Jiho"
    _dt.datetime.strptime(lee["Last modified (grade)"], "%A, %d %B %Y, %I:%M %p")  # Moodle's own format


def test_no_export_hands_a_spreadsheet_a_formula(graded) -> None:
    for name in ("canvas.csv", "moodle.csv"):
        text = (graded.out / "exports" / name).read_text(encoding="utf-8")
        assert "mallory;'=2+5;" in text
    text = (graded.out / "grades.csv").read_text(encoding="utf-8")
    for separator in (",", ";", "\t"):
        for line in text.splitlines():
            for cell in line.split(separator):
                assert not cell.strip().strip('"').startswith(("=", "+", "@")), (separator, cell)


def test_gradescope_autograder_runs_in_a_gradescope_layout(tmp_path: Path) -> None:
    from grader.gradescope import copy_layout

    cli("gradescope", "numerical", "--out", str(tmp_path / "dist"))
    archive = tmp_path / "dist" / "numerical-autograder.zip"
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        assert {"setup.sh", "run_autograder", "dlfs-grader/pyproject.toml"} <= names
        assert "dlfs-grader/assignments/numerical/test_numerical.py" in names
        assert not any("__pycache__" in n for n in names)
    root = copy_layout(archive, tmp_path / "autograder")
    for script in ("setup.sh", "run_autograder"):
        assert subprocess.run(["bash", "-n", str(root / "source" / script)]).returncode == 0
    write_py(root / "submission" / "homework.py", OK)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "GRADER_PYTHON": sys.executable}
    done = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, json.loads((FIXTURES / "gradescope_results.schema.json").read_text(encoding="utf-8")))
    assert results["score"] == 20 and len(results["tests"]) > 10

    (root / "submission" / "homework.py").unlink()  # nothing to grade: a result that says so, score 0
    (root / "submission" / "notes.txt").write_text("I could not do it", encoding="utf-8")
    done = subprocess.run([str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=600)
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    assert results["score"] == 0 and "Nothing to grade" in results["output"]

"""Exports from a graded folder's results.json: LMS gradebooks, Gradescope and JUnit.

- ``canvas``: a gradebook CSV as Canvas imports it (Grades > Import): ``Student, ID, SIS User ID,
  SIS Login ID, Section`` and one column named after the assignment, with a ``Points Possible`` row.
  Canvas matches rows by ``ID`` (the Canvas user id, from the bulk-download file names or the roster).
- ``moodle``: an offline grading worksheet as Moodle's assignment imports it (Upload grading worksheet):
  ``Identifier`` (``Participant N``, N from the bulk-download names), ``Grade``, ``Last modified (grade)``
  and ``Feedback comments``, plus the columns Moodle's own worksheet has.
- ``csv``: ``grades.csv`` (every check's points, the LMS identity).
- ``gradescope``: Gradescope's autograder ``results.json`` per submission (``score``, ``tests[]`` with
  ``name``, ``score``, ``max_score``, ``status``, ``output``, ``visibility``): a folder of ``<id>.json``,
  or one file when the class has one submission and the path ends in ``.json``.
- ``junit``: JUnit XML, one ``<testsuite>`` per submission, one ``<testcase>`` per check; points are the
  suite's ``<properties>`` (``score``, ``max_score`` and ``points:<check id>``).

Every text cell of a CSV is spreadsheet-safe (``grader.reports.csv.spreadsheet_safe``).
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any, Callable

from grader.reports import model
from grader.reports.csv import _number, spreadsheet_safe, write_grades_csv
from grader.results import atomic_write_text

FORMATS = ("canvas", "moodle", "csv", "gradescope", "junit")
DEFAULT_NAMES = {"canvas": "canvas.csv", "moodle": "moodle.csv", "csv": "grades.csv", "gradescope": "gradescope",
                 "junit": "junit.xml"}
EXPORTS_DIR = "exports"


class ExportError(Exception):
    """The graded folder cannot be exported: the message names the folder and the fix."""


def read_results(graded: Path) -> dict[str, Any]:
    path = Path(graded) / "results.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ExportError(f"{path}: not found; give the --out folder of a `grader grade` run") from exc
    except (OSError, ValueError) as exc:
        raise ExportError(f"{path}: cannot be read ({exc}); run `grader grade` again to rebuild it") from exc


def export(results: dict[str, Any], fmt: str, path: Path) -> Path:
    """Write ``results`` in ``fmt`` to ``path`` (a file; a folder for several Gradescope results)."""
    writer: dict[str, Callable[[dict[str, Any], Path], Path]] = {
        "canvas": write_canvas, "moodle": write_moodle, "csv": write_csv, "gradescope": write_gradescope,
        "junit": write_junit}
    if fmt not in writer:
        raise ExportError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return writer[fmt](results, path)


def write_all(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """Every export into ``out_dir/exports/`` (the class page links to them)."""
    folder = Path(out_dir) / EXPORTS_DIR
    return [export(results, fmt, folder / DEFAULT_NAMES[fmt]) for fmt in FORMATS if fmt != "csv"]


def without_lms_id(results: dict[str, Any]) -> list[str]:
    """Submissions an LMS cannot match by id (no user id from the file names or the roster)."""
    return [str(s["id"]) for s in results.get("submissions") or [] if not _user_id(s)]


# --------------------------------------------------------------------------- CSVs

def _user_id(sub: dict[str, Any]) -> str:
    return str((sub.get("roster") or {}).get("user_id") or (sub.get("lms") or {}).get("user_id") or "")


def _name(sub: dict[str, Any]) -> str:
    return str((sub.get("roster") or {}).get("name") or (sub.get("lms") or {}).get("name") or sub.get("id") or "")


def _write_rows(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(h) for h in header])
    writer.writerows([[spreadsheet_safe(c) if isinstance(c, str) else c for c in row] for row in rows])
    return atomic_write_text(path, buffer.getvalue())


CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def canvas_column(results: dict[str, Any]) -> str:
    return str(results.get("title") or results.get("assignment") or "grader")


def write_canvas(results: dict[str, Any], path: Path) -> Path:
    roster = lambda s, k: str((s.get("roster") or {}).get(k) or "")  # noqa: E731
    header = CANVAS_COLUMNS + [canvas_column(results)]
    rows: list[list[Any]] = [["Points Possible", "", "", "", "", _number(results.get("max_score"))]]
    for sub in results.get("submissions") or []:
        rows.append([_name(sub), _user_id(sub), roster(sub, "sis_user_id"), roster(sub, "login"),
                     roster(sub, "section"), _number(sub.get("score") or 0)])
    return _write_rows(path, header, rows)


MOODLE_COLUMNS = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum Grade",
                  "Grade can be changed", "Last modified (submission)", "Last modified (grade)", "Feedback comments"]


def _moodle_time(when: _dt.datetime) -> str:
    """Moodle's worksheet date format ("Wednesday, 2 December 2026, 11:45 AM"), which PHP strtotime reads."""
    return f"{when:%A}, {when.day} {when:%B %Y}, {when:%I:%M %p}".replace(", 0", ", ")


def feedback_text(sub: dict[str, Any]) -> str:
    """One line for the gradebook: score, and the components that lost points."""
    score, max_score = model.format_points(sub.get("score")), model.format_points(sub.get("max_score"))
    if sub.get("status") == "missing":
        return f"0/{max_score}: {sub.get('error') or 'no submission'}"
    if sub.get("status") == "load_error":
        return f"0/{max_score}: the file could not be loaded: {sub.get('error') or ''}"[:500]
    lost = [g.component for g in model.group_by_component(sub.get("checks") or []) if not g.all_passed]
    return f"{score}/{max_score}" + (f"; points lost in: {', '.join(lost)}" if lost else "; all checks passed")


def write_moodle(results: dict[str, Any], path: Path) -> Path:
    now = _moodle_time(_dt.datetime.now())
    rows = []
    for sub in results.get("submissions") or []:
        uid = _user_id(sub)
        email = str((sub.get("roster") or {}).get("email") or "")
        status = "No submission" if sub.get("status") == "missing" else "Submitted for grading"
        rows.append([f"Participant {uid}" if uid else "", _name(sub), email, status,
                     f"{float(sub.get('score') or 0):.2f}", f"{float(sub.get('max_score') or 0):.2f}", "Yes", "",
                     now, feedback_text(sub)])
    return _write_rows(path, MOODLE_COLUMNS, rows)


def write_csv(results: dict[str, Any], path: Path) -> Path:
    return write_grades_csv(results, path)


# --------------------------------------------------------------------------- Gradescope

def gradescope_result(results: dict[str, Any], sub: dict[str, Any]) -> dict[str, Any]:
    """One submission as Gradescope's autograder results.json."""
    meta = {c.get("id"): c for c in results.get("checks") or []}
    tests = []
    for number, check in enumerate(model.enrich_checks(sub, results.get("checks") or []), start=1):
        hidden = bool(meta.get(check.get("id"), {}).get("hidden"))
        message = str(check.get("message") or "")
        tests.append({
            "name": f"{check.get('component')}: {check.get('name')}" if check.get("component") else str(check["id"]),
            "number": str(number),
            "score": float(check.get("score") or 0),
            "max_score": float(check.get("max_score") or 0),
            "status": "passed" if check.get("status") == "passed" else "failed",
            "output": message if check.get("status") != "passed" else "",
            "visibility": "after_published" if hidden else "visible",
            "tags": [str(check.get("component") or ""), str(check.get("kind") or "")],
        })
    output = f"{model.format_points(sub.get('score'))}/{model.format_points(sub.get('max_score'))}"
    if sub.get("status") != "graded":
        output += f" ({model.status_label(str(sub.get('status')))}: {sub.get('error') or ''})"
    for note in sub.get("notes") or []:
        output += f"\n{note.get('severity', 'note')}: {note.get('where') + ': ' if note.get('where') else ''}{note.get('message', '')}"
    return {"score": float(sub.get("score") or 0), "output": output, "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}


def write_gradescope(results: dict[str, Any], path: Path) -> Path:
    subs = results.get("submissions") or []
    if path.suffix == ".json":
        if len(subs) != 1:
            raise ExportError(f"{path}: Gradescope's results.json holds one submission and this class has "
                              f"{len(subs)}; give a folder as --out")
        return atomic_write_text(path, json.dumps(gradescope_result(results, subs[0]), indent=2) + "\n")
    path.mkdir(parents=True, exist_ok=True)
    names = model.safe_file_names(str(s["id"]) for s in subs)
    for sub in subs:
        atomic_write_text(path / f"{names[str(sub['id'])]}.json",
                          json.dumps(gradescope_result(results, sub), indent=2) + "\n")
    return path


# --------------------------------------------------------------------------- JUnit

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml(text: Any) -> str:
    """Text XML 1.0 can hold: characters it forbids (NUL, other control codes) become ``\\xNN``."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def junit_tree(results: dict[str, Any]) -> ET.Element:
    """``<testsuites>`` with one ``<testsuite>`` per submission (pytest's junit-10.xsd shape)."""
    subs = results.get("submissions") or []
    root = ET.Element("testsuites", name=str(results.get("title") or results.get("assignment") or "grader"))
    totals = {"tests": 0, "failures": 0, "errors": 0}
    for sub in subs:
        checks = model.enrich_checks(sub, results.get("checks") or [])
        failures = sum(c.get("status") == "failed" for c in checks)
        errors = sum(c.get("status") not in ("passed", "failed") for c in checks)
        suite = ET.SubElement(root, "testsuite", name=_xml(sub.get("id")), tests=str(len(checks)),
                              failures=str(failures), errors=str(errors), skipped="0")
        props = ET.SubElement(suite, "properties")
        facts = {"score": _number(sub.get("score") or 0), "max_score": _number(sub.get("max_score")),
                 "status": str(sub.get("status")), "lms_user_id": _user_id(sub),
                 "late": "yes" if (sub.get("lms") or {}).get("late") else "no"}
        for name, value in facts.items():
            ET.SubElement(props, "property", name=name, value=_xml(value))
        for c in checks:
            ET.SubElement(props, "property", name=_xml(f"points:{c.get('id')}"),
                          value=f"{_number(c.get('score') or 0)}/{_number(c.get('max_score'))}")
        for c in checks:
            case = ET.SubElement(suite, "testcase", classname=_xml(f"{sub.get('id')}.{c.get('component')}"),
                                 name=_xml(c.get("id")))
            if c.get("status") != "passed":
                tag = "failure"
                el = ET.SubElement(case, tag, type=str(c.get("status")), message=_xml(c.get("message") or "")[:2000])
                el.text = _xml(f"{_number(c.get('score') or 0)}/{_number(c.get('max_score'))} points: {c.get('message') or ''}")
        totals["tests"] += len(checks)
        totals["failures"] += failures
        totals["errors"] += errors
    for key, value in totals.items():
        root.set(key, str(value))
    return root


def write_junit(results: dict[str, Any], path: Path) -> Path:
    tree = junit_tree(results)
    ET.indent(tree)
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(tree, encoding="unicode") + "\n"
    return atomic_write_text(path, text)

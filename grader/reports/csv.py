"""Grade export for the LMS: one row per submission, one column per check.

Columns: ``id, score, max_score, percent, status``, then every check id in the assignment's order,
holding that check's points, then ``lms_user_id, name, late``. UTF-8, comma-separated, RFC 4180
quoting; text a spreadsheet could read as a formula, with any separator, gets a leading apostrophe.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

from grader.reports import model

FIXED_COLUMNS = ["id", "score", "max_score", "percent", "status"]
IDENTITY_COLUMNS = ["lms_user_id", "name", "late"]  # after the checks: who the row is in the LMS


def _number(value: Any) -> str:
    """Points as an LMS reads them: ``2`` not ``2.0``, at most 4 decimals, empty for none."""
    if value is None:
        return ""
    value = round(float(value), 4)
    return str(int(value)) if value.is_integer() else f"{value:g}"


# A cell a spreadsheet could evaluate: its text, or any part after a separator a spreadsheet may split on
# (comma, semicolon, tab, and the quote that may open a field), starting with = + - @ or a tab/CR.
_FORMULA_START = re.compile(r'(^|[,;\t"])( *)(?=[=+\-@\t\r])')


def spreadsheet_safe(value: Any) -> str:
    """Text a spreadsheet shows as text whatever separator it splits on (``,`` ``;`` or tab): every part that
    would start with = + - @ (or a tab/CR) gets a leading apostrophe (OWASP's advice for CSV exports).
    ``mallory;=2+5;`` becomes ``mallory;'=2+5;``."""
    return _FORMULA_START.sub(lambda m: f"{m[1]}{m[2]}'", str(value))


_text = spreadsheet_safe


def check_columns(results: dict[str, Any]) -> list[str]:
    """Check ids in the assignment's order, then any that only submissions list."""
    ids = [str(c["id"]) for c in results.get("checks") or []]
    for sub in results.get("submissions") or []:
        ids += [str(c["id"]) for c in sub.get("checks") or [] if str(c["id"]) not in ids]
    return list(dict.fromkeys(ids))


def grade_rows(results: dict[str, Any]) -> list[dict[str, str]]:
    """One dict per submission keyed by ``FIXED_COLUMNS`` and check ids."""
    columns = check_columns(results)
    rows = []
    for sub in results.get("submissions") or []:
        max_score = sub.get("max_score", results.get("max_score"))
        pct = model.percent(sub.get("score"), max_score)
        row = {"id": _text(sub.get("id")), "score": _number(sub.get("score") or 0), "max_score": _number(max_score),
               "percent": "" if pct is None else _number(round(pct, 2)), "status": str(sub.get("status") or "")}
        scores = {str(c["id"]): _number(c.get("score") or 0) for c in sub.get("checks") or []}
        row.update({cid: scores.get(cid, "") for cid in columns})
        row.update(identity_cells(sub))
        rows.append(row)
    return rows


def identity_cells(sub: dict[str, Any]) -> dict[str, str]:
    """The LMS user id, the student's name (roster first) and the LATE marker, spreadsheet-safe."""
    lms, roster = sub.get("lms") or {}, sub.get("roster") or {}
    return {"lms_user_id": _text(roster.get("user_id") or lms.get("user_id") or ""),
            "name": _text(roster.get("name") or lms.get("name") or ""),
            "late": "yes" if lms.get("late") else ""}


def write_grades_csv(results: dict[str, Any], path: Path) -> Path:
    """Write the grade table to ``path`` and return it."""
    from grader.results import atomic_write_text

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=FIXED_COLUMNS + check_columns(results) + IDENTITY_COLUMNS)
    writer.writeheader()
    writer.writerows(grade_rows(results))
    return atomic_write_text(path, buffer.getvalue())

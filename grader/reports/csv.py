"""Grade export for the LMS: one row per submission, one column per check.

Columns: ``id, score, max_score, percent, status`` and then every check id in the
assignment's order, holding that check's points. UTF-8, comma-separated, RFC 4180 quoting; an id that
a spreadsheet would read as a formula is written with a leading apostrophe.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from grader.reports import model

FIXED_COLUMNS = ["id", "score", "max_score", "percent", "status"]


def _number(value: Any) -> str:
    """Points as an LMS reads them: ``2`` not ``2.0``, at most 4 decimals, empty for none."""
    if value is None:
        return ""
    value = round(float(value), 4)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def _text(value: Any) -> str:
    """A text cell a spreadsheet shows as text: one starting with = + - @ (or a tab/CR) would be run as a
    formula, so it gets a leading apostrophe (OWASP's advice for CSV exports)."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


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
        rows.append(row)
    return rows


def write_grades_csv(results: dict[str, Any], path: Path) -> Path:
    """Write the grade table to ``path`` and return it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIXED_COLUMNS + check_columns(results))
        writer.writeheader()
        writer.writerows(grade_rows(results))
    return path

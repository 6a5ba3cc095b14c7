"""Build results.json (CONTRACT.md's schema, plus extra fields) from verdicts.

Every check of the assignment appears for every submission, in catalog order; a check
without a verdict (it never ran) is reported as an error, never silently dropped.
A submission's score is the sum of its checks' scores; mutation and static checks earn theirs only
alongside a passed result check of the same component (``grader.credit``).
"""
from __future__ import annotations

import datetime as _dt
import json
import math
from pathlib import Path
from typing import Any

from grader import __version__
from grader.assignments import Assignment
from grader.checks import CheckInfo
from grader.credit import apply_credit_rule
from grader.loaded import LoadedSubmission

STATUSES = ("passed", "failed", "error", "timeout", "missing")


def _note_json(sub: LoadedSubmission) -> list[dict[str, Any]]:
    return [{"severity": n.severity, "where": n.where, "message": n.message} for n in sub.notes]


def _static_notes(sub: LoadedSubmission) -> list[dict[str, Any]]:
    notes = []
    for g in sub.global_reads:
        where = f"cell {g.cell}, line {g.lineno}" if g.cell else f"line {g.lineno}"
        notes.append({
            "severity": "warning",
            "where": where,
            "message": f"`{g.function}` reads the global variable `{g.name}` instead of a parameter: "
                       "it will break when called with other inputs",
        })
    return notes


def _missing_verdict(info: CheckInfo, status: str, message: str) -> dict[str, Any]:
    return {
        "id": info.id, "component": info.component, "kind": info.kind, "status": status,
        "score": 0.0, "max_score": info.points, "message": message, "details": {},
    }


def _submission(sub: LoadedSubmission, catalog: list[CheckInfo], records: dict, runtime: dict) -> dict:
    checks = []
    for info in catalog:
        if sub.error is not None:
            checks.append(_missing_verdict(info, "error", sub.error))
            continue
        record = records.get((sub.id, info.id))
        if record is None:
            checks.append(_missing_verdict(info, "error", "this check did not run (grader problem: see pytest.log)"))
            continue
        checks.append({k: record[k] for k in ("id", "component", "kind", "status", "score", "max_score",
                                               "message", "details")})
    checks = apply_credit_rule(checks)
    return {
        "id": sub.id,
        "path": sub.path,
        "status": "load_error" if sub.error is not None else "graded",
        "score": round(sum(c["score"] for c in checks), 6),
        "max_score": round(sum(c["max_score"] for c in checks), 6),
        "error": sub.error,
        "isolation": runtime.get("isolation", ""),
        "notes": _note_json(sub) + _static_notes(sub) + runtime.get("notes", []),
        "checks": checks,
    }


def build_results(
    assignment: Assignment,
    catalog: list[CheckInfo],
    submissions: list[LoadedSubmission],
    records: dict[tuple[str, str], dict[str, Any]],
    *,
    runtime: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``runtime``: per submission id, what its student process reported (``isolation``, ``notes``)."""
    runtime = runtime or {}
    levels = sorted({facts["isolation"] for facts in runtime.values() if facts.get("isolation")})
    return {
        "assignment": assignment.name,
        "title": assignment.title,
        "max_score": round(sum(c.points for c in catalog), 6),
        "grader_version": __version__,
        "generated_at": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "isolation": " / ".join(levels),
        "checks": [c.to_json() for c in catalog],
        "submissions": [_submission(s, catalog, records, runtime.get(s.id, {})) for s in submissions],
    }


def timings(records: dict[tuple[str, str], dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Per submission, per check: seconds. Kept out of results.json so that file is reproducible."""
    out: dict[str, dict[str, float]] = {}
    for (sub, check), record in sorted(records.items()):
        out.setdefault(sub, {})[check] = record.get("duration", 0.0)
    return out


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: write them as the strings "nan", "inf", "-inf"."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def write_json(data: Any, path: Path) -> Path:
    text = json.dumps(_finite(data), indent=2, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path

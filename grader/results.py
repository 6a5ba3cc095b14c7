"""Build results.json (CONTRACT.md's schema, plus extra fields) from verdicts.

Every check of the assignment appears for every submission, in catalog order; a check
without a verdict (it never ran) is reported as an error, never silently dropped.
A submission's score is the sum of its checks' scores; a public case earns its points only alongside its
twin, and mutation and static checks only alongside a passed result check of the same component
(``grader.credit``).
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
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


def submission_entry(
    sub: LoadedSubmission,
    catalog: list[CheckInfo],
    records: dict[tuple[str, str], dict[str, Any]],
    runtime: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One submission's entry of results.json from its verdict records (keyed by (submission, check id)).

    ``runtime``: what its student process reported (``isolation``, ``notes``); found in the records
    when not given."""
    runtime = runtime if runtime is not None else runtime_facts(records).get(sub.id, {})
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
                                               "message", "details", "twin") if k in record})
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


def runtime_facts(records: dict[tuple[str, str], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What each submission's student process reported about itself: isolation level, notes from loading."""
    facts: dict[str, dict[str, Any]] = {}
    for (sub, _), record in sorted(records.items()):
        mine = facts.setdefault(sub, {"isolation": "", "notes": []})
        mine["isolation"] = mine["isolation"] or record.get("isolation", "")
        mine["notes"] = mine["notes"] or record.get("load_notes", [])
    return facts


def missing_entry(sub_id: str, catalog: list[CheckInfo], message: str) -> dict[str, Any]:
    """A roster student with no submission: status ``missing``, every check ``missing`` with 0."""
    checks = [_missing_verdict(info, "missing", message) for info in catalog]
    return {"id": sub_id, "path": "", "status": "missing", "score": 0.0,
            "max_score": round(sum(c["max_score"] for c in checks), 6), "error": message, "isolation": "",
            "notes": [], "checks": checks}


def assemble(
    assignment: Assignment,
    catalog: list[CheckInfo],
    entries: list[dict[str, Any]],
    *,
    skipped: list[dict[str, Any]] = (),
    pending: list[str] = (),
) -> dict[str, Any]:
    """results.json from submission entries (in the order given), the files skipped and, after an interrupted
    run, the ids still to grade (``complete`` is then false)."""
    levels = sorted({e["isolation"] for e in entries if e.get("isolation")})
    return {
        "assignment": assignment.name,
        "title": assignment.title,
        "max_score": round(sum(c.points for c in catalog), 6),
        "grader_version": __version__,
        "generated_at": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "isolation": " / ".join(levels),
        "complete": not pending,
        **({"pending": list(pending)} if pending else {}),
        "checks": [c.to_json() for c in catalog],
        "submissions": list(entries),
        "skipped": list(skipped),
    }


def build_results(
    assignment: Assignment,
    catalog: list[CheckInfo],
    submissions: list[LoadedSubmission],
    records: dict[tuple[str, str], dict[str, Any]],
    *,
    runtime: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """results.json for ``submissions`` graded in one go; ``runtime``: per submission id, what its student
    process reported (``isolation``, ``notes``)."""
    runtime = runtime if runtime is not None else runtime_facts(records)
    return assemble(assignment, catalog, [submission_entry(s, catalog, records, runtime.get(s.id, {}))
                                          for s in submissions])


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


class ResultsNotWritten(Exception):
    """results.json (or another view) did not read back as written: the output folder is not trustworthy."""


def write_json(data: Any, path: Path) -> Path:
    """Write ``data`` as JSON atomically (a temporary file in the same folder, then a rename) and read it back:
    a reader never sees half a file, and what is on disk is verified to be what the judge computed."""
    text = json.dumps(_finite(data), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    atomic_write_text(path, text)
    if path.read_text(encoding="utf-8") != text or json.loads(text) != json.loads(json.dumps(_finite(data))):
        raise ResultsNotWritten(f"{path} did not read back as written; check the disk and run again")
    return path


def atomic_write_text(path: Path, text: str, durable: bool = True) -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and ``os.replace``. ``durable``:
    on disk before the rename (an fsync, ~10 ms); a view rebuilt from the store by every run (an HTML page)
    needs only the rename (a reader never sees half a file)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        if durable:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)
    return path

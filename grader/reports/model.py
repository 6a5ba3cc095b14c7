"""What every report shows, computed once from ``results.json`` data.

The HTML pages, the terminal report and the CSV export all read a results dict (the
``results.json`` schema, see ``/shared/CONTRACT.md``) through these helpers, so a score,
a percent, a status word or a pass rate reads the same wherever it appears.
Everything here is a pure function of plain data.
"""
from __future__ import annotations

import hashlib
import math
import re
import statistics
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

CHECK_STATUSES = ("passed", "failed", "error", "timeout", "missing")
PROBLEM_STATUSES = ("error", "timeout")

STATUS_LABELS = {
    "passed": "passed",
    "failed": "failed",
    "error": "error",
    "timeout": "timed out",
    "missing": "missing",
    "graded": "graded",
    "load_error": "could not be loaded",
}

# One narrow character per status: the terminal prints it before the status word.
STATUS_SYMBOLS = {"passed": "✓", "failed": "✗", "error": "!", "timeout": "◷", "missing": "?",
                  "graded": "", "load_error": "✗"}
NOT_LOADED_MESSAGE = "not run: the file could not be loaded (see above)"


def status_label(status: str) -> str:
    """The human word for a check or submission status (unknown ones pass through)."""
    return STATUS_LABELS.get(status, status)


def format_points(value: Any) -> str:
    """``2.0 -> "2"``, ``37.5 -> "37.5"``, ``1/3 -> "0.33"``; non-numbers as text."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return "–" if value is None else str(value)
    if not math.isfinite(value):
        return str(value)
    rounded = round(float(value), 2)
    return f"{rounded:g}" if rounded != int(rounded) else str(int(rounded))


def percent(score: Any, max_score: Any) -> float | None:
    """Score as a percentage of ``max_score``; ``None`` when there is no maximum."""
    try:
        score, max_score = float(score), float(max_score)
    except (TypeError, ValueError):
        return None
    if max_score <= 0 or not math.isfinite(score):
        return None
    return 100.0 * score / max_score


def format_percent(value: float | None) -> str:
    """``93.75 -> "94%"``; ``None -> "–"``."""
    return "–" if value is None else f"{value:.0f}%"


def format_value(value: Any, digits: int = 6) -> str:
    """A number from a details table as a short string (``digits`` significant digits)."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.{digits}g}"


def as_floats(values: Any) -> list[float]:
    """A curve from JSON as floats: ``null``, strings and other junk become NaN."""
    out = []
    for v in values or []:
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            out.append(math.nan)
    return out


def first_non_finite(values: Any) -> int | None:
    """1-based position of the first NaN/inf/None in ``values``, or None."""
    return next((n for n, v in enumerate(as_floats(values), start=1) if not math.isfinite(v)), None)


def short_check_name(check_id: str, component: str) -> str:
    """``"Affine/backward-gradcheck"`` under component ``Affine`` -> ``"backward-gradcheck"``."""
    prefix = f"{component}/"
    return check_id[len(prefix):] if component and check_id.startswith(prefix) else check_id


# --------------------------------------------------------------------------- file names

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _slug(text: str, limit: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _UNSAFE.sub("-", ascii_text).strip(".-_")[:limit].rstrip(".-_")


def safe_file_names(ids: Iterable[str]) -> dict[str, str]:
    """Map each submission id to a unique, portable file stem.

    Ids that are already plain (letters, digits, ``._-``) keep their name; any other id,
    and any id whose name would clash case-insensitively with another, gets a slug plus
    8 hex digits of its SHA-1, so unicode, spaces and slashes never reach the file system.
    """
    ids = list(dict.fromkeys(ids))
    slugs = {i: _slug(i) for i in ids}
    counts: dict[str, int] = {}
    for i in ids:
        counts[slugs[i].lower()] = counts.get(slugs[i].lower(), 0) + 1
    names: dict[str, str] = {}
    for i in ids:
        slug = slugs[i]
        if slug and slug == i and counts[slug.lower()] == 1:
            names[i] = slug
        else:
            digest = hashlib.sha1(i.encode("utf-8")).hexdigest()[:8]
            names[i] = f"{slug}-{digest}" if slug else f"submission-{digest}"
    return names


# --------------------------------------------------------------------------- one submission

@dataclass
class ComponentGroup:
    """One component's checks of one submission, in results order."""

    component: str
    checks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def score(self) -> float:
        return sum(float(c.get("score") or 0) for c in self.checks)

    @property
    def max_score(self) -> float:
        return sum(float(c.get("max_score") or 0) for c in self.checks)

    @property
    def counts(self) -> dict[str, int]:
        return status_counts(self.checks)

    @property
    def all_passed(self) -> bool:
        return all(c.get("status") == "passed" for c in self.checks)


def enrich_checks(sub: dict[str, Any], checks_meta: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The submission's checks, each completed from the assignment's check list.

    Adds ``component``/``kind``/``description``/``max_score`` where the submission's
    entry lacks them, and ``name`` (the id without its component prefix). For a
    submission that did not load, the load message repeated on every check is shortened, and a
    traceback already shown for an earlier check of the same component becomes a reference to it
    (``{"type": "same_traceback", "of": name}``).
    """
    meta = {m.get("id"): m for m in checks_meta}
    load_error = sub.get("error") if sub.get("status") == "load_error" else None
    out = []
    shown_tracebacks: dict[tuple[str, str], str] = {}  # (component, text) -> the check that shows it
    for check in sub.get("checks") or []:
        merged = {**meta.get(check.get("id"), {}), **{k: v for k, v in check.items() if v is not None}}
        merged.setdefault("component", "")
        if load_error and merged.get("message") == load_error:
            merged["message"] = NOT_LOADED_MESSAGE
        merged["name"] = short_check_name(str(merged.get("id", "")), merged["component"])
        details = merged.get("details")
        if isinstance(details, dict) and details.get("type") == "traceback":
            key = (merged["component"], str(details.get("text", "")))
            if key in shown_tracebacks:  # the same error in every check of a component: show its traceback once
                merged["details"] = {"type": "same_traceback", "of": shown_tracebacks[key]}
            else:
                shown_tracebacks[key] = merged["name"]
        out.append(merged)
    return _shorten_repeated_causes(out)


LIKELY_CAUSE = "Likely cause: "


def likely_cause(message: str) -> str:
    """The ``Likely cause: ...`` part of a check's message, or ''."""
    _, found, cause = str(message or "").partition(LIKELY_CAUSE)
    return cause.partition(" The smallest failing input found:")[0].strip() if found else ""


def _shorten_repeated_causes(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A likely cause already given by an earlier check of the same component is shown once: later checks
    say "same likely cause as <check>" (results.json keeps every full message)."""
    first: dict[tuple[str, str], str] = {}
    for check in checks:
        cause = likely_cause(check.get("message", "")) if check.get("status") != "passed" else ""
        if not cause:
            continue
        key = (check.get("component", ""), cause)
        if key in first:
            head = check["message"].partition(LIKELY_CAUSE)[0].rstrip()
            check["message"] = f"{head} (same likely cause as {first[key]})"
        else:
            first[key] = check["name"]
    return checks


def fix_first(checks: list[dict[str, Any]], limit: int = 5) -> list[tuple[str, float, str]]:
    """(component, points lost, what to fix) for the components that lost points, most points first; the
    fix is the first likely cause named in the component, else its first failing check's message."""
    lost: dict[str, float] = {}
    fix: dict[str, str] = {}
    for check in checks:
        gap = float(check.get("max_score") or 0) - float(check.get("score") or 0)
        if gap <= 0:
            continue
        component = check.get("component", "")
        lost[component] = lost.get(component, 0.0) + gap
        cause = likely_cause(check.get("message", ""))
        if cause and not likely_cause(fix.get(component, "")):
            fix[component] = LIKELY_CAUSE + cause
        fix.setdefault(component, str(check.get("message") or check.get("status") or ""))
    order = sorted(lost, key=lambda c: -lost[c])[:limit]
    return [(c, lost[c], fix[c].removeprefix(LIKELY_CAUSE)) for c in order]


def group_by_component(checks: list[dict[str, Any]]) -> list[ComponentGroup]:
    """Group checks by component, components in order of first appearance."""
    groups: dict[str, ComponentGroup] = {}
    for check in checks:
        name = check.get("component") or ""
        groups.setdefault(name, ComponentGroup(name)).checks.append(check)
    return list(groups.values())


def status_counts(checks: list[dict[str, Any]]) -> dict[str, int]:
    """How many checks have each status (every status in ``CHECK_STATUSES`` present)."""
    counts = dict.fromkeys(CHECK_STATUSES, 0)
    for check in checks:
        status = check.get("status", "error")
        counts[status] = counts.get(status, 0) + 1
    return counts


def problem_reason(sub: dict[str, Any]) -> str | None:
    """Why a submission needs the instructor's eye (load error, errors, timeouts), or None."""
    if sub.get("status") == "load_error":
        return f"could not be loaded: {sub.get('error') or 'no message'}"
    counts = status_counts(sub.get("checks") or [])
    parts = []
    if counts["timeout"]:
        parts.append(f"{counts['timeout']} check{'s' * (counts['timeout'] != 1)} timed out")
    if counts["error"]:
        parts.append(f"{counts['error']} check{'s' * (counts['error'] != 1)} raised an error")
    return ", ".join(parts) or None


# --------------------------------------------------------------------------- the class

@dataclass(frozen=True)
class ClassStats:
    """Score statistics over all submissions (a load error counts as its score, 0)."""

    count: int
    graded: int
    load_errors: int
    mean: float | None
    median: float | None
    minimum: float | None
    maximum: float | None


def class_stats(results: dict[str, Any]) -> ClassStats:
    subs = results.get("submissions") or []
    scores = [float(s.get("score") or 0) for s in subs]
    load_errors = sum(s.get("status") == "load_error" for s in subs)
    return ClassStats(
        count=len(subs),
        graded=len(subs) - load_errors,
        load_errors=load_errors,
        mean=statistics.fmean(scores) if scores else None,
        median=statistics.median(scores) if scores else None,
        minimum=min(scores) if scores else None,
        maximum=max(scores) if scores else None,
    )


@dataclass(frozen=True)
class PassRate:
    """How one check fared across the loaded submissions."""

    id: str
    component: str
    kind: str
    max_score: float
    description: str
    counts: dict[str, int]
    total: int

    @property
    def rate(self) -> float | None:
        return self.counts["passed"] / self.total if self.total else None

    @property
    def percent(self) -> float | None:
        return None if self.rate is None else 100.0 * self.rate

    @property
    def name(self) -> str:
        return short_check_name(self.id, self.component)


def pass_rates(results: dict[str, Any]) -> list[PassRate]:
    """Per-check pass rates over submissions that loaded, worst first.

    Submissions with ``load_error`` are left out: every check of theirs is an ``error``
    that says nothing about which topic needs re-teaching. Ties keep the assignment's order.
    """
    meta = list(results.get("checks") or [])
    known = {m.get("id") for m in meta}
    loaded = [s for s in results.get("submissions") or [] if s.get("status") != "load_error"]
    for sub in loaded:  # checks that only the submissions list (no top-level "checks")
        for c in sub.get("checks") or []:
            if c.get("id") not in known:
                known.add(c.get("id"))
                meta.append({k: c.get(k) for k in ("id", "component", "kind", "max_score")})
    by_id: dict[Any, list[dict[str, Any]]] = {}
    for sub in loaded:
        for c in sub.get("checks") or []:
            by_id.setdefault(c.get("id"), []).append(c)
    rows = []
    for m in meta:
        found = by_id.get(m.get("id"), [])
        rows.append(PassRate(
            id=str(m.get("id")), component=str(m.get("component") or ""), kind=str(m.get("kind") or ""),
            max_score=float(m.get("max_score") or 0), description=str(m.get("description") or ""),
            counts=status_counts(found), total=len(found),
        ))
    order = {r.id: n for n, r in enumerate(rows)}
    return sorted(rows, key=lambda r: (2.0 if r.rate is None else r.rate, order[r.id]))


def problem_submissions(results: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """Submissions that failed to load, raised or timed out, each with its reason."""
    out = []
    for sub in results.get("submissions") or []:
        reason = problem_reason(sub)
        if reason:
            out.append((sub, reason))
    return out


# --------------------------------------------------------------------------- check details

def array_rows(details: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of an ``{"type": "array"}`` details table, formatted for display.

    Each row: ``index``, ``expected``, ``got``, ``diff`` (got - expected when both are
    numbers, else "") as strings, and ``worst`` (bool).
    """
    out = []
    for row in details.get("rows") or []:
        expected, got = row.get("expected"), row.get("got")
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (expected, got))
        out.append({
            "index": str(row.get("index", "")),
            "expected": format_value(expected),
            "got": format_value(got),
            "diff": format_value(float(got) - float(expected)) if numeric else "",
            "worst": bool(row.get("worst")),
        })
    return out


def _shape(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(str(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    return str(value)


def array_summary(details: dict[str, Any]) -> str:
    """One sentence about an array mismatch: what, shape, worst element, errors, count."""
    parts = [str(details.get("what") or "array")]
    if details.get("shape") is not None:
        parts.append(f"shape {_shape(details['shape'])}")
    if details.get("worst_index") is not None:
        worst = details["worst_index"]
        parts.append("worst at [" + ", ".join(str(i) for i in worst) + "]"
                     if isinstance(worst, (list, tuple)) else f"worst at {worst}")
    if details.get("max_abs_err") is not None:
        parts.append(f"max abs error {format_value(details['max_abs_err'])}")
    if details.get("rel_err") is not None:
        parts.append(f"relative error {format_value(details['rel_err'])}")
    if details.get("mismatched") is not None and details.get("size") is not None:
        parts.append(f"{details['mismatched']} of {details['size']} elements differ")
    return " · ".join(parts)


def curve_summary(details: dict[str, Any]) -> str:
    """``"loss: yours 2.3 → 0.41 (20 epochs); reference 2.3 → 0.12 (20 epochs)"``."""
    x_label = details.get("x_label") or "step"
    parts = []
    for who, key in (("yours", "student"), ("reference", "reference")):
        values = as_floats(details.get(key))
        if not values:
            parts.append(f"{who}: no values")
            continue
        text = (f"{who} {format_value(values[0], 4)} → {format_value(values[-1], 4)}"
                f" ({len(values)} {x_label}{'s' * (len(values) != 1)})")
        bad = first_non_finite(values)
        parts.append(text + (f", not finite from {x_label} {bad}" if bad else ""))
    return f"{details.get('label') or 'curve'}: " + "; ".join(parts)


# --------------------------------------------------------------------------- class page additions

def score_band(score: Any, max_score: Any) -> str:
    """A colour band for a score: ``band-a`` (>= 90%), ``band-b`` (>= 70%), ``band-c`` (>= 50%), ``band-d``."""
    pct = percent(score, max_score)
    if pct is None:
        return "band-none"
    return "band-a" if pct >= 90 else "band-b" if pct >= 70 else "band-c" if pct >= 50 else "band-d"


@dataclass(frozen=True)
class ComponentSummary:
    """One component over the class: its points, the mean earned, how many earned all of them."""

    component: str
    checks: int
    max_score: float
    mean: float | None
    full: int
    total: int

    @property
    def mean_percent(self) -> float | None:
        return None if self.mean is None else percent(self.mean, self.max_score)


def component_summaries(results: dict[str, Any]) -> list[ComponentSummary]:
    """Per component (in the assignment's order), over the submissions that were graded."""
    graded = [s for s in results.get("submissions") or [] if s.get("status") == "graded"]
    order: dict[str, list[str]] = {}
    points: dict[str, float] = {}
    for meta in results.get("checks") or []:
        comp = str(meta.get("component") or "")
        order.setdefault(comp, []).append(str(meta.get("id")))
        points[comp] = points.get(comp, 0.0) + float(meta.get("max_score") or 0)
    out = []
    for comp, ids in order.items():
        earned = []
        for sub in graded:
            mine = [c for c in sub.get("checks") or [] if c.get("component") == comp]
            earned.append(sum(float(c.get("score") or 0) for c in mine))
        out.append(ComponentSummary(
            component=comp, checks=len(ids), max_score=points[comp],
            mean=statistics.fmean(earned) if earned else None,
            full=sum(e >= points[comp] - 1e-9 for e in earned), total=len(earned)))
    return out


def who_did_not_pass(results: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Check id -> [(submission id, status)] of the graded submissions that did not pass it."""
    out: dict[str, list[tuple[str, str]]] = {}
    for sub in results.get("submissions") or []:
        if sub.get("status") != "graded":
            continue
        for c in sub.get("checks") or []:
            if c.get("status") != "passed":
                out.setdefault(str(c.get("id")), []).append((str(sub.get("id")), str(c.get("status"))))
    return out

"""The terminal report: what the student page shows, as text (``grader check``), and the class table.

Colour is ANSI escape codes, added only when the caller asks (``color=True``); decide with
``supports_color(stream)``. Without colour the output is plain text: the status is always a
symbol *and* a word. ``Progress`` (from :mod:`grader.reports.progress`) is re-exported here.
"""
from __future__ import annotations

import math
import os
import re
import textwrap
from typing import Any, Sequence

from grader.reports import model
from grader.reports.progress import Progress, stream_is_tty

__all__ = ["Progress", "render_class_summary", "render_submission", "supports_color"]

INDENT = "    "
WRAP = 100
DETAILS_WIDTH = WRAP - 20  # details sit under the message, about 20 columns in
STATUS_WIDTH = len("✗ timed out")
SPARK = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 40
TRACEBACK_LINES = 8

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "magenta": "35", "grey": "90"}
STATUS_STYLES = {"passed": "green", "failed": "red", "error": "magenta", "timeout": "yellow",
                 "missing": "grey", "graded": "green", "load_error": "red"}


def supports_color(stream: object) -> bool:
    """True when ``stream`` is a terminal, ``NO_COLOR`` is unset or empty and ``TERM`` is not dumb."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    return stream_is_tty(stream)


class _Painter:
    """Wraps text in ANSI codes, or leaves it alone when colour is off."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *styles: str) -> str:
        codes = ";".join(_CODES[s] for s in styles if s in _CODES)
        return f"\x1b[{codes}m{text}\x1b[0m" if self.color and codes and text else text

    def status(self, status: str, width: int = 0) -> str:
        word = f"{model.STATUS_SYMBOLS.get(status, '')} {model.status_label(status)}".strip()
        return self(word, STATUS_STYLES.get(status, "bold")) + " " * max(0, width - len(word))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: object) -> str:
    """Student-supplied text made harmless for a terminal: control characters (ANSI escapes,
    carriage returns, bells) become visible ``\\xNN`` escapes; newlines and tabs stay."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", str(text))


def table(rows: Sequence[Sequence[str]], right: Sequence[bool], indent: str = "") -> list[str]:
    """Rows of cells as aligned text lines; ``right[i]`` right-aligns column ``i``."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(right))]
    return [indent + "  ".join(cell.rjust(w) if r else cell.ljust(w)
                               for cell, w, r in zip(row, widths, right)).rstrip() for row in rows]


def sparkline(values: Sequence[Any], lo: float, hi: float, width: int = SPARK_WIDTH) -> str:
    """A curve as block characters on the scale ``[lo, hi]``; non-finite points are ``×``."""
    ys = model.as_floats(values)
    if len(ys) > width:  # keep the first and last points, evenly spaced in between
        ys = [ys[round(k * (len(ys) - 1) / (width - 1))] for k in range(width)]
    span = hi - lo if hi > lo else 1.0
    return "".join(SPARK[min(len(SPARK) - 1, max(0, int((y - lo) / span * len(SPARK))))]
                   if math.isfinite(y) else "×" for y in ys)


# --------------------------------------------------------------------------- details

def _array_lines(details: dict[str, Any], paint: _Painter) -> list[str]:
    lines = [paint(line.strip(), "dim") for line in _wrap(model.array_summary(details), "", DETAILS_WIDTH)]
    rows = model.array_rows(details)
    if not rows:
        return lines
    cells = [["", "index", "expected", "yours", "difference", ""]]
    cells += [["▶" if r["worst"] else "", r["index"], r["expected"], r["got"], r["diff"],
               "worst" if r["worst"] else ""] for r in rows]
    text = table(cells, [False, False, True, True, True, False], indent="  ")
    body = [paint(line, "red", "bold") if row["worst"] else line for line, row in zip(text[1:], rows)]
    return [*lines, text[0], *body]


def _curve_lines(details: dict[str, Any]) -> list[str]:
    student, reference = model.as_floats(details.get("student")), model.as_floats(details.get("reference"))
    finite = [v for v in student + reference if math.isfinite(v)]
    lines = [line.strip() for line in _wrap(model.curve_summary(details), "", DETAILS_WIDTH)]
    if finite:
        lo, hi = min(finite), max(finite)
        lines.append(f"  yours      {sparkline(student, lo, hi)}")
        lines.append(f"  reference  {sparkline(reference, lo, hi)}")
    return lines


def _details_lines(details: Any, paint: _Painter) -> list[str]:
    if not isinstance(details, dict):
        return []
    kind = details.get("type")
    if kind == "array":
        return _array_lines(details, paint)
    if kind == "curves":
        return _curve_lines(details)
    if kind == "scalars":
        rows = [["quantity", "expected", "yours"]] + [
            [clean(r.get("name", "")), clean(model.format_value(r.get("expected"))),
             clean(model.format_value(r.get("got")))]
            for r in details.get("rows") or []]
        return table(rows, [False, True, True])
    if kind == "same_traceback":
        return [paint(f"(same traceback as {clean(str(details.get('of', '')))} above)", "dim")]
    if kind == "traceback":
        text = str(details.get("text") or "").rstrip().splitlines()
        shown = text[-TRACEBACK_LINES:]
        return ([paint(f"(traceback, last {len(shown)} of {len(text)} lines)", "dim")] * (len(text) > len(shown))
                + [paint(clean(line), "dim") for line in shown])
    return []


# --------------------------------------------------------------------------- one submission

def _fraction(score: Any, max_score: Any) -> str:
    return f"{model.format_points(score)}/{model.format_points(max_score)}"


def _wrap(text: object, indent: str, width: int = WRAP) -> list[str]:
    return textwrap.wrap(" ".join(clean(text).split()), width - len(indent),
                         initial_indent=indent, subsequent_indent=indent) or [indent]


def _header(sub: dict[str, Any], paint: _Painter) -> list[str]:
    score, max_score = sub.get("score", 0), sub.get("max_score")
    pct = model.format_percent(model.percent(score, max_score))
    lines = [paint(f"{clean(sub.get('id'))}  {_fraction(score, max_score)} ({pct})", "bold")
             + "  " + paint.status(sub.get("status") or "graded")]
    meta = [f"file: {clean(sub['path'])}" if sub.get("path") else "",
            f"isolation: {sub.get('isolation') or 'not recorded'}",
            f"time: {sub['duration']:.1f} s" if isinstance(sub.get("duration"), (int, float)) else ""]
    lines.append(paint(" · ".join(m for m in meta if m), "dim"))
    if sub.get("status") == "load_error":
        lines += [""] + [paint("The submission could not be loaded:", "red", "bold")]
        lines += _wrap(sub.get("error") or "no message", INDENT)
    if sub.get("notes"):
        lines += ["", paint("Notes from loading your file:", "bold")]
        for note in sub["notes"]:
            severity = str(note.get("severity") or "note")
            where = f"{note['where']}: " if note.get("where") else ""
            wrapped = _wrap(f"{where}{note.get('message', '')}", INDENT + " " * (len(severity) + 1))
            wrapped[0] = INDENT + paint(severity, "yellow") + " " + wrapped[0].lstrip()
            lines += wrapped
    return lines


def _check_lines(check: dict[str, Any], paint: _Painter, points_width: int) -> list[str]:
    points = _fraction(check.get("score"), check.get("max_score"))
    lines = [f"  {paint.status(check.get('status', 'error'), STATUS_WIDTH)}  {points.rjust(points_width)}  "
             f"{check['name']}"]
    if check.get("status") == "passed":
        return lines
    inner = "  " + " " * (STATUS_WIDTH + 2 + points_width + 2)
    text = check.get("message") or check.get("description")
    lines += _wrap(text, inner) if text else []
    lines += [inner + line for line in _details_lines(check.get("details"), paint)]
    return lines


def render_submission(sub: dict[str, Any], checks_meta: list[dict[str, Any]], *, color: bool) -> str:
    """One submission as terminal text: score line, notes, per component its checks.

    ``sub`` is one entry of ``results["submissions"]``; ``checks_meta`` is
    ``results["checks"]`` (descriptions and components for checks that lack them).
    Failed checks show their message and details (worst-element table, curve
    sparklines, traceback tail). ANSI colour codes appear only when ``color`` is true.
    """
    paint = _Painter(color)
    checks = model.enrich_checks(sub, checks_meta)
    points_width = max((len(_fraction(c.get("score"), c.get("max_score"))) for c in checks), default=3)
    lines = _header(sub, paint)
    for group in model.group_by_component(checks):
        verdict = "all passed" if group.all_passed else ""
        lines += ["", paint(f"{group.component or '(no component)'}  "
                            f"{_fraction(group.score, group.max_score)}", "bold")
                  + (f"  {paint(verdict, 'green')}" if verdict else "")]
        for check in group.checks:
            lines += _check_lines(check, paint, points_width)
    lines += _fix_first_lines(checks, paint) if sub.get("status") != "load_error" else []
    return "\n".join(lines) + "\n"


def _fix_first_lines(checks: list[dict[str, Any]], paint: _Painter) -> list[str]:
    """"Fix these first": the components that lost points, most points first, each with its likely cause."""
    items = model.fix_first(checks)
    if not items:
        return []
    lines = ["", paint("Fix these first (most points first):", "bold")]
    for n, (component, lost, fix) in enumerate(items, start=1):
        head = f"{n}. {component or '(no component)'} (-{model.format_points(lost)}): "
        wrapped = _wrap(head + fix, INDENT + "   ")
        wrapped[0] = INDENT + wrapped[0].lstrip()
        lines += [wrapped[0]] + wrapped[1:3] + ([INDENT + "   ..."] if len(wrapped) > 3 else [])
    return lines


# --------------------------------------------------------------------------- the class

def render_class_summary(results: dict[str, Any], *, worst: int = 3) -> str:
    """A short plain-text table of every submission, the class mean/median and the hardest checks."""
    stats = model.class_stats(results)
    max_score = results.get("max_score")
    head = (f"{results.get('title') or results.get('assignment') or 'assignment'}: {stats.count} submissions"
            + (f" ({stats.load_errors} not loaded)" if stats.load_errors else ""))
    if stats.count:
        head += f", mean {_fraction(stats.mean, max_score)}, median {_fraction(stats.median, max_score)}"
    symbols = [model.STATUS_SYMBOLS[s] for s in model.CHECK_STATUSES]
    rows = [["student", "score", "%", "status", *symbols]]
    for sub in results.get("submissions") or []:
        counts = model.status_counts(sub.get("checks") or [])
        rows.append([clean(sub.get("id")),
                     _fraction(sub.get("score"), sub.get("max_score", max_score)),
                     model.format_percent(model.percent(sub.get("score"), sub.get("max_score", max_score))),
                     model.status_label(sub.get("status") or "graded"),
                     *(str(counts[s]) for s in model.CHECK_STATUSES)])
    lines = [head, *table(rows, [False, True, True, False] + [True] * len(symbols), indent="  ")]
    hardest = [r for r in model.pass_rates(results) if r.rate is not None and r.rate < 1][:worst]
    if hardest:
        lines.append("hardest checks: " + ", ".join(f"{r.id} {model.format_percent(r.percent)}" for r in hardest))
    return "\n".join(lines) + "\n"

"""HTML reports: one page per submission and the class page, rendered with jinja2.

``write_html_reports(results, out_dir)`` writes ``out_dir/index.html`` and
``out_dir/students/<safe id>.html``. Templates live in ``templates/`` and autoescape
everything; the only unescaped inserts are SVG strings built (and escaped) by
:mod:`grader.reports.svg`. Pages are self-contained: inline CSS and SVG, no scripts,
no external assets, so they work offline and print cleanly. Tables sort without a script: each order is
rendered once and the column headers switch between them (CSS ``:target``). Below 600 px wide, tables
become one card per row (a phone).
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from grader.reports import model, svg
from grader.results import atomic_write_text

TEMPLATES = Path(__file__).parent / "templates"
STUDENTS_DIR = "students"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The jinja2 environment: autoescape on; a field missing from results renders empty."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # compiled templates kept between runs (a private per-user folder jinja2 checks): compiling them
        # cost more than rendering a class of 20
        bytecode_cache=jinja2.FileSystemBytecodeCache(),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        points=model.format_points,
        pct=model.format_percent,
        value=model.format_value,
        status_label=model.status_label,
        symbol=lambda status: model.STATUS_SYMBOLS.get(status, ""),
        array_rows=model.array_rows,
        array_summary=model.array_summary,
        curve_summary=model.curve_summary,
        band=lambda sub: model.score_band(sub.get("score"), sub.get("max_score")),
    )
    return env


def student_href(file_names: dict[str, str], sub_id: str) -> str:
    """The class page's relative link to a student page (file names are URL-safe)."""
    return f"{STUDENTS_DIR}/{file_names[sub_id]}.html"


def curve_plot(details: dict[str, Any]) -> Markup:
    """The student-vs-reference SVG for a ``{"type": "curves"}`` details dict."""
    series = [
        svg.Series("yours", details.get("student") or [], colour="#c0392b"),
        svg.Series("reference", details.get("reference") or [], colour="#555555", dashed=True),
    ]
    label = str(details.get("label") or "")
    return Markup(svg.line_plot(series, title=f"{label}: yours vs reference".strip(": "),
                                x_label=str(details.get("x_label") or "epoch"), y_label=label))


def _student_context(results: dict[str, Any], sub: dict[str, Any]) -> dict[str, Any]:
    checks = model.enrich_checks(sub, results.get("checks") or [])
    for check in checks:
        details = check.get("details")
        if not isinstance(details, dict):
            check["details"] = None
        elif details.get("type") == "curves":
            check["plot"] = curve_plot(details)
    sub = {"score": 0, "max_score": results.get("max_score"), "duration": None, **sub}
    return {
        "results": _results_defaults(results),
        "sub": sub,
        "band": model.score_band(sub["score"], sub["max_score"]),
        "pct": model.format_percent(model.percent(sub["score"], sub["max_score"])),
        "groups": model.group_by_component(checks),
        "status_counts": model.status_counts(checks),
    }


def _results_defaults(results: dict[str, Any]) -> dict[str, Any]:
    keys = ("assignment", "title", "max_score", "grader_version", "generated_at")
    return {**dict.fromkeys(keys), **results}


def render_student_page(results: dict[str, Any], sub: dict[str, Any]) -> str:
    """One submission's page as an HTML string."""
    return environment().get_template("student.html.j2").render(_student_context(results, sub))


def render_class_page(results: dict[str, Any], file_names: dict[str, str]) -> str:
    """The class page (``index.html``) as an HTML string; links use ``file_names``."""
    stats = model.class_stats(results)
    max_score = float(results.get("max_score") or 0)
    subs = results.get("submissions") or []
    students = [{"sub": {"max_score": max_score, "score": 0, **s},
                 "href": student_href(file_names, str(s["id"])),
                 "pct": model.format_percent(model.percent(s.get("score"), s.get("max_score", max_score))),
                 "band": model.score_band(s.get("score"), s.get("max_score", max_score)),
                 "counts": model.status_counts(s.get("checks") or [])} for s in subs]
    failing = {check_id: [{"id": sid, "status": status, "href": student_href(file_names, sid)} for sid, status in who]
               for check_id, who in model.who_did_not_pass(results).items()}
    context = {
        "results": _results_defaults(results),
        "stats": {
            **stats.__dict__,
            "mean_pct": model.format_percent(model.percent(stats.mean, max_score)),
            "median_pct": model.format_percent(model.percent(stats.median, max_score)),
        },
        "histogram": Markup(svg.histogram([s.get("score") for s in subs], lo=0.0,
                                          hi=max_score or 1.0, x_label="score (points)")),
        "rates": model.pass_rates(results),
        "rates_in_order": sorted(model.pass_rates(results), key=lambda r: _catalog_order(results).get(r.id, 0)),
        "components": model.component_summaries(results),
        "failing": failing,
        "problems": [{"sub": s, "reason": reason, "href": student_href(file_names, str(s["id"]))}
                     for s, reason in model.problem_submissions(results)],
        "students": students,
        "orders": _student_orders(students),
        "skipped": results.get("skipped") or [],
        "missing": [r for r in students if r["sub"].get("status") == "missing"],
        "downloads": [(name, label) for name, label in DOWNLOADS],
    }
    return environment().get_template("index.html.j2").render(context)


DOWNLOADS = [("results.json", "results.json"), ("grades.csv", "grades.csv (every check)"),
             ("exports/canvas.csv", "Canvas gradebook CSV"), ("exports/moodle.csv", "Moodle grading worksheet"),
             ("exports/junit.xml", "JUnit XML"), ("exports/gradescope/", "Gradescope results (one per student)")]


def _catalog_order(results: dict[str, Any]) -> dict[str, int]:
    return {str(c.get("id")): n for n, c in enumerate(results.get("checks") or [])}


def _student_orders(students: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The student table in each order its headers offer; the default (by name) comes last in the page."""
    by_name = sorted(students, key=lambda r: str(r["sub"].get("id", "")).casefold())
    score = lambda r: float(r["sub"].get("score") or 0)  # noqa: E731
    return [
        {"key": "score-desc", "label": "score, highest first", "rows": sorted(by_name, key=score, reverse=True)},
        {"key": "score-asc", "label": "score, lowest first", "rows": sorted(by_name, key=score)},
        {"key": "status", "label": "status", "rows": sorted(by_name, key=lambda r: str(r["sub"].get("status")))},
        {"key": "name", "label": "name", "rows": by_name, "default": True},
    ]


def write_html_reports(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write ``out_dir/index.html`` and ``out_dir/students/<safe id>.html``; return the paths.

    ``results`` follows the ``results.json`` schema. The class page comes first in the
    returned list, then the student pages in submission order.
    """
    out_dir = Path(out_dir)
    students_dir = out_dir / STUDENTS_DIR
    students_dir.mkdir(parents=True, exist_ok=True)
    subs = results.get("submissions") or []
    file_names = model.safe_file_names(str(s["id"]) for s in subs)
    index = out_dir / "index.html"
    atomic_write_text(index, render_class_page(results, file_names), durable=False)  # rebuilt by every run
    written = [index]
    for sub in subs:
        page = students_dir / f"{file_names[str(sub['id'])]}.html"
        atomic_write_text(page, render_student_page(results, sub), durable=False)
        written.append(page)
    return written


"""Reports: HTML pages (structure, escaping, plots, links), terminal output, progress, CSV.

The results dicts are built here by hand in the ``results.json`` schema: a class of nine
submissions with every check status, a load error, array/curve/traceback/scalar details and
ids that need escaping or a safe file name.
"""
from __future__ import annotations

import csv
import io
import math
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from grader.reports import svg, write_reports
from grader.reports.csv import write_grades_csv
from grader.reports.html import write_html_reports
from grader.reports.model import safe_file_names
from grader.reports.terminal import Progress, render_class_summary, render_submission, supports_color

# --------------------------------------------------------------------------- the sample class

CHECKS = [
    ("Relu/forward-golden", "golden", 1, "relu on the seed's 3x3 input"),
    ("Relu/backward-golden", "golden", 1, "dx on the seed's input"),
    ("Relu/no-mutation", "mutation", 1, "x and dout are left unchanged"),
    ("Affine/forward-golden", "golden", 2, "x @ W + b on fresh shapes"),
    ("Affine/backward-gradcheck", "gradcheck", 2, "dx, dW, db against finite differences"),
    ("Affine/forward-4d-shape", "shape", 1, "(N, C, H, W) input is flattened"),
    ("SoftmaxWithLoss/backward-gradcheck", "gradcheck", 2, "dx = (y - t) / N"),
    ("TwoLayerNet/gradient-gradcheck", "gradcheck", 2, "gradient() against finite differences"),
    ("TwoLayerNet/digits-convergence", "convergence", 4, "SGD on the 8x8 digits reaches the reference's accuracy"),
]
MAX_SCORE = sum(points for _, _, points, _ in CHECKS)  # 16

DB_ROWS = {"type": "array", "what": "Affine.backward: db", "shape": [3], "worst_index": [1],
           "max_abs_err": 0.7, "rel_err": 0.75, "mismatched": 3, "size": 3,
           "rows": [{"index": "[0]", "expected": 1.2, "got": 0.3, "worst": False},
                    {"index": "[1]", "expected": 0.93333, "got": 0.23333, "worst": True},
                    {"index": "[2]", "expected": -0.6, "got": -0.15, "worst": False}]}
LOSS_REF = [2.30 * math.exp(-0.35 * k) + 0.02 for k in range(20)]
TRACEBACK = ('Traceback (most recent call last):\n  File "frank.py", line 41, in backward\n'
             '    dx = dout @ self.W.T\nValueError: matmul: Input operand 1 has a mismatch in its core '
             'dimension 0 (size 4 is different from 3) <inside>')
SCRIPT_ID = "<script>alert('id')</script>"


def _check(check_id: str, status: str = "passed", message: str = "", details: dict | None = None,
           score: float | None = None) -> dict[str, Any]:
    component = check_id.split("/")[0]
    kind, points = next((k, p) for i, k, p, _ in CHECKS if i == check_id)
    return {"id": check_id, "component": component, "kind": kind, "status": status,
            "score": points if score is None and status == "passed" else (score or 0),
            "max_score": points, "duration": 0.05, "message": message,
            **({"details": details} if details else {})}


def _submission(sub_id: str, overrides: dict[str, dict[str, Any]], **extra: Any) -> dict[str, Any]:
    checks = [overrides.get(i) or _check(i) for i, *_ in CHECKS]
    return {"id": sub_id, "path": f"submissions/{sub_id}.ipynb", "status": "graded",
            "score": sum(c["score"] for c in checks), "max_score": MAX_SCORE, "duration": 1.8,
            "isolation": "namespaces(mount,pid)+rlimits", "notes": [], "error": None,
            "checks": checks, **extra}


def sample_results() -> dict[str, Any]:
    """A realistic ``results.json`` dict for a class of nine."""
    load_message = "SyntaxError: invalid syntax (line 12): nothing could be loaded"
    subs = [
        _submission("alice", {"Affine/backward-gradcheck": _check(
            "Affine/backward-gradcheck", "failed",
            "db is 1/N of the expected value: did you average over the batch instead of summing?", DB_ROWS)},
            notes=[{"severity": "warning", "where": "cell 3, line 2",
                    "message": "SyntaxError in `def relu(x) <- oops`: `relu` was skipped"}]),
        _submission("bob", {
            "Relu/no-mutation": _check("Relu/no-mutation", "failed", "relu changed its input x in place (x[x < 0] = 0)"),
            "TwoLayerNet/digits-convergence": _check(
                "TwoLayerNet/digits-convergence", "failed",
                "the loss became NaN at epoch 6: log(0) in cross_entropy_error? add a small delta",
                {"type": "curves", "label": "loss", "x_label": "epoch",
                 "student": [2.3, 1.9, 1.7, 1.6, 1.55, None, None, float("nan")], "reference": LOSS_REF})}),
        _submission(SCRIPT_ID, {"Relu/forward-golden": _check(
            "Relu/forward-golden", "failed", "relu(x) returned <b>bold</b> & <script>alert('msg')</script>",
            {"type": "scalars", "rows": [{"name": "relative error", "expected": "< 1e-6", "got": "0.41"}]})}),
        _submission("Dana Müller / Gruppe 2", {"SoftmaxWithLoss/backward-gradcheck": _check(
            "SoftmaxWithLoss/backward-gradcheck", "failed",
            "dx is N times too large: divide (y - t) by the batch size",
            {"type": "scalars", "rows": [{"name": "relative error", "expected": "< 1e-6", "got": 0.9}]})}),
        {"id": "eve", "path": "submissions/eve.py", "status": "load_error", "score": 0, "max_score": MAX_SCORE,
         "duration": 0.1, "isolation": "namespaces(mount,pid)+rlimits", "notes": [], "error": load_message,
         "checks": [_check(i, "error", load_message) for i, *_ in CHECKS]},
        _submission("frank", {
            "Affine/backward-gradcheck": _check("Affine/backward-gradcheck", "error",
                                                "Affine.backward raised ValueError: matmul shape mismatch",
                                                {"type": "traceback", "text": TRACEBACK}),
            "TwoLayerNet/digits-convergence": _check("TwoLayerNet/digits-convergence", "timeout",
                                                     "training did not finish within 10 s")}),
        _submission("grace", {i: _check(i, "missing", "TwoLayerNet is not defined")
                              for i, *_ in CHECKS if i.startswith("TwoLayerNet")}),
        _submission("heidi", {"TwoLayerNet/digits-convergence": _check(
            "TwoLayerNet/digits-convergence", "failed", "test accuracy 0.41, the reference reaches 0.93", score=1,
            details={"type": "curves", "label": "loss", "x_label": "epoch",
                     "student": [2.3 - 0.01 * k for k in range(20)], "reference": LOSS_REF})}),
        _submission("ivan", {}),
    ]
    return {
        "assignment": "layers", "title": "Layers with forward/backward", "max_score": MAX_SCORE,
        "grader_version": "0.1.0", "generated_at": "2026-11-23T10:00:00Z",
        "checks": [{"id": i, "component": i.split("/")[0], "kind": k, "max_score": p, "description": d}
                   for i, k, p, d in CHECKS],
        "submissions": subs,
    }


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    return sample_results()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, results: dict[str, Any]) -> Path:
    out = tmp_path_factory.mktemp("site")
    write_reports(results, out)
    return out


def _sub(results: dict[str, Any], sub_id: str) -> dict[str, Any]:
    return next(s for s in results["submissions"] if s["id"] == sub_id)


# --------------------------------------------------------------------------- an HTML outline

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Outline(HTMLParser):
    """Checks nesting and collects what the tests look at: text, links, classes, svg blocks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.links: list[str] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if tag == "script":
            self.in_script = True
        if tag == "a" and dict(attrs).get("href"):
            self.links.append(dict(attrs)["href"] or "")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def with_class(self, css_class: str) -> list[dict[str, str]]:
        return [a for _, a in self.tags if css_class in a.get("class", "").split()]


def outline(path: Path) -> Outline:
    parser = Outline()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    assert parser.errors == [], parser.errors[:5]
    assert parser.stack == [], f"unclosed: {parser.stack}"
    return parser


def page_of(site: Path, sub_id: str) -> Path:
    return site / "students" / f"{safe_file_names([sub_id])[sub_id]}.html"


def svgs(html_text: str) -> list[ET.Element]:
    return [ET.fromstring(block) for block in re.findall(r"<svg\b.*?</svg>", html_text, flags=re.S)]


# --------------------------------------------------------------------------- HTML: files and structure

def test_write_reports_writes_index_students_and_csv(site: Path, results: dict[str, Any]) -> None:
    pages = sorted((site / "students").glob("*.html"))
    assert (site / "index.html").is_file() and (site / "grades.csv").is_file()
    assert len(pages) == len(results["submissions"])
    for page in [site / "index.html", *pages]:
        assert outline(page).stack == []


def test_write_html_reports_returns_index_first_then_one_page_per_submission(tmp_path: Path,
                                                                            results: dict[str, Any]) -> None:
    written = write_html_reports(results, tmp_path)
    assert written[0] == tmp_path / "index.html"
    assert len(written) == 1 + len(results["submissions"]) == len(set(written))
    assert all(p.is_file() and p.parent == tmp_path / "students" for p in written[1:])


def test_pages_are_self_contained(site: Path) -> None:
    for page in [site / "index.html", *(site / "students").glob("*.html")]:
        parsed = outline(page)
        assert not any(tag in ("script", "link", "img", "iframe") for tag, _ in parsed.tags), page
        external = [h for h in parsed.links if re.match(r"[a-z]+:", h)]
        assert external == [], external
        assert "@media print" in page.read_text(encoding="utf-8")


def test_student_page_shows_score_status_isolation_and_failing_message(site: Path) -> None:
    parsed = outline(page_of(site, "alice"))
    text = " ".join(" ".join(parsed.text).split())
    assert "14 / 16" in text and "88%" in text
    assert "namespaces(mount,pid)+rlimits" in text
    assert "did you average over the batch instead of summing?" in text
    assert "cell 3, line 2" in text and "`relu` was skipped" in text
    # status is shown as a word, not only as a colour
    failed = [a for t, a in parsed.tags if t == "tr" and "check-failed" in a.get("class", "")]
    assert [a["data-check"] for a in failed] == ["Affine/backward-gradcheck"]
    assert "✗ failed" in text and "✓ passed" in text


def test_student_page_groups_checks_by_component_in_order(site: Path) -> None:
    parsed = outline(page_of(site, "alice"))
    groups = [a["id"] for t, a in parsed.tags if t == "tbody" and "component" in a.get("class", "")]
    assert len(groups) == 4
    heads = re.findall(r'<th colspan="2" scope="rowgroup">([^<]*)</th>',
                       page_of(site, "alice").read_text(encoding="utf-8"))
    assert heads == ["Relu", "Affine", "SoftmaxWithLoss", "TwoLayerNet"]


def test_worst_row_is_highlighted_and_labelled(site: Path) -> None:
    html_text = page_of(site, "alice").read_text(encoding="utf-8")
    worst = re.findall(r'<tr class="worst">(.*?)</tr>', html_text, flags=re.S)
    assert len(worst) == 1
    assert "[1]" in worst[0] and "0.93333" in worst[0] and "0.23333" in worst[0] and "worst" in worst[0]
    assert "max abs error 0.7" in html_text and "3 of 3 elements differ" in html_text


def test_script_in_messages_and_ids_is_escaped(site: Path, results: dict[str, Any]) -> None:
    page = page_of(site, SCRIPT_ID)
    raw = page.read_text(encoding="utf-8")
    index_raw = (site / "index.html").read_text(encoding="utf-8")
    for text in (raw, index_raw):
        assert "<script>" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(" in raw and "&lt;b&gt;bold&lt;/b&gt; &amp;" in raw
    parsed = outline(page)
    assert not any(tag == "script" for tag, _ in parsed.tags)
    assert SCRIPT_ID in "".join(parsed.text)  # shown literally after unescaping
    assert re.fullmatch(r"[A-Za-z0-9._-]+\.html", page.name)


def test_curve_plot_is_well_formed_svg_with_both_series(site: Path) -> None:
    html_text = page_of(site, "heidi").read_text(encoding="utf-8")
    (plot,) = svgs(html_text)
    ns = "{http://www.w3.org/2000/svg}"
    lines = plot.findall(f"{ns}polyline")
    assert len(lines) == 2 and any(p.get("stroke-dasharray") for p in lines)
    assert "yours" in "".join(plot.itertext()) and "reference" in "".join(plot.itertext())


def test_curve_with_nan_breaks_the_line_and_says_where(site: Path) -> None:
    html_text = page_of(site, "bob").read_text(encoding="utf-8")
    (plot,) = svgs(html_text)
    text = "".join(plot.itertext())
    assert "not finite from 6" in text and "×" in text
    assert "nan" not in " ".join(p.get("points", "") for p in plot.iter()).lower()


def test_traceback_is_in_a_collapsible_details(site: Path) -> None:
    html_text = page_of(site, "frank").read_text(encoding="utf-8")
    block = re.search(r"<details[^>]*><summary>Traceback</summary><pre>(.*?)</pre></details>", html_text, re.S)
    assert block and "ValueError: matmul" in block.group(1) and "&lt;inside&gt;" in block.group(1)
    assert "◷ timed out" in html_text


def test_load_error_page_shows_the_load_message(site: Path) -> None:
    parsed = outline(page_of(site, "eve"))
    text = " ".join(parsed.text)
    assert "could not be loaded" in text and "SyntaxError: invalid syntax (line 12)" in text
    assert "0 / 16" in text


CONTRACT_EXAMPLE = {  # exactly the example of /shared/CONTRACT.md: no optional fields at all
    "assignment": "layers", "max_score": 40,
    "submissions": [{"id": "alice", "path": "submissions/alice.ipynb", "status": "graded", "score": 37.5,
                     "max_score": 40, "checks": [{
                         "id": "Affine/backward-gradcheck", "component": "Affine", "kind": "gradcheck",
                         "status": "failed", "score": 0, "max_score": 2,
                         "message": "db is 1/N of the expected value: did you average over the batch instead of summing?"}]}],
}

ODD_DETAILS = [
    {"type": "array"}, {"type": "array", "rows": [{"index": "[0]", "expected": None, "got": "nan"}]},
    {"type": "curves", "student": [], "reference": []}, {"type": "curves"}, {"type": "scalars", "rows": None},
    {"type": "traceback"}, {"type": "something-new", "payload": "<x>"}, {"no": "type"}, ["not", "a", "dict"],
]


def test_minimal_contract_results_render_everywhere(tmp_path: Path) -> None:
    written = write_reports(CONTRACT_EXAMPLE, tmp_path)
    assert [p.name for p in written] == ["index.html", "alice.html", "grades.csv", "canvas.csv", "moodle.csv",
                                         "gradescope", "junit.xml"]
    text = " ".join(" ".join(outline(written[1]).text).split())
    assert "37.5 / 40" in text and "94%" in text and "did you average over the batch" in text
    assert "37.5/40" in render_submission(CONTRACT_EXAMPLE["submissions"][0], [], color=True)
    assert "alice" in render_class_summary(CONTRACT_EXAMPLE)


@pytest.mark.parametrize("details", ODD_DETAILS, ids=lambda d: str(d)[:30])
def test_odd_details_never_break_a_report(tmp_path: Path, details: Any) -> None:
    sub = {**CONTRACT_EXAMPLE["submissions"][0]}
    sub["checks"] = [{**sub["checks"][0], "details": details}]
    results = {**CONTRACT_EXAMPLE, "submissions": [sub]}
    page = write_html_reports(results, tmp_path)[1]
    outline(page)
    assert "<x>" not in page.read_text(encoding="utf-8")
    for block in svgs(page.read_text(encoding="utf-8")):
        assert block.tag.endswith("svg")
    render_submission(sub, [], color=False)


# --------------------------------------------------------------------------- class page

def test_class_page_summary_and_histogram(site: Path, results: dict[str, Any]) -> None:
    html_text = (site / "index.html").read_text(encoding="utf-8")
    parsed = outline(site / "index.html")
    text = " ".join(" ".join(parsed.text).split())
    assert "Layers with forward/backward" in text and "9 submissions (1 not loaded)" in text
    scores = sorted(s["score"] for s in results["submissions"])
    assert f"{scores[len(scores) // 2]:g}" in text  # the median
    (hist,) = svgs(html_text)
    bars = [r for r in hist.iter("{http://www.w3.org/2000/svg}rect")]
    assert len(bars) == 8  # round bins of 2 points over 0..16
    assert sum(int(r.findtext("{http://www.w3.org/2000/svg}title").split(": ")[1]) for r in bars) == 9


def test_class_page_pass_rates_sorted_worst_first(site: Path) -> None:
    html_text = (site / "index.html").read_text(encoding="utf-8")
    table = re.search(r'<div class="sorted default" id="rates-worst">\s*<table class="rates cards">.*?</table>',
                      html_text, re.S).group(0)
    ids = re.findall(r'<tr data-check="([^"]+)"', table)
    rates = [int(v) for v in re.findall(r'class="num rate-value">(\d+)%', table)]
    assert len(ids) == len(CHECKS) and rates == sorted(rates)
    # 8 loaded; convergence: bob failed, frank timed out, grace missing, heidi failed -> 4/8
    assert ids[0] == "TwoLayerNet/digits-convergence" and rates[0] == 50
    assert "Over the 8 submissions that loaded" in html_text


def test_class_page_links_resolve_and_cover_every_student(site: Path, results: dict[str, Any]) -> None:
    parsed = outline(site / "index.html")
    targets = {(site / href).resolve() for href in parsed.links if not href.startswith("#")}
    assert all(t.exists() for t in targets if t.name != "results.json")  # grade writes it, not write_reports
    students = {t for t in targets if t.parent.name == "students"}
    assert len(students) == len(results["submissions"])
    assert {t.relative_to(site).as_posix() for t in targets - students} == {
        "results.json", "grades.csv", "exports/canvas.csv", "exports/moodle.csv", "exports/junit.xml", "exports/gradescope"}
    anchors = {href[1:] for href in parsed.links if href.startswith("#")}
    html_text = (site / "index.html").read_text(encoding="utf-8")
    assert all(f'id="{a}"' in html_text for a in anchors)  # every sort link has its table
    for page in (site / "students").glob("*.html"):
        links = outline(page).links
        assert all((page.parent / h).resolve().is_file() for h in links if not h.startswith("#"))
        assert all(f'id="{h[1:]}"' in page.read_text(encoding="utf-8") for h in links if h.startswith("#"))


def test_class_page_lists_errors_timeouts_and_load_failures(site: Path) -> None:
    html_text = (site / "index.html").read_text(encoding="utf-8")
    section = re.search(r'<section id="problems">.*?</section>', html_text, re.S).group(0)
    names = re.findall(r'<a href="[^"]+">([^<]+)</a>', section)
    assert names == ["eve", "frank"]
    assert "could not be loaded: SyntaxError" in section
    assert "1 check timed out, 1 check raised an error" in section


# --------------------------------------------------------------------------- safe names and svg helpers

def test_safe_file_names_are_unique_portable_and_stable() -> None:
    ids = ["alice", "Alice", "a/b", "a b", "ünï cödé", "../etc/passwd", "", "日本語", "x" * 200, "ok-name_1.2"]
    names = safe_file_names(ids)
    assert len(set(n.lower() for n in names.values())) == len(ids)
    assert all(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,80}", n) for n in names.values()), names
    assert names["ok-name_1.2"] == "ok-name_1.2" and names == safe_file_names(ids)
    assert names["ünï cödé"].startswith("uni-code-")


def test_line_plot_uses_log_scale_when_values_span_decades() -> None:
    wide = svg.line_plot([svg.Series("loss", [10.0, 1.0, 0.1, 0.01])], y_label="loss")
    narrow = svg.line_plot([svg.Series("loss", [2.0, 1.5, 1.2])], y_label="loss")
    assert "(log scale)" in wide and ">0.01</text>" in wide and ">10</text>" in wide and "(log scale)" not in narrow
    ET.fromstring(wide), ET.fromstring(narrow)


@pytest.mark.parametrize("values", [[], [float("nan"), float("inf")], [3.0], [1.0, 1.0, 1.0], [-1.0, 0.0, 5.0]])
def test_line_plot_edge_cases_stay_well_formed(values: list[float]) -> None:
    root = ET.fromstring(svg.line_plot([svg.Series("a <&> b", values), svg.Series("ref", [1.0, 2.0])],
                                       title="t <x>", y_label="y & z"))
    assert "a <&> b" in "".join(root.itertext())
    for el in root.iter():
        for attr in ("x", "y", "cx", "cy", "points"):
            assert "nan" not in el.get(attr, "").lower() and "inf" not in el.get(attr, "").lower()


def test_histogram_counts_clamp_and_escape() -> None:
    root = ET.fromstring(svg.histogram([0, 10, 10, 5, -3, 99, float("nan")], lo=0, hi=10, bins=5,
                                       title="<scores>"))
    counts = [int(r.findtext("{http://www.w3.org/2000/svg}title").split(": ")[1])
              for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert counts == [2, 0, 1, 0, 3]
    assert root.findtext("{http://www.w3.org/2000/svg}title") == "<scores>"


# --------------------------------------------------------------------------- terminal

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_render_submission_plain_has_score_checks_table_and_notes(results: dict[str, Any]) -> None:
    out = render_submission(_sub(results, "alice"), results["checks"], color=False)
    assert not ANSI.search(out)
    assert "14/16 (88%)" in out and "namespaces(mount,pid)+rlimits" in out
    assert re.search(r"✗ failed\s+0/2\s+backward-gradcheck", out)
    flat = " ".join(out.split())
    assert "did you average over the batch instead of summing?" in flat and "cell 3, line 2" in flat
    worst = [line for line in out.splitlines() if "0.93333" in line]
    assert len(worst) == 1 and "0.23333" in worst[0] and "worst" in worst[0]
    assert out.index("Relu") < out.index("Affine") < out.index("TwoLayerNet")


def test_render_submission_colour_only_when_asked(results: dict[str, Any]) -> None:
    plain = render_submission(_sub(results, "frank"), results["checks"], color=False)
    coloured = render_submission(_sub(results, "frank"), results["checks"], color=True)
    assert ANSI.search(coloured) and not ANSI.search(plain)
    assert ANSI.sub("", coloured) == plain
    assert "ValueError: matmul" in plain and "timed out" in plain


def test_render_submission_curves_and_load_error(results: dict[str, Any]) -> None:
    bob = render_submission(_sub(results, "bob"), results["checks"], color=False)
    assert "not finite from epoch 6" in bob
    eve = render_submission(_sub(results, "eve"), results["checks"], color=False)
    assert "could not be loaded" in eve and "SyntaxError: invalid syntax" in eve


def test_terminal_output_neutralises_control_characters_from_students(results: dict[str, Any]) -> None:
    sub = {**_sub(results, "ivan"), "id": "ivan\x1b[2J", "notes": [{"severity": "warning", "where": "cell 1",
                                                                  "message": "bell\x07 and \x1b]0;title\x07"}]}
    for color in (False, True):
        out = render_submission(sub, results["checks"], color=color)
        assert "\x07" not in out and "\x1b[2J" not in out and "\\x1b[2J" in out
    summary = render_class_summary({**results, "submissions": [sub]})
    assert "\x1b" not in summary and "ivan\\x1b[2J" in summary


def test_load_error_message_is_not_repeated_on_every_check(results: dict[str, Any]) -> None:
    out = render_submission(_sub(results, "eve"), results["checks"], color=False)
    assert " ".join(out.split()).count("SyntaxError: invalid syntax (line 12)") == 1
    assert out.count("not run: the file could not be loaded") == len(CHECKS)


def test_render_class_summary_lists_everyone_and_worst_checks(results: dict[str, Any]) -> None:
    out = render_class_summary(results)
    assert not ANSI.search(out)
    for sub in results["submissions"]:
        assert sub["id"] in out
    assert "mean" in out and "median" in out and "TwoLayerNet/digits-convergence" in out


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_supports_color_respects_tty_and_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert supports_color(FakeStream(True)) and not supports_color(FakeStream(False))
    monkeypatch.setenv("NO_COLOR", "1")
    assert not supports_color(FakeStream(True))
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("TERM", "dumb")
    assert not supports_color(FakeStream(True))
    assert not supports_color(object())


def test_progress_on_a_non_tty_prints_a_few_plain_lines() -> None:
    stream = FakeStream(False)
    progress = Progress(200, stream)
    for n in range(200):
        progress.advance(f"student-{n}")
    progress.close()
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue() and not ANSI.search(stream.getvalue())
    assert 3 <= len(lines) <= 12
    assert "200/200" in lines[-1]


def test_progress_on_a_tty_redraws_one_line() -> None:
    stream = FakeStream(True)
    progress = Progress(3, stream, min_interval=0.0)
    for label in ("alice", "bob", "carol"):
        progress.advance(label)
    progress.close()
    value = stream.getvalue()
    assert value.count("\r") >= 3 and value.endswith("\n") and value.count("\n") == 1
    assert "3/3" in value and "carol" in value


# --------------------------------------------------------------------------- CSV

def test_grades_csv_columns_and_values(tmp_path: Path, results: dict[str, Any]) -> None:
    path = tmp_path / "grades.csv"
    write_grades_csv(results, path)
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["id", "score", "max_score", "percent", "status", *(i for i, *_ in CHECKS),
                             "lms_user_id", "name", "late"]
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == {s["id"] for s in results["submissions"]}
    assert by_id["alice"]["score"] == "14" and by_id["alice"]["percent"] == "87.5"
    assert by_id["alice"]["Affine/backward-gradcheck"] == "0" and by_id["alice"]["Affine/forward-golden"] == "2"
    assert by_id["eve"]["status"] == "load_error" and by_id["Dana Müller / Gruppe 2"]["max_score"] == "16"


def test_a_traceback_repeated_in_a_component_is_shown_once() -> None:
    from grader.reports.model import enrich_checks

    trace = {"type": "traceback", "text": "mine.py, line 3, in softmax\nImportError"}
    checks = [{"id": f"softmax/{n}", "component": "softmax", "status": "error", "details": trace}
              for n in ("a", "b")] + [{"id": "relu/a", "component": "relu", "status": "error", "details": trace}]
    enriched = enrich_checks({"checks": checks}, [])
    assert enriched[0]["details"] == trace and enriched[2]["details"] == trace
    assert enriched[1]["details"] == {"type": "same_traceback", "of": "a"}


def test_grades_csv_never_hands_a_spreadsheet_a_formula(tmp_path: Path) -> None:
    results = {"max_score": 1, "checks": [{"id": "relu/golden"}],
               "submissions": [{"id": i, "score": 1, "max_score": 1, "status": "graded",
                                "checks": [{"id": "relu/golden", "score": 1}]}
                               for i in ("=HYPERLINK(\"http://x\")", "+1", "@sum", "-2", "kim", "mallory;=2+5;",
                                         "a,b;\t@c", 'x" =1+1')]}
    path = write_grades_csv(results, tmp_path / "grades.csv")
    with path.open(newline="", encoding="utf-8") as f:
        ids = [r["id"] for r in csv.DictReader(f)]
    assert ids == ["'=HYPERLINK(\"http://x\")", "'+1", "'@sum", "'-2", "kim", "mallory;'=2+5;", "a,b;'\t'@c", "x\" '=1+1"]
    text = path.read_text(encoding="utf-8")
    for separator in (",", ";", "\t"):  # however a spreadsheet splits the file, no cell starts a formula
        for line in text.splitlines():
            for cell in line.split(separator):
                assert not cell.strip().strip('"').lstrip().startswith(("=", "+", "-", "@")), (separator, cell)

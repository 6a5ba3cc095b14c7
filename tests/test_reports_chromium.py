"""The HTML reports as a browser renders them: headless Chromium's DOM, plus screenshots.

Needs Debian's ``chromium`` package (``/usr/bin/chromium``); skipped with a reason when it is
absent. Screenshots are kept under ``tests/artifacts/`` (git-ignored) for a human to look at.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from grader.reports import write_reports
from grader.reports.model import safe_file_names
from tests.test_reports import sample_results

pytestmark = pytest.mark.chromium

ARTIFACTS = Path(__file__).parent / "artifacts"
CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).is_file()), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not found at /usr/bin/chromium: install Debian's package "
                             "with `apt-get install -y chromium` to render the reports")


def chromium(page: Path, profile: Path, *extra: str) -> str:
    """Run headless Chromium on ``page``; return its stdout (the DOM with ``--dump-dom``)."""
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.resolve().as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class TextOf(HTMLParser):
    """The visible text of a DOM dump, whitespace collapsed (style and title left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.skip += tag in ("style", "title", "script")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("style", "title", "script")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)

    @classmethod
    def of(cls, html_text: str) -> str:
        parser = cls()
        parser.feed(html_text)
        return " ".join(" ".join(parser.parts).split())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    write_reports(sample_results(), out)
    return out


def student_page(site: Path, sub_id: str) -> Path:
    return site / "students" / f"{safe_file_names([sub_id])[sub_id]}.html"


@needs_chromium
def test_student_page_renders_score_and_failing_message(site: Path, tmp_path: Path) -> None:
    dom = chromium(student_page(site, "alice"), tmp_path / "profile", "--dump-dom")
    text = TextOf.of(dom)
    assert "14 / 16" in text and "88%" in text
    assert "db is 1/N of the expected value: did you average over the batch instead of summing?" in text
    assert re.search(r'<tr class="worst">', dom)
    assert "<svg" not in dom or "</svg>" in dom


@needs_chromium
def test_student_page_with_script_id_runs_no_script(site: Path, tmp_path: Path) -> None:
    dom = chromium(student_page(site, "<script>alert('id')</script>"), tmp_path / "profile", "--dump-dom")
    assert "<script" not in dom
    assert "<script>alert('id')</script>" in TextOf.of(dom)


@needs_chromium
def test_index_renders_class_summary_and_pass_rates(site: Path, tmp_path: Path) -> None:
    dom = chromium(site / "index.html", tmp_path / "profile", "--dump-dom")
    text = TextOf.of(dom)
    assert "Layers with forward/backward" in text and "9 submissions" in text
    shown = TextOf.of(re.search(r'<div class="sorted default" id="rates-worst">.*?</table>', dom, re.S)[0])
    assert shown.index("digits-convergence") < shown.index("forward-golden")  # worst first, as shown
    assert dom.count('class="plot histogram"') == 1


@needs_chromium
@pytest.mark.parametrize("name, page", [("student-alice", "alice"), ("student-bob", "bob"),
                                        ("student-frank", "frank"),
                                        ("student-eve", "eve"), ("index", None)])
def test_screenshots_are_kept_as_artifacts(site: Path, tmp_path: Path, name: str, page: str | None) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"report-{name}.png"
    shot.unlink(missing_ok=True)
    target = site / "index.html" if page is None else student_page(site, page)
    chromium(target, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1200,1600",
             "--hide-scrollbars")
    assert shot.is_file() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


# --------------------------------------------------------------------------- phone and desktop widths

PROBE = """<script>
window.addEventListener("load", () => {
  const doc = document.documentElement;
  const shown = [...document.querySelectorAll(".sortable > .sorted")].filter(e => e.offsetParent !== null);
  const first = shown.find(e => e.closest("#students"));
  const rows = first ? [...first.querySelectorAll("tbody tr td:first-child a")].map(a => a.textContent) : [];
  const wide = [...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > doc.clientWidth + 1
      && !e.closest("pre, table.values, svg, .table-scroll, details:not([open])"));
  document.body.setAttribute("data-probe", JSON.stringify({
    scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, shown: shown.map(e => e.id), rows,
    wide: wide.slice(0, 5).map(e => e.tagName + "." + e.className)}));
});
</script>"""


def probe(page: Path, tmp_path: Path, width: int, fragment: str = "") -> dict[str, Any]:
    """Layout facts of ``page`` at ``width`` px, read by a test-only script in a copy of the page
    (the reports themselves carry no script)."""
    import json

    copy = page.with_name(f"probe-{page.name}")
    copy.write_text(page.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")
    try:
        dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", f"--window-size={width},900",
                              "--virtual-time-budget=2000", "--dump-dom", copy.resolve().as_uri() + fragment],
                             capture_output=True, text=True, timeout=120).stdout
    finally:
        copy.unlink()
    import html as _html

    found = re.search(r'data-probe="([^"]*)"', dom)
    assert found, dom[-500:]
    return json.loads(_html.unescape(found[1]))


@needs_chromium
@pytest.mark.parametrize("width", [400, 1200])
@pytest.mark.parametrize("page", ["index", "alice", "bob"])
def test_pages_fit_a_phone_and_a_desktop(site: Path, tmp_path: Path, page: str, width: int) -> None:
    target = site / "index.html" if page == "index" else student_page(site, page)
    facts = probe(target, tmp_path, width)
    assert facts["scrollWidth"] <= facts["clientWidth"] + 1, facts  # no sideways scrolling
    assert facts["wide"] == [], facts
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / f"report-{page}-{width}px.png"
    chromium(target, tmp_path / "profile", f"--screenshot={shot}", f"--window-size={width},1400", "--hide-scrollbars")
    assert shot.is_file() and shot.stat().st_size > 5_000


@needs_chromium
def test_student_table_sorts_without_a_script(site: Path, tmp_path: Path) -> None:
    by_name = probe(site / "index.html", tmp_path, 1200)
    assert [e for e in by_name["shown"] if e.startswith("by-")] == ["by-name"]
    assert by_name["rows"] == sorted(by_name["rows"], key=str.casefold)
    by_score = probe(site / "index.html", tmp_path, 1200, "#by-score-asc")
    assert [e for e in by_score["shown"] if e.startswith("by-")] == ["by-score-asc"]
    assert by_score["rows"][0] != by_name["rows"][0] and set(by_score["rows"]) == set(by_name["rows"])

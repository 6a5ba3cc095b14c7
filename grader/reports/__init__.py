"""Reports from a ``results.json`` dict: HTML pages, the terminal report and the LMS grade CSV.

``write_reports(results, out_dir)`` writes ``index.html``, ``students/<safe id>.html`` and
``grades.csv``. The pieces: :mod:`.html`, :mod:`.terminal` (with ``Progress``), :mod:`.csv`,
:mod:`.svg` (plots), and :mod:`.model` (what all of them compute from the results).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.reports.csv import write_grades_csv
from grader.reports.html import write_html_reports

__all__ = ["write_reports", "write_html_reports", "write_grades_csv"]


def write_reports(results: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write every report for ``results`` into ``out_dir``; return the files written."""
    out_dir = Path(out_dir)
    from grader.export import write_all

    return [*write_html_reports(results, out_dir), write_grades_csv(results, out_dir / "grades.csv"),
            *write_all(results, out_dir)]

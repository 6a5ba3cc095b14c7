"""``check("softmax")`` in a notebook: grade the cells run so far, show the result under the cell.

The running notebook is read as the grader reads a saved one: the code cells, in the order they were run
(IPython's input history), go into a notebook file, which the grader's loader and sandbox take from there
(only definitions and imports are run, in an isolated process). The cell calling ``check`` and the kit's own
imports are left out. Jupyter and Colab show the result as HTML; anywhere else it prints as text.
"""
from __future__ import annotations

import html
import re
import tempfile
from pathlib import Path
from typing import Any, Sequence

from grader_kit.kit import KitError, check_file

_KIT_LINE = re.compile(r"^\s*(from\s+grader_kit\b|import\s+grader_kit\b|check\(|grader_kit\.check\()")
STATUS_COLORS = {"passed": "#1a7f37", "failed": "#cf222e", "error": "#8250df", "timeout": "#9a6700",
                 "missing": "#6e7781"}


def notebook_cells(history: Sequence[str]) -> list[str]:
    """The code cells to grade: the history without empty entries, the kit's lines, and the current cell."""
    cells = []
    for source in list(history)[:-1]:
        kept = "\n".join(line for line in str(source).splitlines() if not _KIT_LINE.match(line))
        if kept.strip():
            cells.append(kept)
    return cells


def _history() -> list[str]:
    try:
        from IPython import get_ipython
    except ImportError:
        get_ipython = None  # noqa: N806
    shell = get_ipython() if get_ipython else None
    if shell is None:
        raise KitError("check() grades the notebook it runs in; outside a notebook use grader-check ASSIGNMENT FILE")
    raw = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    return list(raw if raw else shell.user_ns.get("In", []))


def write_notebook(cells: Sequence[str], path: Path) -> Path:
    import nbformat

    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(book, str(path))
    return path


def check(component: str, assignment: str | None = None, *, history: Sequence[str] | None = None) -> None:
    """Grade ``component`` of this notebook on the kit's public checks and show the result under the cell.
    (Returns nothing, so the cell shows only the report; ``grader_kit.check_file`` returns the results.)"""
    cells = notebook_cells(_history() if history is None else history)
    with tempfile.TemporaryDirectory(prefix="grader-kit-") as tmp:
        results = check_file(assignment, write_notebook(cells, Path(tmp) / "notebook.ipynb"), [component])
    show(results)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ != "TerminalInteractiveShell"


def show(results: dict[str, Any]) -> None:
    if _in_notebook():
        from IPython.display import HTML, display

        display(HTML(to_html(results)))
    else:
        from grader.reports.terminal import render_submission

        print(render_submission(results["submissions"][0], results["checks"], color=False))


def to_html(results: dict[str, Any]) -> str:
    """One table: each check's status, points and message (escaped: messages quote the student's code)."""
    sub = results["submissions"][0]
    rows = []
    for c in sub["checks"]:
        color = STATUS_COLORS.get(c["status"], "#24292f")
        rows.append(
            f'<tr><td style="color:{color};font-weight:bold">{html.escape(c["status"])}</td>'
            f'<td><code>{html.escape(c["id"])}</code></td><td>{c["score"]:g} / {c["max_score"]:g}</td>'
            f'<td style="text-align:left;white-space:pre-wrap">{html.escape(c.get("message") or "")}</td></tr>')
    notes = "".join(f"<li>{html.escape(n.get('message', ''))}</li>" for n in sub.get("notes", []))
    total = sum(c["score"] for c in sub["checks"]), sum(c["max_score"] for c in sub["checks"])
    return (f'<div class="grader-kit"><b>{total[0]:g} / {total[1]:g} points</b> on the public checks'
            + (f"<ul>{notes}</ul>" if notes else "")
            + '<table><tr><th>status</th><th>check</th><th>points</th><th>message</th></tr>'
            + "".join(rows) + "</table></div>")

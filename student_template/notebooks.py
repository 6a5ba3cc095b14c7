"""Deterministic Jupyter notebooks (nbformat v4.5) from a list of cell sources.

Cell ids are "cell-<n>" (n counts from 1) and the notebook metadata is fixed, so the same
cells always give the same bytes: generated notebooks can be committed and compared.
"""
from __future__ import annotations

from typing import Sequence

import nbformat
from nbformat import v4

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}

# A cell is (kind, source) with kind "markdown" or "code".
Cell = tuple[str, str]


def make_notebook(cells: Sequence[Cell]) -> nbformat.NotebookNode:
    """A v4.5 notebook holding `cells` in order, with deterministic ids and metadata."""
    makers = {"markdown": v4.new_markdown_cell, "code": v4.new_code_cell}
    nb = v4.new_notebook()
    nb.nbformat_minor = 5
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": {"name": "python"}}
    nb.cells = [makers[kind](source, id=f"cell-{n}") for n, (kind, source) in enumerate(cells, 1)]
    return nb


def notebook_text(cells: Sequence[Cell]) -> str:
    """The .ipynb text of make_notebook(cells): sorted keys, one-space indent, final newline."""
    return nbformat.writes(make_notebook(cells)) + "\n"

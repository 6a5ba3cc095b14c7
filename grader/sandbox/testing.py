"""Build ``LoadedSubmission`` objects straight from source text (for tests and benchmarks).

Unlike the real loader this keeps every top-level statement and does no recovery: it exists so
sandbox tests and benchmarks do not depend on ``grader.loader``.
"""
from __future__ import annotations

import ast
import textwrap

from grader.loaded import LoadedSubmission, Statement


def _statements(source: str, cell: int | None = None) -> list[Statement]:
    source = textwrap.dedent(source)
    lines = source.splitlines(keepends=True)
    out = []
    for node in ast.parse(source).body:
        start = node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno
        text = "".join(lines[start - 1:node.end_lineno])
        out.append(Statement(text, start, cell))
    return out


def _defined(statements: list[Statement]) -> list[str]:
    names = []
    for stmt in statements:
        for node in ast.parse(stmt.source).body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.append(node.name)
            elif isinstance(node, ast.Assign):
                names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return names


def submission(source: str, name: str = "alice.py") -> LoadedSubmission:
    """A ``.py`` submission: every top-level statement of ``source`` is kept."""
    statements = _statements(source)
    return LoadedSubmission(id=name.rsplit(".", 1)[0], path=f"submissions/{name}", kind="py",
                            statements=statements, defined=_defined(statements))


def notebook_submission(cells: list[str], name: str = "alice.ipynb") -> LoadedSubmission:
    """An ``.ipynb`` submission: ``cells[i]`` is code cell ``i + 1``."""
    statements = [s for i, cell in enumerate(cells, 1) for s in _statements(cell, i)]
    return LoadedSubmission(id=name.rsplit(".", 1)[0], path=f"submissions/{name}", kind="ipynb",
                            statements=statements, defined=_defined(statements))

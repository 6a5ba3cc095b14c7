"""What counts as answer code: the lines of the reference's function bodies.

A student kit must contain none of them. The kit builder uses this twice: a check-module helper whose body
contains such a line (a bug variant written as "the textbook loop with ``=`` for ``+=``", an optimizer
subclassing the reference's) is shipped as recorded answers instead of code, and every file of the
finished kit is scanned before the wheel is written.

A line counts when it is code (not a comment, not a docstring) and at least ``MIN_CHARS`` long once
stripped, except for plain conversions such as ``x = np.asarray(x, dtype=np.float64)`` that any
NumPy code has.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Iterable

MIN_CHARS = 24
TRIVIAL = re.compile(r"^(\w+) = np\.(asarray|array)\(\1(, dtype=np\.\w+)?\)$|^super\(\)\.__init__\(.*\)$")


def body_lines(source: str) -> set[str]:
    """The substantive lines of every function and method body of ``source`` (docstrings left out)."""
    lines = source.splitlines()
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        for stmt in body:
            for number in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1):
                line = lines[number - 1].strip()
                if substantive(line):
                    found.add(line)
    return found


def substantive(line: str) -> bool:
    return len(line) >= MIN_CHARS and not line.startswith("#") and not TRIVIAL.match(line)


def answer_lines(files: Iterable[Path]) -> set[str]:
    """The substantive body lines of the answer modules (the reference, the trusted stand-ins)."""
    found: set[str] = set()
    for path in files:
        found |= body_lines(Path(path).read_text(encoding="utf-8"))
    return found


def leaked(text: str, answers: set[str]) -> list[tuple[int, str]]:
    """(line number, line) of every line of ``text`` that is an answer line."""
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip() in answers]

"""The loaded form of a submission: what the loader hands to the student process.

Data only (no student code is ever executed to build it). It crosses process
boundaries as JSON via :meth:`LoadedSubmission.to_json` / :meth:`from_json`.
"""
from __future__ import annotations

import ast
import json
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, Literal

Severity = Literal["info", "warning", "error"]


@dataclass
class Statement:
    """One top-level statement kept for execution in the student process.

    ``source`` is the statement's own text (dedented, magics removed); ``lineno`` is the
    1-based line of its first line in the original file (or in its notebook cell), so
    tracebacks and messages can point at the student's own line.
    """

    source: str
    lineno: int
    cell: int | None = None  # notebook code-cell number (1-based, as shown to students)
    file: str | None = None  # which file, when a folder's files were merged into one submission

    @property
    def where(self) -> str:
        return _in_file(self.file, f"cell {self.cell}, line {self.lineno}" if self.cell else f"line {self.lineno}")


def placed(source: str, lineno: int) -> str:
    """``source`` preceded by blank lines so that it starts on line ``lineno``: compiled or parsed, it carries the
    student's own line numbers (what ``ast.increment_lineno`` gives, without walking the tree in Python)."""
    return "\n" * (lineno - 1) + source


@dataclass
class LoadNote:
    """Something the loader (or the student process while loading) wants to tell the student."""

    message: str
    lineno: int | None = None
    cell: int | None = None
    severity: Severity = "info"
    file: str | None = None  # which file, when a folder's files were merged into one submission

    @property
    def where(self) -> str:
        if self.cell and self.lineno:
            place = f"cell {self.cell}, line {self.lineno}"
        elif self.cell:
            place = f"cell {self.cell}"
        else:
            place = f"line {self.lineno}" if self.lineno else ""
        return _in_file(self.file, place)


@dataclass
class GlobalRead:
    """A function body that reads a module-level data variable instead of a parameter."""

    function: str  # "forward" or "Affine.backward"
    name: str  # the global it reads, e.g. "W"
    lineno: int
    cell: int | None = None
    file: str | None = None  # which file, when a folder's files were merged into one submission


def _in_file(file: str | None, place: str) -> str:
    """``"utils.py, line 3"`` for merged folders; the place alone otherwise."""
    if not file:
        return place
    return f"{file}, {place}" if place else file


@dataclass
class LoadedSubmission:
    id: str
    path: str
    kind: Literal["py", "ipynb"]
    statements: list[Statement] = field(default_factory=list)
    defined: list[str] = field(default_factory=list)  # top-level names the kept statements define
    notes: list[LoadNote] = field(default_factory=list)
    global_reads: list[GlobalRead] = field(default_factory=list)
    error: str | None = None  # set when nothing could be loaded: the submission is a load_error

    @property
    def filename(self) -> str:
        """The name shown in tracebacks and messages ("alice.ipynb")."""
        return self.path.replace("\\", "/").rsplit("/", 1)[-1]

    def statement_trees(self) -> list[tuple[Statement, ast.Module]]:
        """Each kept statement that parses, with its syntax tree (positions relative to its own text). Parsed once
        per submission and shared by every check that reads the student's source: read the trees, never change
        them."""
        trees = _parsed(tuple(statement.source for statement in self.statements))
        return [(statement, tree) for statement, tree in zip(self.statements, trees) if tree is not None]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "LoadedSubmission":
        data = dict(data)
        data["statements"] = [Statement(**s) for s in data.get("statements", [])]
        data["notes"] = [LoadNote(**n) for n in data.get("notes", [])]
        data["global_reads"] = [GlobalRead(**g) for g in data.get("global_reads", [])]
        return cls(**data)

    def dumps(self) -> str:
        return json.dumps(self.to_json())


@lru_cache(maxsize=8)
def _parsed(sources: tuple[str, ...]) -> tuple[ast.Module | None, ...]:
    """The syntax tree of each text (None where it does not parse); a judge grades one submission at a time."""
    def parse(source: str) -> ast.Module | None:
        try:
            return ast.parse(source)
        except SyntaxError:
            return None
    return tuple(parse(source) for source in sources)

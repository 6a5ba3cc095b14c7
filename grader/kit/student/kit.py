"""What the kit holds (its assignments) and how it grades one file: the grader's own pipeline, public checks."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

ROOT = Path(__file__).resolve().parent / "assignments"


class KitError(Exception):
    """A student's mistake about the kit (unknown assignment or component): the message says what exists."""


def assignments() -> dict[str, Path]:
    """The assignments this kit checks, by name."""
    return {p.name: p for p in sorted(ROOT.iterdir()) if (p / "assignment.toml").is_file()} if ROOT.is_dir() else {}


def components(assignment: str) -> list[str]:
    catalog = json.loads((assignments()[assignment] / "catalog.json").read_text(encoding="utf-8"))
    return list(dict.fromkeys(c["component"] for c in catalog))


def folder_of(assignment: str | None, component: str | None = None) -> tuple[str, Path]:
    """The kit folder of ``assignment``; without a name, the one assignment of the kit that has ``component``."""
    known = assignments()
    if assignment is not None:
        if assignment not in known:
            raise KitError(f"this kit has no assignment {assignment!r}; it has: {', '.join(known) or 'none'}")
        return assignment, known[assignment]
    having = [a for a in known if component is None or component in components(a)]
    if len(having) == 1:
        return having[0], known[having[0]]
    if not having:
        every = {a: components(a) for a in known}
        raise KitError(f"no assignment of this kit has a component {component!r}; components: "
                       + "; ".join(f"{a}: {', '.join(c)}" for a, c in every.items()))
    raise KitError(f"{component!r} is a component of {', '.join(having)}: say which, "
                   f"e.g. check({component!r}, assignment={having[0]!r})")


def check_file(assignment: str | None, file: str | Path, only: Sequence[str] = ()) -> dict[str, Any]:
    """Grade ``file`` on the kit's public checks of ``assignment``; returns the results (as results.json has them)."""
    from grader.grade import GradeError, grade

    name, folder = folder_of(assignment, only[0] if only else None)
    try:
        run = grade(str(folder), [str(file)], None, jobs=1, only=list(only))
    except GradeError as exc:
        raise KitError(str(exc)) from None
    return run.results

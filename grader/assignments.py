"""Find an assignment (a shipped name or an instructor's folder) and read its assignment.toml."""
from __future__ import annotations

import importlib.util
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "assignments"
SHIPPED = ("numerical", "backprop", "layers", "optim", "conv")
GRADING_PACKAGES = ("grader", "reference", "assignments")  # never importable by student code


class AssignmentError(Exception):
    """An instructor's mistake about the assignment: the message names the path and the fix."""


@dataclass(frozen=True)
class Assignment:
    name: str
    path: Path
    title: str
    total_points: float | None  # declared total; the checks' points must add up to it
    budget_seconds: float
    memory_mb: int
    packages: tuple[str, ...] = ()  # what student code may import besides NumPy (assignment.toml `packages`)
    twins: bool = True  # public cases are credited only with their keyed twins (false in the student kit)


def shipped_dir() -> Path:
    import assignments

    return Path(assignments.__file__).resolve().parent


def resolve(name_or_path: str) -> Assignment:
    """``numerical`` -> the shipped assignment; ``./my_course/hw3`` -> an instructor's folder."""
    candidate = Path(name_or_path)
    if candidate.is_dir():
        folder = candidate.resolve()
    elif "/" not in name_or_path and (shipped_dir() / name_or_path).is_dir():
        folder = shipped_dir() / name_or_path
    else:
        raise AssignmentError(
            f"unknown assignment {name_or_path!r}: use one of {', '.join(SHIPPED)} "
            "or the path to a folder holding assignment.toml and test_*.py checks"
        )
    return _read(folder)


def _read(folder: Path) -> Assignment:
    toml_path = folder / "assignment.toml"
    if not list(folder.glob("test_*.py")):
        raise AssignmentError(f"{folder}: no check modules (test_*.py) in this assignment folder")
    meta: dict = {}
    if toml_path.exists():
        try:
            meta = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise AssignmentError(f"{toml_path}: not valid TOML ({exc}); fix the file") from exc
    return Assignment(
        name=str(meta.get("name", folder.name)),
        path=folder,
        title=str(meta.get("title", folder.name)),
        total_points=meta.get("total_points"),
        budget_seconds=float(meta.get("budget_seconds", 300)),
        memory_mb=int(meta.get("memory_mb", 2048)),
        packages=_packages(toml_path, meta.get("packages", [])),
        twins=_flag(toml_path, meta, "twins", True),
    )


def _flag(toml_path: Path, meta: dict, key: str, default: bool) -> bool:
    value = meta.get(key, default)
    if not isinstance(value, bool):
        raise AssignmentError(f"{toml_path}: `{key}` must be true or false, not {value!r}")
    return value


def _packages(toml_path: Path, listed: object) -> tuple[str, ...]:
    """``packages = ["scipy"]``: import names of installed packages (folders with ``__init__.py``) that student
    processes may import besides NumPy; each must be installed for the grader's Python, and with its own
    dependencies listed too (the student's root holds only what is listed)."""
    if not isinstance(listed, list) or not all(isinstance(p, str) and p.strip() for p in listed):
        raise AssignmentError(f'{toml_path}: `packages` must be a list of import names, e.g. packages = ["scipy"]')
    names = tuple(dict.fromkeys(p.strip() for p in listed if p.strip() != "numpy"))
    for name in names:
        if name.split(".")[0] in GRADING_PACKAGES or "." in name:
            raise AssignmentError(f"{toml_path}: `packages` lists {name!r}: only top-level third-party packages "
                                  f"may be permitted, never the grader's own ({', '.join(GRADING_PACKAGES)}); "
                                  "remove it")
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.submodule_search_locations:
            raise AssignmentError(
                f"{toml_path}: `packages` lists {name!r}, which is not an installed package for the grader's "
                f"Python ({sys.executable}): install it there (`{sys.executable} -m pip install {name}`, with the "
                "distribution's name if it differs from the import name) or remove it from `packages`")
    return names

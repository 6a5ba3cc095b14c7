"""``grader gradescope ASSIGNMENT --out DIR``: the autograder zip Gradescope runs for each submission.

Gradescope unpacks the zip into ``/autograder/source``, runs ``setup.sh`` once when it builds the image,
copies ``run_autograder`` to ``/autograder/run_autograder`` and runs it for every submission with the
student's files in ``/autograder/submission``; the script must write ``/autograder/results/results.json``.

The zip holds ``setup.sh`` (a virtual environment with this grader installed from ``dlfs-grader/``),
``run_autograder`` (grades the submission folder as one student's submission, then
``grader export --format gradescope``) and ``dlfs-grader/`` (this grader's packages: the grader, the
reference and the assignments; no network access needed beyond PyPI for NumPy and friends).
``AUTOGRADER_ROOT`` (default ``/autograder``) and ``GRADER_PYTHON`` let the scripts run elsewhere (tests).
"""
from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import stat
import zipfile
from pathlib import Path

from grader import __version__
from grader.assignments import Assignment, resolve

PACKAGES = ("grader", "reference", "assignments")
SKIP = {"__pycache__", ".grader", ".pytest_cache"}

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu with Python 3).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-pip
fi
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python" -m pip install --quiet --upgrade pip
"$ROOT/venv/bin/python" -m pip install --quiet "$ROOT/source/dlfs-grader"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission; it writes $ROOT/results/results.json.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
PY="${{GRADER_PYTHON:-$ROOT/venv/bin/python}}"
ASSIGNMENT={assignment}
cd "$ROOT"
mkdir -p "$ROOT/results"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/in"
cp -r "$ROOT/submission" "$WORK/in/submission"   # one folder: one student's submission, whatever it holds
if "$PY" -m grader grade "$ASSIGNMENT" "$WORK/in" --out "$WORK/out" --quiet --jobs 1 2>"$WORK/stderr"; then
    "$PY" -m grader export "$WORK/out" --format gradescope --out "$ROOT/results/results.json"
else
    "$PY" - "$ROOT/results/results.json" "$WORK/stderr" <<'EOF'
import json, sys
reason = open(sys.argv[2], encoding="utf-8", errors="replace").read().strip() or "the grader stopped"
json.dump({{"score": 0.0, "output": "Nothing to grade: " + reason[-2000:], "visibility": "visible",
           "stdout_visibility": "hidden", "tests": []}}, open(sys.argv[1], "w", encoding="utf-8"))
EOF
fi
"""


def build_autograder(assignment_name: str, out_dir: Path) -> Path:
    """Write ``out_dir/<assignment>-autograder.zip`` and return its path."""
    assignment = resolve(assignment_name)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{assignment.name}-autograder.zip"
    tmp = target.with_name(f".{target.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        _script(zf, "setup.sh", SETUP_SH)
        _script(zf, "run_autograder", RUN_AUTOGRADER.format(assignment=_shell_word(_assignment_arg(assignment))))
        zf.writestr("dlfs-grader/pyproject.toml", _pyproject())
        for package in PACKAGES:
            root = Path(__import__(package).__file__).parent
            _add_tree(zf, root, f"dlfs-grader/{package}")
        if not _is_shipped(assignment):  # an instructor's own assignment folder travels with the grader
            _add_tree(zf, assignment.path, f"dlfs-grader/assignments/{assignment.path.name}")
    os.replace(tmp, target)
    return target


def _assignment_arg(assignment: Assignment) -> str:
    return assignment.path.name  # the folder name: shipped, or added under assignments/ below


def _is_shipped(assignment: Assignment) -> bool:
    import assignments

    return assignment.path.resolve().parent == Path(assignments.__file__).resolve().parent


def _shell_word(text: str) -> str:
    if not re.fullmatch(r"[\w.-]+", text):
        raise ValueError(f"assignment name {text!r} cannot be used in a shell script; rename its folder")
    return text


def _script(zf: zipfile.ZipFile, name: str, text: str) -> None:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFREG | 0o755) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, text)


def _add_tree(zf: zipfile.ZipFile, root: Path, prefix: str) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP)
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if path.suffix in (".pyc", ".pyo"):
                continue
            zf.write(path, f"{prefix}/{path.relative_to(root).as_posix()}")


def _requirements() -> list[str]:
    try:
        requires = importlib.metadata.requires("dlfs-grader") or []
    except importlib.metadata.PackageNotFoundError:
        requires = []
    return [r for r in requires if "extra ==" not in r] or ["numpy>=1.25", "pytest>=7.4", "pytest-xdist>=3.5",
                                                            "nbformat>=5.9", "jinja2>=3.1"]


def _pyproject() -> str:
    deps = ",\n".join(f'    "{r}"' for r in _requirements())
    return f"""[build-system]
requires = ["setuptools>=68", "wheel"]
build-backend = "setuptools.build_meta"

[project]
name = "dlfs-grader"
version = "{__version__}"
requires-python = ">=3.10"
dependencies = [
{deps}
]

[project.scripts]
grader = "grader.cli:main"

[tool.setuptools.packages.find]
include = ["grader*", "reference*", "assignments*"]

[tool.setuptools.package-data]
"*" = ["*.npz", "*.json", "*.toml", "*.html", "*.css", "*.j2", "*.txt", "*.ipynb", "*.md"]
"""


def copy_layout(zip_path: Path, root: Path) -> Path:
    """Lay out ``root`` as Gradescope does (``source/`` unpacked, ``run_autograder`` copied, ``submission/``,
    ``results/``): for trying the autograder on this machine."""
    source = root / "source"
    source.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(source)
        for info in zf.infolist():
            mode = info.external_attr >> 16
            if mode & 0o111:
                os.chmod(source / info.filename, mode & 0o777)
    shutil.copy2(source / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir(exist_ok=True)
    (root / "results").mkdir(exist_ok=True)
    return root

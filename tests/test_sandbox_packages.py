"""Packages an assignment permits (``packages = [...]`` in assignment.toml) are importable by student code, and
nothing else is: tried through the command line with a copy of the `numerical` assignment.

The submission's functions are right only if an import came out as it should: ``sigmoid`` imports the
permitted package, ``relu`` and ``softmax`` are right only when jinja2, pytest, grader and reference cannot be
imported (a package the grader itself uses, but the assignment does not permit).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers_submissions import reference_source, write_py

PROJECT = Path(__file__).resolve().parent.parent
PERMITTED = "markupsafe"  # installed with jinja2, which the grader needs: present wherever the grader runs

PROBE = '''

def sigmoid(x):
    import markupsafe  # permitted by the assignment
    return 1.0 / (1.0 + np.exp(-x)) if markupsafe.escape("<") == "&lt;" else None


def _importable(name):
    try:
        __import__(name)
        return True
    except ImportError:
        return False


def relu(x):
    return np.maximum(0, x) if not _importable("jinja2") and not _importable("pytest") else None


def softmax(x):
    if _importable("grader") or _importable("reference") or _importable("yaml"):
        return None
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)
'''


def assignment_copy(tmp_path: Path, packages: str) -> Path:
    folder = tmp_path / "numerical_with_packages"
    shutil.copytree(PROJECT / "assignments" / "numerical", folder, ignore=shutil.ignore_patterns("__pycache__"))
    toml = folder / "assignment.toml"
    toml.write_text(toml.read_text() + f"packages = {packages}\n")
    return folder


def grade(folder: Path, batch: Path, out: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV"))}
    return subprocess.run([sys.executable, "-m", "grader", "grade", str(folder), str(batch), "--out", str(out),
                           "--quiet", "--jobs", "1"],
                          capture_output=True, text=True, env=env, timeout=600)


def test_a_permitted_package_imports_and_no_other_does(tmp_path: Path) -> None:
    folder = assignment_copy(tmp_path, f'["{PERMITTED}"]')
    write_py(tmp_path / "batch" / "probe.py", reference_source("numerical") + PROBE)
    proc = grade(folder, tmp_path / "batch", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr[-3000:]
    sub = json.loads((tmp_path / "out" / "results.json").read_text())["submissions"][0]
    status = {c["id"]: (c["status"], c["message"][:200]) for c in sub["checks"]}
    assert status["sigmoid/golden"][0] == "passed", status
    assert status["relu/golden"][0] == "passed", status
    assert status["softmax/golden-vector"][0] == "passed", status
    assert "allow-list-root" in sub["isolation"]


def test_without_the_key_the_package_does_not_import(tmp_path: Path) -> None:
    folder = assignment_copy(tmp_path, "[]")
    write_py(tmp_path / "batch" / "probe.py", reference_source("numerical") + PROBE)
    proc = grade(folder, tmp_path / "batch", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr[-3000:]
    sub = json.loads((tmp_path / "out" / "results.json").read_text())["submissions"][0]
    sigmoid = next(c for c in sub["checks"] if c["id"] == "sigmoid/golden")
    assert sigmoid["status"] == "error" and "markupsafe" in sigmoid["message"], sigmoid


def test_a_listed_package_that_is_not_installed_is_an_instructor_error(tmp_path: Path) -> None:
    folder = assignment_copy(tmp_path, '["no_such_package_dlfs"]')
    write_py(tmp_path / "batch" / "probe.py", reference_source("numerical"))
    proc = grade(folder, tmp_path / "batch", tmp_path / "out")
    assert proc.returncode == 2
    assert str(folder / "assignment.toml") in proc.stderr and "no_such_package_dlfs" in proc.stderr
    assert "pip install no_such_package_dlfs" in proc.stderr and "remove it" in proc.stderr

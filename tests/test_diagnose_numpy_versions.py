"""The grade does not depend on the installed NumPy: the corpus graded under the oldest NumPy the grader supports
(1.24, pyproject.toml's lower bound) and under this environment's (the newest pip installs) gives every check
the same status and score. Slow (it builds a virtual environment): `pytest -m slow tests/test_diagnose_numpy_versions.py`.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.corpus import harness

ROOT = Path(__file__).resolve().parents[1]
OLDEST = "1.24.*"


def _venv_with_numpy(where: Path, numpy_spec: str) -> str:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    python = str(where / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    f"numpy=={numpy_spec}", "-e", str(ROOT)], check=True)
    return python


def _verdicts(python: str) -> dict[tuple[str, str, str], tuple[str, float]]:
    out = {}
    for assignment in harness.ASSIGNMENTS:
        for sub_id, sub in harness.grade(assignment, python=python).items():
            for c in sub["checks"]:
                out[(assignment, sub_id, c["id"])] = (c["status"], c["score"], c["message"])
    return out


@pytest.mark.slow
def test_oldest_and_newest_numpy_grade_the_corpus_alike(tmp_path):
    old_python = _venv_with_numpy(tmp_path / "venv", OLDEST)
    version = subprocess.run([old_python, "-c", "import numpy; print(numpy.__version__)"], capture_output=True,
                             text=True, check=True).stdout.strip()
    assert version.startswith("1.24."), version
    assert int(np.__version__.split(".")[0]) >= 2, "run this under the newest NumPy (pip install -U numpy)"
    new, old = _verdicts(sys.executable), _verdicts(old_python)
    assert new.keys() == old.keys()
    differ = [f"{key}: NumPy {np.__version__} {new[key][:2]} vs {version} {old[key][:2]}\n  {new[key][2]}\n  {old[key][2]}"
              for key in new if new[key][:2] != old[key][:2]]
    assert not differ, "\n".join(differ)

"""The grade does not depend on the installed NumPy.

By default (CI): a few `conv` submissions, among them a CS231n-style max-pool whose backward does
``int(row)`` of ``np.where(window == window.max())`` (NumPy 2 refuses it; older versions only warned), are graded
through the CLI under the oldest NumPy pyproject.toml allows and under this environment's (the newest pip
installs), and the two results.json files must be identical but for their time stamp and the last bits of raw
floats in a failure's details (a relative error computed with another NumPy's summation). The oldest NumPy is
installed once, with pip from PyPI, into a cache folder (``$XDG_CACHE_HOME/dlfs-grader/``, ~80 MB) that
``PYTHONPATH`` puts in front of this environment's packages; without network the test is skipped, saying so.

Slow (`pytest -m slow tests/test_diagnose_numpy_versions.py`): the whole corpus, the same way.
"""
from __future__ import annotations

import fcntl
import inspect
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import reference.conv
from tests.corpus import harness

ROOT = Path(__file__).resolve().parents[1]


def _oldest_supported() -> str:
    """The lower bound of numpy in pyproject.toml's dependencies ("1.25")."""
    found = re.search(r'"numpy>=([0-9.]+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert found, "pyproject.toml lists no numpy>=X dependency"
    return found.group(1)


OLDEST = _oldest_supported()
CACHE = (Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dlfs-grader"
         / f"numpy-{OLDEST}-cp{sys.version_info.major}{sys.version_info.minor}")


def _oldest_numpy() -> Path:
    """A folder holding NumPy ``OLDEST.*`` (installed once, under a lock: several test runs may share the cache)."""
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    with open(CACHE.parent / f"{CACHE.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (CACHE / ".complete").exists():
            run = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                  "--no-deps", "--only-binary=:all:", "--upgrade", "--retries", "1", "--timeout", "15",
                                  "--target", str(CACHE),
                                  f"numpy=={OLDEST}.*"], capture_output=True, text=True, timeout=300)
            if run.returncode != 0:
                last = (run.stderr.strip().splitlines() or ["(no message)"])[-1]
                pytest.skip(f"cannot install numpy=={OLDEST}.* from PyPI (offline?): {last}")
            (CACHE / ".complete").write_text(OLDEST, encoding="utf-8")
    return CACHE


def _env_with(numpy_dir: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if numpy_dir is not None:
        env["PYTHONPATH"] = str(numpy_dir)
    return env


def _numpy_version(env: dict[str, str]) -> str:
    return subprocess.run([sys.executable, "-c", "import numpy; print(numpy.__version__)"], env=env,
                          capture_output=True, text=True, check=True).stdout.strip()


# CS231n's max_pool_backward_naive, made a Pooling layer: the argmax found with np.where, then int(row).
CS231N_POOL = '''

class Pooling:
    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

    def forward(self, x):
        N, C, H, W = x.shape
        p, s = self.pad, self.stride
        xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        H_out = (H + 2 * p - self.pool_h) // s + 1
        W_out = (W + 2 * p - self.pool_w) // s + 1
        out = np.zeros((N, C, H_out, W_out))
        for n in range(N):
            for c in range(C):
                for i in range(H_out):
                    for j in range(W_out):
                        out[n, c, i, j] = np.max(xp[n, c, i * s:i * s + self.pool_h, j * s:j * s + self.pool_w])
        self.cache = (x, xp)
        return out

    def backward(self, dout):
        x, xp = self.cache
        p, s = self.pad, self.stride
        N, C, H_out, W_out = dout.shape
        dxp = np.zeros_like(xp)
        for n in range(N):
            for c in range(C):
                for i in range(H_out):
                    for j in range(W_out):
                        window = xp[n, c, i * s:i * s + self.pool_h, j * s:j * s + self.pool_w]
                        row, col = np.where(window == np.max(window))
                        dxp[n, c, i * s + int(row), j * s + int(col)] += dout[n, c, i, j]
        return dxp[:, :, p:p + x.shape[2], p:p + x.shape[3]]
'''
# Two named bugs, so the diagnosis (variants, mutants, shrinking) is compared too.
FLIPPED_AND_DB_MEAN = '''

def conv1d(x, w, b):
    return np.convolve(x, w, mode="valid") + b


class Convolution(Convolution):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = dout.mean(axis=(0, 2, 3))
        return dx
'''
REFERENCE = inspect.getsource(reference.conv)
SUBMISSIONS = {"reference": REFERENCE, "cs231n_pool": REFERENCE + CS231N_POOL,
               "flipped_dbmean": REFERENCE + FLIPPED_AND_DB_MEAN}


def _graded(subs: Path, out: Path, env: dict[str, str]) -> dict:
    run = subprocess.run([sys.executable, "-m", "grader", "grade", "conv", str(subs), "--out", str(out), "--jobs", "2",
                          "--quiet"], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    results.pop("generated_at")
    return results


def test_oldest_and_newest_numpy_grade_alike(tmp_path):
    numpy_dir = _oldest_numpy()
    old_env, new_env = _env_with(numpy_dir), _env_with(None)
    old_version, new_version = _numpy_version(old_env), _numpy_version(new_env)
    assert old_version.startswith(f"{OLDEST}."), old_version
    assert old_version != new_version
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, source in SUBMISSIONS.items():
        (subs / f"{name}.py").write_text(source, encoding="utf-8")
    new, old = _graded(subs, tmp_path / "new", new_env), _graded(subs, tmp_path / "old", old_env)
    by_id = {s["id"]: s for s in new["submissions"]}
    backward = next(c for c in by_id["cs231n_pool"]["checks"] if c["id"] == "Pooling/golden-backward")
    assert backward["status"] == "error" and "0-dimensional arrays" in backward["message"], backward
    assert by_id["reference"]["score"] == new["max_score"]
    assert _alike(old, new), _first_difference(old, new, old_version, new_version)


def _alike(a: object, b: object) -> bool:
    """Equal, with floats equal to 1e-9 relative (summation order may differ between NumPy versions)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_alike(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_alike(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _first_difference(old: dict, new: dict, old_version: str, new_version: str) -> str:
    for o, n in zip(old["submissions"], new["submissions"]):
        for co, cn in zip(o["checks"], n["checks"]):
            if not _alike(co, cn):
                return f"{o['id']} {co['id']}:\n  NumPy {old_version}: {co}\n  NumPy {new_version}: {cn}"
    return "the results differ outside the checks"


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
    old_python = _venv_with_numpy(tmp_path / "venv", f"{OLDEST}.*")
    version = subprocess.run([old_python, "-c", "import numpy; print(numpy.__version__)"], capture_output=True,
                             text=True, check=True).stdout.strip()
    assert version.startswith(f"{OLDEST}."), version
    assert int(np.__version__.split(".")[0]) >= 2, "run this under the newest NumPy (pip install -U numpy)"
    new, old = _verdicts(sys.executable), _verdicts(old_python)
    assert new.keys() == old.keys()
    differ = [f"{key}: NumPy {np.__version__} {new[key][:2]} vs {version} {old[key][:2]}\n  {new[key][2]}\n  {old[key][2]}"
              for key in new if new[key][:2] != old[key][:2]]
    assert not differ, "\n".join(differ)

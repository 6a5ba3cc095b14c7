"""The instructor's secret (grader/secret.py): hidden inputs and call seeds are reproducible under one key,
different under another, never shown in messages, and nothing of the key or of a check's id reaches the
student process. Graded through the CLI, with keys set explicitly."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader.secret import Keyring, read_or_make_key
from reference.submission import as_submission

# numerical_gradient with a forward difference: wrong by about h/2 * f'' everywhere.
FORWARD_GRADIENT = '''

def numerical_gradient(f, x):
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        base = f(x)
        x[idx] = original + 1e-4
        grad[idx] = (f(x) - base) / 1e-4
        x[idx] = original
    return grad
'''
# Looks through every object its process holds for a check id or the key; answers wrongly if it finds one.
SNOOP = '''

import gc, sys


def _snoop():
    needles = ("relu/", "leaves-input", "golden", "#1")
    for obj in gc.get_objects():
        if isinstance(obj, str) and any(n in obj for n in needles) and "needles" not in obj:
            return obj
        if isinstance(obj, dict):
            for v in list(obj.values()):
                if isinstance(v, str) and any(n in v for n in needles):
                    return v
                if isinstance(v, (bytes, bytearray)) and b"^^^^^^^^" in v:
                    return "key"
    return None


def relu(x):
    found = _snoop()
    if found is not None:
        print("FOUND", found[:80])
        return np.zeros_like(x) - 1.0
    return np.maximum(0.0, x)
'''


def _grade(tmp: Path, key_hex: str, name: str) -> dict:
    key = tmp / f"{name}.key"
    key.write_text(key_hex + "\n")
    subs = tmp / f"subs-{name}"
    subs.mkdir()
    (subs / "forward.py").write_text(as_submission("numerical") + FORWARD_GRADIENT, encoding="utf-8")
    (subs / "snoop.py").write_text(as_submission("numerical") + SNOOP, encoding="utf-8")
    out = tmp / f"out-{name}"
    env = {**os.environ, "GRADER_SECRET_FILE": str(key)}
    subprocess.run([sys.executable, "-m", "grader", "grade", "numerical", str(subs), "--out", str(out), "--jobs", "2"],
                   check=True, env=env, capture_output=True)
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def _checks(results: dict) -> dict[tuple[str, str], dict]:
    return {(s["id"], c["id"]): {k: v for k, v in c.items() if k != "duration"}
            for s in results["submissions"] for c in s["checks"]}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("secret")
    return {"a": _grade(tmp, "a1" * 32, "a"), "a_again": _grade(tmp, "a1" * 32, "a_again"),
            "b": _grade(tmp, "b2" * 32, "b")}


def test_a_regrade_with_the_same_key_is_identical(runs: dict[str, dict]) -> None:
    assert _checks(runs["a"]) == _checks(runs["a_again"])


def test_another_key_draws_other_hidden_inputs(runs: dict[str, dict]) -> None:
    a, b = _checks(runs["a"]), _checks(runs["b"])
    hidden = ("forward", "numerical_gradient/2d")
    assert a[hidden]["status"] == b[hidden]["status"] == "failed"
    assert a[hidden]["details"]["rows"] != b[hidden]["details"]["rows"]  # the student's values at other inputs
    public = ("forward", "numerical_gradient/1d")  # the lecture's x = [3, 4]: the same under every key
    assert a[public]["message"] == b[public]["message"]


def test_hidden_cases_name_the_problem_without_the_numbers(runs: dict[str, dict]) -> None:
    checks = _checks(runs["a"])
    hidden = checks[("forward", "numerical_gradient/2d")]
    assert "[hidden]" in hidden["message"]
    assert not re.search(r"expected\s+[-\d.]", hidden["message"]), hidden["message"]
    assert all(row["expected"] == "[hidden]" for row in hidden["details"]["rows"])
    assert "inputs" not in hidden["details"]
    public = checks[("forward", "numerical_gradient/1d")]
    assert re.search(r"expected [-\d.]", public["message"]), public["message"]


def test_nothing_in_the_student_process_names_a_check_or_holds_the_key(runs: dict[str, dict]) -> None:
    for run in runs.values():
        checks = _checks(run)
        assert checks[("snoop", "relu/golden")]["status"] == "passed", checks[("snoop", "relu/golden")]["message"]
        assert checks[("snoop", "relu/leaves-input-alone")]["status"] == "passed"


def test_the_key_never_appears_in_the_results(runs: dict[str, dict]) -> None:
    text = json.dumps(runs["a"])
    assert "a1a1a1a1" not in text and "a.key" not in text


def test_key_file_is_made_on_first_use_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "team" / "secret.key"
    key = read_or_make_key(path)
    assert len(key) == 32 and path.stat().st_mode & 0o777 == 0o600
    assert read_or_make_key(path) == key
    same, other = Keyring(key), Keyring(bytes(32))
    assert same.seed("relu/golden", 1) == Keyring(key).seed("relu/golden", 1) != other.seed("relu/golden", 1)
    assert same.seed("relu/golden", 1) != same.seed("relu/golden", 2) != same.seed("sigmoid/golden", 2)
    assert (same.rng("relu/fresh").normal(size=3) == Keyring(key).rng("relu/fresh").normal(size=3)).all()


def test_a_broken_key_file_is_named_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "secret.key"
    path.write_text("not hex at all\n")
    with pytest.raises(ValueError, match=r"secret\.key: the grader's secret key must be hex digits; delete"):
        read_or_make_key(path)

"""Nothing a student process observes tells one check from another, so code cannot behave only while a
mutation check watches (issue 8, class 5: the same in-place bugs scored 18.5/20 with a "watched" detector and
14.5/20 without it, when call seeds were crc32(check id # n)).

The detector here tries what that attack did and more: it recomputes the old seeds of every mutation check and
compares them with the seed it reads at entry, and it walks up the stack looking for a check id. Call seeds now
come from the instructor's secret and no check id crosses the channel, and every call's array arguments are
compared after the call (grader/untouched.py), so the detector never fires: the code scores exactly what the
same code without the detector scores, and loses every mutation check.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.cli import main as cli_main
from reference.submission import as_submission

MUTATION_CHECKS = ("sigmoid/leaves-input-alone", "relu/leaves-input-alone", "softmax/leaves-input-alone",
                   "gradient_descent/leaves-init-x-alone")

DETECTOR = '''
import sys, zlib

def _old_seeds():
    return {zlib.crc32(f"{c}#{n}".encode()) for c in %r for n in range(1, 8)}


def _watched():
    """True while (it believes) a mutation check is calling."""
    if int(np.random.get_state()[1][0]) in _old_seeds():
        return True
    frame = sys._getframe(1)
    while frame is not None:
        for value in list(frame.f_locals.values()):
            texts = value.values() if isinstance(value, dict) else [value]
            if any(isinstance(t, str) and any(c in t for c in %r) for t in texts):
                return True
        frame = frame.f_back
    return False
''' % (MUTATION_CHECKS, MUTATION_CHECKS)

IN_PLACE = '''

def sigmoid(x):
    {guard}x *= -1.0
    np.exp(x, out=x)
    x += 1.0
    np.reciprocal(x, out=x)
    return x


def relu(x):
    {guard}x[x < 0] = 0.0
    return x


def softmax(x):
    {guard}x -= np.max(x, axis=-1, keepdims=True)
    e = np.exp(x)
    return e / np.sum(e, axis=-1, keepdims=True)
'''
HONEST_WHEN_WATCHED = "if _watched():\n        return _honest_{name}(x)\n    "
HONEST = "\n_honest_sigmoid, _honest_relu, _honest_softmax = sigmoid, relu, softmax\n"


def _with_guard(guard: bool) -> str:
    body = IN_PLACE
    for name in ("sigmoid", "relu", "softmax"):
        head = f"def {name}(x):\n    {{guard}}"
        body = body.replace(head, f"def {name}(x):\n    " + (HONEST_WHEN_WATCHED.format(name=name) if guard else ""))
    return as_submission("numerical") + HONEST + (DETECTOR if guard else "") + body


# Spoils the caller's array only in its first call (the golden check comes first), and behaves later.
FIRST_CALLS_ONLY = '''

_calls = [0]


def relu(x):
    _calls[0] += 1
    if _calls[0] <= 1:
        x[x < 0] = 0.0
        return x
    return np.maximum(0.0, x)
'''


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("unwatched")
    subs = root / "subs"
    subs.mkdir()
    (subs / "plain.py").write_text(_with_guard(False), encoding="utf-8")
    (subs / "detector.py").write_text(_with_guard(True), encoding="utf-8")
    (subs / "first_calls.py").write_text(as_submission("numerical") + FIRST_CALLS_ONLY, encoding="utf-8")
    out = root / "out"
    assert cli_main(["grade", "numerical", str(subs), "--out", str(out), "--jobs", "2"]) == 0
    return {s["id"]: s for s in json.loads((out / "results.json").read_text())["submissions"]}


def test_behaving_only_while_watched_earns_nothing_more(graded: dict[str, dict]) -> None:
    plain, detector = graded["plain"], graded["detector"]
    assert detector["score"] == plain["score"] < plain["max_score"]
    for sub in (plain, detector):
        status = {c["id"]: c["status"] for c in sub["checks"]}
        for check in ("sigmoid/leaves-input-alone", "relu/leaves-input-alone", "softmax/leaves-input-alone"):
            assert status[check] == "failed", (sub["id"], check)


def test_the_message_names_the_input(graded: dict[str, dict]) -> None:
    check = next(c for c in graded["detector"]["checks"] if c["id"] == "relu/leaves-input-alone")
    assert "relu(x) modified its input in place" in check["message"]


def test_a_mutation_in_any_call_costs_the_mutation_check(graded: dict[str, dict]) -> None:
    """The mutation check's own call is clean here; the golden check's call was not, and every call counts."""
    check = next(c for c in graded["first_calls"]["checks"] if c["id"] == "relu/leaves-input-alone")
    assert check["status"] == "failed"
    assert "relu(x) modified its input in place" in check["message"]
    assert "calls of relu during grading" in check["message"]

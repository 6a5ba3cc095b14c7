"""Issue 8, class 6: a file holding only the answers of the public cases, keyed by input, earns nothing.

For each assignment the reference submission is graded once under *another* instructor key with a recorder
(tests/attacks/_answer_recorder.py) that writes every answer it gives: all an attacker could harvest from the
reports of the public cases, and more (the keyed cases of that other key). The attack
(tests/attacks/_answer_table.py) defines every top-level name of the assignment and answers from that table
only. Graded through the command line with the test key next to a correct file: the attack earns 0, the
correct file full marks, the batch exits 0, and the public checks the table does pass are failed by their
twins with the message that names hard-coding.
"""
from __future__ import annotations

import base64
import json
import os
import pickle
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest

from grader.credit import HARD_CODED
from reference.submission import as_submission
from tests.helpers_submissions import write_py

ATTACKS = Path(__file__).resolve().parent / "attacks"
OTHER_KEY = "a7" * 32  # the recording's key: what a student could harvest under it is worth nothing under the test key
RECORD = ("import sys; from grader.grade import grade; "
          "grade(sys.argv[1], [sys.argv[2]], None, jobs=1, isolated=False)")


def record_answers(assignment: str, folder: Path) -> dict:
    """{"names": {name: None | [methods]}, "answers": {key: [(result, attrs, args after, kwargs after), ...]}}"""
    out, key = folder / "answers.pickle", folder / "other.key"
    key.write_text(OTHER_KEY + "\n")
    key.chmod(0o600)
    recorder = (ATTACKS / "_answer_recorder.py").read_text().replace("@@OUT@@", str(out))
    write_py(folder / "rec" / "reference.py",
             as_submission(assignment) + "\n\n" + (ATTACKS / "_table_keys.py").read_text() + "\n\n" + recorder)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV"))},
           "GRADER_SECRET_FILE": str(key)}
    subprocess.run([sys.executable, "-c", RECORD, assignment, str(folder / "rec")], env=env, check=True,
                   capture_output=True, timeout=600)
    table: dict = {"names": {}, "answers": {}}
    with open(out, "rb") as fh:
        while True:
            try:
                entry = pickle.load(fh)
            except EOFError:
                break
            if entry[0] == "__names__":
                table["names"].update(entry[1])
            else:
                table["answers"].setdefault(entry[0], []).append(entry[1:])
    return table


def attack_source(table: dict) -> str:
    text = base64.b64encode(zlib.compress(pickle.dumps(table), 6)).decode()
    attack = (ATTACKS / "_answer_table.py").read_text()
    return ((ATTACKS / "_table_keys.py").read_text() + "\n\n"
            + attack.replace("@@TABLE@@", text).replace("@@NAMES@@", repr(table["names"])))


def grade(assignment: str, batch: Path, out: Path) -> tuple[subprocess.CompletedProcess, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV"))}
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", assignment, str(batch), "--out", str(out),
                           "--jobs", "2", "--quiet"], capture_output=True, text=True, env=env, timeout=900)
    results = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {}
    return proc, results


@pytest.mark.parametrize("assignment", [
    "numerical", "backprop",
    *(pytest.param(a, marks=pytest.mark.slow) for a in ("layers", "optim", "conv")),
])
def test_a_table_of_public_answers_earns_nothing(tmp_path: Path, assignment: str) -> None:
    table = record_answers(assignment, tmp_path)
    assert table["answers"] and table["names"]
    batch = tmp_path / "batch"
    write_py(batch / "answer_table.py", attack_source(table))
    write_py(batch / "correct.py", as_submission(assignment))
    proc, results = grade(assignment, batch, tmp_path / "out")
    assert proc.returncode == 0, proc.stderr[-3000:]
    subs = {s["id"]: s for s in results["submissions"]}
    assert subs["correct"]["score"] == subs["correct"]["max_score"]
    attack = subs["answer_table"]
    assert attack["status"] == "graded" and attack["score"] == 0, [
        (c["id"], c["message"][:200]) for c in attack["checks"] if c["score"]]
    # the table does answer the public cases: their checks passed, and only their twins took the points back
    caught = [c["id"] for c in attack["checks"] if c["message"].startswith(HARD_CODED)]
    assert caught, [(c["id"], c["status"], c["message"][:150]) for c in attack["checks"]]
    assert not any("[hidden]" not in c["message"] and any(ch.isdigit() for ch in c["message"].split(HARD_CODED)[1])
                   for c in attack["checks"] if c["id"] in caught and "expected" in c["message"]), \
        "a twin's message shows an expected number"


LEAKER = '''
import json
import numpy as np


def numerical_gradient(f, x):
    key = json.dumps(np.asarray(x).tolist())
    if key in ANSWERS:
        return np.array(ANSWERS[key])
    raise ValueError("LEAK" + key + "KAEL")


class _Answers:
    ANSWERS = @@ANSWERS@@


ANSWERS = _Answers.ANSWERS
'''


def test_keyed_inputs_harvested_by_one_file_are_not_the_next_files(tmp_path: Path) -> None:
    """Round 1 raises each keyed input into its own report; the attacker computes their gradients elsewhere (the
    test functions are public) and hands in round 2, answering exactly those inputs. Each file's keyed inputs
    derive from its own code (grader/secret.py), so round 2 is asked other ones: it earns nothing."""
    from grader.sandbox.testfns import TEST_FUNCTIONS
    from reference.numerical import numerical_gradient

    names = {"numerical_gradient/2d": "rosenbrock_like", "numerical_gradient/4d": "softmax_ce_loss"}
    answers: dict[str, list] = {}
    for round_ in (1, 2):
        batch = tmp_path / f"round{round_}"
        write_py(batch / "harvester.py", LEAKER.replace("@@ANSWERS@@", repr(answers)))
        proc, results = grade("numerical", batch, tmp_path / f"out{round_}")
        assert proc.returncode == 0, proc.stderr[-3000:]
        checks = {c["id"]: c for c in results["submissions"][0]["checks"]}
        for check_id, fn in names.items():
            message = checks[check_id]["message"]
            assert checks[check_id]["status"] != "passed", (round_, check_id, message)
            assert "LEAK" in message, message  # the input did reach the report: the harvest itself works
            key = message.split("LEAK", 1)[1].split("KAEL", 1)[0]
            answers[key] = numerical_gradient(TEST_FUNCTIONS[fn], np.array(json.loads(key))).tolist()

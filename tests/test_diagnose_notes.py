"""Notes of issue 9, through the CLI: a redefined name, an alias that hides a global read, a type alias that is not
a global read, and the Adam literal 10e-8 named as 10 x 10**-8."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from reference.submission import as_submission

CORPUS = Path(__file__).resolve().parent / "corpus"
# The notes' conv1d (reads the global W) written as `forward`, bound to the curriculum's name by an alias.
SEED001 = ((CORPUS / "conv" / "seed001_conv1d.py").read_text(encoding="utf-8")
           .replace("def conv1d(", "def forward(") + "\nconv1d = forward\n")
# A notebook's order: the notes' one-hot cross_entropy_error, then its integer-label one under the same name.
SEED003_TWICE = "\n".join((CORPUS / "numerical" / f"seed003_cee_{v}.py").read_text(encoding="utf-8")
                          for v in ("onehot", "labels"))
ADAM_10E8 = '''
class Adam(Adam):
    def update(self, params, grads):
        state = self._state(params)
        self.t += 1
        for key in params:
            g = grads[key]
            state["m"][key] = self.beta1 * state["m"][key] + (1.0 - self.beta1) * g
            state["v"][key] = self.beta2 * state["v"][key] + (1.0 - self.beta2) * g * g
            m_hat = state["m"][key] / (1.0 - self.beta1**self.t)
            v_hat = state["v"][key] / (1.0 - self.beta2**self.t)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + 10e-8)
'''


def _grade(tmp_path: Path, assignment: str, sources: dict[str, str]) -> dict[str, dict]:
    subs = tmp_path / assignment
    subs.mkdir()
    for name, source in sources.items():
        (subs / f"{name}.py").write_text(source, encoding="utf-8")
    out = tmp_path / f"{assignment}-out"
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", assignment, str(subs), "--out", str(out),
                           "--jobs", "2", "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return {s["id"]: s for s in json.loads((out / "results.json").read_text(encoding="utf-8"))["submissions"]}


def _check(sub: dict, check_id: str) -> dict:
    return next(c for c in sub["checks"] if c["id"] == check_id)


def test_alias_of_a_function_reading_a_global_fails_uses_its_parameters(tmp_path):
    sub = _grade(tmp_path, "conv", {"seed001": SEED001})["seed001"]
    check = _check(sub, "conv1d/uses-its-parameters")
    assert check["status"] == "failed" and "module-level variable(s) W" in check["message"], check


def test_a_redefined_function_gets_a_note_naming_both_places(tmp_path):
    sub = _grade(tmp_path, "numerical", {"seed003": SEED003_TWICE})["seed003"]
    notes = [n for n in sub["notes"] if "defined again" in n["message"]]
    assert len(notes) == 1 and "`cross_entropy_error`" in notes[0]["message"], sub["notes"]
    first, second = [i + 1 for i, line in enumerate(SEED003_TWICE.splitlines()) if line.startswith("def cross_entropy_error")]
    assert f"line {first}" in notes[0]["message"] and notes[0]["where"] == f"line {second}", notes


def test_type_alias_is_no_global_read_and_adam_literal_is_named(tmp_path):
    reference = as_submission("optim")
    assert "Params = " in reference  # the reference's own type alias, used in annotations
    subs = _grade(tmp_path, "optim", {"reference": reference, "adam_10e8": reference + ADAM_10E8})
    assert subs["reference"]["score"] == subs["reference"]["max_score"]
    assert not [n for n in subs["reference"]["notes"] if "global variable" in n["message"]], subs["reference"]["notes"]
    literal = _check(subs["adam_10e8"], "Adam/epsilon-literal")
    assert literal["status"] == "failed" and "(10 x 10**-8)" in literal["message"], literal

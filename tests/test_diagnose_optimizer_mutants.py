"""Optimizers get mutant replay (grader/mutants.py, explain_optimizer): a wrong trajectory that no hand-written
variant explains is named by the single edit of the reference optimizer that reproduces it, through the CLI.
Accepted epsilon conventions are never named (they pass), and each bug costs only its own optimizer.

Each submission is the reference with some optimizer classes replaced, one bug per class, so one CLI run grades
every case."""
from __future__ import annotations

import json

import pytest

from grader.cli import main as cli_main
from grader.mutants import optimizer_mutants_of
from reference.submission import as_submission

REFERENCE = as_submission("optim")


def adam(m_hat: str, v_hat: str, step: str) -> str:
    """An Adam whose bias-corrected moments and step are the given expressions (of m, v, g, self.*)."""
    return f'''
class Adam(Adam):
    def update(self, params, grads):
        state = self._state(params)
        self.t += 1
        for key in params:
            g = grads[key]
            m = state["m"][key] = self.beta1 * state["m"][key] + (1 - self.beta1) * g
            v = state["v"][key] = self.beta2 * state["v"][key] + (1 - self.beta2) * g * g
            m_hat = {m_hat}
            v_hat = {v_hat}
            params[key] -= {step}
'''


# class name -> (replacement source, words the default and custom checks' messages must contain; None: passes)
BUGS_A = {
    "SGD": ('''
class SGD(SGD):
    def update(self, params, grads):
        for key in params:
            params[key] -= self.lr * self.lr * grads[key]
''', "`self.lr` is applied twice"),
    "Momentum": ('''
class Momentum(Momentum):
    def update(self, params, grads):
        v = self._state(params)["v"]
        for key in params:
            v[key] = -self.momentum * v[key] - self.lr * grads[key]
            params[key] += v[key]
''', "the sign of `self.momentum` is flipped"),
    "RMSprop": ('''
class RMSprop(RMSprop):
    def update(self, params, grads):
        h = self._state(params)["h"]
        for key in params:
            g = grads[key]
            h[key] = self.decay_rate * h[key] + (1.0 - self.decay_rate) * g
            params[key] -= self.lr * g / (np.sqrt(np.abs(h[key])) + 1e-7)
''', None),  # g not squared, and abs() to keep the root real: more than one edit, so no mutant names it
    "AdaDelta": ('''
class AdaDelta(AdaDelta):
    def update(self, params, grads):
        state = self._state(params)
        Eg, Edx = state["Eg"], state["Edx"]
        for key in params:
            g = grads[key]
            Eg[key] = self.rho * Eg[key] + (1.0 - self.rho) * g * g
            dx = np.sqrt(Edx[key] + self.eps) / np.sqrt(Eg[key] + self.eps) * g
            params[key] -= dx
''', "the state update `Edx[key] = self.rho * Edx[key] + (1.0 - self.rho) * dx * dx` is missing"),
    "Adam": (adam("m / (1 - self.beta1 * self.beta1)", "v / (1 - self.beta2 ** self.t)",
                  "self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)"), "beta1*beta1"),  # the seed's bug, in the first moment only
}
BUGS_B = {
    "Adam": (adam("m", "v / (1 - self.beta2 ** self.t)", "self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)"),
             "the division by `1.0 - self.beta1 ** self.t` is missing"),  # bias correction missing in m only
    "RMSprop": ('''
class RMSprop(RMSprop):
    def update(self, params, grads):
        h = self._state(params)["h"]
        for key in params:
            h[key] = self.decay_rate * h[key] + (1.0 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / np.sqrt(h[key] + 1e-7)
''', None),  # epsilon inside the root: an accepted convention, full marks
    "AdaGrad": ('''
class AdaGrad(AdaGrad):
    def update(self, params, grads):
        h = self._state(params)["h"]
        for key in params:
            h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / np.sqrt(h[key] + 1e-8)
''', None),  # epsilon inside the root: accepted
    "Momentum": ('''
class Momentum(Momentum):
    def update(self, params, grads):
        v = self._state(params)["v"]
        for key in params:
            v[key] = self.momentum * v[key] - self.lr * grads[key]
            params[key] -= v[key]
''', "uphill"),  # the momentum step's sign: the hand-written variant says it first
    "SGD": ('''
class SGD(SGD):
    def update(self, params, grads):
        for key in params:
            params[key] -= 0.01 * grads[key]
''', "are ignored: the defaults are used"),  # the custom check only; a hand-written variant says it
}
BUGS_C = {
    "Adam": (adam("m / (1 - self.beta1 ** self.t)", "v / (1 - self.beta1 ** self.t)",
                  "self.lr * m_hat / np.sqrt(v_hat + 1e-8)"), "`self.beta1` where `self.beta2` belongs"),  # beta1 in v's correction (epsilon inside the root, accepted)
    "AdaGrad": ('''
class AdaGrad(AdaGrad):
    def update(self, params, grads):
        h = self._state(params)["h"]
        for key in params:
            h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (h[key] + 1e-7)
''', "the square root is missing"),
    "Nesterov": ('''
class Nesterov(Nesterov):
    def update(self, params, grads):
        v = self._state(params)["v"]
        for key in params:
            v[key] = self.momentum * v[key] - self.lr * grads[key]
            params[key] += self.momentum * v[key] - self.lr * self.lr * grads[key]
''', "`self.lr` is applied twice"),
}
SUBMISSIONS = {"bugs_a": BUGS_A, "bugs_b": BUGS_B, "bugs_c": BUGS_C}
OPTIMIZERS = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "AdaDelta", "Adam")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    root = tmp_path_factory.mktemp("optim_mutants")
    (root / "subs").mkdir()
    for name, bugs in SUBMISSIONS.items():
        (root / "subs" / f"{name}.py").write_text(REFERENCE + "".join(src for src, _ in bugs.values()), encoding="utf-8")
    assert cli_main(["grade", "optim", str(root / "subs"), "--out", str(root / "out"), "--jobs", "2", "--quiet"]) == 0
    data = json.loads((root / "out" / "results.json").read_text(encoding="utf-8"))
    return {s["id"]: {c["id"]: c for c in s["checks"]} for s in data["submissions"]}


CASES = [(sub, cls, words) for sub, bugs in SUBMISSIONS.items() for cls, (_, words) in bugs.items()
         if words is not None]


@pytest.mark.parametrize("sub, cls, words", CASES, ids=[f"{s}-{c}" for s, c, _ in CASES])
def test_the_bug_is_named_by_its_cause(graded: dict[str, dict], sub: str, cls: str, words: str) -> None:
    checks = graded[sub]
    named = [c for c in (checks[f"{cls}/default"], checks[f"{cls}/custom"]) if c["status"] == "failed"]
    assert named, (sub, cls)
    for c in named:
        assert words in c["message"], (c["id"], c["message"])


def test_accepted_conventions_and_untouched_optimizers_keep_every_point(graded: dict[str, dict]) -> None:
    for sub, bugs in SUBMISSIONS.items():
        for cls in OPTIMIZERS:
            if cls in bugs and bugs[cls][1] is not None or cls == "RMSprop" and sub == "bugs_a":
                continue
            lost = [(c["id"], c["message"]) for c in graded[sub].values()
                    if c["component"] == cls and c["status"] != "passed"]
            assert not lost, (sub, lost)


def test_a_wrong_run_no_single_edit_explains_names_no_mutant(graded: dict[str, dict]) -> None:
    """RMSprop with g unsquared and abs() under the root is two edits away: it fails, with no invented cause."""
    message = graded["bugs_a"]["RMSprop/default"]["message"]
    assert graded["bugs_a"]["RMSprop/default"]["status"] == "failed"
    assert "your result is what" not in message, message


def test_every_curriculum_optimizer_has_update_rule_mutants() -> None:
    for cls in OPTIMIZERS:
        sentences = " | ".join(m.sentence for m in optimizer_mutants_of(cls))
        assert "`-=` where `+=` belongs" in sentences or "`+=` where `-=` belongs" in sentences, cls
        assert "`self.lr` is applied twice" in sentences or cls == "AdaDelta", cls

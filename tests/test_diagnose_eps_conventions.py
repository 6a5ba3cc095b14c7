"""Epsilon placement is a convention, not a bug (CURRICULUM.md, optim): on the very inputs of every optimizer
check, each accepted convention (1e-7 or 1e-8, inside or outside the square root, and the textbook's Adam with the
bias correction folded into the learning rate) agrees with the reference within the check's tolerance. The last
test grades such submissions through the CLI: full marks."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import assignments.optim.test_optim as checks
from reference import optim as ref
from reference.submission import as_submission

EPSILONS = (1e-7, 1e-8)


def _denominator(h: np.ndarray, eps: float, inside: bool) -> np.ndarray:
    return np.sqrt(h + eps) if inside else np.sqrt(h) + eps


class _Convention:
    """An optimizer of the reference with ``eps`` placed ``inside`` or outside the square root."""

    def __init__(self, eps: float, inside: bool, **hyper: float) -> None:
        super().__init__(**hyper)
        self.eps, self.inside = eps, inside


class AdaGradConvention(_Convention, ref.AdaGrad):
    def update(self, params: Any, grads: Any) -> None:
        h = self._state(params)["h"]
        for k in params:
            h[k] += grads[k] * grads[k]
            params[k] -= self.lr * grads[k] / _denominator(h[k], self.eps, self.inside)


class RMSpropConvention(_Convention, ref.RMSprop):
    def update(self, params: Any, grads: Any) -> None:
        h = self._state(params)["h"]
        for k in params:
            h[k] = self.decay_rate * h[k] + (1 - self.decay_rate) * grads[k] * grads[k]
            params[k] -= self.lr * grads[k] / _denominator(h[k], self.eps, self.inside)


class AdamConvention(_Convention, ref.Adam):
    def update(self, params: Any, grads: Any) -> None:
        state = self._state(params)
        self.t += 1
        for k in params:
            g = grads[k]
            state["m"][k] = self.beta1 * state["m"][k] + (1 - self.beta1) * g
            state["v"][k] = self.beta2 * state["v"][k] + (1 - self.beta2) * g * g
            m_hat = state["m"][k] / (1 - self.beta1 ** self.t)
            v_hat = state["v"][k] / (1 - self.beta2 ** self.t)
            params[k] -= self.lr * m_hat / _denominator(v_hat, self.eps, self.inside)


class AdamTextbook(ref.Adam):
    """The textbook's (common/optimizer.py) Adam: bias correction folded into lr_t, 1e-7 outside the root."""

    def update(self, params: Any, grads: Any) -> None:
        state = self._state(params)
        self.t += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.t) / (1.0 - self.beta1 ** self.t)
        for k in params:
            state["m"][k] += (1 - self.beta1) * (grads[k] - state["m"][k])
            state["v"][k] += (1 - self.beta2) * (grads[k] ** 2 - state["v"][k])
            params[k] -= lr_t * state["m"][k] / (np.sqrt(state["v"][k]) + 1e-7)


def _conventions(cls: str, hyper: dict[str, float]) -> dict[str, Any]:
    make = {"AdaGrad": AdaGradConvention, "RMSprop": RMSpropConvention, "Adam": AdamConvention}[cls]
    found = {f"eps={eps:g} {'inside' if inside else 'outside'} the root": make(eps, inside, **hyper)
             for eps in EPSILONS for inside in (True, False)}
    if cls == "Adam":
        found["the textbook's lr_t form"] = AdamTextbook(**hyper)
    return found


def _check_problems() -> list[tuple[str, str, dict[str, float], dict[str, tuple[int, ...]], int, int]]:
    """(check, optimizer, hyperparameters, shapes, steps, seed) of every trajectory check, read from its source."""
    source = Path(checks.__file__).read_text(encoding="utf-8")
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
                "_default_check", "_custom_check") and len(node.args) == 3:
            cls, seed = node.args[1].value, node.args[2].value
            if cls in ("AdaGrad", "RMSprop", "Adam"):
                if node.func.id == "_default_check":
                    found.append((f"{cls}/default", cls, {}, checks.DEFAULT_SHAPES, 5, seed))
                else:
                    found.append((f"{cls}/custom", cls, checks.CUSTOM[cls], checks.CUSTOM_SHAPES, 4, seed))
    return found


PROBLEMS = _check_problems()


def test_every_epsilon_check_is_covered():
    assert sorted(p[0] for p in PROBLEMS) == sorted(f"{c}/{k}" for c in ("AdaGrad", "RMSprop", "Adam")
                                                   for k in ("default", "custom"))


@pytest.mark.parametrize("problem", PROBLEMS, ids=[p[0] for p in PROBLEMS])
def test_conventions_agree_on_the_checks_inputs(problem):
    _, cls, hyper, shapes, steps, seed = problem
    start, grads = checks._problem(seed, shapes, steps)
    expected = checks._trajectory(getattr(ref, cls)(**hyper), start, grads)
    for name, optimizer in _conventions(cls, hyper).items():
        got = checks._trajectory(optimizer, start, grads)
        for k in expected:
            close = np.isclose(got[k], expected[k], rtol=checks.RTOL, atol=checks.ATOL)
            assert close.all(), (name, k, float(np.max(np.abs(got[k] - expected[k]))))


RMSPROP_INSIDE = '''
class RMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr = lr
        self.decay_rate = decay_rate
        self.h = None

    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / np.sqrt(self.h[key] + 1e-7)
'''
ADAGRAD_INSIDE_1E8 = '''
class AdaGrad:
    def __init__(self, lr=0.01):
        self.lr = lr
        self.h = None

    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params.keys():
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / np.sqrt(self.h[key] + 1e-8)
'''


def test_epsilon_conventions_score_full_marks_through_the_cli(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, source in {"rmsprop_inside": RMSPROP_INSIDE, "adagrad_inside_1e8": ADAGRAD_INSIDE_1E8}.items():
        (subs / f"{name}.py").write_text(as_submission("optim") + "\n" + source, encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", "optim", str(subs), "--out", str(out),
                           "--jobs", "2", "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for sub in json.loads((out / "results.json").read_text(encoding="utf-8"))["submissions"]:
        lost = [(c["id"], c["message"]) for c in sub["checks"] if c["status"] != "passed"]
        assert not lost, (sub["id"], lost)

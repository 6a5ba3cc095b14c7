"""The `optim` assignment end to end: the reference and the accepted epsilon conventions score full marks;
each planted bug fails exactly its component's expected checks with the expected likely cause, and costs
nothing elsewhere. All submissions are graded in ONE CLI run with --jobs 2.

Planted submissions are the reference's source with a few definitions appended (a later definition of a
class or function replaces the reference's), so several independent bugs share one submission.
"""
from __future__ import annotations


import numpy as np
import pytest

import assignments.optim.test_optim as checks
from reference import optim as ref
from reference.submission import as_submission
from tests.helpers_planted import Planted, assert_planted, grade_planted

REFERENCE = as_submission("optim")

# Accepted conventions (CURRICULUM.md: epsilon placement is not a bug): the textbook's Adam with the bias
# correction folded into the step size and 1e-7 outside the root; AdaGrad with 1e-8 inside the root;
# RMSprop with 1e-8 outside.
CONVENTIONS = '''
class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta1, self.beta2 = lr, beta1, beta2
        self.iter, self.m, self.v = 0, None, None

    def update(self, params, grads):
        if self.m is None:
            self.m = {k: np.zeros_like(v) for k, v in params.items()}
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        self.iter += 1
        lr_t = self.lr * np.sqrt(1.0 - self.beta2 ** self.iter) / (1.0 - self.beta1 ** self.iter)
        for key in params.keys():
            self.m[key] += (1 - self.beta1) * (grads[key] - self.m[key])
            self.v[key] += (1 - self.beta2) * (grads[key] ** 2 - self.v[key])
            params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + 1e-7)


class AdaGrad:
    def __init__(self, lr=0.01):
        self.lr, self.h = lr, None

    def update(self, params, grads):
        if self.h is None:
            self.h = {k: np.zeros_like(v) for k, v in params.items()}
        for key in params:
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / np.sqrt(self.h[key] + 1e-8)


class RMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr, self.decay_rate, self.h = lr, decay_rate, None

    def update(self, params, grads):
        if self.h is None:
            self.h = {k: np.zeros_like(v) for k, v in params.items()}
        for key in params:
            self.h[key] *= self.decay_rate
            self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + 1e-8)
'''

# Seed 002's Adam: bias corrections with beta*beta, and 10e-8 (inside the root) meant as 1e-8.
SEED_ADAM = '''
class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999):
        self.lr, self.beta_1, self.beta_2 = lr, beta1, beta2
        self.epsilon = 10e-8
        self.m, self.v = {}, {}

    def update(self, params, grads):
        for key in params:
            if key not in self.m:
                self.m[key], self.v[key] = np.zeros_like(params[key]), np.zeros_like(params[key])
            self.m[key] = self.beta_1 * self.m[key] + (1 - self.beta_1) * grads[key]
            m_hat = self.m[key] / (1 - self.beta_1 * self.beta_1)
            self.v[key] = self.beta_2 * self.v[key] + (1 - self.beta_2) * grads[key] * grads[key]
            v_hat = self.v[key] / (1 - self.beta_2 * self.beta_2)
            params[key] -= self.lr * m_hat / np.sqrt(v_hat + self.epsilon)
'''
MOMENTUM_UPHILL = '''
class Momentum(Momentum):
    def update(self, params, grads):
        v = self._state(params)["v"]
        for key in params:
            v[key] = self.momentum * v[key] + self.lr * grads[key]
            params[key] += v[key]
'''
SGD_REBINDS = '''
class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key in params:
            params[key] = params[key] - self.lr * grads[key]
'''
L2_PENALTY_NO_HALF = '''
def l2_penalty(weights, weight_decay_lambda):
    return weight_decay_lambda * sum(np.sum(W ** 2) for W in weights)
'''
DLFS_NESTEROV = '''
class Nesterov:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, None

    def update(self, params, grads):
        if self.v is None:
            self.v = {k: np.zeros_like(v) for k, v in params.items()}
        for key in params.keys():
            self.v[key] *= self.momentum
            self.v[key] -= self.lr * grads[key]
            params[key] += self.momentum * self.momentum * self.v[key]
            params[key] -= (1 + self.momentum) * self.lr * grads[key]
'''
ADAGRAD_NOT_ACCUMULATED = '''
class AdaGrad(AdaGrad):
    def update(self, params, grads):
        for key in params:
            h = grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(h) + 1e-7)
'''
RMSPROP_SWAPPED = '''
class RMSprop(RMSprop):
    def update(self, params, grads):
        h = self._state(params)["h"]
        for key in params:
            h[key] = (1 - self.decay_rate) * h[key] + self.decay_rate * grads[key] ** 2
            params[key] -= self.lr * grads[key] / (np.sqrt(h[key]) + 1e-7)
'''
DLFS_XAVIER = '''
def xavier_init(fan_in, fan_out, rng=None):
    source = np.random if rng is None else rng
    return source.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)
'''
HE_IGNORES_RNG = '''
def he_init(fan_in, fan_out, rng=None):
    return np.random.randn(fan_in, fan_out) * np.sqrt(2.0 / fan_in)
'''
L2_GRAD_IN_PLACE = '''
def l2_grad(W, weight_decay_lambda):
    W *= weight_decay_lambda
    return W
'''
SGD_SCALES_GRADS = '''
class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key in params:
            grads[key] *= self.lr
            params[key] -= grads[key]
'''
MOMENTUM_FROZEN = '''
class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum = lr, momentum

    def update(self, params, grads):
        pass
'''
ADAM_T_FROM_ZERO = '''
class Adam(Adam):
    def update(self, params, grads):
        state = self._state(params)
        for key in params:
            g = grads[key]
            state["m"][key] = self.beta1 * state["m"][key] + (1 - self.beta1) * g
            state["v"][key] = self.beta2 * state["v"][key] + (1 - self.beta2) * g * g
            m_hat = state["m"][key] / (1 - self.beta1 ** self.t)
            v_hat = state["v"][key] / (1 - self.beta2 ** self.t)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)
        self.t += 1
'''

FAILED = ("failed",)
UPHILL = "the step goes uphill"
DLFS_NESTEROV_CAUSE = "this is the textbook's (DLFS) Nesterov"

# id -> (source, {check id: (allowed statuses, substring of the message or None)}); every other check passes.
PLANTED: Planted = {
    "reference": (REFERENCE, {}),
    "conventions": (REFERENCE + CONVENTIONS, {}),
    "seedadam_momuphill_sgdrebind_l2half": (REFERENCE + SEED_ADAM + MOMENTUM_UPHILL + SGD_REBINDS + L2_PENALTY_NO_HALF, {
        "Adam/default": (FAILED, checks.BETA_SQUARED),
        "Adam/custom": (FAILED, checks.BETA_SQUARED),
        "Adam/first-step": (FAILED, checks.BETA_SQUARED),
        "Adam/epsilon-literal": (FAILED, "Adam uses the literal 10e-8, which is 1e-07"),
        "Momentum/default": (FAILED, UPHILL),
        "Momentum/custom": (FAILED, UPHILL),
        "SGD/in-place": (FAILED, "replaced params['W', 'b', 'gamma'] with new arrays"),
        "l2_penalty/golden": (FAILED, "the factor 0.5 is missing"),
        "l2_penalty/fresh": (FAILED, "the factor 0.5 is missing"),
    }),
    "nesterovdlfs_adagradh_rmsswap_inits_l2gradinplace": (
        REFERENCE + DLFS_NESTEROV + ADAGRAD_NOT_ACCUMULATED + RMSPROP_SWAPPED + DLFS_XAVIER + HE_IGNORES_RNG
        + L2_GRAD_IN_PLACE, {
            "Nesterov/default": (FAILED, DLFS_NESTEROV_CAUSE),
            "Nesterov/custom": (FAILED, DLFS_NESTEROV_CAUSE),
            "AdaGrad/default": (FAILED, "h is not accumulated"),
            "AdaGrad/custom": (FAILED, "h is not accumulated"),
            "RMSprop/default": (FAILED, "decay_rate and 1 - decay_rate are swapped"),
            "RMSprop/custom": (FAILED, "decay_rate and 1 - decay_rate are swapped"),
            "xavier_init/statistics": (FAILED, "this is the textbook's (DLFS) 'Xavier'"),
            "he_init/rng": (FAILED, "the rng argument is ignored"),
            "l2_grad/leaves-w": (FAILED, "l2_grad(W, lambda) modified W in place"),
        }),
    "sgd_scales_grads_momentum_frozen": (REFERENCE + SGD_SCALES_GRADS + MOMENTUM_FROZEN, {
        "SGD/leaves-grads-alone": (FAILED, "scaling the caller's gradient in place (grads[key] *= lr)"),
        "Momentum/default": (FAILED, None),
        "Momentum/custom": (FAILED, None),
        "Momentum/in-place": (FAILED, "left every array of params as it was"),
        # Momentum/leaves-grads-alone: not credited (no result check of Momentum passes)
    }),
    "adam_t_from_zero": (REFERENCE + ADAM_T_FROM_ZERO, {
        "Adam/default": (FAILED, "t counts the calls of update from 1"),
        "Adam/custom": (FAILED, "t counts the calls of update from 1"),
        "Adam/first-step": (FAILED, "with t = 0 the bias correction"),
    }),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict]:
    return grade_planted(tmp_path_factory.mktemp("optim"), "optim", PLANTED, 30)


@pytest.mark.parametrize("name", list(PLANTED))
def test_planted_bug_fails_exactly_its_checks(results, name):
    assert_planted(results[name], PLANTED[name][1])


def test_reference_scores_full_marks(results):
    assert results["reference"]["score"] == 30
    assert results["conventions"]["score"] == 30


def test_in_place_check_names_every_rebound_key(results):
    sgd = next(c for c in results["seedadam_momuphill_sgdrebind_l2half"]["checks"] if c["id"] == "SGD/in-place")
    assert "for every key of params" in sgd["message"]


@pytest.mark.parametrize("cls", ["Adam", "AdaGrad", "RMSprop"])
def test_the_gradients_make_epsilon_conventions_agree(cls):
    """On the checks' gradients (|g| in [0.5, 2]) each accepted convention stays well within the trajectory
    tolerance of the reference, while the seed's Adam is far outside it: the tolerance separates the two."""
    start, grads = checks._problem(71, checks.DEFAULT_SHAPES, 5)
    expected = checks._trajectory(getattr(ref, cls)(), start, grads)
    namespace: dict = {"np": np}
    exec(compile(CONVENTIONS + SEED_ADAM.replace("class Adam", "class SeedAdam"), "<planted>", "exec"), namespace)
    convention = checks._trajectory(namespace[cls](), start, grads)
    seed = checks._trajectory(namespace["SeedAdam"](), start, grads)
    for k in start:
        assert np.max(np.abs(convention[k] - expected[k])) < checks.ATOL / 2, k
        if cls == "Adam":
            assert np.max(np.abs(seed[k] - expected[k])) > 100 * checks.ATOL, k

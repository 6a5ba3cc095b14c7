"""Checks of the `optim` assignment: optimizers, weight initialisation, weight decay (CURRICULUM.md, `optim`).

Optimizers are driven like a training loop drives them: one object, ``update(params, grads)`` called
several times on the same ``params`` dict. The dict and each of its arrays are created in the student
process with ``student.put`` (the dict holds the very array objects the judge has handles to), so after
the updates the judge reads both what the dict holds (graded against the reference trajectory) and what
the original arrays hold (graded by the in-place check: a model's layers keep those arrays).

Epsilon conventions (1e-7 or 1e-8, inside or outside the square root, the textbook's Adam with the bias
correction folded into the step size) are not bugs: every gradient used here has |g| in [0.5, 2], where all
these variants agree with the reference to far better than the tolerance (tests/test_assignment_optim.py
grades them to full marks), while each named bug moves a parameter by a sizeable fraction of a step.

Random initialisers are checked by statistics over a 400x300 draw (mean and variance within 3 standard
errors, confirmed on a second draw before failing), never by matching a random stream.
"""
from __future__ import annotations

import ast
from typing import Any

import numpy as np

from grader import mutants
from grader.checks import check, fail
from grader.compare import as_array, assert_close, assert_scalar_close, assert_shape, assert_unchanged
from grader.inputs import example, hidden_rng
from grader.untouched import assert_calls_left_inputs_alone
from reference import optim as ref

ASSIGNMENT = "optim"

Params = dict[str, np.ndarray]
RTOL, ATOL = 1e-6, 1e-6
BETA_SQUARED = "bias correction uses beta1*beta1 instead of beta1**t"
NOT_IN_PLACE = ("the params did not change: update must change the arrays of params in place "
                "(params[key] -= ...); returning new values or rebinding a local name is not enough")


def _rng(seed: int) -> np.random.Generator:
    """A generator of this check's hidden inputs (stream ``seed``): grader/inputs.py."""
    return hidden_rng(seed)


def _gradients(rng: np.random.Generator, shapes: dict[str, tuple[int, ...]], steps: int) -> list[Params]:
    """Gradients with |g| in [2, 8] and random signs: every accepted epsilon convention (1e-7 or 1e-8, inside or
    outside the root) agrees to tolerance on these (tests/test_diagnose_eps_conventions.py proves it; with
    |g| down to 0.5, RMSprop's decay 0.99 left sqrt(h) so small that the conventions differed by 1.5e-6)."""
    def one(shape: tuple[int, ...]) -> np.ndarray:
        return rng.uniform(2.0, 8.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return [{k: one(s) for k, s in shapes.items()} for _ in range(steps)]


def _problem(seed: int, shapes: dict[str, tuple[int, ...]], steps: int) -> tuple[Params, list[Params]]:
    rng = _rng(seed)
    return {k: rng.standard_normal(s) for k, s in shapes.items()}, _gradients(rng, shapes, steps)


def _trajectory(optimizer: Any, start: Params, grads: list[Params]) -> dict[str, np.ndarray]:
    """Judge side: run a trusted optimizer-like object; per key, the params after each update stacked."""
    params = {k: v.copy() for k, v in start.items()}
    path: dict[str, list[np.ndarray]] = {k: [] for k in start}
    for g in grads:
        optimizer.update(params, {k: v.copy() for k, v in g.items()})
        for k in start:
            path[k].append(params[k].copy())
    return {k: np.array(v) for k, v in path.items()}


def _student_run(student: Any, cls: str, hyper: dict[str, float], start: Params,
                 grads: list[Params]) -> tuple[dict[str, np.ndarray], Any]:
    """Run the student's optimizer on a params dict living in the student process.

    Returns (per key the dict's arrays after each update, stacked; handles of the original arrays).
    """
    optimizer = student.get(cls)(**hyper)
    originals = {k: student.put(v.copy()) for k, v in start.items()}
    params = student.put(dict(originals))
    path: dict[str, list[np.ndarray]] = {k: [] for k in start}
    for step, g in enumerate(grads, start=1):
        optimizer.update(params, {k: v.copy() for k, v in g.items()})
        now = params.value()
        if not isinstance(now, dict):
            fail(f"after update {step}, params is no longer a dict of arrays")
        for k, v in start.items():
            if k not in now:
                fail(f"{cls}.update removed the key {k!r} from params")
            path[k].append(as_array(now[k], what=f"params[{k!r}] after update {step}", shape=v.shape))
    return {k: np.array(v) for k, v in path.items()}, originals


def _assert_trajectory(cls: str, got: dict[str, np.ndarray], expected: dict[str, np.ndarray],
                       variants: dict[str, dict[str, np.ndarray]], label: str) -> None:
    for k, exp in expected.items():
        steps = exp.shape[0]
        assert_close(got[k], exp, rtol=RTOL, atol=ATOL,
                     what=f"{cls}{label}: params[{k!r}] after each of {steps} updates (first index: update - 1)",
                     variants={sentence: path[k] for sentence, path in variants.items()})


# ---------------------------------------------------------------- judge-side variants (known bugs)
def _negated(optimizer: Any) -> Any:
    """The same optimizer fed -g: what a sign error in the step gives (it goes uphill)."""
    class Uphill:
        def update(self, params: Params, grads: Params) -> None:
            optimizer.update(params, {k: -g for k, g in grads.items()})
    return Uphill()


class _Frozen:
    def update(self, params: Params, grads: Params) -> None:
        pass


class _DlfsNesterov(ref.Momentum):
    """The textbook's (DLFS) Nesterov: the *new* velocity enters momentum**2 * v."""

    def update(self, params: Params, grads: Params) -> None:
        v = self._state(params)["v"]
        for key in params:
            v[key] = self.momentum * v[key] - self.lr * grads[key]
            params[key] += self.momentum**2 * v[key] - (1 + self.momentum) * self.lr * grads[key]


class _AdamFixedT(ref.Adam):
    """The reference's Adam with t pinned: its bias correction always uses ``beta**t_fixed``."""

    t = property(lambda self: self.t_fixed, lambda self, value: None)  # `self.t += 1` changes nothing

    def __init__(self, t_fixed: float, **hyper: float) -> None:
        self.t_fixed = t_fixed
        super().__init__(**hyper)


class _AdamBeta1SquaredOnly(ref.Adam):
    """The reference's Adam with ``1 - beta1*beta1`` in the first moment's bias correction only (seed 002)."""

    def update(self, params: Params, grads: Params) -> None:
        state = self._state(params)
        self.t += 1
        for key in params:
            g = grads[key]
            state["m"][key] = self.beta1 * state["m"][key] + (1.0 - self.beta1) * g
            state["v"][key] = self.beta2 * state["v"][key] + (1.0 - self.beta2) * g * g
            m_hat = state["m"][key] / (1.0 - self.beta1 * self.beta1)
            v_hat = state["v"][key] / (1.0 - self.beta2**self.t)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)


class _MomentumTimesGrad(ref.Momentum):
    """Momentum whose step is the velocity times the gradient, p += g * v (a CS231n solution's bug)."""

    def update(self, params: Params, grads: Params) -> None:
        v = self._state(params)["v"]
        for key in params:
            v[key] = self.momentum * v[key] - self.lr * grads[key]
            params[key] += grads[key] * v[key]


class _RmspropReset(ref.RMSprop):
    """RMSprop whose h starts from zero at every call."""

    def update(self, params: Params, grads: Params) -> None:
        self.state = {"h": {}}
        super().update(params, grads)


class _AdaDeltaEarlyEdx(ref.AdaDelta):
    """AdaDelta that updates Edx with the gradient before computing the step (a common mix-up)."""

    def update(self, params: Params, grads: Params) -> None:
        state = self._state(params)
        Eg, Edx = state["Eg"], state["Edx"]
        for key in params:
            g = grads[key]
            Eg[key] = self.rho * Eg[key] + (1.0 - self.rho) * g * g
            Edx[key] = self.rho * Edx[key] + (1.0 - self.rho) * g * g
            params[key] -= np.sqrt(Edx[key] + self.eps) / np.sqrt(Eg[key] + self.eps) * g


def _variants(cls: str, hyper: dict[str, float]) -> dict[str, Any]:
    """cause sentence -> a judge-side optimizer making that bug (hyper: the constructor's keywords)."""
    full = {**_DEFAULTS[cls], **hyper}
    make = getattr(ref, cls)
    found: dict[str, Any] = {
        "the step goes uphill: a sign error (parameters must move against the gradient)": _negated(make(**hyper)),
        NOT_IN_PLACE: _Frozen(),
    }
    if hyper:
        found[f"the hyperparameters passed to {cls}(...) are ignored: the defaults are used"] = make()
    lr = full.get("lr", 0.01)
    if cls in ("Momentum", "Nesterov"):
        found["the velocity v is not kept between calls (each update starts from v = 0: that is plain SGD)"] = \
            ref.SGD(lr=lr if cls == "Momentum" else lr * (1 + full["momentum"]))
    if cls == "Momentum":
        found["the step multiplies the velocity by the gradient (p += g * v): the step is p += v"] = \
            _MomentumTimesGrad(**hyper)
    if cls == "Nesterov":
        found[("this is the textbook's (DLFS) Nesterov, which uses the new velocity in momentum**2 * v; this course "
               "uses PyTorch's form: v = momentum*v - lr*g; p += momentum*v - lr*g")] = _DlfsNesterov(**hyper)
        found["this is plain Momentum (p += v): Nesterov's step is p += momentum*v - lr*g"] = ref.Momentum(**hyper)
    if cls == "AdaGrad":
        found["h is not accumulated: h = g*g replaces it at every call (use h += g*g)"] = \
            ref.RMSprop(lr=lr, decay_rate=0.0)
    if cls == "RMSprop":
        decay = full["decay_rate"]
        found[("decay_rate and 1 - decay_rate are swapped: h = decay_rate*h + (1 - decay_rate)*g*g "
               "keeps most of the old h")] = ref.RMSprop(lr=lr, decay_rate=1 - decay)
        found["h is accumulated without decay: that is AdaGrad's rule"] = ref.AdaGrad(lr=lr)
        found["h is not kept between calls (it starts from zero at every update)"] = _RmspropReset(**hyper)
    if cls == "AdaDelta":
        found["Edx is updated with g*g before the step is computed: update it with dx*dx after the step"] = \
            _AdaDeltaEarlyEdx(**hyper)
    if cls == "Adam":
        found.update(_adam_variants(hyper))
    return found


def _adam_variants(hyper: dict[str, float]) -> dict[str, Any]:
    return {
        f"{BETA_SQUARED} (and beta2*beta2 instead of beta2**t); t counts the calls of update from 1":
            _AdamFixedT(2, **hyper),
        "t is never incremented: the bias correction uses t = 1 at every step": _AdamFixedT(1, **hyper),
        f"{BETA_SQUARED} in the first moment's bias correction (m / (1 - beta1*beta1)); t counts the calls of "
        "update from 1": _AdamBeta1SquaredOnly(**hyper),
        "the bias correction is missing: divide m by 1 - beta1**t and v by 1 - beta2**t": _AdamFixedT(np.inf, **hyper),
    }


_DEFAULTS: dict[str, dict[str, float]] = {
    "SGD": {"lr": 0.01}, "Momentum": {"lr": 0.01, "momentum": 0.9}, "Nesterov": {"lr": 0.01, "momentum": 0.9},
    "AdaGrad": {"lr": 0.01}, "RMSprop": {"lr": 0.01, "decay_rate": 0.99}, "AdaDelta": {"rho": 0.95, "eps": 1e-6},
    "Adam": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999},
}
CUSTOM: dict[str, dict[str, float]] = {
    "SGD": {"lr": 0.2}, "Momentum": {"lr": 0.05, "momentum": 0.7}, "Nesterov": {"lr": 0.05, "momentum": 0.7},
    "AdaGrad": {"lr": 0.2}, "RMSprop": {"lr": 0.05, "decay_rate": 0.8}, "AdaDelta": {"rho": 0.8, "eps": 1e-4},
    "Adam": {"lr": 0.02, "beta1": 0.7, "beta2": 0.95},
}
DEFAULT_SHAPES = {"W": (3, 4), "b": (4,), "gamma": (2, 2, 3)}
CUSTOM_SHAPES = {"W1": (5, 2), "beta": (3,)}


def _first_step_finite(cls: str, got: dict[str, np.ndarray]) -> None:
    if cls == "Adam" and not all(np.all(np.isfinite(v[0])) for v in got.values()):
        fail("Adam's first update gave NaN or inf: with t = 0 the bias correction 1 - beta1**t is 0. "
             "Increment t before using it: t counts the calls of update from 1.")


def _agrees(got: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> bool:
    """Every key's trajectory within the checks' tolerance of ``expected``'s."""
    return all(np.shape(got[k]) == np.shape(v) and np.allclose(got[k], v, rtol=RTOL, atol=ATOL)
               for k, v in expected.items())


def _mutant_variant(cls: str, hyper: dict[str, float], start: Params, grads: list[Params],
                    got: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """{sentence: trajectory} of the single-edit mutant of the reference optimizer that reproduces ``got``
    (grader/mutants.py), or {}: asked only when no known bug (``_variants``) explains ``got``. A mutant that agrees
    with the reference on these gradients (an epsilon moved inside the root) is a convention and never a cause."""
    found = mutants.explain_optimizer(cls, lambda make: _trajectory(make(**hyper), start, grads), got,
                                      accepted=lambda path: _agrees(path, expected))
    return dict([found]) if found else {}


def _graded_run(student: Any, cls: str, hyper: dict[str, float], shapes: dict[str, tuple[int, ...]],
                steps: int, seed: int, label: str, extra: dict[str, Any] | None = None) -> None:
    start, grads = _problem(seed, shapes, steps)
    got, _ = _student_run(student, cls, hyper, start, grads)
    _first_step_finite(cls, got)
    expected = _trajectory(getattr(ref, cls)(**hyper), start, grads)
    variants = {sentence: _trajectory(opt, start, grads)
                for sentence, opt in {**(extra or {}), **_variants(cls, hyper)}.items()}
    if not _agrees(got, expected) and not any(_agrees(got, path) for path in variants.values()):
        variants.update(_mutant_variant(cls, hyper, start, grads, got, expected))
    _assert_trajectory(cls, got, expected, variants, label)


def _default_check(student: Any, cls: str, seed: int) -> None:
    """5 updates with the default hyperparameters, params W (3, 4), b (4,), gamma (2, 2, 3)."""
    _graded_run(student, cls, {}, DEFAULT_SHAPES, 5, seed, "()", _own_defaults_variant(student, cls))


def _own_defaults_variant(student: Any, cls: str) -> dict[str, Any]:
    """The reference run with the defaults written in the student's ``__init__``, where they differ from the
    curriculum's: the cause sentence names each one (read from the source, judge-side; literals only)."""
    found = _class_source(student, cls)
    init = next((n for n in found[1].body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None) \
        if found else None
    if init is None:
        return {}
    args = init.args.args[len(init.args.args) - len(init.args.defaults):]
    own = {}
    for arg, default in zip(args, init.args.defaults):
        try:
            value = ast.literal_eval(default)
        except ValueError:
            continue
        if arg.arg in _DEFAULTS[cls] and isinstance(value, (int, float)) and value != _DEFAULTS[cls][arg.arg]:
            own[arg.arg] = float(value)
    if not own:
        return {}
    text = ", ".join(f"{k}={v:g} where the curriculum has {k}={_DEFAULTS[cls][k]:g}" for k, v in own.items())
    return {f"your {cls}'s defaults differ: {text} (a default check calls {cls}() without arguments)":
            getattr(ref, cls)(**own)}


def _custom_check(student: Any, cls: str, seed: int) -> None:
    """4 updates with other hyperparameters (as keywords), params W1 (5, 2), beta (3,)."""
    hyper = CUSTOM[cls]
    text = ", ".join(f"{k}={v}" for k, v in hyper.items())
    _graded_run(student, cls, hyper, CUSTOM_SHAPES, 4, seed, f"({text})")


def _in_place_check(student: Any, cls: str, seed: int) -> None:
    """After one update, every original array of params holds the new value (same objects, changed in place)."""
    start, grads = _problem(seed, DEFAULT_SHAPES, 2)
    got, originals = _student_run(student, cls, {}, start, grads)
    if all(np.array_equal(got[k][-1], v, equal_nan=True) for k, v in start.items()):
        fail(f"{cls}.update left every array of params as it was after {len(grads)} updates: "
             "it must change them (in place)")
    rebound = []
    for k, handle in originals.items():
        original = as_array(handle.value(), what=f"the array first passed as params[{k!r}]", shape=start[k].shape)
        if not np.array_equal(original, got[k][-1], equal_nan=True):
            rebound.append(k)
    if rebound:
        keys = ", ".join(repr(k) for k in rebound)
        fail(f"{cls}.update replaced params[{keys}] with new arrays instead of changing the arrays in place: "
             "write params[key] -= ... (not params[key] = params[key] - ...), for every key of params. "
             "A model whose layers hold these arrays would never see the update.")


def _grads_check(student: Any, cls: str, seed: int) -> None:
    """update(params, grads) only reads grads: the caller's gradient arrays keep their values."""
    start, grads = _problem(seed, DEFAULT_SHAPES, 2)
    optimizer = student.get(cls)()
    params = student.put({k: v.copy() for k, v in start.items()})
    hint = ("compute the step in a new array (step = lr * grads[key]) instead of scaling the caller's gradient "
            "in place (grads[key] *= lr)")
    for step, g in enumerate(grads, start=1):
        sent = student.put({k: v.copy() for k, v in g.items()})
        optimizer.update(params, sent)
        after = sent.value()
        for k, v in g.items():
            assert_unchanged(v, after.get(k) if isinstance(after, dict) else after,
                             what=f"{cls}.update(params, grads), update {step}", name=f"grads[{k!r}]", hint=hint)
    # and every other update call of grading (golden checks send grads as plain data): no call is "watched"
    assert_calls_left_inputs_alone(student, f"{cls}.update", {1: "grads", "grads": "grads"},
                                   what=f"{cls}.update(params, grads)", hint=hint)


# ---------------------------------------------------------------- one set of checks per optimizer
@check("SGD", "golden", points=1)
def test_sgd_default(student):
    """5 updates, lr = 0.01, three params (W, b, gamma)."""
    _default_check(student, "SGD", 11)


@check("SGD", "golden", points=1)
def test_sgd_custom(student):
    """SGD(lr=0.2), 4 updates, other keys and shapes."""
    _custom_check(student, "SGD", 12)


@check("SGD", "property", points=0.5)
def test_sgd_in_place(student):
    _in_place_check(student, "SGD", 13)


@check("SGD", "mutation", points=0.25)
def test_sgd_leaves_grads_alone(student):
    _grads_check(student, "SGD", 119)


@check("Momentum", "golden", points=1)
def test_momentum_default(student):
    """5 updates: the velocity carries over between calls."""
    _default_check(student, "Momentum", 21)


@check("Momentum", "golden", points=1)
def test_momentum_custom(student):
    _custom_check(student, "Momentum", 22)


@check("Momentum", "property", points=0.5)
def test_momentum_in_place(student):
    _in_place_check(student, "Momentum", 23)


@check("Momentum", "mutation", points=0.25)
def test_momentum_leaves_grads_alone(student):
    _grads_check(student, "Momentum", 229)


@check("Nesterov", "golden", points=1)
def test_nesterov_default(student):
    """v = momentum*v - lr*g; p += momentum*v - lr*g (PyTorch's form)."""
    _default_check(student, "Nesterov", 31)


@check("Nesterov", "golden", points=1)
def test_nesterov_custom(student):
    _custom_check(student, "Nesterov", 32)


@check("Nesterov", "property", points=0.5)
def test_nesterov_in_place(student):
    _in_place_check(student, "Nesterov", 33)


@check("Nesterov", "mutation", points=0.25)
def test_nesterov_leaves_grads_alone(student):
    _grads_check(student, "Nesterov", 339)


@check("AdaGrad", "golden", points=1)
def test_adagrad_default(student):
    """h accumulates g*g over the calls."""
    _default_check(student, "AdaGrad", 41)


@check("AdaGrad", "golden", points=1)
def test_adagrad_custom(student):
    _custom_check(student, "AdaGrad", 42)


@check("AdaGrad", "property", points=0.5)
def test_adagrad_in_place(student):
    _in_place_check(student, "AdaGrad", 43)


@check("AdaGrad", "mutation", points=0.25)
def test_adagrad_leaves_grads_alone(student):
    _grads_check(student, "AdaGrad", 449)


@check("RMSprop", "golden", points=1)
def test_rmsprop_default(student):
    _default_check(student, "RMSprop", 51)


@check("RMSprop", "golden", points=1)
def test_rmsprop_custom(student):
    """decay_rate = 0.8: the weights of the old h and of g*g are easy to tell apart."""
    _custom_check(student, "RMSprop", 52)


@check("RMSprop", "property", points=0.5)
def test_rmsprop_in_place(student):
    _in_place_check(student, "RMSprop", 53)


@check("RMSprop", "mutation", points=0.25)
def test_rmsprop_leaves_grads_alone(student):
    _grads_check(student, "RMSprop", 559)


@check("AdaDelta", "golden", points=1)
def test_adadelta_default(student):
    _default_check(student, "AdaDelta", 61)


@check("AdaDelta", "golden", points=1)
def test_adadelta_custom(student):
    _custom_check(student, "AdaDelta", 62)


@check("AdaDelta", "property", points=0.5)
def test_adadelta_in_place(student):
    _in_place_check(student, "AdaDelta", 63)


@check("AdaDelta", "mutation", points=0.25)
def test_adadelta_leaves_grads_alone(student):
    _grads_check(student, "AdaDelta", 669)


@check("Adam", "golden", points=1)
def test_adam_default(student):
    """5 updates with lr = 0.001, beta1 = 0.9, beta2 = 0.999; t counts from 1."""
    _default_check(student, "Adam", 71)


@check("Adam", "golden", points=1)
def test_adam_custom(student):
    _custom_check(student, "Adam", 72)


@check("Adam", "property", points=0.5)
def test_adam_in_place(student):
    _in_place_check(student, "Adam", 73)


@check("Adam", "mutation", points=0.25)
def test_adam_leaves_grads_alone(student):
    _grads_check(student, "Adam", 779)


@check("Adam", "property", points=0.75)
def test_adam_first_step(student):
    """At t = 1 the bias-corrected step is lr * sign(g) for every element, whatever the scale of g."""
    start, grads = _problem(74, DEFAULT_SHAPES, 1)
    got, _ = _student_run(student, "Adam", {"lr": 0.01}, start, grads)
    _first_step_finite("Adam", got)
    variants = {sentence: _trajectory(opt, start, grads) for sentence, opt in _adam_variants({"lr": 0.01}).items()}
    for k, v in start.items():
        assert_close(got[k][0] - v, -0.01 * np.sign(grads[0][k]), rtol=1e-4, atol=1e-8,
                     what=f"Adam(lr=0.01): the first update of params[{k!r}] (expected -lr * sign(g))",
                     variants={s: path[k][0] - v for s, path in variants.items()})


def _class_source(student: Any, name: str) -> tuple[str, ast.ClassDef] | None:
    """(source, node) of the last top-level definition of class ``name``: the one in effect."""
    found = None
    for statement, tree in student.loaded.statement_trees():
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == name:
                found = statement.source, node
    return found


@check("Adam", "static", points=0.5)
def test_adam_epsilon_literal(student):
    """No `10e-8` in Adam: it means 1e-7, not 1e-8 (numerically inside the accepted epsilon conventions).
    Only an Adam whose update runs can earn this point."""
    params = student.put({"W": np.ones((2, 2))})
    student.Adam().update(params, {"W": np.full((2, 2), 0.5)})
    found = _class_source(student, "Adam")
    if found is None:
        if not student.has("Adam"):
            student.Adam  # raises StudentMissing
        return
    source, node = found
    for literal in ast.walk(node):
        text = ast.get_source_segment(source, literal) if isinstance(literal, ast.Constant) else None
        if text and text.lower().replace("_", "").startswith("10e-"):
            fail(f"Adam uses the literal {text}, which is {float(literal.value):g} (10 x 10**-{text[4:]}), "
                 f"not 1e-{text[4:]}: write 1e-{text[4:]} for 10 to the power -{text[4:]}. (The update itself is "
                 "within the accepted epsilon conventions, so only this check notices it.)")


# ---------------------------------------------------------------- initialisers
INIT_FAN = (400, 300)


def _init_variances(name: str, fan_in: int, fan_out: int) -> tuple[float, dict[str, float]]:
    """(the contract's variance, cause sentence -> the variance that bug gives)."""
    glorot, he = 2.0 / (fan_in + fan_out), 2.0 / fan_in
    if name == "xavier_init":
        return glorot, {
            ("this is the textbook's (DLFS) 'Xavier', std sqrt(1/fan_in); this course uses Glorot's "
             "variance 2/(fan_in + fan_out)"): 1.0 / fan_in,
            "the variance is 2/fan_in: that is He's initialisation, not Xavier's": he,
            "the variance is 1/(fan_in + fan_out): the 2 is missing": glorot / 2,
            "uniform(-a, a) with a = sqrt(2/(fan_in + fan_out)) has variance a**2/3: use a = sqrt(6/(fan_in + fan_out))":
                glorot / 3,
            "the standard deviation is 2/(fan_in + fan_out): take its square root": glorot**2,
        }
    return he, {
        "the variance is 1/fan_in: the factor 2 of He's initialisation is missing": 1.0 / fan_in,
        "the variance is 2/(fan_in + fan_out): that is Xavier's (Glorot's) initialisation, not He's": 2.0 / (fan_in + fan_out),
        "uniform(-a, a) with a = sqrt(2/fan_in) has variance a**2/3: use a = sqrt(6/fan_in)": he / 3,
        "the standard deviation is 2/fan_in: take its square root": he**2,
        "the variance is 2/fan_out: use fan_in": 2.0 / fan_out,
    }


def _draw(student: Any, name: str, fan_in: int, fan_out: int) -> np.ndarray:
    return assert_shape(student.get(name)(fan_in, fan_out), (fan_in, fan_out),
                        what=f"{name}({fan_in}, {fan_out})")


def _within(value: float, target: float, se: float) -> bool:
    return abs(value - target) <= 3 * se


def _statistics_check(student: Any, name: str) -> None:
    """Mean 0 and the contract's variance within 3 standard errors; a failing draw is confirmed on a second one."""
    fan_in, fan_out = example(INIT_FAN[0], low=300, high=500), example(INIT_FAN[1], low=200, high=400)
    variance, known = _init_variances(name, fan_in, fan_out)
    n = fan_in * fan_out
    for attempt in range(2):
        W = _draw(student, name, fan_in, fan_out)
        mean, var = float(W.mean()), float(W.var())
        mean_ok = _within(mean, 0.0, np.sqrt(variance / n))
        var_ok = _within(var, variance, variance * np.sqrt(2.0 / (n - 1)))
        if mean_ok and var_ok:
            return
    call = f"{name}({fan_in}, {fan_out})"
    if not np.all(np.isfinite(W)):
        fail(f"{call} holds NaN or inf")
    if not mean_ok:
        fail(f"the entries of {call} have mean {mean:.4g}, expected 0 (+- {3 * np.sqrt(variance / n):.2g}): "
             "draw from a distribution centred on 0 (normal, or uniform(-a, a))")
    cause = next((s for s, v in known.items() if _within(var, v, v * np.sqrt(2.0 / (n - 1)))), None)
    fail(f"the entries of {call} have variance {var:.5g}, expected {variance:.5g} "
         f"(+- {3 * variance * np.sqrt(2.0 / (n - 1)):.2g}, 3 standard errors, on two draws)."
         + (f" Likely cause: {cause}." if cause else ""))


def _rng_check(student: Any, name: str) -> None:
    """The same seed gives the same array, another seed another array (the driver makes the generators)."""
    fan_in, fan_out = example(50, low=40, high=60), example(40, low=30, high=50)
    draws = student.run_driver("init_with_rng", student.get(name), fan_in, fan_out, [5, 5, 6])
    if not isinstance(draws, list) or len(draws) != 3:
        fail(f"{name}(fan_in, fan_out, rng=...) could not be called three times")
    a, b, c = (assert_shape(d, (fan_in, fan_out), what=f"{name}({fan_in}, {fan_out}, rng=np.random.default_rng(s))")
               for d in draws)
    if not np.array_equal(a, b):
        fail(f"{name}(..., rng=np.random.default_rng(5)) gave different arrays on two calls: the rng argument is "
             "ignored. Draw from it when it is given (rng.standard_normal(...) or rng.uniform(...)), and from "
             "np.random only when rng is None.")
    if np.array_equal(a, c):
        fail(f"{name} gave the same array for rng seeds 5 and 6: draw the values from rng")


def _shape_check(student: Any, golden: Any, name: str) -> None:
    case = golden(f"{name}/shape")
    fan_in, fan_out = int(case.inputs["fan_in"]), int(case.inputs["fan_out"])
    for fi, fo in ((fan_in, fan_out), (7, 3)):
        W = _draw(student, name, fi, fo)
        if np.all(W == W.flat[0]):
            fail(f"{name}({fi}, {fo}) holds the same value {float(W.flat[0]):g} everywhere: an initialisation draws "
                 "random values (a constant makes every unit of a layer learn the same thing)")


@check("xavier_init", "shape", points=0.5)
def test_xavier_init_shape(student, golden):
    """(fan_in, fan_out) arrays for (30, 20) and (7, 3)."""
    _shape_check(student, golden, "xavier_init")


@check("xavier_init", "property", points=1.5)
def test_xavier_init_statistics(student):
    """400x300: mean 0 and variance 2/(fan_in + fan_out) within 3 standard errors."""
    _statistics_check(student, "xavier_init")


@check("xavier_init", "property", points=0.75)
def test_xavier_init_rng(student):
    _rng_check(student, "xavier_init")


@check("he_init", "shape", points=0.5)
def test_he_init_shape(student, golden):
    _shape_check(student, golden, "he_init")


@check("he_init", "property", points=1.5)
def test_he_init_statistics(student):
    """400x300: mean 0 and variance 2/fan_in within 3 standard errors."""
    _statistics_check(student, "he_init")


@check("he_init", "property", points=0.75)
def test_he_init_rng(student):
    _rng_check(student, "he_init")


# ---------------------------------------------------------------- weight decay
def _penalty_variants(weights: list[np.ndarray], lam: float) -> dict[str, float]:
    squares = sum(float(np.sum(w * w)) for w in weights)
    return {"the factor 0.5 is missing: the penalty is 0.5 * lambda * sum of squares": lam * squares,
            "lambda is not applied": 0.5 * squares,
            "only the first array of the list is counted: sum over every array": 0.5 * lam * float(np.sum(weights[0] ** 2)),
            "the sum of |W| (L1) was taken: L2 sums the squares": 0.5 * lam * sum(float(np.sum(np.abs(w))) for w in weights)}


def _penalty_case(student: Any, weights: list[np.ndarray], lam: float, expected: float, what: str) -> None:
    assert_scalar_close(student.l2_penalty(weights, lam), expected, what=what, rtol=1e-9,
                        variants=_penalty_variants(weights, lam))


@check("l2_penalty", "golden", points=1)
def test_l2_penalty_golden(student, golden):
    """A list of three arrays (lambda 0.1) and a list of one (lambda 0.01)."""
    for name in ("three", "single"):
        case = golden(f"l2_penalty/{name}")
        weights = [case.inputs[k] for k in sorted(case.inputs) if k.startswith("weights.")]
        lam = float(case.inputs["weight_decay_lambda"])
        _penalty_case(student, weights, lam, float(case.outputs["penalty"]),
                      f"l2_penalty(weights, {lam}) for {len(weights)} arrays")


def _penalty_weights(seed: int) -> list[np.ndarray]:
    rng = _rng(seed)
    return [rng.standard_normal(s) for s in ((6,), (2, 5), (3, 1, 2), (2, 2, 1, 3))]


@check("l2_penalty", "golden", points=0.75, hidden=True)
def test_l2_penalty_fresh(student):
    """Four arrays of 1 to 4 dimensions, lambda 0.3."""
    weights = _penalty_weights(81)
    _penalty_case(student, weights, 0.3, ref.l2_penalty(weights, 0.3), "l2_penalty(weights, 0.3) for 4 arrays")


@check("l2_penalty", "mutation", points=0.25)
def test_l2_penalty_leaves_weights_alone(student):
    """The arrays of the list keep their values (they are the network's weights)."""
    weights = _penalty_weights(82)
    handles = [student.put(w.copy()) for w in weights]
    student.l2_penalty(handles, 0.3)
    for i, (w, h) in enumerate(zip(weights, handles)):
        assert_unchanged(w, h.value(), what="l2_penalty(weights, lambda)", name=f"weights[{i}]")


def _grad_variants(W: np.ndarray, lam: float) -> dict[str, np.ndarray]:
    return {"0.5 * lambda * W: the 0.5 of the penalty cancels against the 2 of the derivative of W**2": 0.5 * lam * W,
            "2 * lambda * W: the 0.5 of the penalty cancels the 2 of the derivative": 2 * lam * W,
            "lambda * W**2 is the penalty's summand, not its derivative": lam * W**2}


@check("l2_grad", "golden", points=1)
def test_l2_grad_golden(student, golden):
    """lambda * W for a (3, 4) and a (2, 3, 2, 2) array."""
    for name in ("matrix", "4d"):
        case = golden(f"l2_grad/{name}")
        W, lam = case.inputs["W"], float(case.inputs["weight_decay_lambda"])
        assert_close(student.l2_grad(W, lam), case.outputs["grad"], what=f"l2_grad(W, {lam}) for W of shape {W.shape}",
                     variants=_grad_variants(W, lam))


@check("l2_grad", "golden", points=0.5, hidden=True)
def test_l2_grad_fresh(student):
    """A 1-D array with lambda 2.5."""
    W = _rng(82).standard_normal(7)
    assert_close(student.l2_grad(W, 2.5), ref.l2_grad(W, 2.5), what="l2_grad(W, 2.5) for W of shape (7,)",
                 variants=_grad_variants(W, 2.5))


@check("l2_grad", "mutation", points=0.5)
def test_l2_grad_leaves_w(student):
    W = _rng(83).standard_normal((3, 3))
    _, (after, _), _ = student.call_returning_args("l2_grad", W, 0.1)
    hint = "return lambda * W as a new array (W *= lambda scales the caller's weights)"
    assert_unchanged(W, after, what="l2_grad(W, lambda)", name="W", hint=hint)
    assert_calls_left_inputs_alone(student, "l2_grad", {0: "W"}, what="l2_grad(W, lambda)", hint=hint)

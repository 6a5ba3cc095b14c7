"""Checks of the `backprop` assignment: the seed-004 MLP by hand, the delta rule, XOR, a deep ReLU net.

Sample-by-sample training functions are checked three ways: one epoch against the reference
(golden), a short trajectory of epochs (any small deviation compounds), and convergence from
hidden starts with a majority rule (grader/convergence.py: the reference converges from every one of them;
a student whose first epochs follow the reference's is decided after those epochs).
"""
import numpy as np
import pytest

from grader import convergence
from grader.checks import CheckFailed, check, fail
from grader.partial import graded_alone
from grader.compare import as_array, assert_close, assert_scalar_close, assert_unchanged
from grader.gradcheck import numeric_gradient
from grader.inputs import class_rng, example, hidden_rng, instructor_keyring
from grader.untouched import assert_calls_left_inputs_alone
from reference import backprop as ref
from reference.golden_cases import DIGITS, XOR_D, XOR_X

ASSIGNMENT = "backprop"

# The XOR problem of the lecture (the third input is a constant bias input): XOR_X, XOR_D.
ALPHA = 0.9


def _uniform(seed: int, *shape: int) -> np.ndarray:
    return hidden_rng(seed).uniform(-1.0, 1.0, size=shape)


def _tuple_of(result, what: str, n: int) -> list:
    """A student's returned tuple of ``n`` values (not converted)."""
    if not isinstance(result, (tuple, list)) or len(result) != n:
        fail(f"{what} should return a tuple of {n} weight matrices, got {type(result).__name__}"
             + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""))
    return list(result)


def _weights(result, what: str, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    """A student's returned tuple of weight matrices, converted and shape-checked."""
    return [as_array(w, what=f"{what}[{i}]", shape=s) for i, (w, s) in enumerate(zip(_tuple_of(result, what, len(shapes)),
                                                                                     shapes))]


def _assert_weights(got, expected, what: str, variants: dict[str, tuple] | None = None,
                    only: int | None = None) -> None:
    """Each returned matrix against ``expected``; ``only`` (an index, for fair parts): just that one."""
    got = _tuple_of(got, what, len(expected))
    for i, (g, e) in enumerate(zip(got, expected)):
        if only is not None and i != only:
            continue
        g = as_array(g, what=f"{what}[{i}]", shape=np.shape(e))
        per_matrix = {cause: alt[i] for cause, alt in (variants or {}).items()}
        assert_close(g, e, what=f"{what}: returned W{i + 1}", rtol=1e-7, atol=1e-10, variants=per_matrix)


BACKWARD_PARTS, UPDATE_PARTS = ("dW1", "dW2"), ("W1", "W2")
"""Fair parts: each returned matrix (dW1 and dW2 of mlp_backward, the new W1 and W2 of mlp_update) is credited by
checks of its own, so a bug in one costs only its share."""


# ---------------------------------------------------------------- the seed-004 MLP
SEED_X = np.array([0.1, 0.2])
SEED_W1 = np.array([[0.3, 0.25], [0.4, 0.35]])
SEED_W2 = np.array([[0.45, 0.4], [0.7, 0.6]])
SEED_T = np.array([0.4, 0.6])
SEED_LR = 0.5


def _seed() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The lecture's x, t, W1, W2 (seed 004); in the twin run, keyed values of the same shapes and ranges."""
    return (example(SEED_X, low=0.0, high=1.0), example(SEED_T, low=0.1, high=0.9),
            example(SEED_W1, low=-1.0, high=1.0), example(SEED_W2, low=-1.0, high=1.0))


def _fresh_mlp(seed: int):
    rng = hidden_rng(seed)
    return rng.normal(size=3), rng.normal(size=(4, 3)), rng.normal(size=(2, 4)), rng.uniform(0.1, 0.9, size=2)


FORWARD_PARTS = ("h", "o")
"""Fair parts: h and o of mlp_forward are credited by checks of their own. o is right when it is the reference's o
or sigmoid(W2 @ h) of the student's own h, so a wrong hidden layer costs only h's share."""


def _forward_part(student, x, W1, W2, what: str, part: str, h_variants: dict[str, np.ndarray] | None = None) -> None:
    """``part`` ("h" or "o") of ``mlp_forward(x, W1, W2)`` against the reference."""
    result = student.mlp_forward(x, W1, W2)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(f"{what} should return the pair (h, o), got {type(result).__name__}")
    h_ref, o_ref = ref.mlp_forward(x, W1, W2)
    if part == "h":
        h = as_array(result[0], what=f"{what}: h", shape=(W1.shape[0],))
        assert_close(h, h_ref, what=f"{what}: h", variants=h_variants)
        return
    o = as_array(result[1], what=f"{what}: o", shape=(W2.shape[0],))
    if _is_output_of_own_hidden(o, result[0], W2):
        return
    assert_close(o, o_ref, what=f"{what}: o")


def _is_output_of_own_hidden(o: np.ndarray, h_value, W2: np.ndarray) -> bool:
    """Is ``o`` sigmoid(W2 @ h) for the student's own (possibly wrong) ``h``?"""
    try:
        h = as_array(h_value, what="h", shape=(W2.shape[1],))
    except CheckFailed:
        return False
    return bool(np.all(np.isfinite(h))) and bool(np.allclose(o, ref.sigmoid(W2 @ h), rtol=1e-7, atol=1e-10))


@check("mlp_forward", "golden", points=1.5)
@pytest.mark.parametrize("part", FORWARD_PARTS)
def test_mlp_forward_golden_seed(student, part):
    """The lecture's network: h = [0.51998934, 0.52747230], o = [0.60944600, 0.66384491]."""
    x, _, W1, W2 = _seed()
    _forward_part(student, x, W1, W2, "mlp_forward(x, W1, W2) on the lecture example", part,
                  h_variants={"h is W1 @ x without the sigmoid": W1 @ x,
                              "x @ W1 instead of W1 @ x: weights are (out, in)": ref.sigmoid(x @ W1)})


@check("mlp_forward", "golden", points=1, hidden=True)
@pytest.mark.parametrize("part", FORWARD_PARTS)
def test_mlp_forward_fresh(student, part):
    """3 inputs, 4 hidden units, 2 outputs: shapes other than the lecture's 2x2."""
    x, W1, W2, _ = _fresh_mlp(11)
    _forward_part(student, x, W1, W2, "mlp_forward(x, W1, W2) with W1 (4, 3), W2 (2, 4)", part)


def _assert_inputs_unchanged(student, name: str, args: tuple, names: str) -> None:
    """Call ``name(*args)`` and compare every array argument, as the student's code left it, to the original."""
    _, after, _ = student.call_returning_args(name, *args)
    call = f"{name}({names})"
    for arg_name, before, left in zip(names.split(", "), args, after):
        if isinstance(before, np.ndarray):
            assert_unchanged(before, left, what=call, name=arg_name)


@check("mlp_forward", "mutation", points=0.5)
def test_mlp_forward_leaves_inputs_alone(student):
    x, W1, W2, _ = _fresh_mlp(16)
    _assert_inputs_unchanged(student, "mlp_forward", (x, W1, W2), "x, W1, W2")
    assert_calls_left_inputs_alone(student, "mlp_forward", {0: "x", 1: "W1", 2: "W2"}, what="mlp_forward(x, W1, W2)")


@check("mlp_loss", "golden", points=1)
def test_mlp_loss_golden_seed(student):
    """The lecture's loss 0.02397190."""
    x, t, W1, W2 = _seed()
    _, o = ref.mlp_forward(x, W1, W2)
    expected = ref.mlp_loss(o, t)
    assert_scalar_close(student.mlp_loss(o, t), expected, what="mlp_loss(o, t) on the lecture example",
                        variants={"the 0.5 in front of the sum is missing": 2 * expected,
                                  "the mean is taken instead of 0.5 * sum": expected})


@check("mlp_loss", "golden", points=0.5, hidden=True)
def test_mlp_loss_fresh(student):
    o, t = hidden_rng(12).uniform(0, 1, size=(2, 5))
    expected = ref.mlp_loss(o, t)
    assert_scalar_close(student.mlp_loss(o, t), expected, what="mlp_loss(o, t) for 5 outputs",
                        variants={"the 0.5 in front of the sum is missing": 2 * expected,
                                  "the mean is taken instead of 0.5 * sum": np.mean((t - o) ** 2)})


@check("mlp_loss", "mutation", points=0.5)
def test_mlp_loss_leaves_inputs_alone(student):
    o, t = hidden_rng(17).uniform(0, 1, size=(2, 4))
    _assert_inputs_unchanged(student, "mlp_loss", (o, t), "o, t")
    assert_calls_left_inputs_alone(student, "mlp_loss", {0: "o", 1: "t"}, what="mlp_loss(o, t)")


def _backward_variants(x, t, W1, W2) -> dict[str, tuple]:
    dW1, dW2 = ref.mlp_backward(x, t, W1, W2)
    return {"the gradients have the wrong sign: the loss derivative is (o - t), not (t - o)": (-dW1, -dW2),
            "the gradients are transposed: dW has W's shape (out, in) = outer(delta, input)": (dW1.T, dW2.T)}


@check("mlp_backward", "golden", points=1.5)
@pytest.mark.parametrize("part", BACKWARD_PARTS)
def test_mlp_backward_golden_seed(student, part):
    """dW1 and dW2 on the lecture example."""
    x, t, W1, W2 = _seed()
    expected = ref.mlp_backward(x, t, W1, W2)
    graded_alone(student, ("mlp_forward",), lambda: _assert_weights(
        student.mlp_backward(x, t, W1, W2), expected,
        "mlp_backward(x, t, W1, W2) on the lecture example",
        variants=_backward_variants(x, t, W1, W2), only=BACKWARD_PARTS.index(part)))


@check("mlp_backward", "gradcheck", points=1)
@pytest.mark.parametrize("part", BACKWARD_PARTS)
def test_mlp_backward_gradcheck(student, part):
    """dW1 or dW2 against central differences of the loss, on a 3-4-2 network."""
    x, W1, W2, t = _fresh_mlp(13)
    index = BACKWARD_PARTS.index(part)
    if index == 0:
        numeric = numeric_gradient(lambda w: ref.mlp_loss(ref.mlp_forward(x, w, W2)[1], t), W1.copy())
    else:
        numeric = numeric_gradient(lambda w: ref.mlp_loss(ref.mlp_forward(x, W1, w)[1], t), W2.copy())
    variants = _backward_variants(x, t, W1, W2)

    def body() -> None:
        what = "mlp_backward(x, t, W1, W2)"
        got = as_array(_tuple_of(student.mlp_backward(x, t, W1, W2), what, 2)[index], what=f"{what}[{index}]",
                       shape=numeric.shape)
        assert_close(got, numeric, what=f"mlp_backward: {part} vs finite differences of the loss", rtol=1e-5,
                     atol=1e-9, variants={k: v[index] for k, v in variants.items()})

    graded_alone(student, ("mlp_forward",), body)


@check("mlp_backward", "mutation", points=0.5)
def test_mlp_backward_leaves_inputs_alone(student):
    x, W1, W2, t = _fresh_mlp(18)
    graded_alone(student, ("mlp_forward",),
                 lambda: _assert_inputs_unchanged(student, "mlp_backward", (x, t, W1, W2), "x, t, W1, W2"))


def _update_variants(x, t, W1, W2, lr) -> dict[str, tuple]:
    dW1, dW2 = ref.mlp_backward(x, t, W1, W2)
    W2_new = W2 - lr * dW2
    dW1_late, _ = ref.mlp_backward(x, t, W1, W2_new)
    return {"the step goes uphill: use W - lr * dW": (W1 + lr * dW1, W2 + lr * dW2),
            "W2 was updated before dW1 was computed: compute both gradients first": (W1 - lr * dW1_late, W2_new)}


def _update_case(student, x, t, W1, W2, lr: float, what: str, part: str) -> None:
    """mlp_update is graded on its own logic: if it fails with the student's own mlp_backward/mlp_forward but
    passes with trusted ones swapped in, only those helpers' checks pay for their bugs."""
    expected = ref.mlp_update(x, t, W1, W2, lr)

    def body() -> None:
        _assert_weights(student.mlp_update(x, t, W1, W2, lr), expected, what,
                        variants=_update_variants(x, t, W1, W2, lr), only=UPDATE_PARTS.index(part))

    graded_alone(student, ("mlp_backward", "mlp_forward"), body)


@check("mlp_update", "golden", points=1.5)
@pytest.mark.parametrize("part", UPDATE_PARTS)
def test_mlp_update_golden_seed(student, part):
    """The lecture's step: W2 = [[0.43703857, 0.38685205], [0.69629578, 0.59624247]]."""
    _update_case(student, *_seed(), SEED_LR,
                 "mlp_update(x, t, W1, W2, lr=0.5) on the lecture example", part)


@check("mlp_update", "golden", points=1, hidden=True)
@pytest.mark.parametrize("part", UPDATE_PARTS)
def test_mlp_update_fresh(student, part):
    x, W1, W2, t = _fresh_mlp(14)
    _update_case(student, x, t, W1, W2, 0.3, "mlp_update(x, t, W1, W2, lr=0.3), 3-4-2 net", part)


@check("mlp_update", "mutation", points=0.5)
def test_mlp_update_leaves_inputs_alone(student):
    """Returns new matrices; the W1, W2 passed in keep their values."""
    x, W1, W2, t = _fresh_mlp(15)

    def body() -> None:
        _, after, _ = student.call_returning_args("mlp_update", x, t, W1, W2, 0.3)
        assert_unchanged(W1, after[2], what="mlp_update(x, t, W1, W2, lr): W1")
        assert_unchanged(W2, after[3], what="mlp_update(x, t, W1, W2, lr): W2")

    graded_alone(student, ("mlp_backward", "mlp_forward"), body)


# ---------------------------------------------------------------- delta rule
@check("delta_sgd", "golden", points=1.5)
def test_delta_sgd_golden_epoch(student):
    """One epoch on the lecture's 4 samples, visited in order, W updated after each sample."""
    W = _uniform(21, 1, 3)
    expected = ref.delta_sgd(W, XOR_X, XOR_D, ALPHA)
    got = as_array(student.delta_sgd(W, XOR_X, XOR_D, ALPHA), what="delta_sgd(W, X, D, 0.9)", shape=W.shape)
    assert_close(got, expected, what="delta_sgd(W, X, D, alpha=0.9): the new W", rtol=1e-7,
                 variants={"only the first sample was used: is `return W` inside the loop?":
                           ref.delta_sgd(W, XOR_X[:1], XOR_D[:1], ALPHA),
                           "W is returned unchanged": W})


@check("delta_sgd", "golden", points=1)
def test_delta_sgd_flat_targets(student):
    """D of shape (N,) and 5 features: other shapes than the lecture's."""
    rng = hidden_rng(22)
    W, X, D = rng.uniform(-1, 1, (1, 5)), rng.uniform(0, 1, (6, 5)), rng.integers(0, 2, 6).astype(float)
    expected = ref.delta_sgd(W, X, D, 0.5)
    got = as_array(student.delta_sgd(W, X, D, 0.5), what="delta_sgd(W, X, D, 0.5) with D of shape (6,)", shape=W.shape)
    assert_close(got, expected, what="delta_sgd(W, X, D, alpha=0.5) with X (6, 5), D (6,)", rtol=1e-7)


@check("delta_sgd", "mutation", points=0.5)
def test_delta_sgd_leaves_inputs_alone(student):
    W = _uniform(23, 1, 3)
    _, after, _ = student.call_returning_args("delta_sgd", W, XOR_X, XOR_D, ALPHA)
    assert_unchanged(W, after[0], what="delta_sgd(W, X, D, alpha): W")
    assert_unchanged(XOR_X, after[1], what="delta_sgd(W, X, D, alpha): X")
    assert_calls_left_inputs_alone(student, "delta_sgd", {0: "W", 1: "X", 2: "D"}, what="delta_sgd(W, X, D, alpha)")


# ---------------------------------------------------------------- XOR by backprop (squared error, cross-entropy)
def _xor_outputs(W1: np.ndarray, W2: np.ndarray) -> np.ndarray:
    return ref.sigmoid(ref.sigmoid(XOR_X @ W1.T) @ W2.T).ravel()


def _other_rule_variant(name: str, W1, W2, X, D, alpha: float) -> dict[str, tuple]:
    """The epoch of the other two-layer function (squared error <-> cross-entropy output delta)."""
    other = "backprop_ce" if name == "backprop_xor" else "backprop_xor"
    delta = "d - y (cross-entropy)" if name == "backprop_xor" else "y(1-y)(d-y) (squared error)"
    return {f"the output delta is {delta}: that is {other}'s rule": getattr(ref, other)(W1, W2, X, D, alpha)}


def _one_epoch_check(student, name: str) -> None:
    W1, W2 = _uniform(31, 4, 3), _uniform(32, 1, 4)
    fn = getattr(ref, name)
    expected = fn(W1, W2, XOR_X, XOR_D, ALPHA)
    variants = {**_first_samples_variants(fn, [W1, W2], XOR_X, XOR_D, ALPHA),
                **_other_rule_variant(name, W1, W2, XOR_X, XOR_D, ALPHA)}
    _assert_weights(getattr(student, name)(W1, W2, XOR_X, XOR_D, ALPHA), expected,
                    f"{name}(W1, W2, X, D, alpha=0.9), one epoch", variants=variants)


def _first_samples_variants(fn, weights: list[np.ndarray], X: np.ndarray, D: np.ndarray,
                            alpha: float) -> dict[str, tuple]:
    """What an epoch returns when its sample loop stops early: after one sample (`return` inside the loop) or
    after a fixed count that fits the lecture's data only (range(4) over the 4 XOR samples)."""
    n = len(X)
    variants = {"only the first sample was used: is `return` inside the sample loop?":
                fn(*weights, X[:1], D[:1], alpha)}
    for k in range(2, n):
        variants[f"only the first {k} of the {n} samples were used: the sample loop has a fixed count "
                 f"(range({k})) where range(len(X)) belongs"] = fn(*weights, X[:k], D[:k], alpha)
    return variants


def _epoch_on_other_sizes(student, name: str, weights: list[np.ndarray], X: np.ndarray, D: np.ndarray,
                          alpha: float, sizes: str, variants: dict[str, tuple] | None = None) -> None:
    """One epoch of ``name`` on data of sizes other than the lecture's, against the reference: a loop over a
    fixed count or a reshape to the lecture's sizes fits the lecture's data only."""
    fn = getattr(ref, name)
    weight_names = ", ".join(f"W{i + 1}" for i in range(len(weights)))
    expected = fn(*weights, X, D, alpha)
    _assert_weights(getattr(student, name)(*weights, X, D, alpha), expected,
                    f"{name}({weight_names}, X, D, alpha={alpha:g}), one epoch with {sizes}",
                    variants={**_first_samples_variants(fn, weights, X, D, alpha), **(variants or {})})


def _two_layer_other_sizes(student, name: str) -> None:
    """6 samples of 5 inputs, 3 hidden units: not the lecture's 4 samples, 3 inputs and 4 hidden units."""
    rng = hidden_rng(0)
    W1, W2 = rng.uniform(-1.0, 1.0, (3, 5)), rng.uniform(-1.0, 1.0, (1, 3))
    X, D = rng.uniform(0.0, 1.0, (6, 5)), rng.integers(0, 2, (6, 1)).astype(float)
    _epoch_on_other_sizes(student, name, [W1, W2], X, D, ALPHA,
                          "X (6, 5), D (6, 1), W1 (3, 5), W2 (1, 3): 6 samples, 5 inputs, 3 hidden units",
                          variants=_other_rule_variant(name, W1, W2, X, D, ALPHA))


def _trajectory_check(student, name: str, epochs: int) -> None:
    W1, W2 = _uniform(33, 4, 3), _uniform(34, 1, 4)
    fn = getattr(ref, name)
    e1, e2 = W1, W2
    for _ in range(epochs):
        e1, e2 = fn(e1, e2, XOR_X, XOR_D, ALPHA)
    run = student.run_driver("repeat_epochs", student.get(name), [W1, W2], XOR_X, XOR_D, ALPHA, epochs)
    _assert_weights(run["weights"], (e1, e2), f"{name} repeated for {epochs} epochs")


def _xor_loss(W1: np.ndarray, W2: np.ndarray) -> float:
    return float(0.5 * np.sum((_xor_outputs(W1, W2) - XOR_D.ravel()) ** 2))


def _epochs_problem(student, name: str, shapes: list[tuple[int, ...]], X: np.ndarray, D: np.ndarray, alpha: float,
                    solved, loss, budget: int, chunk: int) -> convergence.Problem:
    """A convergence problem for a one-epoch training function ``name`` (student side: the repeat_epochs driver)."""
    fn = getattr(ref, name)

    def student_epochs(weights: list[np.ndarray], n: int) -> list[np.ndarray]:
        run = student.run_driver("repeat_epochs", student.get(name), weights, X, D, alpha, n)
        if not isinstance(run, dict):
            fail(f"{name} could not be run for {n} epochs")
        return _weights(run.get("weights"), f"{name} after {n} epochs", shapes)

    def reference_epochs(weights: list[np.ndarray], n: int) -> list[np.ndarray]:
        for _ in range(n):
            weights = list(fn(*weights, X, D, alpha))
        return weights

    return convergence.Problem(student_epochs, reference_epochs, solved=lambda w: solved(*w), loss=lambda w: loss(*w),
                               budget=budget, chunk=chunk)


_STARTS: dict[tuple, list[list[np.ndarray]]] = {}


def _hidden_starts(key: str, problem: convergence.Problem, shapes: list[tuple[int, ...]], count: int = 3):
    """``count`` hidden uniform(-1, 1) starts (keyed) from which the reference reaches the goal; computed once
    per judge process and instructor key (the same for the whole class: the search is costly)."""
    cache_key = (key, instructor_keyring().fingerprint())
    if cache_key not in _STARTS:
        def draw(i: int) -> list[np.ndarray]:
            rng = class_rng(f"start{i}")
            return [rng.uniform(-1.0, 1.0, s) for s in shapes]

        _STARTS[cache_key] = convergence.solvable_starts(draw, problem, count)
    return [[w.copy() for w in start] for start in _STARTS[cache_key]]


def _convergence_check(student, problem: convergence.Problem, key: str, shapes: list[tuple[int, ...]],
                       goal: str, what: str) -> None:
    """Majority rule over hidden starts the reference solves from, stopping as soon as it is decided."""
    starts = _hidden_starts(key, problem, shapes)
    runs = convergence.majority(starts, lambda i, start: convergence.run_from(
        problem, start, starts[(i + 1) % len(starts)], what))
    solved = sum(r.solved for r in runs)
    if solved * 2 > len(starts):
        return
    failed = next(i for i, r in enumerate(runs) if not r.solved)
    run = runs[failed]
    reference = _reference_losses(problem, starts[failed], run)
    fail(f"{what} did not {goal}: from {len(runs) - solved} of {len(runs)} hidden starting weights it had not "
         f"after {run.epochs} epochs, and it does not follow the reference's updates (the reference reaches the goal "
         "from every one of them).",
         type="curves", label="loss", x_label=f"epochs 0, {problem.prefix}, then every {problem.chunk}",
         student=run.curve, reference=reference)


def _reference_losses(problem: convergence.Problem, start: list[np.ndarray], run: convergence.Run) -> list[float]:
    """The reference's loss at the epochs the student's curve was sampled at, from the same start."""
    weights, losses = [w.copy() for w in start], [problem.loss(start)]
    weights = problem.reference_epochs(weights, problem.prefix)
    losses.append(problem.loss(weights))
    while len(losses) < len(run.curve):
        weights = problem.reference_epochs(weights, problem.chunk)
        losses.append(problem.loss(weights))
    return losses


def _xor_solved(W1: np.ndarray, W2: np.ndarray) -> bool:
    return bool(np.all(np.abs(_xor_outputs(W1, W2) - XOR_D.ravel()) < 0.1))


XOR_SHAPES = [(4, 3), (1, 4)]


def _xor_convergence(student, name: str, budget: int) -> None:
    problem = _epochs_problem(student, name, XOR_SHAPES, XOR_X, XOR_D, ALPHA, _xor_solved, _xor_loss, budget, 250)
    _convergence_check(student, problem, name, XOR_SHAPES, "learn XOR (every output within 0.1 of its target)", name)


@check("backprop_xor", "golden", points=1)
def test_backprop_xor_golden_epoch(student):
    _one_epoch_check(student, "backprop_xor")


@check("backprop_xor", "golden", points=1, hidden=True)
def test_backprop_xor_other_sizes(student):
    """One epoch with 6 samples, 5 inputs and 3 hidden units: nothing may be sized for the lecture's XOR."""
    _two_layer_other_sizes(student, "backprop_xor")


@check("backprop_xor", "golden", points=0.5)
def test_backprop_xor_trajectory(student):
    """50 epochs from seeded weights follow the reference's trajectory."""
    _trajectory_check(student, "backprop_xor", 50)


@check("backprop_xor", "convergence", points=1, timeout=60)
def test_backprop_xor_converges(student):
    """Solves XOR within 2000 epochs from hidden starts (majority of 3; decided after 20 epochs when the
    updates follow the reference's, which solves from each of them)."""
    _xor_convergence(student, "backprop_xor", 2000)


@check("backprop_ce", "golden", points=1)
def test_backprop_ce_golden_epoch(student):
    _one_epoch_check(student, "backprop_ce")


@check("backprop_ce", "golden", points=1, hidden=True)
def test_backprop_ce_other_sizes(student):
    """One epoch with 6 samples, 5 inputs and 3 hidden units: nothing may be sized for the lecture's XOR."""
    _two_layer_other_sizes(student, "backprop_ce")


@check("backprop_ce", "golden", points=0.5)
def test_backprop_ce_trajectory(student):
    _trajectory_check(student, "backprop_ce", 50)


@check("backprop_ce", "convergence", points=1, timeout=60)
def test_backprop_ce_converges(student):
    """Solves XOR within 1000 epochs from hidden starts (majority of 3; decided after 20 epochs when the
    updates follow the reference's)."""
    _xor_convergence(student, "backprop_ce", 1000)


def _training_leaves_data_alone(student, name: str, weights: list[np.ndarray], X: np.ndarray, D: np.ndarray,
                                alpha: float) -> None:
    """The training set is the caller's: an epoch reads X and D and returns new weights. (The weights themselves
    may be updated with `+=`, as the curriculum writes the rule, so they are not checked here.)"""
    weight_names = ", ".join(f"W{i + 1}" for i in range(len(weights)))
    _, after, _ = student.call_returning_args(name, *weights, X.copy(), D.copy(), alpha)
    call = f"{name}({weight_names}, X, D, alpha)"
    assert_unchanged(X, after[len(weights)], what=call, name="X")
    assert_unchanged(D, after[len(weights) + 1], what=call, name="D")
    assert_calls_left_inputs_alone(student, name, {len(weights): "X", len(weights) + 1: "D"}, what=call)


@check("backprop_xor", "mutation", points=0.5)
def test_backprop_xor_leaves_data_alone(student):
    _training_leaves_data_alone(student, "backprop_xor", [_uniform(35, 4, 3), _uniform(36, 1, 4)], XOR_X, XOR_D, ALPHA)


@check("backprop_ce", "mutation", points=0.5)
def test_backprop_ce_leaves_data_alone(student):
    _training_leaves_data_alone(student, "backprop_ce", [_uniform(37, 4, 3), _uniform(38, 1, 4)], XOR_X, XOR_D, ALPHA)


# ---------------------------------------------------------------- deep ReLU network on 5x5 digits
# The five 5x5 digit images of the lecture (1..5), one flattened image per row, and one-hot targets.
DIGITS_D = np.eye(5)
DEEP_SHAPES = [(20, 25), (20, 20), (20, 20), (5, 20)]
DEEP_ALPHA = 0.01


def _deep_start(seed: int) -> list[np.ndarray]:
    rng = hidden_rng(seed)
    return [rng.uniform(-1.0, 1.0, s) for s in DEEP_SHAPES]


def _deep_predict(weights: list[np.ndarray]) -> np.ndarray:
    """Softmax outputs (5, 5) of the trained network on the five digits, computed by the reference."""
    y = DIGITS.T
    for W in weights[:-1]:
        y = ref.relu(W @ y)
    return ref.softmax((weights[-1] @ y).T)


@check("deep_relu", "golden", points=1)
def test_deep_relu_golden_epoch(student):
    """One epoch over the five digits from seeded weights, alpha = 0.01."""
    start = _deep_start(41)
    expected = ref.deep_relu(*start, DIGITS, DIGITS_D, DEEP_ALPHA)
    _assert_weights(student.deep_relu(*start, DIGITS, DIGITS_D, DEEP_ALPHA), expected,
                    "deep_relu(W1, W2, W3, W4, X, D, alpha=0.01), one epoch",
                    variants=_first_samples_variants(ref.deep_relu, start, DIGITS, DIGITS_D, DEEP_ALPHA))


@check("deep_relu", "golden", points=1, hidden=True)
def test_deep_relu_other_sizes(student):
    """One epoch over 7 images with hidden layers of 9, 7 and 6 units: not the lecture's 5 digits and 20 units."""
    rng = hidden_rng(0)
    shapes = [(9, 25), (7, 9), (6, 7), (5, 6)]
    weights = [rng.uniform(-1.0, 1.0, s) for s in shapes]
    X, D = rng.integers(0, 2, (7, 25)).astype(float), np.eye(5)[rng.integers(0, 5, 7)]
    _epoch_on_other_sizes(student, "deep_relu", weights, X, D, DEEP_ALPHA,
                          "X (7, 25), D (7, 5), hidden layers of 9, 7 and 6 units")


@check("deep_relu", "golden", points=0.5)
def test_deep_relu_trajectory(student):
    """20 epochs follow the reference's trajectory."""
    start = _deep_start(42)
    expected = start
    for _ in range(20):
        expected = ref.deep_relu(*expected, DIGITS, DIGITS_D, DEEP_ALPHA)
    run = student.run_driver("repeat_epochs", student.get("deep_relu"), start, DIGITS, DIGITS_D, DEEP_ALPHA, 20)
    _assert_weights(run["weights"], expected, "deep_relu repeated for 20 epochs")


def _deep_loss(*weights: np.ndarray) -> float:
    return float(-np.mean(np.sum(DIGITS_D * np.log(_deep_predict(list(weights)) + 1e-7), axis=1)))


def _digits_solved(*weights: np.ndarray) -> bool:
    probs = _deep_predict(list(weights))
    return bool(np.all(np.argmax(probs, axis=1) == np.arange(5)) and np.min(np.diag(probs)) > 0.9)


@check("deep_relu", "convergence", points=1, timeout=60)
def test_deep_relu_learns_digits(student):
    """Recognises all five digits (p > 0.9 for the right one) within 500 epochs from hidden starts (majority of
    3; decided after 20 epochs when the updates follow the reference's)."""
    problem = _epochs_problem(student, "deep_relu", DEEP_SHAPES, DIGITS, DIGITS_D, DEEP_ALPHA, _digits_solved,
                              _deep_loss, 500, 50)
    _convergence_check(student, problem, "deep_relu", DEEP_SHAPES, "learn the five digits (p > 0.9 for the right one)",
                       "deep_relu")


@check("deep_relu", "mutation", points=0.5)
def test_deep_relu_leaves_data_alone(student):
    _training_leaves_data_alone(student, "deep_relu", _deep_start(43), DIGITS, DIGITS_D, DEEP_ALPHA)


# ---------------------------------------------------------------- dropout_mask
def _mask(student, y: np.ndarray, ratio: float, what: str) -> np.ndarray:
    return as_array(student.dropout_mask(y, ratio), what=what, shape=y.shape)


@check("dropout_mask", "property", points=1.5)
def test_dropout_mask_keeps_exact_count(student):
    """Exactly round(size * (1 - ratio)) entries are kept, drawn without replacement."""
    for shape, ratio in (((10, 20), 0.3), ((7, 9), 0.5), ((50,), 0.2)):
        y = example(np.ones(shape))
        mask = _mask(student, y, ratio, f"dropout_mask(y, {ratio}) for y of shape {shape}")
        kept = int(np.count_nonzero(mask))
        expected = round(y.size * (1 - ratio))
        if kept == round(y.size * ratio) and kept != expected:
            fail(f"dropout_mask(y, {ratio}) kept {kept} of {y.size} entries: that is the number to DROP. "
                 f"Keep round(size * (1 - ratio)) = {expected}.")
        if kept < expected:
            fail(f"dropout_mask(y, {ratio}) kept {kept} of {y.size} entries, expected exactly {expected}: "
                 "the indices were drawn with replacement (duplicates): use np.random.choice(size, k, replace=False)")
        if kept != expected:
            fail(f"dropout_mask(y, {ratio}) kept {kept} of {y.size} entries, expected exactly {expected}")


@check("dropout_mask", "property", points=1)
def test_dropout_mask_values(student):
    """Kept entries equal 1 / (1 - ratio) (inverted dropout), the rest 0."""
    y, ratio = example(np.ones((8, 10))), 0.25
    mask = _mask(student, y, ratio, "dropout_mask(y, 0.25)")
    values = np.unique(np.round(mask, 12))
    if set(values.tolist()) == {0.0, 1.0}:
        fail("dropout_mask(y, 0.25) holds 0s and 1s: the kept entries must be scaled to 1 / (1 - ratio) = 1.3333 "
             "(inverted dropout) so that the expected activation is unchanged")
    expected_values = {0.0, round(1 / (1 - ratio), 12)}
    if set(values.tolist()) != expected_values:
        fail(f"dropout_mask(y, 0.25) holds the values {values[:6].tolist()}: expected only 0 and "
             f"1 / (1 - ratio) = {1 / (1 - ratio):.6g}")


@check("dropout_mask", "property", points=1)
def test_dropout_mask_is_random_and_uniform(student):
    """Different calls drop different entries, and every position is kept about (1 - ratio) of the time."""
    y, ratio, calls = example(np.ones((4, 5))), 0.4, 200
    masks = np.array([as_array(m, what="dropout_mask(y, 0.4)", shape=y.shape) != 0
                      for m in student.call_many("dropout_mask", [(y, ratio)] * calls)])
    if np.all(masks == masks[0]):
        fail(f"dropout_mask(y, 0.4) returned the same mask in all {calls} calls: draw the kept positions at random")
    rate = masks.mean(axis=0)
    # Each position is kept with probability 0.6; over 200 calls its rate has std sqrt(.6*.4/200) = 0.035.
    worst = np.unravel_index(np.argmax(np.abs(rate - (1 - ratio))), rate.shape)
    if abs(rate[worst] - (1 - ratio)) > 6 * np.sqrt(ratio * (1 - ratio) / calls):
        fail(f"over {calls} calls, position {tuple(int(i) for i in worst)} was kept {rate[worst]:.0%} of the time, "
             f"expected about {1 - ratio:.0%}: the kept positions are not drawn uniformly")


@check("dropout_mask", "mutation", points=0.5)
def test_dropout_mask_leaves_input_alone(student):
    y = hidden_rng(51).normal(size=(3, 4, 5))
    result, after, _ = student.call_returning_args("dropout_mask", y, 0.5)
    as_array(result, what="dropout_mask(y, 0.5) for y of shape (3, 4, 5)", shape=y.shape)
    assert_unchanged(y, after[0], what="dropout_mask(y, ratio)")
    assert_calls_left_inputs_alone(student, "dropout_mask", {0: "its input"}, what="dropout_mask(y, ratio)")

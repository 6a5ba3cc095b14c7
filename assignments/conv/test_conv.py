"""Checks of the `conv` assignment: 1-D convolution trained by gradient descent (seed 001), im2col/col2im,
and the Convolution and Pooling layers (seed 002).

"Convolution" means cross-correlation (the kernel is not flipped), as in CURRICULUM.md and every
deep-learning library. Gradients are checked against central differences (grader.gradcheck) with a
random upstream gradient. A caller (Convolution and Pooling use im2col/col2im; conv1d_train uses conv1d,
conv1d_backward and mse_loss) is graded on its own logic: a check that fails with the student's own helpers
is run again with trusted ones swapped in (``student.replaced``, grader/sandbox/trusted.py) and passes if
that passes; when both fail, the message first names the student's helper that fails its own checks.
"""
from __future__ import annotations

import ast
from typing import Any, Callable

import numpy as np
import pytest

from grader import partial
from grader.checks import CheckFailed, check, fail
from grader.compare import as_array, as_scalar, assert_close, assert_scalar_close, assert_unchanged
from grader.errors import StudentError
from grader.gradcheck import check_gradient, layer_gradcheck, numeric_gradient, param_gradcheck
from grader.inputs import example, golden_case, hidden_rng
from grader.untouched import assert_calls_left_inputs_alone
from reference import conv as ref

ASSIGNMENT = "conv"

# The course notes' problem (seed 001).
SEED_X = np.array([1.0, 0.7, 0.5, 0.3, 0.1])
SEED_W = np.array([1.0, 1.0, 1.0])
SEED_B = np.array([0.5])
SEED_T = np.array([1.0, 0.0, 0.0])
SEED_LR, SEED_EPOCHS = 0.11, 200

FLIPPED_1D = ("the kernel is flipped: that is a true convolution (np.convolve); conv1d is a cross-correlation, "
              "y[i] = sum_j x[i + j] * w[j]")
SHORT_1D = "the output has L - K elements: there are L - K + 1 windows (range(len(x) - len(w) + 1))"
SEED_GLOBALS_1D = ("the result is the course notes' W = [1, 1, 1] and B = 0.5 applied to x: the function reads the "
                   "global W/B instead of its parameters w and b")
PER_OUTPUT_SUMS = ("dw[i] = dout[i] * sum(x[i:i+K]): per-output sums in place of the chain rule (the notes' "
                   "gradient_conv); dw[j] = sum_i dout[i] * x[i + j]")
SEED_GRADIENT = ("this is the course notes' gradient [7.48, 6, 2.52]: per-output sums in place of the chain rule "
                 "(dw[j] = sum_i dL/dy[i] * x[i + j]), and the 1/N of the mean dropped (dL/dy = 2 (y - t) / N)")
MEAN_DROPPED = "the 1/N of the mean is dropped: dL/dy = 2 * (y - target) / N for the mean squared error"
UPHILL = "the step goes uphill: use w - lr * dw and b - lr * db"
FIRST_EPOCH = "only the first epoch's update is returned: is `return` inside the epoch loop?"
DB_MEAN_1D = "db is the mean of dout: the bias is added to every output, so db = sum(dout)"
FLIPPED_2D = ("the kernel is flipped (W[:, :, ::-1, ::-1]): that is a true convolution; the layer computes a "
              "cross-correlation, out = sum W[f, c, ky, kx] * x[c, y*s + ky, x*s + kx] + b[f]")
TRANSPOSED_2D = "the kernel is transposed (ky and kx swapped): check the order of W's last two axes"
NO_BIAS = "the bias b is not added"
COLUMNS_KKC = "the columns are ordered (ky, kx, c): they must be ordered (c, ky, kx), channel first"
ROWS_YXN = "the rows are ordered (oy, ox, n): they must be ordered (n, oy, ox), image first"
ROWS_NXY = "the rows are ordered (n, ox, oy): they must be ordered (n, oy, ox), output row first"
PAD_IGNORED = "the padding is ignored: pad H and W with `pad` zeros on each side first"
STRIDE_IGNORED = "the stride is ignored: windows start every `stride` pixels"
PAD_ALL_AXES = ("np.pad(x, pad) pads every axis, the batch and channel axes too: pad only H and W "
                "([(0, 0), (0, 0), (pad, pad), (pad, pad)])")
OVERWRITES = ("overlapping windows overwrite each other: col2im must add (+=) every entry to its pixel, so a pixel "
              "shared by several windows gets their sum")
NOT_CROPPED = "the padding is not cropped: return img[:, :, pad:H + pad, pad:W + pad]"
AVERAGE_POOL = "this is average pooling: Pooling takes the maximum of each window"
AVERAGE_BACKWARD = ("the gradient is spread evenly over each window (average pooling's backward): it must go to the "
                    "window's maximum only")
EVERY_POSITION = "the gradient goes to every position of the window: it must go to the window's maximum only"


# ---------------------------------------------------------------- shared helpers
def _pair(result: Any, what: str, n: int) -> tuple:
    if not isinstance(result, (tuple, list)) or len(result) != n:
        fail(f"{what} should return a tuple of {n} values, got {type(result).__name__}"
             + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else ""))
    return tuple(result)


def _after(call_result: tuple) -> tuple:
    """The positional arguments as the student's code left them, from ``call_returning_args``."""
    return call_result[1]


def _definitions(student, name: str) -> list[ast.AST]:
    """The student's top-level ``def``/``class`` statements called ``name`` (parsed here, never run)."""
    return [n for _, tree in student.loaded.statement_trees() for n in tree.body
            if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name]


def _mentions(student, owner: str, helper: str) -> bool:
    """Does any of the student's definitions of ``owner`` (a subclass may redefine it) use the name ``helper``?"""
    return any(isinstance(n, ast.Name) and n.id == helper
               for node in _definitions(student, owner) for n in ast.walk(node))


def _passes(probe: Callable[[], None]) -> bool:
    try:
        probe()
    except (CheckFailed, StudentError):
        return False
    return True


def _helper_hint(student, caller: str, helpers: tuple[str, ...]) -> str:
    """"Convolution uses your im2col, which fails its own checks: fix im2col first." (or "")."""
    for helper in helpers:
        if _mentions(student, caller, helper) and student.has(helper) and not _passes(lambda: HELPER_PROBES[helper](student)):
            return f"{caller} uses your {helper}, which fails its own checks: fix {helper} first."
    return ""


def graded_alone(student, caller: str, helpers: tuple[str, ...], body: Callable[[], None]) -> None:
    """Grade ``caller`` on its own logic (grader.partial.graded_alone); if it fails even with trusted
    helpers, say first which of the student's helpers it uses fails its own checks."""
    partial.graded_alone(student, helpers, body, hint=lambda: _helper_hint(student, caller, helpers))


def _golden(name: str):
    return golden_case(ASSIGNMENT, name)  # in the twin run, a keyed case of the same kind


def _fresh(seed: int, *shape: int) -> np.ndarray:
    return hidden_rng(seed).standard_normal(shape)


# ---------------------------------------------------------------- conv1d
def _conv1d_variants(x: np.ndarray, w: np.ndarray, b: Any) -> dict[str, np.ndarray]:
    y = ref.conv1d(x, w, b)
    variants = {FLIPPED_1D: ref.conv1d(x, w[::-1], b), SHORT_1D: y[:-1]}
    if len(w) == len(SEED_W):
        variants[SEED_GLOBALS_1D] = ref.conv1d(x, SEED_W, SEED_B)
    return variants


def _assert_conv1d(student, x: np.ndarray, w: np.ndarray, b: Any, what: str) -> None:
    expected = ref.conv1d(x, w, b)
    assert_close(student.conv1d(x, w, b), expected, what=what, variants=_conv1d_variants(x, w, b),
                 inputs={"x": x, "w": w, "b": b})


@check("conv1d", "golden", points=1)
def test_conv1d_golden_seed(student, golden):
    """The notes' example: conv1d([1, 0.7, 0.5, 0.3, 0.1], [1, 1, 1], 0.5) = [2.7, 2.0, 1.4]."""
    case = golden("conv1d/seed")
    x, w, b = (case.inputs[k] for k in ("x", "w", "b"))
    assert_close(student.conv1d(x, w, b), case.outputs["y"], what="conv1d(x, w, b) on the notes' example",
                 variants=_conv1d_variants(x, w, b))


@check("conv1d", "golden", points=1.5, hidden=True)
def test_conv1d_golden_fresh(student, golden):
    """Other lengths and weights than the notes' (code that reads the global W or hard-codes 3 fails)."""
    case = golden("conv1d/random")
    x, w, b = (case.inputs[k] for k in ("x", "w", "b"))
    assert_close(student.conv1d(x, w, b), case.outputs["y"], what=f"conv1d(x, w, b) with x ({len(x)},), w ({len(w)},)",
                 variants=_conv1d_variants(x, w, b), inputs={"x": x, "w": w, "b": b})
    rng = hidden_rng(101)
    _assert_conv1d(student, rng.standard_normal(7), rng.standard_normal(3), float(rng.standard_normal()),
                   "conv1d(x, w, b) with x (7,), w (3,) and a float b")


@check("conv1d", "shape", points=0.5)
def test_conv1d_output_lengths(student):
    """L - K + 1 outputs, from K = 1 up to K = L."""
    rng = hidden_rng(102)
    for L, K in ((6, 1), (6, 6), (8, 5)):
        _assert_conv1d(student, rng.standard_normal(L), rng.standard_normal(K), np.array([rng.standard_normal()]),
                       f"conv1d(x, w, b) with x ({L},), w ({K},)")


@check("conv1d", "static", points=0.5)
def test_conv1d_uses_its_parameters(student):
    """conv1d reads no module-level data variable (the notes' forward reads the global W).

    Only for a conv1d that runs: an unfinished one earns nothing here either.
    """
    as_array(student.conv1d(SEED_X, SEED_W, SEED_B), "conv1d(x, w, b) on the notes' example", allow_scalar=False)
    reads = [g for g in student.loaded.global_reads if g.function == "conv1d"]
    if reads:
        first = reads[0]
        names = ", ".join(sorted({g.name for g in reads}))
        fail(f"conv1d reads the module-level variable(s) {names} (first at line {first.lineno}"
             + (f", cell {first.cell}" if first.cell else "") + ") instead of its parameters x, w, b: it works "
             "only while those globals happen to hold the right values. Use the arguments it is given.")


@check("conv1d", "mutation", points=0.5)
def test_conv1d_leaves_inputs_alone(student):
    x, w = _fresh(103, 7), _fresh(104, 3)
    after = _after(student.call_returning_args("conv1d", x, w, np.array([0.3])))
    assert_unchanged(x, after[0], what="conv1d(x, w, b)", name="its input x")
    assert_unchanged(w, after[1], what="conv1d(x, w, b)", name="its input w")
    assert_calls_left_inputs_alone(student, "conv1d", {0: "its input x", 1: "its input w"}, what="conv1d(x, w, b)")


# ---------------------------------------------------------------- mse_loss
def _mse_variants(pred: np.ndarray, target: np.ndarray) -> dict[str, float]:
    d = pred - target
    return {"the squared errors are summed: the mean squared error divides by their number": float(np.sum(d * d)),
            "half the mean: mean((pred - target)**2) has no 0.5": 0.5 * float(np.mean(d * d)),
            "the square root is taken (RMSE): return the mean of the squares itself": float(np.sqrt(np.mean(d * d))),
            "the errors are not squared: mean((pred - target)**2)": float(np.mean(d))}


@check("mse_loss", "golden", points=1)
def test_mse_loss_golden_seed(student, golden):
    """The notes' loss: mse_loss([2.7, 2.0, 1.4], [1, 0, 0]) = 2.95."""
    case = golden("mse_loss/seed")
    pred, target = case.inputs["pred"], case.inputs["target"]
    assert_scalar_close(student.mse_loss(pred, target), case.outputs["loss"], what="mse_loss(pred, target) on the notes' example",
                        variants=_mse_variants(pred, target))


@check("mse_loss", "golden", points=1, hidden=True)
def test_mse_loss_golden_fresh(student, golden):
    """Six outputs, and a (3, 4) array (the mean runs over every element)."""
    case = golden("mse_loss/random")
    pred, target = case.inputs["pred"], case.inputs["target"]
    assert_scalar_close(student.mse_loss(pred, target), case.outputs["loss"], what="mse_loss(pred, target) for 6 outputs",
                        variants=_mse_variants(pred, target))
    pred, target = _fresh(111, 3, 4), _fresh(112, 3, 4)
    assert_scalar_close(student.mse_loss(pred, target), ref.mse_loss(pred, target),
                        what="mse_loss(pred, target) for (3, 4) arrays", variants=_mse_variants(pred, target))


@check("mse_loss", "mutation", points=0.5)
def test_mse_loss_leaves_inputs_alone(student):
    pred, target = _fresh(113, 5), _fresh(114, 5)
    after = _after(student.call_returning_args("mse_loss", pred, target))
    assert_unchanged(pred, after[0], what="mse_loss(pred, target)", name="its input pred")
    assert_unchanged(target, after[1], what="mse_loss(pred, target)", name="its input target")
    assert_calls_left_inputs_alone(student, "mse_loss", {0: "its input pred", 1: "its input target"},
                                   what="mse_loss(pred, target)")


# ---------------------------------------------------------------- conv1d_backward
def _per_output_sums(x: np.ndarray, K: int) -> np.ndarray:
    return np.array([np.sum(x[i:i + K]) for i in range(len(x) - K + 1)])


CONV1D_GRADS = ("dx", "dw", "db")
"""Fair parts: dx, dw and db of conv1d_backward are credited by checks of their own (a wrong db costs only db's share)."""


def _backward_parts(student, x, w, dout, what) -> tuple[np.ndarray, np.ndarray, float]:
    dx, dw, db = _pair(student.conv1d_backward(x, w, dout), what, 3)
    return (as_array(dx, f"{what}: dx"), as_array(dw, f"{what}: dw"), as_scalar(db, f"{what}: db"))


def _backward_part(student, x, w, dout, what: str, part: str) -> Any:
    """One of conv1d_backward's results (``part``: dx, dw or db), converted; the others are not looked at."""
    value = _pair(student.conv1d_backward(x, w, dout), what, 3)[CONV1D_GRADS.index(part)]
    return as_scalar(value, f"{what}: db") if part == "db" else as_array(value, f"{what}: {part}")


def _assert_conv1d_backward(student, x, w, dout, what: str, part: str | None = None) -> None:
    """dx, dw and db against the reference (``part``: only that one)."""
    e_dx, e_dw, e_db = ref.conv1d_backward(x, w, dout)
    if part is None:
        dx, dw, db = _backward_parts(student, x, w, dout, what)
    else:
        dx = dw = db = _backward_part(student, x, w, dout, what, part)
    if part in (None, "dw"):
        dw_variants = {"dw has the wrong sign": -e_dw}
        if len(w) == len(dout):  # the notes' per-output sums only fit when K == L - K + 1
            dw_variants[PER_OUTPUT_SUMS] = dout * _per_output_sums(x, len(w))
        assert_close(dw, e_dw, what=f"{what}: dw", variants=dw_variants, inputs={"x": x, "w": w, "dout": dout})
    if part in (None, "db"):
        assert_scalar_close(db, e_db, what=f"{what}: db",
                            variants={DB_MEAN_1D: float(np.mean(dout)), "db has the wrong sign": -e_db})
    if part in (None, "dx"):
        assert_close(dx, e_dx, what=f"{what}: dx",
                     variants={"dx has the wrong sign": -e_dx,
                               "dx uses the kernel flipped: dx[m] = sum_i dout[i] * w[m - i]":
                                   ref.conv1d_backward(x, w[::-1], dout)[0]})


@check("conv1d_backward", "golden", points=1.5)
@pytest.mark.parametrize("part", CONV1D_GRADS)
def test_conv1d_backward_golden_seed(student, golden, part):
    """The notes' example with dout = dL/dy of the MSE: dw = [2.5333333, 1.74, 1.06], db = 3.4."""
    case = golden("conv1d_backward/seed")
    _assert_conv1d_backward(student, case.inputs["x"], case.inputs["w"], case.inputs["dout"],
                            "conv1d_backward(x, w, dout) on the notes' example", part)


@check("conv1d_backward", "golden", points=1.5, hidden=True)
@pytest.mark.parametrize("part", CONV1D_GRADS)
def test_conv1d_backward_golden_fresh(student, golden, part):
    """x (9,), w (4,): other shapes than the notes'."""
    case = golden("conv1d_backward/random")
    _assert_conv1d_backward(student, case.inputs["x"], case.inputs["w"], case.inputs["dout"],
                            "conv1d_backward(x, w, dout) with x (9,), w (4,)", part)


@check("conv1d_backward", "gradcheck", points=1.5)
@pytest.mark.parametrize("part", CONV1D_GRADS)
def test_conv1d_backward_gradcheck(student, part):
    """dx, dw, db against central differences of sum(conv1d(x, w, b) * dout), random dout.

    The forward differentiated is the reference's conv1d (run in the judge), so a broken conv1d costs
    only conv1d's own checks.
    """
    rng = hidden_rng(121)
    x, w, dout = rng.standard_normal(8), rng.standard_normal(3), rng.standard_normal(6)
    what = "conv1d_backward(x, w, dout)"
    got = _backward_part(student, x, w, dout, what, part)
    if part == "dw":
        check_gradient(got, lambda v: np.sum(ref.conv1d(x, v, 0.0) * dout), w, what=f"{what}: dw", rng=rng)
    elif part == "db":
        check_gradient(np.array([got]), lambda v: np.sum(ref.conv1d(x, w, v) * dout), np.zeros(1),
                       what=f"{what}: db", rng=rng, batch_size=len(dout))
    else:
        check_gradient(got, lambda v: np.sum(ref.conv1d(v, w, 0.0) * dout), x, what=f"{what}: dx", rng=rng)


@check("conv1d_backward", "mutation", points=1)
def test_conv1d_backward_leaves_inputs_alone(student):
    x, w, dout = _fresh(122, 7), _fresh(123, 3), _fresh(124, 5)
    after = _after(student.call_returning_args("conv1d_backward", x, w, dout))
    for i, (name, value) in enumerate((("x", x), ("w", w), ("dout", dout))):
        assert_unchanged(value, after[i], what="conv1d_backward(x, w, dout)", name=f"its input {name}")
    assert_calls_left_inputs_alone(student, "conv1d_backward", {0: "its input x", 1: "its input w", 2: "its input dout"},
                                   what="conv1d_backward(x, w, dout)")


# ---------------------------------------------------------------- conv1d_train
TRAIN_HELPERS = ("conv1d", "conv1d_backward", "mse_loss")


def _train(student, x, w, b, target, lr, epochs, what) -> tuple[np.ndarray, float]:
    w_new, b_new = _pair(student.conv1d_train(x, w, b, target, lr, epochs), what, 2)
    return as_array(w_new, f"{what}: w", shape=w.shape), as_scalar(b_new, f"{what}: b")


def _seed_gradient(x, w, b, target) -> tuple[np.ndarray, float]:
    """The notes' (wrong) gradient: per-output sums times 2 (y - t), without the 1/N."""
    dy = 2.0 * (ref.conv1d(x, w, b) - target)
    return dy * _per_output_sums(x, len(w)), float(np.sum(dy))


def _buggy_train(step: Callable, x, w, b, target, lr, epochs) -> tuple[np.ndarray, float]:
    w, b = np.array(w, dtype=float), float(np.asarray(b).reshape(-1)[0])
    for _ in range(epochs):
        dw, db = step(x, w, b, target)
        w, b = w - lr * dw, b - lr * db
    return w, b


def _true_gradient(x, w, b, target) -> tuple[np.ndarray, float]:
    y = ref.conv1d(x, w, b)
    _, dw, db = ref.conv1d_backward(x, w, 2.0 * (y - target) / y.size)
    return dw, db


def _train_variants(x, w, b, target, lr, epochs) -> dict[str, tuple[np.ndarray, float]]:
    N = len(target)
    variants = {FIRST_EPOCH: ref.conv1d_train(x, w, b, target, lr, 1),
                UPHILL: _buggy_train(lambda *a: tuple(-g for g in _true_gradient(*a)), x, w, b, target, lr, epochs),
                MEAN_DROPPED: _buggy_train(lambda *a: tuple(N * g for g in _true_gradient(*a)), x, w, b, target, lr, epochs)}
    if len(w) == N:
        variants[SEED_GRADIENT] = _buggy_train(_seed_gradient, x, w, b, target, lr, epochs)
    return {cause: (np.asarray(vw, float), float(np.asarray(vb).reshape(-1)[0])) for cause, (vw, vb) in variants.items()}


def _assert_trained(student, case_inputs: dict, expected: dict, what: str) -> None:
    x, w, b, target, lr, epochs = (case_inputs[k] for k in ("x", "w", "b", "target", "lr", "epochs"))
    got_w, got_b = _train(student, x, w, b, target, lr, epochs, what)
    variants = _train_variants(x, w, b, target, lr, epochs)
    e_b = float(np.asarray(expected["b"]).reshape(-1)[0])
    for cause, (vw, vb) in variants.items():  # name a known bug from both parameters at once
        if np.allclose(got_w, vw, rtol=1e-5, atol=1e-9) and np.isclose(got_b, vb, rtol=1e-5, atol=1e-9) \
                and not np.allclose(vw, expected["w"], rtol=1e-6, atol=1e-9):
            assert_close(got_w, expected["w"], what=f"{what}: w", rtol=1e-6, variants={cause: vw})
    assert_close(got_w, expected["w"], what=f"{what}: w", rtol=1e-6, variants={c: v[0] for c, v in variants.items()})
    assert_scalar_close(got_b, e_b, what=f"{what}: b", rtol=1e-6, variants={c: v[1] for c, v in variants.items()})


@check("conv1d_train", "golden", points=1.5)
def test_conv1d_train_golden_seed(student, golden):
    """The notes' training run: lr = 0.11, 200 epochs, from w = [1, 1, 1], b = 0.5."""
    case = golden("conv1d_train/seed")
    graded_alone(student, "conv1d_train", TRAIN_HELPERS, lambda: _assert_trained(
        student, case.inputs, case.outputs, "conv1d_train(x, w, b, target, lr=0.11, epochs=200)"))


@check("conv1d_train", "golden", points=1, hidden=True)
def test_conv1d_train_golden_fresh(student, golden):
    """x (9,), w (4,), lr = 0.05, 30 epochs."""
    case = golden("conv1d_train/random")

    def body() -> None:
        _assert_trained(student, case.inputs, case.outputs, "conv1d_train(x, w, b, target, lr=0.05, epochs=30)")

    graded_alone(student, "conv1d_train", TRAIN_HELPERS, body)


@check("conv1d_train", "gradcheck", points=1.5)
def test_conv1d_train_gradient(student):
    """The gradient one epoch applies, (w0 - w1) / lr, against central differences of the MSE (notes' problem).

    The loss differentiated is the reference's mse_loss(conv1d(x, w, b), target), in the judge.
    """
    what = "the gradient of one conv1d_train epoch, (w_before - w_after) / lr, on the notes' problem"
    x, w, b, t = _seed_problem()
    true_dw, true_db = _true_gradient(x, w, b, t)
    seed_dw, seed_db = _seed_gradient(x, w, b, t)
    N = len(t)
    dw_variants = {SEED_GRADIENT: seed_dw, MEAN_DROPPED: N * true_dw, PER_OUTPUT_SUMS: seed_dw / N,
                   "the gradient has the wrong sign: " + UPHILL: -true_dw}
    db_variants = {SEED_GRADIENT: np.array([seed_db]), MEAN_DROPPED: np.array([N * true_db]),
                   "the gradient has the wrong sign": np.array([-true_db])}

    def body() -> None:
        w1, b1 = _train(student, x, w, b, t, SEED_LR, 1, "conv1d_train(..., epochs=1)")
        dw, db = (w - w1) / SEED_LR, (float(b[0]) - b1) / SEED_LR
        check_gradient_or_named(dw, lambda v: ref.mse_loss(ref.conv1d(x, v, b), t), w,
                                what=f"{what}: dw", variants=dw_variants)
        check_gradient_or_named(np.array([db]), lambda v: ref.mse_loss(ref.conv1d(x, w, v), t),
                                b.copy(), what=f"{what}: db", variants=db_variants)

    graded_alone(student, "conv1d_train", TRAIN_HELPERS, body)


def check_gradient_or_named(analytic: np.ndarray, f: Callable, x: np.ndarray, *, what: str,
                            variants: dict[str, np.ndarray]) -> None:
    """check_gradient, but a gradient that is a known wrong one is named with its cause first."""
    for cause, value in variants.items():
        if np.allclose(analytic, value, rtol=1e-5, atol=1e-9):
            assert_close(analytic, numeric_gradient(f, x), what=what, rtol=1e-5, variants={cause: value})
    check_gradient(analytic, f, x, what=what, rng=hidden_rng(131))


def _seed_problem() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The notes' x, w, b, target (seed 001); in the twin run, keyed values of the same sizes and ranges."""
    return (example(SEED_X, low=0.0, high=1.0), example(SEED_W, low=0.5, high=1.5), example(SEED_B, low=0.0, high=1.0),
            example(SEED_T, low=0.0, high=1.0))


def _seed_losses(student, epochs: tuple[int, ...], problem: tuple = (SEED_X, SEED_W, SEED_B, SEED_T)) -> list[float]:
    """The MSE on the notes' problem (or ``problem``) after each number of epochs, recomputed here from the
    returned w, b."""
    x, w0, b0, t = problem
    losses = []
    for n in epochs:
        w, b = _train(student, x, w0, b0, t, SEED_LR, n, f"conv1d_train(..., epochs={n})")
        losses.append(ref.mse_loss(ref.conv1d(x, w, b), t))
    return losses


@check("conv1d_train", "convergence", points=1, timeout=30)
def test_conv1d_train_lowers_the_loss(student):
    """On the notes' problem the loss falls epoch after epoch and ends at most 1 % above the reference's
    after 200 epochs (the loss is recomputed here from the returned w, b)."""
    epochs = (1, 5, 20, 50, 200)
    x, w, b, t = problem = _seed_problem()
    reference = [ref.mse_loss(ref.conv1d(x, *ref.conv1d_train(x, w, b, t, SEED_LR, n)), t) for n in epochs]
    start = ref.mse_loss(ref.conv1d(x, w, b), t)

    def body() -> None:
        curve = _seed_losses(student, epochs, problem)
        losses = [start, *curve]
        details = {"type": "curves", "label": "MSE", "x_label": "epochs " + ", ".join(map(str, epochs)),
                   "student": curve, "reference": reference}
        if not all(b < a for a, b in zip(losses, losses[1:])):
            stuck = len(set(np.round(curve, 12))) == 1
            fail(f"conv1d_train does not keep lowering the loss: after {', '.join(map(str, epochs))} epochs it is "
                 f"{', '.join(f'{v:.4g}' for v in curve)} (start {start:.4g})."
                 + (f" Likely cause: {FIRST_EPOCH}" if stuck else ""), **details)
        if curve[-1] > reference[-1] * 1.01 + 1e-12:
            fail(f"after 200 epochs the loss is {curve[-1]:.4g}; the reference reaches {reference[-1]:.4g}", **details)

    graded_alone(student, "conv1d_train", TRAIN_HELPERS, body)


@check("conv1d_train", "mutation", points=0.5)
def test_conv1d_train_leaves_inputs_alone(student):
    """Returns new w, b; the arrays passed in keep their values (no w -= lr * dw on the caller's array)."""
    x, w, b, target = _fresh(141, 6), _fresh(142, 3), np.array([0.2]), _fresh(143, 4)

    def body() -> None:
        after = _after(student.call_returning_args("conv1d_train", x, w, b, target, 0.05, 3))
        for i, (name, value) in enumerate((("x", x), ("w", w), ("b", b), ("target", target))):
            assert_unchanged(value, after[i], what="conv1d_train(x, w, b, target, lr, epochs)",
                             name=f"its input {name}",
                             hint="work on copies (w = w - lr * dw builds a new array; w -= lr * dw changes the caller's)")

    graded_alone(student, "conv1d_train", TRAIN_HELPERS, body)


# ---------------------------------------------------------------- im2col
def _im2col_variants(x: np.ndarray, fh: int, fw: int, stride: int, pad: int) -> dict[str, np.ndarray]:
    N, C, H, W = x.shape
    col = ref.im2col(x, fh, fw, stride, pad)
    rows, K = col.shape
    oh, ow = (H + 2 * pad - fh) // stride + 1, (W + 2 * pad - fw) // stride + 1
    variants = {COLUMNS_KKC: col.reshape(rows, C, fh, fw).transpose(0, 2, 3, 1).reshape(rows, K),
                ROWS_YXN: col.reshape(N, oh, ow, K).transpose(1, 2, 0, 3).reshape(rows, K),
                ROWS_NXY: col.reshape(N, oh, ow, K).transpose(0, 2, 1, 3).reshape(rows, K)}
    if pad:
        variants[PAD_IGNORED] = ref.im2col(x, fh, fw, stride, 0)
        variants[PAD_ALL_AXES] = ref.im2col(np.pad(x, pad), fh, fw, stride, 0)
    if stride > 1:
        variants[STRIDE_IGNORED] = ref.im2col(x, fh, fw, 1, pad)
    return {cause: v for cause, v in variants.items() if not np.array_equal(v, col)}


def _im2col_args(inputs: dict) -> tuple:
    return tuple(inputs[k] for k in ("x", "filter_h", "filter_w", "stride", "pad"))


def _assert_im2col(student, x, fh, fw, stride, pad) -> None:
    assert_close(student.im2col(x, fh, fw, stride, pad), ref.im2col(x, fh, fw, stride, pad),
                 what=f"im2col(x, {fh}, {fw}, stride={stride}, pad={pad}) for x of shape {x.shape}",
                 variants=_im2col_variants(x, fh, fw, stride, pad))


def _probe_im2col(student) -> None:
    for name in ("im2col/basic", "im2col/stride_pad"):
        _assert_im2col(student, *_im2col_args(_golden(name).inputs))


@check("im2col", "golden", points=1.5)
def test_im2col_golden_basic(student, golden):
    """3x3 windows, stride 1, no padding: overlapping windows, 3 channels."""
    _assert_im2col(student, *_im2col_args(golden("im2col/basic").inputs))


@check("im2col", "golden", points=1.5)
def test_im2col_golden_stride_pad(student, golden):
    """3x2 windows, stride 2, padding 1."""
    _assert_im2col(student, *_im2col_args(golden("im2col/stride_pad").inputs))


@check("im2col", "golden", points=1.5, hidden=True)
def test_im2col_golden_fresh(student):
    """2x3 windows with stride 3 and padding 2 (gaps between windows), and 1x1 windows."""
    _assert_im2col(student, _fresh(151, 1, 2, 7, 5), 2, 3, 3, 2)
    _assert_im2col(student, _fresh(152, 3, 2, 3, 4), 1, 1, 1, 0)


@check("im2col", "mutation", points=0.5)
def test_im2col_leaves_input_alone(student):
    x = _fresh(153, 2, 2, 4, 4)
    after = _after(student.call_returning_args("im2col", x, 3, 3, 1, 1))
    assert_unchanged(x, after[0], what="im2col(input_data, 3, 3, 1, 1)", name="its input input_data")
    assert_calls_left_inputs_alone(student, "im2col", {0: "its input input_data"}, what="im2col(input_data, ...)")


# ---------------------------------------------------------------- col2im
def _col2im_overwrite_slices(c, shape, fh, fw, stride, pad) -> np.ndarray:
    """The textbook loop with `=` in place of `+=`: the last filter offset (ky, kx) wins."""
    N, C, H, W = shape
    oh, ow = (H + 2 * pad - fh) // stride + 1, (W + 2 * pad - fw) // stride + 1
    col = c.reshape(N, oh, ow, C, fh, fw).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))
    for ky in range(fh):
        for kx in range(fw):
            img[:, :, ky:ky + stride * oh:stride, kx:kx + stride * ow:stride] = col[:, :, ky, kx]
    return img[:, :, pad:H + pad, pad:W + pad]


def _col2im_overwrite_windows(c, shape, fh, fw, stride, pad) -> np.ndarray:
    """A loop over output positions assigning whole windows: the last window wins."""
    N, C, H, W = shape
    oh, ow = (H + 2 * pad - fh) // stride + 1, (W + 2 * pad - fw) // stride + 1
    col = c.reshape(N, oh, ow, C, fh, fw)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for oy in range(oh):
        for ox in range(ow):
            img[:, :, oy * stride:oy * stride + fh, ox * stride:ox * stride + fw] = col[:, oy, ox]
    return img[:, :, pad:H + pad, pad:W + pad]


def _col2im_variants(c, shape, fh, fw, stride, pad) -> dict[str, np.ndarray]:
    N, C, H, W = shape
    rows = c.shape[0]
    variants = {OVERWRITES + " (the last filter offset wins)": _col2im_overwrite_slices(c, shape, fh, fw, stride, pad),
                OVERWRITES + " (the last window wins)": _col2im_overwrite_windows(c, shape, fh, fw, stride, pad),
                COLUMNS_KKC: ref.col2im(c.reshape(rows, fh, fw, C).transpose(0, 3, 1, 2).reshape(rows, -1), shape,
                                        fh, fw, stride, pad)}
    if pad:
        variants[NOT_CROPPED] = ref.col2im(c, (N, C, H + 2 * pad, W + 2 * pad), fh, fw, stride, 0)
    expected = ref.col2im(c, shape, fh, fw, stride, pad)
    return {cause: v for cause, v in variants.items() if not (v.shape == expected.shape and np.allclose(v, expected))}


def _assert_col2im(student, c, shape, fh, fw, stride, pad, expected=None) -> None:
    expected = ref.col2im(c, shape, fh, fw, stride, pad) if expected is None else expected
    assert_close(student.col2im(c, shape, fh, fw, stride, pad), expected,
                 what=f"col2im(col, {shape}, {fh}, {fw}, stride={stride}, pad={pad})",
                 variants=_col2im_variants(c, shape, fh, fw, stride, pad))


def _store_col2im(student, name: str) -> None:
    case = _golden(name)
    x, fh, fw, stride, pad = _im2col_args(case.inputs)
    _assert_col2im(student, case.inputs["c"], tuple(x.shape), fh, fw, stride, pad, case.outputs["img"])


def _probe_col2im(student) -> None:
    for name in ("col2im/basic", "col2im/stride_pad"):
        _store_col2im(student, name)


@check("col2im", "golden", points=1.5)
def test_col2im_golden_basic(student):
    """3x3 windows, stride 1: every inner pixel lies in up to 9 windows, and gets their sum."""
    _store_col2im(student, "col2im/basic")


@check("col2im", "golden", points=1)
def test_col2im_golden_stride_pad(student):
    """3x2 windows, stride 2, padding 1: what falls on the padding is dropped."""
    _store_col2im(student, "col2im/stride_pad")


@check("col2im", "property", points=1.5)
def test_col2im_is_the_adjoint_of_im2col(student):
    """<im2col(x), c> == <x, col2im(c)> for random x and c (im2col computed here, by the reference)."""
    rng = hidden_rng(161)
    for shape, fh, fw, stride, pad in (((2, 2, 5, 6), 3, 3, 1, 1), ((1, 3, 7, 7), 2, 2, 3, 1), ((2, 1, 6, 4), 4, 2, 1, 2)):
        x = rng.standard_normal(shape)
        col = ref.im2col(x, fh, fw, stride, pad)
        c = rng.standard_normal(col.shape)
        what = f"col2im(c, {shape}, {fh}, {fw}, stride={stride}, pad={pad})"
        img = as_array(student.col2im(c, shape, fh, fw, stride, pad), what, shape=shape)
        lhs, rhs = float(np.sum(col * c)), float(np.sum(x * img))
        if not np.isclose(lhs, rhs, rtol=1e-9, atol=1e-9):
            cause = next((k for k, v in _col2im_variants(c, shape, fh, fw, stride, pad).items()
                          if v.shape == img.shape and np.allclose(v, img)), None)
            fail(f"{what} is not the adjoint of im2col: for random x and c, <im2col(x), c> = {lhs:.6g} but "
                 f"<x, col2im(c)> = {rhs:.6g}." + (f" Likely cause: {cause}." if cause else
                                                   " Every entry of c must be added to the pixel im2col copied it from."),
                 type="scalars", rows=[{"name": "<x, col2im(c)>", "expected": f"{lhs:.10g}", "got": f"{rhs:.10g}"}])


@check("col2im", "mutation", points=0.5)
def test_col2im_leaves_input_alone(student):
    c = _fresh(162, 8, 18)
    after = _after(student.call_returning_args("col2im", c, (2, 2, 4, 4), 3, 3, 1, 0))
    assert_unchanged(c, after[0], what="col2im(col, input_shape, 3, 3)", name="its input col")
    assert_calls_left_inputs_alone(student, "col2im", {0: "its input col"}, what="col2im(col, input_shape, ...)")


HELPER_PROBES: dict[str, Callable[[Any], None]] = {
    "im2col": _probe_im2col,
    "col2im": _probe_col2im,
    "conv1d": lambda s: _assert_conv1d(s, *(_golden("conv1d/random").inputs[k] for k in ("x", "w", "b")), "conv1d"),
    "conv1d_backward": lambda s: _assert_conv1d_backward(
        s, *(_golden("conv1d_backward/seed").inputs[k] for k in ("x", "w", "dout")), "conv1d_backward"),
    "mse_loss": lambda s: assert_scalar_close(s.mse_loss(*(_golden("mse_loss/random").inputs[k] for k in ("pred", "target"))),
                                              _golden("mse_loss/random").outputs["loss"], what="mse_loss"),
}


# ---------------------------------------------------------------- layers: shared
LAYER_HELPERS = ("im2col", "col2im")


def _layer_mutation(student, layer, x: np.ndarray, dout_seed: int, what: str) -> None:
    """forward/backward leave x and dout alone; a second backward(dout) gives the same dx."""
    x_handle = student.put(x.copy())
    out = as_array(layer.forward(x_handle), f"{what}.forward(x)", allow_scalar=False)
    dout = hidden_rng(dout_seed).standard_normal(out.shape)
    dout_handle = student.put(dout.copy())
    dx1 = as_array(layer.backward(dout_handle), f"{what}.backward(dout)", shape=x.shape)
    dx2 = layer.backward(dout_handle)
    assert_unchanged(x, x_handle.value(), what=f"{what}.forward(x)", name="its input x")
    assert_unchanged(dout, dout_handle.value(), what=f"{what}.backward(dout)", name="its input dout",
                     hint="build new arrays instead of writing into dout (e.g. dout[...] = 0 or dout *= ...)")
    assert_close(dx2, dx1, what=f"{what}.backward(dout) called a second time, against the first call",
                 rtol=1e-12, atol=1e-12,
                 variants={"backward changes what forward cached (or keeps state between calls): the same dout "
                           "must give the same dx every time": 2 * dx1})
    # every call so far, of every check, also compared its arguments (objects put here as well): none is "watched"
    assert_calls_left_inputs_alone(student, f"{what}.forward", {0: "its input x", "x": "its input x"},
                                   what=f"{what}.forward(x)")
    assert_calls_left_inputs_alone(student, f"{what}.backward", {0: "its input dout", "dout": "its input dout"},
                                   what=f"{what}.backward(dout)",
                                   hint="build new arrays instead of writing into dout (e.g. dout[...] = 0 or dout *= ...)")
    x_handle.release()
    dout_handle.release()


# ---------------------------------------------------------------- Convolution
def _direct_convolution(x: np.ndarray, W: np.ndarray, b: np.ndarray, stride: int, pad: int) -> np.ndarray:
    """The definition, with nested loops: out[n, f, oy, ox] = sum(W[f] * window) + b[f]."""
    N, _, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    oh, ow = (H + 2 * pad - FH) // stride + 1, (Wd + 2 * pad - FW) // stride + 1
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    out = np.zeros((N, FN, oh, ow))
    for n in range(N):
        for f in range(FN):
            for oy in range(oh):
                for ox in range(ow):
                    window = xp[n, :, oy * stride:oy * stride + FH, ox * stride:ox * stride + FW]
                    out[n, f, oy, ox] = np.sum(window * W[f]) + b[f]
    return out


def _conv_forward_variants(x, W, b, stride, pad) -> dict[str, np.ndarray]:
    variants = {FLIPPED_2D: _direct_convolution(x, W[:, :, ::-1, ::-1], b, stride, pad),
                NO_BIAS: _direct_convolution(x, W, np.zeros_like(b), stride, pad)}
    if W.shape[2] == W.shape[3]:
        variants[TRANSPOSED_2D] = _direct_convolution(x, W.transpose(0, 1, 3, 2), b, stride, pad)
    return variants


def _conv_case(inputs: dict) -> tuple:
    return tuple(inputs[k] for k in ("x", "W", "b", "stride", "pad"))


@check("Convolution", "golden", points=1.5)
def test_convolution_golden_forward(student, golden):
    """forward on the store's cases: 3x3 filters; 3x2 filters with stride 2 and padding 1."""

    def body() -> None:
        for name in ("Convolution/basic", "Convolution/stride_pad"):
            x, W, b, stride, pad = _conv_case(golden(name).inputs)
            layer = student.Convolution(W, b, stride, pad)
            assert_close(layer.forward(x), golden(name).outputs["out"],
                         what=f"Convolution(W {W.shape}, stride={stride}, pad={pad}).forward(x {x.shape})",
                         variants=_conv_forward_variants(x, W, b, stride, pad))

    graded_alone(student, "Convolution", LAYER_HELPERS, body)


CONV_GRADS = ("dx", "dW", "db")
"""Fair parts: dx, dW and db of Convolution.backward are credited by checks of their own (a wrong db costs only db's
share; forward is credited by its own checks)."""


def _conv_backward_part(layer: Any, dout: np.ndarray, expected: dict[str, np.ndarray], what: str, part: str) -> None:
    """``part`` (dx, dW or db) of a student layer whose forward has run, after backward(dout), against ``expected``."""
    N, _, oh, ow = dout.shape
    dx = layer.backward(dout)
    if part == "db":
        assert_close(layer.db, expected["db"], what=f"{what}: db", batch_size=N * oh * ow,
                     variants={"db sums over the batch only: sum dout over axes (0, 2, 3)": dout.sum(axis=0),
                               "db sums over the positions only: sum dout over axes (0, 2, 3), the batch too":
                                   dout.sum(axis=(2, 3)),
                               "db is averaged: the bias is added at every position of every image, so db is "
                               "the sum of dout over axes (0, 2, 3)": dout.mean(axis=(0, 2, 3))})
    elif part == "dW":
        e_dW = expected["dW"]
        dW_variants = {FLIPPED_2D: e_dW[:, :, ::-1, ::-1], "dW has the wrong sign": -e_dW}
        if e_dW.shape[2] == e_dW.shape[3]:
            dW_variants[TRANSPOSED_2D] = e_dW.transpose(0, 1, 3, 2)
        assert_close(layer.dW, e_dW, what=f"{what}: dW", variants=dW_variants, batch_size=N)
    else:
        assert_close(dx, expected["dx"], what=f"{what}: dx", batch_size=N,
                     variants={"dx has the wrong sign": -expected["dx"]})


@check("Convolution", "golden", points=1.5)
@pytest.mark.parametrize("part", CONV_GRADS)
def test_convolution_golden_backward(student, golden, part):
    """backward(dout) on the store's cases: dx, and dW, db (db sums dout over the batch AND the positions)."""

    def body() -> None:
        for name in ("Convolution/basic", "Convolution/stride_pad"):
            case = golden(name)
            x, W, b, stride, pad = _conv_case(case.inputs)
            layer = student.Convolution(W, b, stride, pad)
            layer.forward(x)
            _conv_backward_part(layer, case.inputs["dout"], case.outputs,
                                f"Convolution(W {W.shape}, stride={stride}, pad={pad}).backward(dout)", part)

    graded_alone(student, "Convolution", LAYER_HELPERS, body)


@check("Convolution", "gradcheck", points=2, timeout=30)
@pytest.mark.parametrize("part", CONV_GRADS)
def test_convolution_gradcheck(student, part):
    """dx, dW, db against central differences of the specified forward (the reference's Convolution, in the
    judge), sum(forward(x) * dout) with a random dout (stride 1, padding 1): directional screening plus sampled
    elements."""
    rng = hidden_rng(171)
    x, W, b = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((3, 3, 3, 3)), rng.standard_normal(3)
    stride, pad = 1, 1
    what = "Convolution(W (3, 3, 3, 3), stride=1, pad=1)"

    def forward_with(W_: np.ndarray, b_: np.ndarray) -> np.ndarray:
        return ref.Convolution(W_, b_, stride, pad).forward(x)

    def body() -> None:
        rng = hidden_rng(172)
        layer = student.Convolution(W, b, stride, pad)
        out = as_array(layer.forward(x), f"{what}.forward(x)", shape=(2, 3, 6, 5))
        dout = rng.standard_normal(out.shape)
        dx = layer.backward(dout)
        if part == "dW":
            param_gradcheck(lambda v: forward_with(v, b), layer.dW, W, dout=dout, what=f"{what}: dW", rng=rng,
                            batch_size=2)
        elif part == "db":
            param_gradcheck(lambda v: forward_with(W, v), layer.db, b, dout=dout, what=f"{what}: db", rng=rng,
                            batch_size=60)
        else:
            param_gradcheck(ref.Convolution(W, b, stride, pad).forward, dx, x, dout=dout, what=f"{what}: dx",
                            rng=rng, batch_size=2)

    graded_alone(student, "Convolution", LAYER_HELPERS, body)


@check("Convolution", "golden", points=1.5)
def test_convolution_equals_nested_loops(student):
    """forward equals the definition computed with nested loops, with stride and padding (2x4 and 3x3 filters)."""
    rng = hidden_rng(172)
    cases = ((rng.standard_normal((2, 2, 7, 8)), rng.standard_normal((3, 2, 3, 3)), rng.standard_normal(3), 2, 1),
             (rng.standard_normal((1, 3, 8, 9)), rng.standard_normal((2, 3, 2, 4)), rng.standard_normal(2), 3, 2))

    def body() -> None:
        for x, W, b, stride, pad in cases:
            assert_close(student.Convolution(W, b, stride, pad).forward(x), _direct_convolution(x, W, b, stride, pad),
                         what=f"Convolution(W {W.shape}, stride={stride}, pad={pad}).forward(x {x.shape})",
                         variants=_conv_forward_variants(x, W, b, stride, pad))

    graded_alone(student, "Convolution", LAYER_HELPERS, body)


@check("Convolution", "mutation", points=1)
def test_convolution_leaves_inputs_alone(student):
    """forward leaves x alone, backward leaves dout alone, and backward twice gives the same dx."""

    def body() -> None:
        rng = hidden_rng(173)
        layer = student.Convolution(rng.standard_normal((2, 2, 3, 3)), rng.standard_normal(2), 1, 1)
        _layer_mutation(student, layer, rng.standard_normal((2, 2, 5, 5)), 174, "Convolution")

    graded_alone(student, "Convolution", LAYER_HELPERS, body)


# ---------------------------------------------------------------- Pooling
def _pool_windows(x: np.ndarray, ph: int, pw: int, stride: int, pad: int) -> np.ndarray:
    """One row per (n, oy, ox, c) window, as the reference's Pooling sees them."""
    return ref.im2col(x, ph, pw, stride, pad).reshape(-1, ph * pw)


def _pool_shape(x_shape, ph, pw, stride, pad) -> tuple[int, int, int, int]:
    N, C, H, W = x_shape
    return N, C, (H + 2 * pad - ph) // stride + 1, (W + 2 * pad - pw) // stride + 1


def _average_pool(x, ph, pw, stride, pad) -> np.ndarray:
    N, C, oh, ow = _pool_shape(x.shape, ph, pw, stride, pad)
    return _pool_windows(x, ph, pw, stride, pad).mean(axis=1).reshape(N, oh, ow, C).transpose(0, 3, 1, 2)


def _spread_backward(dout, x_shape, ph, pw, stride, pad, scale: float) -> np.ndarray:
    """dx when each window's gradient goes to all its positions, times ``scale``."""
    rows = dout.transpose(0, 2, 3, 1).reshape(-1, 1) * scale
    N, _, oh, ow = dout.shape
    dcol = np.repeat(rows, ph * pw, axis=1).reshape(N * oh * ow, -1)
    return ref.col2im(dcol, x_shape, ph, pw, stride, pad)


def _pool_case(inputs: dict) -> tuple:
    return tuple(inputs[k] for k in ("x", "pool_h", "pool_w", "stride", "pad"))


def _assert_pooling(student, x, ph, pw, stride, pad, dout=None, part: str | None = None) -> None:
    """forward(x), and backward(dout) when ``dout`` is given, against the reference (``part``: only that one;
    backward is always called after forward)."""
    layer = student.Pooling(ph, pw, stride, pad)
    what = f"Pooling({ph}, {pw}, stride={stride}, pad={pad})"
    expected_layer = ref.Pooling(ph, pw, stride, pad)
    out = layer.forward(x)
    expected_out = expected_layer.forward(x)
    if part != "backward":
        assert_close(out, expected_out, what=f"{what}.forward(x {x.shape})",
                     variants={AVERAGE_POOL: _average_pool(x, ph, pw, stride, pad)})
    if dout is not None and part != "forward":
        assert_close(layer.backward(dout), expected_layer.backward(dout), what=f"{what}.backward(dout)",
                     variants={AVERAGE_BACKWARD: _spread_backward(dout, x.shape, ph, pw, stride, pad, 1 / (ph * pw)),
                               EVERY_POSITION: _spread_backward(dout, x.shape, ph, pw, stride, pad, 1.0)})


def _distinct(seed: int, shape: tuple[int, ...]) -> np.ndarray:
    """Positive values at least 0.01 apart (every window has one clear maximum, the top-two gap >> 10 h)."""
    size = int(np.prod(shape))
    return (0.05 + 0.01 * hidden_rng(seed).permutation(size)).reshape(shape)


@check("Pooling", "golden", points=1.5)
def test_pooling_golden_forward(student, golden):
    """Max of each window: 2x2 stride 2; overlapping 3x3 windows with stride 2 and padding 1."""

    def body() -> None:
        for name in ("Pooling/basic", "Pooling/overlap_pad"):
            _assert_pooling(student, *_pool_case(golden(name).inputs))

    graded_alone(student, "Pooling", LAYER_HELPERS, body)


@check("Pooling", "golden", points=1.5)
def test_pooling_golden_backward(student, golden):
    """The gradient goes to each window's maximum only (summed where overlapping windows share it); forward is
    credited by its own check."""

    def body() -> None:
        for name in ("Pooling/basic", "Pooling/overlap_pad"):
            case = golden(name)
            _assert_pooling(student, *_pool_case(case.inputs), dout=case.inputs["dout"], part="backward")

    graded_alone(student, "Pooling", LAYER_HELPERS, body)


@check("Pooling", "gradcheck", points=1, timeout=30)
def test_pooling_gradcheck(student):
    """dx against central differences of max pooling (the reference's forward; distinct values, top-two gap
    0.01 >> 10 h), random dout."""
    x = _distinct(181, (2, 2, 6, 6))

    def body() -> None:
        layer = student.Pooling(3, 3, 2, 1)
        layer_gradcheck(layer.forward, layer.backward, x, what="Pooling(3, 3, stride=2, pad=1).backward: dx",
                        rng=hidden_rng(182), true_forward=ref.Pooling(3, 3, 2, 1).forward)

    graded_alone(student, "Pooling", LAYER_HELPERS, body)


@check("Pooling", "golden", points=1, hidden=True)
@pytest.mark.parametrize("part", ("forward", "backward"))
def test_pooling_golden_fresh(student, part):
    """3x2 windows with stride 1 (overlapping, not square), 3 channels."""
    x = _distinct(183, (1, 3, 5, 6))
    dout = _fresh(184, 1, 3, 3, 5)

    def body() -> None:
        _assert_pooling(student, x, 3, 2, 1, 0, dout=dout, part=part)

    graded_alone(student, "Pooling", LAYER_HELPERS, body)


@check("Pooling", "mutation", points=0.5)
def test_pooling_leaves_inputs_alone(student):
    """forward leaves x alone, backward leaves dout alone, and backward twice gives the same dx."""

    def body() -> None:
        _layer_mutation(student, student.Pooling(2, 2, 2, 0), _distinct(185, (2, 2, 4, 4)), 186, "Pooling")

    graded_alone(student, "Pooling", LAYER_HELPERS, body)

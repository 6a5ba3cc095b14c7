"""Checks of the `numerical` assignment: activations, losses, numerical differentiation.

Each check is a pytest test taking the `student` fixture (the submission, running in its own
isolated process) and, for golden checks, the `golden` fixture (reference/golden/numerical.npz).
"""
from functools import lru_cache
from typing import Any, Callable

import numpy as np

from grader.checks import check, fail
from grader.compare import as_array, as_scalar, assert_close, assert_scalar_close, assert_unchanged
from grader.errors import StudentRaised
from grader.inputs import example, hidden_rng
from grader.untouched import assert_calls_left_inputs_alone
from reference import numerical as ref
from grader.sandbox.testfns import TEST_FUNCTIONS

ASSIGNMENT = "numerical"
H = 1e-4


def _fresh(seed: int, *shape: int) -> np.ndarray:
    return hidden_rng(seed).normal(0.0, 2.0, size=shape)


# ---------------------------------------------------------------- sigmoid
SIGMOID_PRECEDENCE = "`1 / 1 + np.exp(-x)`: / binds before +, so this is 1 + exp(-x): write 1 / (1 + np.exp(-x))"


@check("sigmoid", "golden", points=1)
def test_sigmoid_golden(student, golden):
    """sigmoid on the reference's vector and matrix inputs."""
    cases = [golden(name) for name in ("sigmoid/vector", "sigmoid/matrix")]
    for case, got in zip(cases, student.call_many("sigmoid", [(case.inputs["x"],) for case in cases])):
        x = case.inputs["x"]
        assert_close(got, case.outputs["y"], what=f"sigmoid(x) for x of shape {x.shape}",
                     variants={"you computed 1/(1+exp(x)): the sign inside exp is flipped": ref.sigmoid(-x),
                               SIGMOID_PRECEDENCE: 1 + np.exp(-x)})


@check("sigmoid", "shape", points=0.5)
def test_sigmoid_any_shape_and_large_inputs(student):
    """Keeps a 3-D input's shape and stays finite for |x| up to 700."""
    x = example(np.linspace(-700, 700, 24).reshape(2, 3, 4))
    assert_close(student.sigmoid(x), ref.sigmoid(x), what="sigmoid(x) for x in [-700, 700], shape (2, 3, 4)",
                 atol=1e-12)


@check("sigmoid", "mutation", points=0.5)
def test_sigmoid_leaves_input_alone(student):
    x = _fresh(1, 3, 4)
    _, (after,), _ = student.call_returning_args("sigmoid", x)
    assert_unchanged(x, after, what="sigmoid(x)")
    assert_calls_left_inputs_alone(student, "sigmoid", {0: "its input"}, what="sigmoid(x)")


# ---------------------------------------------------------------- relu
@check("relu", "golden", points=1)
def test_relu_golden(student, golden):
    case = golden("relu/matrix")
    x = case.inputs["x"]
    assert_close(student.relu(x), case.outputs["y"], what=f"relu(x) for x of shape {x.shape}",
                 variants={"negative inputs are kept: max(0, x) zeroes them": x,
                           "positive inputs are zeroed: the comparison is the wrong way round": np.minimum(x, 0)})


@check("relu", "mutation", points=1)
def test_relu_leaves_input_alone(student):
    """relu(x) must not zero the caller's array in place (x[x < 0] = 0 on x itself)."""
    x = _fresh(2, 4, 5)
    _, (after,), _ = student.call_returning_args("relu", x)
    assert_unchanged(x, after, what="relu(x)")
    assert_calls_left_inputs_alone(student, "relu", {0: "its input"}, what="relu(x)")


# ---------------------------------------------------------------- softmax
@check("softmax", "golden", points=1)
def test_softmax_golden_vector(student, golden):
    case = golden("softmax/vector")
    x = case.inputs["x"]
    assert_close(student.softmax(x), case.outputs["y"], what=f"softmax(x) for x = {np.round(x, 3).tolist()}")


@check("softmax", "golden", points=1)
def test_softmax_golden_batch(student, golden):
    """A (N, C) batch is normalised row by row."""
    case = golden("softmax/batch")
    x = case.inputs["x"]
    assert_close(student.softmax(x), case.outputs["y"], what=f"softmax(x) for a batch x of shape {x.shape}",
                 variants=_batch_variants(x))


def _batch_variants(x: np.ndarray) -> dict[str, np.ndarray]:
    """What softmax gives for a (N, C) batch when it normalises the wrong slices."""
    if x.ndim != 2:
        return {}
    return {"the batch is normalised as one vector: take max and sum per row (axis=1, keepdims=True)":
            ref.softmax(x.reshape(-1)).reshape(x.shape),
            "each column is normalised instead of each row: use axis=-1 (rows)": ref.softmax(x.T).T}


@check("softmax", "property", points=0.5)
def test_softmax_stable_for_large_inputs(student):
    """softmax([1000, 1001, 1002]) is finite and sums to 1 (subtract the max first)."""
    xs = [example(np.array([1000.0, 1001.0, 1002.0]), low=990.0, high=1010.0),
          example(np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0]]))]
    for x, got in zip(xs, student.call_many("softmax", [(x,) for x in xs])):
        got = as_array(got, what=f"softmax({x.tolist()})", shape=x.shape)
        if not np.all(np.isfinite(got)):
            fail(f"softmax({x.tolist()}) gave {got.tolist()}: exp(1000) overflows to inf. "
                 "Subtract the maximum of each row before exponentiating: exp(x - max(x)) gives the same result "
                 "without overflow.")
        assert_close(got, ref.softmax(x), what=f"softmax({x.tolist()})", variants=_batch_variants(x))


@check("softmax", "mutation", points=0.5)
def test_softmax_leaves_input_alone(student):
    """softmax(x) must not shift the caller's array (x -= np.max(x) works on x itself)."""
    x = _fresh(6, 3, 4)
    _, (after,), _ = student.call_returning_args("softmax", x)
    hint = "x -= np.max(x) shifts the caller's array: write x = x - np.max(x, axis=-1, keepdims=True)"
    assert_unchanged(x, after, what="softmax(x)", name="x", hint=hint)
    assert_calls_left_inputs_alone(student, "softmax", {0: "x"}, what="softmax(x)", hint=hint)


# ---------------------------------------------------------------- sum_squared_error
SSE_PRECEDENCE = "`y - t**2`: ** binds before -, so only t is squared: write (y - t)**2"


@check("sum_squared_error", "golden", points=1)
def test_sum_squared_error_golden_seed(student, golden):
    """The lecture's example: y = [0.1, 0.05, 0.6, ...], t one-hot at 2 gives 0.0975."""
    case = golden("sum_squared_error/seed")
    y, t = case.inputs["y"], case.inputs["t"]
    expected = float(case.outputs["loss"])
    assert_scalar_close(student.sum_squared_error(y, t), expected, what="sum_squared_error(y, t) on the lecture example",
                        variants={SSE_PRECEDENCE: 0.5 * np.sum(y - t**2),
                                  "the 0.5 in front of the sum is missing": 2 * expected,
                                  "the mean is taken instead of 0.5 * sum": np.mean((y - t) ** 2)})


@check("sum_squared_error", "golden", points=0.5)
def test_sum_squared_error_golden_batch(student, golden):
    """Sums over every entry of a (N, C) batch."""
    case = golden("sum_squared_error/batch")
    y, t = case.inputs["y"], case.inputs["t"]
    expected = float(case.outputs["loss"])
    assert_scalar_close(student.sum_squared_error(y, t), expected, what=f"sum_squared_error(y, t) for y of shape {y.shape}",
                        variants={SSE_PRECEDENCE: 0.5 * np.sum(y - t**2),
                                  "the 0.5 in front of the sum is missing": 2 * expected,
                                  "divided by the batch size: this loss is a plain sum": expected / y.shape[0]})


def _loss_leaves_inputs_alone(student, name: str, y: np.ndarray, t: np.ndarray, hint: str | None = None) -> None:
    _, (y_after, t_after), _ = student.call_returning_args(name, y, t)
    assert_unchanged(y, y_after, what=f"{name}(y, t)", name="y", hint=hint)
    assert_unchanged(t, t_after, what=f"{name}(y, t)", name="t")
    assert_calls_left_inputs_alone(student, name, {0: "y", 1: "t"}, what=f"{name}(y, t)", hint=hint)


@check("sum_squared_error", "mutation", points=0.5)
def test_sum_squared_error_leaves_inputs_alone(student):
    y = ref.softmax(_fresh(7, 3, 5))
    _loss_leaves_inputs_alone(student, "sum_squared_error", y, np.eye(5)[[1, 4, 0]])


# ---------------------------------------------------------------- cross_entropy_error
@check("cross_entropy_error", "golden", points=1)
def test_cross_entropy_error_golden_seed(student, golden):
    """The lecture's example gives 0.510825457099338."""
    case = golden("cross_entropy_error/seed")
    y, t = case.inputs["y"], case.inputs["t"]
    expected = float(case.outputs["loss"])
    got = as_scalar(student.cross_entropy_error(y, t), what="cross_entropy_error(y, t) on the lecture example")
    if not np.isfinite(got):
        fail(f"cross_entropy_error(y, t) on the lecture example is {got}, expected {expected:.9g}: y has entries "
             "equal to 0, and log(0) = -inf (0 * -inf = nan). Add a small delta inside the log: "
             "np.log(y + 1e-7)")
    assert_scalar_close(got, expected, what="cross_entropy_error(y, t) on the lecture example",
                        variants={"the minus sign is missing": -expected})


@check("cross_entropy_error", "golden", points=1)
def test_cross_entropy_error_golden_batch(student, golden):
    """A one-hot batch: the sum is divided by the batch size N."""
    case = golden("cross_entropy_error/batch_onehot")
    y, t = case.inputs["y"], case.inputs["t"]
    expected = float(case.outputs["loss"])
    n = y.shape[0]
    assert_scalar_close(student.cross_entropy_error(y, t), expected,
                        what=f"cross_entropy_error(y, t) for a one-hot batch of N = {n}",
                        variants={f"not divided by the batch size N = {n}": expected * n,
                                  "log(y) without the + 1e-7: a probability of 0 gives inf": np.inf})


@check("cross_entropy_error", "golden", points=0.5)
def test_cross_entropy_error_golden_labels(student, golden):
    """Integer labels t of shape (N,) pick each row's probability of the true class."""
    case = golden("cross_entropy_error/batch_labels")
    y, t = case.inputs["y"], case.inputs["t"]
    expected = float(case.outputs["loss"])
    n = y.shape[0]
    try:
        got = student.cross_entropy_error(y, t)
    except Exception as exc:  # noqa: BLE001 - re-raised with the hint the student needs
        from grader.errors import StudentRaised

        if isinstance(exc, StudentRaised) and exc.exc_type in ("IndexError", "ValueError", "TypeError"):
            exc.message += " (t can be integer labels of shape (N,): pick y[np.arange(N), t])"
        raise
    assert_scalar_close(got, expected, what=f"cross_entropy_error(y, t) with labels t = {t.tolist()}",
                        variants={f"not divided by the batch size N = {n}": expected * n})


@check("cross_entropy_error", "mutation", points=0.5)
def test_cross_entropy_error_leaves_inputs_alone(student):
    y = ref.softmax(_fresh(8, 3, 5))
    _loss_leaves_inputs_alone(student, "cross_entropy_error", y, np.eye(5)[[2, 2, 3]],
                              hint="y += delta changes the caller's predictions: write np.log(y + delta)")


# ---------------------------------------------------------------- numerical_diff
def _scalar_fn(name: str):
    return TEST_FUNCTIONS[name]


@check("numerical_diff", "golden", points=1)
def test_numerical_diff_matches_central_difference(student):
    """Central difference with h = 1e-4 on two scalar functions at several points."""
    cases = [(name, x) for name, points in (("cubic_1d", (-1.5, 0.3, 2.0)), ("sin_1d", (0.0, 1.2)))
             for x in map(example, points)]
    results = student.call_many("numerical_diff", [(student.testfn(name), x) for name, x in cases])
    for (name, x), got in zip(cases, results):
        f = _scalar_fn(name)
        assert_scalar_close(got, ref.numerical_diff(f, x), what=f"numerical_diff(f, {x}) for f = {name}",
                            rtol=1e-7, atol=1e-10,
                            variants={"`/ 2*h` divides by 2 and then multiplies by h: write `/ (2*h)`":
                                      (f(x + H) - f(x - H)) / 2 * H,
                                      "a forward difference (f(x+h) - f(x)) / h: use the central one":
                                      (f(x + H) - f(x)) / H})


@check("numerical_diff", "property", points=1)
def test_numerical_diff_is_exact_on_quadratics(student):
    """On f(x) = x**2 the central difference is exact: numerical_diff(f, 3) = 6 up to rounding."""
    x = example(3.0)
    got = student.numerical_diff(student.testfn("square_1d"), x)
    assert_scalar_close(got, 2 * x, what=f"numerical_diff(f, {x:g}) for f(x) = x**2", rtol=1e-6,
                        variants={"`/ 2*h` divides by 2 and then multiplies by h: write `/ (2*h)`": 2 * x * H * H,
                                  "a forward difference (f(x+h) - f(x)) / h: use the central one": 2 * x + H})


# ---------------------------------------------------------------- numerical_gradient
def _gradient_without_restore(f, x: np.ndarray) -> np.ndarray:
    """What numerical_gradient gives when it never puts x[i] back (each entry left at x[i] - h)."""
    x, grad = x.astype(float).copy(), np.zeros(x.size)
    flat = x.reshape(-1)
    for i in range(flat.size):
        value = flat[i]
        flat[i] = value + H
        plus = f(x)
        flat[i] = value - H
        grad[i] = (plus - f(x)) / (2 * H)
    return grad.reshape(x.shape)


def _gradient_case(student, name: str, x: np.ndarray, what: str, variants=None):
    f = TEST_FUNCTIONS[name]
    expected = ref.numerical_gradient(f, x.copy())
    variants = {"x[i] is never restored after its difference: put the original value back "
                "(x[i] = tmp_val) before moving on": _gradient_without_restore(f, x), **(variants or {})}
    got = student.numerical_gradient(student.testfn(name), x)
    assert_close(got, expected, what=what, rtol=1e-6, atol=1e-8, variants=variants)


@check("numerical_gradient", "golden", points=1)
def test_numerical_gradient_1d(student):
    """The gradient of x0**2 + x1**2 at [3, 4] is [6, 8]."""
    x = example(np.array([3.0, 4.0]), low=-5.0, high=5.0)
    _gradient_case(student, "sum_squares", x, f"numerical_gradient(f, {x.tolist()}) for f = x0**2 + x1**2",
                   variants={"`/ 2*h` divides by 2 and then multiplies by h: write `/ (2*h)`": 2 * x * H * H})


@check("numerical_gradient", "golden", points=1, hidden=True)
def test_numerical_gradient_2d(student):
    """A (2, 3) weight matrix, as in TwoLayerNet: the gradient has x's shape."""
    x = _fresh(3, 2, 3) / 2
    # rosenbrock_like couples neighbouring entries: an entry left perturbed changes the others' gradients.
    _gradient_case(student, "rosenbrock_like", x, "numerical_gradient(f, W) for W of shape (2, 3), f = rosenbrock")


@check("numerical_gradient", "golden", points=0.5)
def test_numerical_gradient_4d(student):
    """A (2, 1, 2, 2) filter bank, as in a convolution layer: use np.nditer or x.reshape(-1) views."""
    x = _fresh(4, 2, 1, 2, 2)
    _gradient_case(student, "softmax_ce_loss", x, "numerical_gradient(f, W) for W of shape (2, 1, 2, 2), "
                   "f = cross-entropy of softmax(W)")


@check("numerical_gradient", "mutation", points=0.5)
def test_numerical_gradient_restores_x(student):
    """After the call, x holds its original values (restore each entry after perturbing it)."""
    x = _fresh(5, 2, 3)
    _, (_, after), _ = student.call_returning_args("numerical_gradient", student.testfn("weighted_sin"), x)
    hint = "put each entry back (x[i] = tmp_val) after computing its difference"
    assert_unchanged(x, after, what="numerical_gradient(f, x)", name="x", hint=hint)
    assert_calls_left_inputs_alone(student, "numerical_gradient", {1: "x"}, what="numerical_gradient(f, x)", hint=hint)


# ---------------------------------------------------------------- gradient_descent
def _own_logic(student, call: Callable[[], Any]) -> Any:
    """``call()``; should it raise while numerical_gradient is the student's, ``call()`` again with the trusted
    numerical_gradient swapped in: a raise from the student's numerical_gradient (np.float, say) is that
    component's to pay for, and gradient_descent is graded on its own logic. A raise that stays is its own."""
    try:
        return call()
    except StudentRaised:
        if not student.has("numerical_gradient"):
            raise
        with student.replaced("numerical_gradient"):
            return call()


def _reference_descent(name: str, x0: np.ndarray, lr: float, steps: int) -> np.ndarray:
    """The reference's end point from ``x0``, computed once per start: the lecture's example is the same for every
    submission."""
    x0 = np.asarray(x0, dtype=np.float64)
    return _reference_descent_of(name, x0.shape, x0.tobytes(), lr, steps).copy()


@lru_cache(maxsize=64)
def _reference_descent_of(name: str, shape: tuple[int, ...], start: bytes, lr: float, steps: int) -> np.ndarray:
    x0 = np.frombuffer(start, dtype=np.float64).reshape(shape).copy()
    return ref.gradient_descent(TEST_FUNCTIONS[name], x0, lr=lr, step_num=steps)


def _descent_case(student, name: str, x0: np.ndarray, lr: float, steps: int, what: str, atol: float) -> None:
    """gradient_descent is graded on its own logic: if it fails with the student's numerical_gradient but
    passes with a trusted one swapped in, the bug is numerical_gradient's, and only its checks pay for it."""
    expected = _reference_descent(name, x0, lr, steps)

    def run() -> np.ndarray:
        result = student.gradient_descent(student.testfn(name), x0.copy(), lr=lr, step_num=steps)
        return as_array(result, what=what, shape=x0.shape)

    got = _own_logic(student, run)
    if np.allclose(got, expected, rtol=1e-6, atol=atol):
        return
    if student.has("numerical_gradient"):
        with student.replaced("numerical_gradient"):
            if np.allclose(run(), expected, rtol=1e-6, atol=atol):
                return  # its own logic is right; numerical_gradient's checks report the bug
    one_step = x0 - lr * ref.numerical_gradient(TEST_FUNCTIONS[name], x0.copy())
    assert_close(got, expected, what=what, atol=atol,
                 variants={"init_x is returned unchanged: x is never updated (x -= lr * grad)": x0,
                           "only one step was taken: is `return` inside the loop?": one_step})


@check("gradient_descent", "golden", points=1.25)
def test_gradient_descent_golden_seed(student):
    """The lecture's example: f = x0**2 + x1**2 from [-3, 4], lr = 0.1: 100 steps end at [0, 0]; after 10 steps
    it is still on its way, at 0.8**10 * [-3, 4]."""
    x0 = example(np.array([-3.0, 4.0]), low=-5.0, high=5.0)
    _descent_case(student, "sum_squares", x0, 0.1, 10,
                  f"gradient_descent(f, {x0.tolist()}, lr=0.1, step_num=10)", atol=1e-8)
    _descent_case(student, "sum_squares", x0, 0.1, 100,
                  f"gradient_descent(f, {x0.tolist()}, lr=0.1, step_num=100)", atol=1e-8)


@check("gradient_descent", "golden", points=1.25, hidden=True)
def test_gradient_descent_fresh(student):
    """A shifted quadratic in 3 dimensions from a hidden start, other lr and step_num: follows x -= lr * grad."""
    _descent_case(student, "shifted_quadratic", hidden_rng().uniform(-2.0, 2.0, 3), 0.05, 15,
                  "gradient_descent(f, x0, lr=0.05, step_num=15) from a hidden x0 of shape (3,)", atol=1e-9)


@check("gradient_descent", "mutation", points=0.5)
def test_gradient_descent_leaves_init_x_alone(student):
    """init_x is the caller's starting point: the descent works on its own x."""
    x0 = np.array([1.0, -2.0, 0.5])
    hint = ("`x = init_x` does not copy, so `x -= lr * grad` moves the caller's array too: "
            "start from x = init_x.copy() (or np.array(init_x, dtype=float))")

    def leaves_init_x_alone() -> None:
        _, (_, after), _ = student.call_returning_args("gradient_descent", student.testfn("shifted_quadratic"), x0,
                                                        lr=0.05, step_num=5)
        assert_unchanged(x0, after, what="gradient_descent(f, init_x, lr=0.05, step_num=5)", name="init_x",
                         hint=hint)
        assert_calls_left_inputs_alone(student, "gradient_descent", {1: "init_x", "init_x": "init_x"},
                                       what="gradient_descent(f, init_x, lr, step_num)", hint=hint)

    _own_logic(student, leaves_init_x_alone)

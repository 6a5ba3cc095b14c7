"""The deterministic cases of the golden store, per assignment.

A case is a name (``"<component>/<what>"``) and a builder: ``builder(rng) -> (inputs, outputs)``,
where the inputs are drawn from ``rng`` (a ``np.random.default_rng`` seeded from the case's name,
so adding or removing a case never changes another) or copied from the course notes, and the
outputs are what the reference computes from them. ``reference.golden`` runs the builders and
writes the store; checks read it back through ``reference.golden.load``.

Input conventions: a scalar is stored as a 0-d array (the loader gives it back as a Python
scalar); a function argument is stored as the *name* of one of :data:`FUNCTIONS`; an optimizer's
gradients for ``steps`` calls are stacked as ``grad.<key>`` ``(steps, *shape)`` and the parameters
after each call as outputs ``<key>`` of the same shape.
"""
from __future__ import annotations

import zlib
from typing import Any, Callable

import numpy as np

from reference import backprop, conv, layers, numerical, optim

Arrays = dict[str, Any]
Builder = Callable[[np.random.Generator], tuple[Arrays, Arrays]]

#: Base of every case's seed.
BASE_SEED = 20240602

#: assignment -> case name -> builder, in registration order.
REGISTRY: dict[str, dict[str, Builder]] = {}

#: case name -> the builder of its *twin*, for cases whose builder ignores its generator (the course notes'
#: own numbers): inputs of the same kind (shapes, dtypes, value ranges, settings) drawn from the generator.
#: Every other case is its own twin's builder, run with another generator (``reference.golden.twin_case``).
TWINS: dict[str, Builder] = {}


def case_rng(name: str) -> np.random.Generator:
    """The generator a case draws its inputs from: seeded by ``BASE_SEED`` and the case's name."""
    return np.random.default_rng([BASE_SEED, zlib.crc32(name.encode())])


def register(assignment: str, name: str, builder: Builder, twin: Builder | None = None) -> None:
    """``twin``: for a case of fixed inputs, a builder of inputs of the same kind drawn from its generator."""
    cases = REGISTRY.setdefault(assignment, {})
    if name in cases:
        raise ValueError(f"golden case {name!r} registered twice")
    cases[name] = builder
    if twin is not None:
        TWINS[name] = twin


# --- functions passed to numerical_diff / numerical_gradient / gradient_descent ---------------

def _weights_like(x: np.ndarray) -> np.ndarray:
    return np.arange(1, np.size(x) + 1, dtype=np.float64).reshape(np.shape(x)) / np.size(x)


#: Named scalar functions of an array (or a float); the store refers to them by name. ``sum_squares`` and
#: ``sin_1d`` are the same functions as in ``grader.sandbox.testfns``; the other names do not occur there.
FUNCTIONS: dict[str, Callable[[Any], float]] = {
    "function_1": lambda x: 0.01 * x**2 + 0.1 * x,                       # the textbook's 1-D example
    "sin_1d": lambda x: float(np.sin(x)),
    "sum_squares": lambda x: float(np.sum(np.square(x))),                # x0**2 + x1**2 + ...
    "ramp_weighted_sin": lambda x: float(np.sum(np.sin(x) * _weights_like(x))),
    "shifted_bowl": lambda x: float(np.sum((1.0 + 10 * _weights_like(x)) * np.square(x - 1.0))),
}


# --- input makers -----------------------------------------------------------------------------

def off_kinks(rng: np.random.Generator, shape: tuple[int, ...], low: float = 0.05) -> np.ndarray:
    """Random values with ``low <= |x| <= 2``, either sign: far from the kink at 0 of ReLU-like layers."""
    return rng.uniform(low, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def distinct(rng: np.random.Generator, shape: tuple[int, ...], positive: bool = False) -> np.ndarray:
    """Values that all differ by at least ``1 / size`` (so every pooling window has one clear maximum).

    A shuffled ladder ``0.1 + 2 * k / size`` plus a jitter smaller than a quarter step; shifted to
    straddle 0 unless ``positive``.
    """
    size = int(np.prod(shape))
    step = 2.0 / size
    values = 0.1 + step * rng.permutation(size) + rng.uniform(0, step / 4, size)
    if not positive:
        values -= 1.05
    return values.reshape(shape)


def one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes)[labels]


# --- assignment `numerical` -------------------------------------------------------------------

SEED_Y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])        # seed 003: right guess
SEED_Y_WRONG = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0])  # seed 003: wrong guess
SEED_T = one_hot(np.array(2), 10)


def _elementwise(fn: Callable, make: Callable[[np.random.Generator, tuple], np.ndarray], shape: tuple) -> Builder:
    def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
        x = make(rng, shape)
        return {"x": x}, {"y": fn(x)}
    return build


def _normal(scale: float) -> Callable[[np.random.Generator, tuple], np.ndarray]:
    return lambda rng, shape: scale * rng.standard_normal(shape)


def _fixed(**inputs: Any) -> Callable[[Callable[..., Arrays]], Builder]:
    """A builder for fixed inputs: ``outputs = compute(**inputs)``."""
    def wrap(compute: Callable[..., Arrays]) -> Builder:
        return lambda rng: (dict(inputs), compute(**inputs))
    return wrap


def _loss_case(fn: Callable, y: np.ndarray, t: np.ndarray | int) -> Builder:
    return _fixed(y=y, t=t)(lambda y, t: {"loss": fn(y, t)})


def _random_probabilities(rng: np.random.Generator, n: int, c: int) -> np.ndarray:
    return numerical.softmax(rng.standard_normal((n, c)))


def _drawn(compute: Callable[..., Arrays], **draws: Callable[[np.random.Generator], Any]) -> Builder:
    """A twin builder: inputs drawn by ``draws`` (name -> maker), outputs ``compute(**inputs)``."""
    def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
        inputs = {name: draw(rng) for name, draw in draws.items()}
        return inputs, compute(**inputs)
    return build


def _seed_like_probabilities(rng: np.random.Generator, right: bool) -> tuple[np.ndarray, int]:
    """Ten probabilities with three exact zeros, as the course notes' ``y``, and a label: the most likely class
    (``right``) or another one; the label's probability is never 0."""
    label = int(rng.integers(0, 10))
    y = np.zeros(10)
    others = rng.permutation([k for k in range(10) if k != label])
    kept = [label, *others[:6]]
    y[kept] = rng.dirichlet(np.ones(len(kept)))
    top = int(np.argmax(y))
    if right:
        y[[label, top]] = y[[top, label]]
    elif top == label:
        y[[label, kept[1]]] = y[[kept[1], label]]
    return y, label


def _seed_loss_twin(fn: Callable, right: bool, integer_label: bool = False) -> Builder:
    def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
        y, label = _seed_like_probabilities(rng, right)
        t = np.int64(label) if integer_label else one_hot(np.array(label), 10)
        return {"y": y, "t": t}, {"loss": fn(y, t)}
    return build


def _register_numerical() -> None:
    a = "numerical"
    for name, shape in (("vector", (7,)), ("matrix", (4, 5))):
        register(a, f"sigmoid/{name}", _elementwise(numerical.sigmoid, _normal(3.0), shape))
    for name, shape in (("vector", (7,)), ("matrix", (4, 5)), ("4d", (2, 3, 2, 2))):
        register(a, f"relu/{name}", _elementwise(numerical.relu, off_kinks, shape))
    softmax_of = lambda x: {"y": numerical.softmax(x)}  # noqa: E731
    register(a, "softmax/textbook", _fixed(x=np.array([0.3, 2.9, 4.0]))(softmax_of),
             twin=_drawn(softmax_of, x=lambda rng: rng.uniform(0.0, 4.5, 3)))
    for name, shape in (("vector", (6,)), ("batch", (5, 4))):
        register(a, f"softmax/{name}", _elementwise(numerical.softmax, _normal(2.0), shape))
    register(a, "softmax/large", _fixed(x=np.array([1000.0, 1001.0, 1002.0]))(softmax_of),
             twin=_drawn(softmax_of, x=lambda rng: rng.uniform(990.0, 1010.0, 3)))
    register(a, "softmax/large_batch", _fixed(x=np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -999.0, -1002.0]]))(
        softmax_of), twin=_drawn(softmax_of, x=lambda rng: np.stack([rng.uniform(990.0, 1010.0, 3),
                                                                      rng.uniform(-1010.0, -990.0, 3)])))

    sse, cee = numerical.sum_squared_error, numerical.cross_entropy_error
    register(a, "sum_squared_error/seed", _loss_case(sse, SEED_Y, SEED_T), twin=_seed_loss_twin(sse, True))
    register(a, "sum_squared_error/seed_wrong", _loss_case(sse, SEED_Y_WRONG, SEED_T), twin=_seed_loss_twin(sse, False))
    register(a, "cross_entropy_error/seed", _loss_case(cee, SEED_Y, SEED_T), twin=_seed_loss_twin(cee, True))
    register(a, "cross_entropy_error/seed_wrong", _loss_case(cee, SEED_Y_WRONG, SEED_T), twin=_seed_loss_twin(cee, False))
    register(a, "cross_entropy_error/seed_label", _loss_case(cee, SEED_Y, 2), twin=_seed_loss_twin(cee, True, True))

    def batch_loss(fn: Callable, labels_only: bool) -> Builder:
        def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
            y = _random_probabilities(rng, 4, 5)
            labels = rng.integers(0, 5, 4)
            t = labels if labels_only else one_hot(labels, 5)
            return {"y": y, "t": t}, {"loss": fn(y, t)}
        return build

    register(a, "sum_squared_error/batch", batch_loss(numerical.sum_squared_error, False))
    register(a, "cross_entropy_error/batch_onehot", batch_loss(numerical.cross_entropy_error, False))
    register(a, "cross_entropy_error/batch_labels", batch_loss(numerical.cross_entropy_error, True))

    def diff(f: str, x: float) -> Builder:
        return _fixed(f=f, x=x)(lambda f, x: {"dfdx": numerical.numerical_diff(FUNCTIONS[f], x)})

    def diff_twin(f: str, low: float, high: float) -> Builder:
        return lambda rng: diff(f, float(rng.uniform(low, high)))(rng)

    register(a, "numerical_diff/seed", diff("function_1", 5.0), twin=diff_twin("function_1", 1.0, 10.0))
    register(a, "numerical_diff/seed_10", diff("function_1", 10.0), twin=diff_twin("function_1", 5.0, 15.0))
    register(a, "numerical_diff/sin", diff("sin_1d", 1.2), twin=diff_twin("sin_1d", -3.0, 3.0))

    def gradient(f: str, x: np.ndarray | tuple) -> Builder:
        def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
            xx = rng.standard_normal(x) if isinstance(x, tuple) else x
            return {"f": f, "x": xx}, {"grad": numerical.numerical_gradient(FUNCTIONS[f], xx.copy())}
        return build

    gradient_twin = lambda rng: gradient("sum_squares", rng.uniform(-5.0, 5.0, 2))(rng)  # noqa: E731
    register(a, "numerical_gradient/seed", gradient("sum_squares", np.array([3.0, 4.0])), twin=gradient_twin)
    register(a, "numerical_gradient/seed_0_2", gradient("sum_squares", np.array([0.0, 2.0])), twin=gradient_twin)
    register(a, "numerical_gradient/matrix", gradient("ramp_weighted_sin", (2, 3)))
    register(a, "numerical_gradient/4d", gradient("ramp_weighted_sin", (2, 1, 2, 2)))

    def descent(f: str, init_x: np.ndarray | tuple, lr: float, step_num: int) -> Builder:
        def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
            x0 = rng.standard_normal(init_x) if isinstance(init_x, tuple) else init_x
            x = numerical.gradient_descent(FUNCTIONS[f], x0, lr=lr, step_num=step_num)
            return {"f": f, "init_x": x0, "lr": lr, "step_num": step_num}, {"x": x}
        return build

    register(a, "gradient_descent/seed", descent("sum_squares", np.array([-3.0, 4.0]), 0.1, 100),
             twin=lambda rng: descent("sum_squares", rng.uniform(-5.0, 5.0, 2), 0.1, 100)(rng))
    register(a, "gradient_descent/bowl", descent("shifted_bowl", (2, 3), 0.02, 25))


# --- assignment `backprop` --------------------------------------------------------------------

SEED004 = {
    "x": np.array([0.1, 0.2]),
    "t": np.array([0.4, 0.6]),
    "W1": np.array([[0.3, 0.25], [0.4, 0.35]]),
    "W2": np.array([[0.45, 0.4], [0.7, 0.6]]),
}
XOR_X = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 1.0], [1.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
XOR_D = np.array([[0.0], [1.0], [1.0], [0.0]])
DELTA_D = np.array([[0.0], [0.0], [1.0], [1.0]])   # seed 000's single-neuron problem: d = first input

#: Seed 000's five 5x5 digit images (1 to 5), one per row, flattened row by row.
DIGITS = np.array([
    [[0, 1, 1, 0, 0], [0, 0, 1, 0, 0], [0, 0, 1, 0, 0], [0, 0, 1, 0, 0], [0, 1, 1, 1, 0]],
    [[1, 1, 1, 1, 0], [0, 0, 0, 0, 1], [0, 1, 1, 1, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1]],
    [[1, 1, 1, 1, 0], [0, 0, 0, 0, 1], [0, 1, 1, 1, 0], [0, 0, 0, 0, 1], [1, 1, 1, 1, 0]],
    [[0, 0, 0, 1, 0], [0, 0, 1, 1, 0], [0, 1, 0, 1, 0], [1, 1, 1, 1, 1], [0, 0, 0, 1, 0]],
    [[1, 1, 1, 1, 1], [1, 0, 0, 0, 0], [1, 1, 1, 1, 0], [0, 0, 0, 0, 1], [1, 1, 1, 1, 0]],
], dtype=np.float64).reshape(5, 25)


def _mlp_inputs(rng: np.random.Generator | None, seed_shapes: bool = False) -> Arrays:
    """Seed 004's numbers (``rng`` None) or fresh ones: 3 inputs, 4 hidden, 2 outputs (``seed_shapes``: seed
    004's 2 inputs, 2 hidden, 2 outputs, for the seed cases' twins)."""
    if rng is None:
        return dict(SEED004)
    if seed_shapes:
        return {"x": rng.uniform(0, 1, 2), "t": rng.uniform(0.1, 0.9, 2),
                "W1": rng.uniform(-1, 1, (2, 2)), "W2": rng.uniform(-1, 1, (2, 2))}
    return {"x": rng.uniform(-1, 1, 3), "t": rng.uniform(0.1, 0.9, 2),
            "W1": rng.uniform(-1, 1, (4, 3)), "W2": rng.uniform(-1, 1, (2, 4))}


def _mlp_builder(outputs: Callable[[Arrays], Arrays], seed_numbers: bool, seed_shapes: bool = False) -> Builder:
    def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
        inputs = _mlp_inputs(None if seed_numbers else rng, seed_shapes)
        return inputs, outputs(inputs)
    return build


def _mlp_forward_out(i: Arrays) -> Arrays:
    h, o = backprop.mlp_forward(i["x"], i["W1"], i["W2"])
    return {"h": h, "o": o}


def _mlp_backward_out(i: Arrays) -> Arrays:
    dW1, dW2 = backprop.mlp_backward(i["x"], i["t"], i["W1"], i["W2"])
    return {"dW1": dW1, "dW2": dW2}


def _with_lr(lr: float, outputs: Callable[[Arrays], Arrays]) -> Callable[[Arrays], Arrays]:
    def out(i: Arrays) -> Arrays:
        i["lr"] = lr
        return outputs(i)
    return out


def _mlp_update_out(i: Arrays) -> Arrays:
    W1, W2 = backprop.mlp_update(i["x"], i["t"], i["W1"], i["W2"], i["lr"])
    loss = backprop.mlp_loss(backprop.mlp_forward(i["x"], W1, W2)[1], i["t"])
    return {"W1": W1, "W2": W2, "loss_after": loss}


def _mlp_loss_builder(seed_numbers: bool, seed_shapes: bool = False) -> Builder:
    def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
        i = _mlp_inputs(None if seed_numbers else rng, seed_shapes)
        o = backprop.mlp_forward(i["x"], i["W1"], i["W2"])[1]
        return {"o": o, "t": i["t"]}, {"loss": backprop.mlp_loss(o, i["t"])}
    return build


def _epoch_builder(fn: Callable, shapes: dict[str, tuple], X: np.ndarray | tuple, D: np.ndarray | Callable,
                   alpha: float, outputs: tuple[str, ...]) -> Builder:
    """Inputs: weights uniform(-1, 1) of ``shapes``, ``X`` (fixed or random 0/1 of a shape), ``D``."""
    def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
        weights = {k: rng.uniform(-1, 1, s) for k, s in shapes.items()}
        XX = X if isinstance(X, np.ndarray) else rng.integers(0, 2, X).astype(np.float64)
        DD = D if isinstance(D, np.ndarray) else D(rng, XX)
        inputs = {**weights, "X": XX, "D": DD, "alpha": alpha}
        result = fn(*weights.values(), XX, DD, alpha)
        result = result if isinstance(result, tuple) else (result,)
        return inputs, dict(zip(outputs, result))
    return build


def _register_backprop() -> None:
    a = "backprop"
    for suffix, seed_numbers in (("seed", True), ("random", False)):
        def twin(builder: Callable[..., Builder], *args: Any) -> Builder | None:
            return builder(*args, False, True) if seed_numbers else None

        update = _with_lr(0.5 if seed_numbers else 0.3, _mlp_update_out)
        register(a, f"mlp_forward/{suffix}", _mlp_builder(_mlp_forward_out, seed_numbers),
                 twin=twin(_mlp_builder, _mlp_forward_out))
        register(a, f"mlp_loss/{suffix}", _mlp_loss_builder(seed_numbers), twin=twin(_mlp_loss_builder))
        register(a, f"mlp_backward/{suffix}", _mlp_builder(_mlp_backward_out, seed_numbers),
                 twin=twin(_mlp_builder, _mlp_backward_out))
        register(a, f"mlp_update/{suffix}", _mlp_builder(update, seed_numbers), twin=twin(_mlp_builder, update))

    random_targets = lambda rng, X: rng.integers(0, 2, len(X)).astype(np.float64)  # noqa: E731
    register(a, "delta_sgd/seed", _epoch_builder(backprop.delta_sgd, {"W": (1, 3)}, XOR_X, DELTA_D, 0.9, ("W",)))
    register(a, "delta_sgd/random", _epoch_builder(backprop.delta_sgd, {"W": (1, 5)}, (6, 5), random_targets,
                                                   0.5, ("W",)))
    two_outputs = lambda rng, X: rng.integers(0, 2, (len(X), 2)).astype(np.float64)  # noqa: E731
    for fn in (backprop.backprop_xor, backprop.backprop_ce):
        register(a, f"{fn.__name__}/seed", _epoch_builder(fn, {"W1": (4, 3), "W2": (1, 4)}, XOR_X, XOR_D, 0.9,
                                                          ("W1", "W2")))
        register(a, f"{fn.__name__}/random", _epoch_builder(fn, {"W1": (5, 4), "W2": (2, 5)}, (6, 4), two_outputs,
                                                            0.7, ("W1", "W2")))

    deep_shapes = {"W1": (20, 25), "W2": (20, 20), "W3": (20, 20), "W4": (5, 20)}
    register(a, "deep_relu/seed", _epoch_builder(backprop.deep_relu, deep_shapes, DIGITS, np.eye(5), 0.01,
                                                 ("W1", "W2", "W3", "W4")))
    register(a, "deep_relu/random", _epoch_builder(
        backprop.deep_relu, {"W1": (8, 25), "W2": (7, 8), "W3": (6, 7), "W4": (5, 6)}, (3, 25),
        lambda rng, X: one_hot(rng.integers(0, 5, len(X)), 5), 0.05, ("W1", "W2", "W3", "W4")))

    def mask_case(shape: tuple, ratio: float) -> Builder:
        def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
            y = rng.uniform(0, 1, shape)
            mask = backprop.dropout_mask(y, ratio, rng=rng)
            return {"y": y, "ratio": ratio}, {"count": int(np.count_nonzero(mask)),
                                              "scale": float(mask.max()), "shape": np.array(mask.shape)}
        return build

    register(a, "dropout_mask/seed", mask_case((20,), 0.2))
    register(a, "dropout_mask/matrix", mask_case((3, 7), 0.3))


# --- assignment `layers` ----------------------------------------------------------------------

def _layer_builder(make_layer: Callable[[Arrays], Any], make_inputs: Callable[[np.random.Generator], Arrays],
                   params: tuple[str, ...] = ()) -> Builder:
    """Forward ``x`` (``out``), backward a random ``dout`` (``dx``, and ``d<param>`` for ``params``)."""
    def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
        inputs = make_inputs(rng)
        layer = make_layer(inputs)
        out = layer.forward(inputs["x"])
        inputs["dout"] = rng.standard_normal(out.shape)
        outputs = {"out": out, "dx": layer.backward(inputs["dout"])}
        outputs.update({f"d{p}": getattr(layer, f"d{p}") for p in params})
        return inputs, outputs
    return build


def _x_only(make: Callable, shape: tuple, **extra: Any) -> Callable[[np.random.Generator], Arrays]:
    return lambda rng: {"x": make(rng, shape), **extra}


def _affine_inputs(x_shape: tuple, m: int) -> Callable[[np.random.Generator], Arrays]:
    def make(rng: np.random.Generator) -> Arrays:
        d = int(np.prod(x_shape[1:]))
        return {"x": rng.standard_normal(x_shape), "W": rng.standard_normal((d, m)), "b": rng.standard_normal(m)}
    return make


def _two_layer_net_case(labels: bool) -> Builder:
    def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
        net = layers.TwoLayerNet(4, 5, 3)
        net.params = {"W1": rng.standard_normal((4, 5)), "b1": rng.standard_normal(5),
                      "W2": rng.standard_normal((5, 3)), "b2": rng.standard_normal(3)}
        x = rng.standard_normal((6, 4))
        t = rng.integers(0, 3, 6)
        t = t if labels else one_hot(t, 3)
        grads = net.gradient(x, t)
        inputs = {**net.params, "x": x, "t": t}
        outputs = {"predict": net.predict(x), "loss": net.loss(x, t), "accuracy": net.accuracy(x, t),
                   **{f"grad.{k}": g for k, g in grads.items()}}
        return inputs, outputs
    return build


def _register_layers() -> None:
    a = "layers"
    activations = {
        "Relu": (lambda i: layers.Relu(), off_kinks),
        "LeakyRelu": (lambda i: layers.LeakyRelu(), off_kinks),
        "Elu": (lambda i: layers.Elu(), off_kinks),
        "Sigmoid": (lambda i: layers.Sigmoid(), _normal(2.0)),
        "Tanh": (lambda i: layers.Tanh(), _normal(1.5)),
    }
    for cls, (make_layer, make_x) in activations.items():
        register(a, f"{cls}/matrix", _layer_builder(make_layer, _x_only(make_x, (4, 5))))
        register(a, f"{cls}/4d", _layer_builder(make_layer, _x_only(make_x, (2, 3, 2, 2))))
    register(a, "LeakyRelu/alpha", _layer_builder(lambda i: layers.LeakyRelu(i["alpha"]),
                                                  _x_only(off_kinks, (3, 4), alpha=0.2)))
    register(a, "Elu/alpha", _layer_builder(lambda i: layers.Elu(i["alpha"]), _x_only(off_kinks, (3, 4), alpha=0.5)))

    make_affine = lambda i: layers.Affine(i["W"], i["b"])  # noqa: E731
    register(a, "Affine/batch2d", _layer_builder(make_affine, _affine_inputs((4, 3), 5), ("W", "b")))
    register(a, "Affine/batch4d", _layer_builder(make_affine, _affine_inputs((2, 3, 2, 2), 4), ("W", "b")))
    register(a, "Flatten/4d", _layer_builder(lambda i: layers.Flatten(), _x_only(_normal(1.0), (2, 3, 2, 2))))

    def softmax_with_loss(labels: bool) -> Builder:
        def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
            x = rng.standard_normal((4, 5))
            t = rng.integers(0, 5, 4)
            t = t if labels else one_hot(t, 5)
            layer = layers.SoftmaxWithLoss()
            loss = layer.forward(x, t)
            return {"x": x, "t": t}, {"loss": loss, "dx": layer.backward(1.0)}
        return build

    register(a, "SoftmaxWithLoss/onehot", softmax_with_loss(labels=False))
    register(a, "SoftmaxWithLoss/labels", softmax_with_loss(labels=True))

    def dropout_test_mode(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
        x = rng.standard_normal((3, 4))
        return {"x": x, "dropout_ratio": 0.3}, {"out": layers.Dropout(0.3).forward(x, train_flg=False)}

    register(a, "Dropout/test_mode", dropout_test_mode)
    register(a, "TwoLayerNet/onehot", _two_layer_net_case(labels=False))
    register(a, "TwoLayerNet/labels", _two_layer_net_case(labels=True))


# --- assignment `optim` -----------------------------------------------------------------------

def _optimizer_builder(cls: type, hyper: Arrays, shapes: dict[str, tuple], steps: int) -> Builder:
    """Start from random ``params`` of ``shapes``, apply ``steps`` random unit-scale gradients."""
    def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
        start = {k: rng.standard_normal(s) for k, s in shapes.items()}
        grads = {k: rng.standard_normal((steps, *s)) for k, s in shapes.items()}
        params = {k: v.copy() for k, v in start.items()}
        optimizer = cls(**hyper)
        trajectory: dict[str, list] = {k: [] for k in shapes}
        for step in range(steps):
            optimizer.update(params, {k: g[step] for k, g in grads.items()})
            for k in shapes:
                trajectory[k].append(params[k].copy())
        inputs = {**start, **{f"grad.{k}": g for k, g in grads.items()}, **hyper}
        return inputs, {k: np.array(v) for k, v in trajectory.items()}
    return build


def _init_case(fn: Callable, fan_in: int, fan_out: int, variance: float) -> Builder:
    def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
        W = fn(fan_in, fan_out, rng=rng)
        return {"fan_in": fan_in, "fan_out": fan_out}, {"shape": np.array(W.shape), "variance": variance}
    return build


def _init_twin(fn: Callable, variance: Callable[[int, int], float]) -> Builder:
    """Other fan-in and fan-out of the same size class (20 to 40)."""
    def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
        fan_in, fan_out = (int(n) for n in rng.integers(20, 41, 2))
        return _init_case(fn, fan_in, fan_out, variance(fan_in, fan_out))(rng)
    return build


def _register_optim() -> None:
    a = "optim"
    custom = {
        optim.SGD: {"lr": 0.1},
        optim.Momentum: {"lr": 0.05, "momentum": 0.8},
        optim.Nesterov: {"lr": 0.05, "momentum": 0.8},
        optim.AdaGrad: {"lr": 0.1},
        optim.RMSprop: {"lr": 0.05, "decay_rate": 0.9},
        optim.AdaDelta: {"rho": 0.9, "eps": 1e-5},
        optim.Adam: {"lr": 0.01, "beta1": 0.8, "beta2": 0.99},
    }
    for cls, hyper in custom.items():
        register(a, f"{cls.__name__}/default", _optimizer_builder(cls, {}, {"W": (3, 4), "b": (4,)}, 5))
        register(a, f"{cls.__name__}/custom", _optimizer_builder(cls, hyper, {"W1": (2, 3, 2), "b1": (2,)}, 3))
    register(a, "xavier_init/shape", _init_case(optim.xavier_init, 30, 20, 2.0 / 50),
             twin=_init_twin(optim.xavier_init, lambda fan_in, fan_out: 2.0 / (fan_in + fan_out)))
    register(a, "he_init/shape", _init_case(optim.he_init, 30, 20, 2.0 / 30),
             twin=_init_twin(optim.he_init, lambda fan_in, fan_out: 2.0 / fan_in))

    def penalty(shapes: list[tuple], lam: float) -> Builder:
        def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
            weights = [rng.standard_normal(s) for s in shapes]
            inputs = {**{f"weights.{i}": w for i, w in enumerate(weights)}, "weight_decay_lambda": lam}
            return inputs, {"penalty": optim.l2_penalty(weights, lam)}
        return build

    register(a, "l2_penalty/three", penalty([(3, 4), (4, 2), (2, 2, 3)], 0.1))
    register(a, "l2_penalty/single", penalty([(5, 3)], 0.01))

    def grad(shape: tuple, lam: float) -> Builder:
        def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
            W = rng.standard_normal(shape)
            return {"W": W, "weight_decay_lambda": lam}, {"grad": optim.l2_grad(W, lam)}
        return build

    register(a, "l2_grad/matrix", grad((3, 4), 0.1))
    register(a, "l2_grad/4d", grad((2, 3, 2, 2), 0.05))


# --- assignment `conv` ------------------------------------------------------------------------

SEED001 = {"x": np.array([1.0, 0.7, 0.5, 0.3, 0.1]), "w": np.array([1.0, 1.0, 1.0]), "b": np.array([0.5]),
           "target": np.array([1.0, 0.0, 0.0])}


def _conv1d_inputs(rng: np.random.Generator | None, seed_shapes: bool = False) -> Arrays:
    """Seed 001's numbers (``rng`` None), fresh ones of other sizes, or (``seed_shapes``, the seed cases' twins)
    fresh ones of seed 001's sizes and ranges."""
    if rng is None:
        return dict(SEED001)
    if seed_shapes:
        return {"x": rng.uniform(0.0, 1.0, 5), "w": rng.uniform(0.5, 1.5, 3), "b": rng.uniform(0.0, 1.0, 1),
                "target": rng.uniform(0.0, 1.0, 3)}
    return {"x": rng.standard_normal(9), "w": rng.standard_normal(4), "b": np.array([rng.standard_normal()]),
            "target": rng.standard_normal(6)}


def _conv1d_builder(seed_numbers: bool, outputs: Callable[[Arrays], tuple[Arrays, Arrays]]) -> Builder:
    return lambda rng: outputs(_conv1d_inputs(None if seed_numbers else rng))


def _conv1d_twin(outputs: Callable[[Arrays], tuple[Arrays, Arrays]]) -> Builder:
    return lambda rng: outputs(_conv1d_inputs(rng, seed_shapes=True))


def _conv1d_out(i: Arrays) -> tuple[Arrays, Arrays]:
    return {k: i[k] for k in ("x", "w", "b")}, {"y": conv.conv1d(i["x"], i["w"], i["b"])}


def _mse_out(i: Arrays) -> tuple[Arrays, Arrays]:
    pred = conv.conv1d(i["x"], i["w"], i["b"])
    return {"pred": pred, "target": i["target"]}, {"loss": conv.mse_loss(pred, i["target"])}


def _conv1d_backward_out(i: Arrays) -> tuple[Arrays, Arrays]:
    """``dout`` is the gradient of the MSE loss, so ``dw`` is the seed's ``dL/dw``."""
    pred = conv.conv1d(i["x"], i["w"], i["b"])
    dout = 2.0 * (pred - i["target"]) / pred.size
    dx, dw, db = conv.conv1d_backward(i["x"], i["w"], dout)
    return {"x": i["x"], "w": i["w"], "dout": dout}, {"dx": dx, "dw": dw, "db": db}


def _conv1d_train_out(lr: float, epochs: int) -> Callable[[Arrays], tuple[Arrays, Arrays]]:
    def out(i: Arrays) -> tuple[Arrays, Arrays]:
        w, b = conv.conv1d_train(i["x"], i["w"], i["b"], i["target"], lr, epochs)
        return {**i, "lr": lr, "epochs": epochs}, {"w": w, "b": b}
    return out


def _im2col_builder(shape: tuple, fh: int, fw: int, stride: int, pad: int) -> Builder:
    def build(rng: np.random.Generator) -> tuple[Arrays, Arrays]:
        x = rng.standard_normal(shape)
        col = conv.im2col(x, fh, fw, stride, pad)
        c = rng.standard_normal(col.shape)
        inputs = {"x": x, "c": c, "filter_h": fh, "filter_w": fw, "stride": stride, "pad": pad}
        return inputs, {"col": col, "img": conv.col2im(c, shape, fh, fw, stride, pad)}
    return build


def _convolution_inputs(x_shape: tuple, w_shape: tuple, stride: int, pad: int) -> Callable:
    def make(rng: np.random.Generator) -> Arrays:
        return {"x": rng.standard_normal(x_shape), "W": rng.standard_normal(w_shape),
                "b": rng.standard_normal(w_shape[0]), "stride": stride, "pad": pad}
    return make


def _pooling_inputs(x_shape: tuple, ph: int, pw: int, stride: int, pad: int) -> Callable:
    def make(rng: np.random.Generator) -> Arrays:
        # Distinct values (one clear maximum per window); positive when padded, so no window's maximum is a pad 0.
        x = distinct(rng, x_shape, positive=pad > 0)
        return {"x": x, "pool_h": ph, "pool_w": pw, "stride": stride, "pad": pad}
    return make


def _register_conv() -> None:
    a = "conv"
    for suffix, seed_numbers in (("seed", True), ("random", False)):
        for name, out in (("conv1d", _conv1d_out), ("mse_loss", _mse_out), ("conv1d_backward", _conv1d_backward_out)):
            register(a, f"{name}/{suffix}", _conv1d_builder(seed_numbers, out),
                     twin=_conv1d_twin(out) if seed_numbers else None)
    register(a, "conv1d_train/seed", _conv1d_builder(True, _conv1d_train_out(0.11, 200)),
             twin=_conv1d_twin(_conv1d_train_out(0.11, 200)))
    register(a, "conv1d_train/random", _conv1d_builder(False, _conv1d_train_out(0.05, 30)))

    for suffix, args in (("basic", ((2, 3, 5, 5), 3, 3, 1, 0)), ("stride_pad", ((2, 2, 6, 5), 3, 2, 2, 1))):
        build = _im2col_builder(*args)
        register(a, f"im2col/{suffix}", build)
        register(a, f"col2im/{suffix}", build)

    make_conv = lambda i: conv.Convolution(i["W"], i["b"], i["stride"], i["pad"])  # noqa: E731
    register(a, "Convolution/basic", _layer_builder(make_conv, _convolution_inputs((2, 3, 5, 5), (4, 3, 3, 3), 1, 0),
                                                    ("W", "b")))
    register(a, "Convolution/stride_pad", _layer_builder(
        make_conv, _convolution_inputs((2, 2, 7, 6), (3, 2, 3, 2), 2, 1), ("W", "b")))
    make_pool = lambda i: conv.Pooling(i["pool_h"], i["pool_w"], i["stride"], i["pad"])  # noqa: E731
    register(a, "Pooling/basic", _layer_builder(make_pool, _pooling_inputs((2, 3, 4, 4), 2, 2, 2, 0)))
    register(a, "Pooling/overlap_pad", _layer_builder(make_pool, _pooling_inputs((2, 2, 5, 5), 3, 3, 2, 1)))


_register_numerical()
_register_backprop()
_register_layers()
_register_optim()
_register_conv()

ASSIGNMENTS: tuple[str, ...] = tuple(REGISTRY)

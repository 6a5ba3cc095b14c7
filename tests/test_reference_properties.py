"""Properties of the reference: normalisation, adjointness, loop equivalence, in-place updates, statistics."""
from __future__ import annotations

import numpy as np
import pytest

from reference import backprop, conv, layers, numerical, optim
from reference.golden_cases import distinct


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([77, *key])


# --- numerical ------------------------------------------------------------------------------------

@pytest.mark.parametrize("x", [
    np.array([1000.0, 1001.0, 1002.0]),
    np.array([[1000.0, 1001.0, 1002.0], [-1000.0, 0.0, 1000.0], [0.3, 2.9, 4.0]]),
    np.random.default_rng(0).standard_normal((6, 10)) * 30,
], ids=["vector-1000", "batch-mixed", "batch-wide"])
def test_softmax_rows_sum_to_one_and_are_finite(x):
    y = numerical.softmax(x)
    assert y.shape == x.shape and np.all(np.isfinite(y)) and np.all(y >= 0)
    np.testing.assert_allclose(np.sum(y, axis=-1), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(numerical.softmax(np.array([1000.0, 1001.0, 1002.0])),
                               np.exp([0.0, 1.0, 2.0]) / np.exp([0.0, 1.0, 2.0]).sum(), rtol=1e-15)


def test_softmax_of_a_batch_is_row_by_row():
    x = _rng(1).standard_normal((4, 5))
    np.testing.assert_allclose(numerical.softmax(x), np.array([numerical.softmax(row) for row in x]), rtol=1e-15)


def test_sigmoid_relu_against_formulas():
    x = _rng(2).standard_normal((3, 4)) * 5
    np.testing.assert_allclose(numerical.sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-14)
    np.testing.assert_array_equal(numerical.relu(x), np.where(x > 0, x, 0))
    assert np.all(np.isfinite(numerical.sigmoid(np.array([-1000.0, 1000.0]))))


def test_cross_entropy_error_batch_forms_agree():
    rng = _rng(3)
    y = numerical.softmax(rng.standard_normal((5, 4)))
    labels = rng.integers(0, 4, 5)
    expected = -np.mean(np.log(y[np.arange(5), labels] + 1e-7))
    assert numerical.cross_entropy_error(y, labels) == pytest.approx(expected, rel=1e-14)
    assert numerical.cross_entropy_error(y, np.eye(4)[labels]) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 1, 2, 2)], ids=str)
def test_numerical_gradient_restores_x_and_keeps_its_shape(shape):
    x = _rng(4).standard_normal(shape)
    before = x.copy()
    seen = []
    grad = numerical.numerical_gradient(lambda v: seen.append(v is x) or float(np.sum(v**3)), x)
    assert grad.shape == shape and all(seen)  # perturbed in place, so closures over x see it
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_rejects_integer_arrays():
    with pytest.raises(TypeError, match="float"):
        numerical.numerical_gradient(lambda v: float(np.sum(v)), np.array([1, 2]))


# --- inputs are never modified ----------------------------------------------------------------------

def _calls(rng: np.random.Generator):
    x4, W4 = rng.standard_normal((2, 3, 5, 5)), rng.standard_normal((2, 3, 3, 3))
    X, D = rng.standard_normal((4, 3)), rng.integers(0, 2, (4, 1)).astype(float)
    W1, W2 = rng.standard_normal((4, 3)), rng.standard_normal((1, 4))
    deep = [rng.standard_normal(s) for s in ((6, 25), (5, 6), (4, 5), (5, 4))]
    return [
        ("softmax", numerical.softmax, (rng.standard_normal((3, 4)),)),
        ("cross_entropy_error", numerical.cross_entropy_error, (np.full((2, 3), 1 / 3), np.array([0, 2]))),
        ("gradient_descent", lambda x: numerical.gradient_descent(lambda v: float(np.sum(v**2)), x, 0.1, 3),
         (rng.standard_normal(3),)),
        ("mlp_update", backprop.mlp_update, (rng.standard_normal(2), rng.standard_normal(2), rng.standard_normal((2, 2)),
                                             rng.standard_normal((2, 2)), 0.5)),
        ("delta_sgd", backprop.delta_sgd, (rng.standard_normal((1, 3)), X, D, 0.9)),
        ("backprop_xor", backprop.backprop_xor, (W1, W2, X, D, 0.9)),
        ("backprop_ce", backprop.backprop_ce, (W1, W2, X, D, 0.9)),
        ("deep_relu", backprop.deep_relu, (*deep, rng.standard_normal((3, 25)), np.eye(5)[:3], 0.1)),
        ("conv1d_train", conv.conv1d_train, (rng.standard_normal(6), rng.standard_normal(3), np.array([0.1]),
                                             rng.standard_normal(4), 0.1, 5)),
        ("im2col", conv.im2col, (x4, 3, 3, 2, 1)),
        ("col2im", conv.col2im, (rng.standard_normal((18, 27)), (2, 3, 5, 5), 3, 3, 2, 1)),
        ("Convolution", lambda x, W: _forward_backward(conv.Convolution(W, np.zeros(2), 2, 1), x), (x4, W4)),
        ("Pooling", lambda x: _forward_backward(conv.Pooling(2, 2, 2), x), (x4,)),
        ("Affine", lambda x, W, b: _forward_backward(layers.Affine(W, b), x),
         (rng.standard_normal((2, 3, 2)), rng.standard_normal((6, 4)), rng.standard_normal(4))),
        *[(cls.__name__, lambda x, cls=cls: _forward_backward(cls(), x), (rng.standard_normal((3, 4)),))
          for cls in (layers.Relu, layers.LeakyRelu, layers.Elu, layers.Sigmoid, layers.Tanh, layers.Flatten,
                      layers.Dropout)],
    ]


def _forward_backward(layer, x):
    out = layer.forward(x)
    dout = np.ones_like(out) * 0.5
    layer.backward(dout)
    np.testing.assert_array_equal(dout, 0.5)  # dout untouched too
    return out


@pytest.mark.parametrize("index", range(len(_calls(_rng(0)))), ids=[c[0] for c in _calls(_rng(0))])
def test_inputs_are_not_modified(index):
    name, fn, args = _calls(_rng(5))[index]
    before = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
    fn(*args)
    for a, b in zip(args, before):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=f"{name} modified an input")


def test_layer_outputs_are_not_mutated_by_backward():
    x = _rng(6).standard_normal((3, 4))
    for cls in (layers.Relu, layers.Sigmoid, layers.Tanh, layers.Elu):
        layer = cls()
        out = layer.forward(x)
        kept = out.copy()
        layer.backward(np.ones_like(out))
        np.testing.assert_array_equal(out, kept, err_msg=cls.__name__)


# --- conv -----------------------------------------------------------------------------------------

IM2COL_CASES = [((2, 3, 5, 5), 3, 3, 1, 0), ((2, 2, 6, 5), 3, 2, 2, 1), ((1, 1, 4, 4), 2, 2, 2, 0),
                ((3, 2, 7, 7), 3, 3, 3, 2)]


@pytest.mark.parametrize("shape,fh,fw,stride,pad", IM2COL_CASES, ids=str)
def test_col2im_is_the_adjoint_of_im2col(shape, fh, fw, stride, pad):
    rng = _rng(7, *shape)
    x = rng.standard_normal(shape)
    col = conv.im2col(x, fh, fw, stride, pad)
    c = rng.standard_normal(col.shape)
    lhs = np.sum(col * c)
    rhs = np.sum(x * conv.col2im(c, shape, fh, fw, stride, pad))
    assert lhs == pytest.approx(rhs, rel=1e-12)


@pytest.mark.parametrize("shape,fh,fw,stride,pad", IM2COL_CASES, ids=str)
def test_im2col_layout_rows_n_oy_ox_columns_c_ky_kx(shape, fh, fw, stride, pad):
    x = _rng(8).standard_normal(shape)
    N, C, H, W = shape
    padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    oh, ow = (H + 2 * pad - fh) // stride + 1, (W + 2 * pad - fw) // stride + 1
    col = conv.im2col(x, fh, fw, stride, pad)
    assert col.shape == (N * oh * ow, C * fh * fw)
    for n in range(N):
        for oy in range(oh):
            for ox in range(ow):
                window = padded[n, :, oy * stride:oy * stride + fh, ox * stride:ox * stride + fw]
                np.testing.assert_array_equal(col[(n * oh + oy) * ow + ox], window.reshape(-1))


def _direct_convolution(x, W, b, stride, pad):
    """Nested loops over images, filters and output pixels: the definition of the layer."""
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    oh, ow = (H + 2 * pad - FH) // stride + 1, (Wd + 2 * pad - FW) // stride + 1
    out = np.zeros((N, FN, oh, ow))
    for n in range(N):
        for f in range(FN):
            for i in range(oh):
                for j in range(ow):
                    total = b[f]
                    for c in range(C):
                        for ky in range(FH):
                            for kx in range(FW):
                                total += W[f, c, ky, kx] * xp[n, c, i * stride + ky, j * stride + kx]
                    out[n, f, i, j] = total
    return out


@pytest.mark.parametrize("x_shape,w_shape,stride,pad", [
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 0),
    ((2, 2, 7, 6), (3, 2, 3, 2), 2, 1),
    ((1, 3, 6, 6), (2, 3, 2, 2), 3, 2),
], ids=str)
def test_convolution_equals_nested_loops(x_shape, w_shape, stride, pad):
    rng = _rng(9, *x_shape)
    x, W, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
    np.testing.assert_allclose(conv.Convolution(W, b, stride, pad).forward(x), _direct_convolution(x, W, b, stride, pad),
                               rtol=1e-12, atol=1e-12)


def _direct_max_pool(x, ph, pw, stride, pad):
    """Loops over every output pixel; zero padding as in the textbook. Returns (out, dx for dout)."""
    N, C, H, W = x.shape
    xp = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    oh, ow = (H + 2 * pad - ph) // stride + 1, (W + 2 * pad - pw) // stride + 1
    out = np.zeros((N, C, oh, ow))
    where = np.zeros((N, C, oh, ow, 2), dtype=int)
    for n in range(N):
        for c in range(C):
            for i in range(oh):
                for j in range(ow):
                    window = xp[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw]
                    ky, kx = np.unravel_index(np.argmax(window), window.shape)
                    out[n, c, i, j] = window[ky, kx]
                    where[n, c, i, j] = (i * stride + ky, j * stride + kx)
    return out, where


@pytest.mark.parametrize("x_shape,pool,stride,pad", [
    ((2, 3, 4, 4), (2, 2), 2, 0), ((2, 2, 5, 5), (3, 3), 2, 1), ((1, 2, 6, 5), (3, 2), 1, 0),
], ids=str)
def test_pooling_equals_nested_loops(x_shape, pool, stride, pad):
    rng = _rng(10, *x_shape)
    x = distinct(rng, x_shape, positive=pad > 0)
    layer = conv.Pooling(*pool, stride, pad)
    out = layer.forward(x)
    expected, where = _direct_max_pool(x, *pool, stride, pad)
    np.testing.assert_array_equal(out, expected)

    dout = rng.standard_normal(out.shape)
    dxp = np.zeros((x_shape[0], x_shape[1], x_shape[2] + 2 * pad, x_shape[3] + 2 * pad))
    for idx in np.ndindex(out.shape):
        n, c = idx[:2]
        dxp[n, c, where[idx][0], where[idx][1]] += dout[idx]
    np.testing.assert_allclose(layer.backward(dout), dxp[:, :, pad:pad + x_shape[2], pad:pad + x_shape[3]],
                               rtol=1e-15, atol=0)


def test_conv1d_equals_loops_and_backward_of_zero_is_zero():
    rng = _rng(11)
    x, w, b = rng.standard_normal(8), rng.standard_normal(3), 0.25
    expected = [sum(x[i + j] * w[j] for j in range(3)) + b for i in range(6)]
    np.testing.assert_allclose(conv.conv1d(x, w, b), expected, rtol=1e-14)
    dx, dw, db = conv.conv1d_backward(x, w, np.zeros(6))
    assert not dx.any() and not dw.any() and db == 0.0


# --- optimizers -----------------------------------------------------------------------------------

def _hand_written(name: str, hyper: dict, p: np.ndarray, grads: list[np.ndarray]) -> list[np.ndarray]:
    """The curriculum's update rules, one scalar formula per line, for a single parameter array."""
    p, out = p.copy(), []
    s1, s2 = np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(grads, start=1):
        if name == "SGD":
            p = p - hyper["lr"] * g
        elif name == "Momentum":
            s1 = hyper["momentum"] * s1 - hyper["lr"] * g
            p = p + s1
        elif name == "Nesterov":
            s1 = hyper["momentum"] * s1 - hyper["lr"] * g
            p = p + hyper["momentum"] * s1 - hyper["lr"] * g
        elif name == "AdaGrad":
            s1 = s1 + g * g
            p = p - hyper["lr"] * g / (np.sqrt(s1) + 1e-7)
        elif name == "RMSprop":
            s1 = hyper["decay_rate"] * s1 + (1 - hyper["decay_rate"]) * g * g
            p = p - hyper["lr"] * g / (np.sqrt(s1) + 1e-7)
        elif name == "AdaDelta":
            s1 = hyper["rho"] * s1 + (1 - hyper["rho"]) * g * g
            dx = np.sqrt(s2 + hyper["eps"]) / np.sqrt(s1 + hyper["eps"]) * g
            p = p - dx
            s2 = hyper["rho"] * s2 + (1 - hyper["rho"]) * dx * dx
        elif name == "Adam":
            s1 = hyper["beta1"] * s1 + (1 - hyper["beta1"]) * g
            s2 = hyper["beta2"] * s2 + (1 - hyper["beta2"]) * g * g
            p = p - hyper["lr"] * (s1 / (1 - hyper["beta1"] ** t)) / (np.sqrt(s2 / (1 - hyper["beta2"] ** t)) + 1e-8)
        out.append(p.copy())
    return out


OPTIMIZERS = {
    "SGD": (optim.SGD, {"lr": 0.01}),
    "Momentum": (optim.Momentum, {"lr": 0.01, "momentum": 0.9}),
    "Nesterov": (optim.Nesterov, {"lr": 0.01, "momentum": 0.9}),
    "AdaGrad": (optim.AdaGrad, {"lr": 0.01}),
    "RMSprop": (optim.RMSprop, {"lr": 0.01, "decay_rate": 0.99}),
    "AdaDelta": (optim.AdaDelta, {"rho": 0.95, "eps": 1e-6}),
    "Adam": (optim.Adam, {"lr": 0.001, "beta1": 0.9, "beta2": 0.999}),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
@pytest.mark.parametrize("custom", [False, True], ids=["defaults", "custom"])
def test_optimizer_updates_in_place_and_follows_the_rule(name, custom):
    cls, defaults = OPTIMIZERS[name]
    hyper = {k: v * 0.5 for k, v in defaults.items()} if custom else defaults
    rng = _rng(12, len(name))
    start = {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal(4)}
    params = {k: v.copy() for k, v in start.items()}
    objects = {k: id(v) for k, v in params.items()}
    grads = {k: [rng.standard_normal(v.shape) for _ in range(6)] for k, v in start.items()}
    optimizer = cls(**hyper) if custom else cls()
    history = {k: [] for k in params}
    for step in range(6):
        optimizer.update(params, {k: g[step] for k, g in grads.items()})
        for k in params:
            history[k].append(params[k].copy())
    assert {k: id(v) for k, v in params.items()} == objects, "params must keep the same array objects"
    for k in params:
        np.testing.assert_allclose(history[k], _hand_written(name, hyper, start[k], grads[k]), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("fn,variance", [
    (optim.xavier_init, lambda fi, fo: 2 / (fi + fo)),
    (optim.he_init, lambda fi, fo: 2 / fi),
], ids=["xavier", "he"])
@pytest.mark.parametrize("fans", [(100, 50), (300, 200), (784, 10)], ids=str)
def test_initialiser_variance_within_three_standard_errors(fn, variance, fans):
    """Sample variance of n entries has standard error sigma**2 * sqrt(2 / (n - 1)) for normal entries."""
    W = fn(*fans, rng=_rng(13, *fans))
    assert W.shape == fans
    target, n = variance(*fans), W.size
    assert abs(W.var(ddof=1) - target) < 3 * target * np.sqrt(2 / (n - 1))
    assert abs(W.mean()) < 3 * np.sqrt(target / n)


def test_initialisers_draw_from_the_global_state_without_rng():
    np.random.seed(5)
    a = optim.he_init(4, 3)
    np.random.seed(5)
    np.testing.assert_array_equal(a, optim.he_init(4, 3))


def test_l2_penalty_formula():
    ws = [np.ones((2, 2)), np.full(3, 2.0)]
    assert optim.l2_penalty(ws, 0.1) == pytest.approx(0.5 * 0.1 * (4 + 12))


# --- dropout --------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape,ratio", [((20,), 0.2), ((3, 7), 0.3), ((4, 5, 6), 0.5), ((10,), 0.0), ((9,), 0.75)],
                         ids=str)
def test_dropout_mask_keeps_exactly_the_stated_count(shape, ratio):
    y = np.ones(shape)
    for seed in range(5):
        mask = backprop.dropout_mask(y, ratio, rng=np.random.default_rng(seed))
        assert mask.shape == shape
        assert np.count_nonzero(mask) == round(y.size * (1 - ratio))
        assert set(np.unique(mask)) <= {0.0, 1 / (1 - ratio)}


def test_dropout_mask_is_random_and_works_with_the_global_state():
    y = np.zeros((6, 6))
    np.random.seed(1)
    a = backprop.dropout_mask(y, 0.5)
    np.random.seed(1)
    np.testing.assert_array_equal(a, backprop.dropout_mask(y, 0.5))
    assert not np.array_equal(a, backprop.dropout_mask(y, 0.5))


def test_dropout_layer_train_and_test_modes():
    x = _rng(14).standard_normal((50, 40))
    layer = layers.Dropout(0.3, rng=np.random.default_rng(0))
    out = layer.forward(x)
    kept = out != 0
    np.testing.assert_array_equal(out[kept], x[kept])
    assert abs(kept.mean() - 0.7) < 0.03
    np.testing.assert_array_equal(layer.forward(x, train_flg=False), x * 0.7)

"""The trusted helpers (grader/sandbox/trusted.py) agree with the reference, in the judge."""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import trusted
from reference import conv, numerical

IM2COL_CASES = [((2, 3, 5, 5), 3, 3, 1, 0), ((2, 2, 6, 5), 3, 2, 2, 1), ((1, 1, 4, 7), 2, 3, 3, 2),
                ((3, 2, 5, 4), 1, 1, 1, 0), ((1, 2, 4, 4), 4, 4, 1, 1)]


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([91, *key])


def test_registry_holds_the_helpers_by_their_curriculum_names():
    assert {"im2col", "col2im", "numerical_gradient", "conv1d", "conv1d_backward", "mse_loss"} <= set(trusted.TRUSTED)
    assert trusted.get("im2col") is trusted.im2col
    with pytest.raises(KeyError, match="known: "):
        trusted.get("nope")


def test_module_does_not_import_the_reference():
    """The student process must never see the reference: not even an import of it."""
    tree = ast.parse(Path(trusted.__file__).read_text())
    imported = [a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    assert not [m for m in imported if m.split(".")[0] == "reference"], imported


@pytest.mark.parametrize("shape, fh, fw, stride, pad", IM2COL_CASES, ids=str)
def test_im2col_and_col2im_match_the_reference(shape, fh, fw, stride, pad):
    rng = _rng(1, *shape, fh, fw, stride, pad)
    x = rng.standard_normal(shape)
    expected = conv.im2col(x, fh, fw, stride, pad)
    np.testing.assert_allclose(trusted.im2col(x, fh, fw, stride, pad), expected, rtol=0, atol=0)
    c = rng.standard_normal(expected.shape)
    np.testing.assert_allclose(trusted.col2im(c, shape, fh, fw, stride, pad), conv.col2im(c, shape, fh, fw, stride, pad),
                               rtol=1e-14, atol=1e-14)


def test_col2im_is_the_adjoint_of_im2col():
    shape, fh, fw, stride, pad = (2, 2, 5, 6), 3, 3, 1, 1
    rng = _rng(2)
    x = rng.standard_normal(shape)
    c = rng.standard_normal(trusted.im2col(x, fh, fw, stride, pad).shape)
    lhs = np.sum(trusted.im2col(x, fh, fw, stride, pad) * c)
    rhs = np.sum(x * trusted.col2im(c, shape, fh, fw, stride, pad))
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_im2col_leaves_its_input_alone_and_col2im_accepts_a_list_shape():
    x = _rng(3).standard_normal((1, 2, 4, 4))
    before = x.copy()
    col = trusted.im2col(x, 2, 2, 2, 0)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(trusted.col2im(col, [1, 2, 4, 4], 2, 2, 2, 0), x)  # non-overlapping: an inverse


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 1, 2, 2)], ids=str)
def test_numerical_gradient_matches_the_reference_and_restores_x(shape):
    x = _rng(4).standard_normal(shape)
    before = x.copy()
    f = lambda v: float(np.sum(np.sin(v) * np.arange(1, v.size + 1).reshape(v.shape)))  # noqa: E731
    got = trusted.numerical_gradient(f, x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(got, numerical.numerical_gradient(f, x.copy()), rtol=1e-9, atol=1e-12)


def test_numerical_gradient_perturbs_x_itself_like_the_textbook():
    """A closure over ``x`` (the textbook's ``lambda W: net.loss(x, t)``) must see the step."""
    x = np.array([1.0, -2.0])
    got = trusted.numerical_gradient(lambda _: float(np.sum(x**2)), x)
    np.testing.assert_allclose(got, 2 * x, rtol=1e-8)


@pytest.mark.parametrize("L, K", [(5, 3), (9, 4), (4, 1), (6, 6)])
def test_conv1d_helpers_match_the_reference(L, K):
    rng = _rng(5, L, K)
    x, w, b, target = rng.standard_normal(L), rng.standard_normal(K), rng.standard_normal(1), rng.standard_normal(L - K + 1)
    y = trusted.conv1d(x, w, b)
    np.testing.assert_allclose(y, conv.conv1d(x, w, b), rtol=1e-13, atol=1e-14)
    assert trusted.conv1d(x, w, float(b[0])) == pytest.approx(conv.conv1d(x, w, float(b[0])), rel=1e-13)
    assert trusted.mse_loss(y, target) == pytest.approx(conv.mse_loss(y, target), rel=1e-13)
    dout = rng.standard_normal(L - K + 1)
    for got, expected in zip(trusted.conv1d_backward(x, w, dout), conv.conv1d_backward(x, w, dout)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)


def test_the_layers_match_the_reference_layers():
    """The stand-ins TwoLayerNet is re-graded with (when the student's own layers fail) are the reference's
    layers, numerically, for forward, backward and the gradients they keep."""
    from reference import layers

    rng = _rng(7)
    x, W, b, dout = rng.standard_normal((5, 2, 3)), rng.standard_normal((6, 4)), rng.standard_normal(4), \
        rng.standard_normal((5, 4))
    mine, ref = trusted.get("Affine")(W, b), layers.Affine(W.copy(), b.copy())
    np.testing.assert_allclose(mine.forward(x), ref.forward(x), rtol=1e-14)
    np.testing.assert_allclose(mine.backward(dout), ref.backward(dout), rtol=1e-14)
    np.testing.assert_allclose(mine.dW, ref.dW, rtol=1e-14)
    np.testing.assert_allclose(mine.db, ref.db, rtol=1e-14)
    for name in ("Relu", "Sigmoid"):
        mine, ref = trusted.get(name)(), getattr(layers, name)()
        x, dout = 3 * rng.standard_normal((4, 5)), rng.standard_normal((4, 5))
        before = (x.copy(), dout.copy())
        np.testing.assert_allclose(mine.forward(x), ref.forward(x), rtol=1e-14, err_msg=name)
        np.testing.assert_allclose(mine.backward(dout), ref.backward(dout), rtol=1e-14, err_msg=name)
        np.testing.assert_array_equal(x, before[0])
        np.testing.assert_array_equal(dout, before[1])
    for t in (np.eye(4)[[0, 2, 1, 3, 3]], np.array([0, 2, 1, 3, 3]), np.array([0.0, 0.0, 1.0, 0.0])):
        x = 3 * rng.standard_normal((5, 4) if t.ndim == 2 or t.size == 5 else (4,))
        mine, ref = trusted.get("SoftmaxWithLoss")(), layers.SoftmaxWithLoss()
        assert mine.forward(x, t) == pytest.approx(ref.forward(x, t), rel=1e-12)
        np.testing.assert_allclose(mine.backward(), ref.backward(), rtol=1e-12)

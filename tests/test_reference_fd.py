"""The finite-difference oracle the reference tests rely on, and tests of the oracle itself.

It is written here, independently of ``reference.numerical.numerical_gradient``: it never
touches the caller's array (it perturbs a private float64 copy) and uses ``h = 1e-5``.

Relative error (used by every gradient test): ``||a - n|| / max(||a||, ||n||)`` with 2-norms over
all entries (0 when both are 0). Central differences in float64 with ``h = 1e-5`` have a truncation
error ``~h**2 * f''' / 6 ~ 1e-11`` and a rounding error ``~1e-16 * |f| / h ~ 1e-11 * |f|``, so a
correct gradient of a smooth function lands near 1e-10, far below the 1e-7 bar.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pytest

H = 1e-5
TOLERANCE = 1e-7


def central_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = H) -> np.ndarray:
    """``df/dx`` of a scalar function at ``x`` (any shape) by central differences on a copy of ``x``."""
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    flat, g = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        f_plus = f(x)
        flat[i] = old - h
        f_minus = f(x)
        flat[i] = old
        g[i] = (f_plus - f_minus) / (2 * h)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """``||a - n|| / max(||a||, ||n||)`` (0 when both vanish)."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    assert analytic.shape == numeric.shape, (analytic.shape, numeric.shape)
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric))
    return 0.0 if scale == 0 else float(np.linalg.norm(analytic - numeric) / scale)


def assert_gradient(analytic: np.ndarray, f: Callable[[np.ndarray], float], x: np.ndarray, what: str) -> float:
    """Fail unless ``analytic`` is within :data:`TOLERANCE` of the central differences of ``f`` at ``x``."""
    numeric = central_gradient(f, x)
    err = relative_error(analytic, numeric)
    assert err < TOLERANCE, f"{what}: relative error {err:.3e} against central differences"
    return err


def projected(layer_out: Callable[[np.ndarray], np.ndarray], dout: np.ndarray) -> Callable[[np.ndarray], float]:
    """The scalar ``L(x) = sum(out(x) * dout)``: its gradient is what ``backward(dout)`` must return."""
    return lambda x: float(np.sum(layer_out(x) * dout))


# --- the oracle's own tests ------------------------------------------------------------------------

def test_exact_on_quadratics():
    rng = np.random.default_rng(1)
    A = rng.standard_normal((4, 4))
    x = rng.standard_normal(4)
    assert relative_error(central_gradient(lambda v: v @ A @ v, x), (A + A.T) @ x) < 1e-9


@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 1, 2, 2)])
def test_matches_known_gradient_in_any_shape_and_leaves_x_alone(shape):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(shape)
    before = x.copy()
    numeric = central_gradient(lambda v: float(np.sum(np.sin(v) * v)), x)
    assert numeric.shape == shape
    assert relative_error(numeric, np.cos(x) * x + np.sin(x)) < 1e-9
    np.testing.assert_array_equal(x, before)


def test_detects_a_wrong_gradient():
    x = np.array([0.3, -1.2, 2.0])
    with pytest.raises(AssertionError, match="relative error"):
        assert_gradient(2 * x / 2, lambda v: float(np.sum(v**2)), x, "half gradient")


def test_relative_error_conventions():
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.array([1.0, 0.0]), np.array([0.0, 0.0])) == 1.0

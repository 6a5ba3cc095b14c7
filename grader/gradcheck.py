"""Finite differences driven from the judge: check a student's gradient against central
differences of the specified function (the reference's forward pass, computed in the judge), so that
a backward matching only the student's own forward, an identity layer or a zero stub fails.

The functions ``f`` passed here may be remote calls into the student process (~0.1 ms each),
so every helper states how many times it calls ``f``. ``f`` always receives a fresh float64
array (the caller's ``x`` is never modified) and must return one number.

Strategy (see GRADCHECK_NOTES.md): for ``x.size <= FULL_CHECK_SIZE`` compare every element.
Larger inputs are screened with random directional derivatives (2 calls each, compared with
``<analytic, u>``) and a sample of elements (those with the largest ``|analytic|`` plus random
ones) is always confirmed element-wise, since a projection can hide an error where the Jacobian
is sparse. After a failed screen, every element (up to ``RECHECK_SIZE``) or a larger sample is
compared to find and report the worst element.

Keeping inputs off kinks (ReLU/LeakyReLU/ELU at 0, max-pool ties) is the caller's job: a
correct gradient differs from finite differences there. Use :func:`off_kinks` on such inputs
(it keeps every element at least ``margin`` >> ``h`` away), give pooling windows a top-two gap
> 10·h, and check the value exactly at a kink separately against the stated convention.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from numpy.typing import ArrayLike

from grader.checks import CheckFailed
from grader.compare import (as_array, as_scalar, elementwise_relative_error, mismatch_failure,
                            relative_error)
from grader.diagnose import diagnose
from grader.mutants import explain

__all__ = ["H", "relative_error", "elementwise_relative_error", "numeric_gradient",
           "directional_derivative", "check_gradient", "layer_gradcheck", "param_gradcheck",
           "off_kinks"]

H = 1e-5
FULL_CHECK_SIZE = 64
RECHECK_SIZE = 1024
SAMPLE_AFTER_FAILED_SCREEN = 64
NOISE = 1e-13
"""Absolute tolerance per unit of ``max |f|`` and of ``1/h``: float64 rounding in ``f(x±h)``."""
DIAGNOSE_RTOL = 1e-4

Scalar = Callable[[np.ndarray], object]


def numeric_gradient(f: Scalar, x: ArrayLike, h: float = H) -> np.ndarray:
    """Central differences ``(f(x + h e_i) - f(x - h e_i)) / 2h``, shape of ``x``; 2·x.size calls.

    ``x`` must be a float array (float16/32 are promoted to float64); integer arrays are refused.
    """
    x = _float_input(x, "numeric_gradient")
    return _partials(f, x, np.arange(x.size), h)[0].reshape(x.shape)


def directional_derivative(f: Scalar, x: ArrayLike, direction: ArrayLike, h: float = H) -> float:
    """``(f(x + h u) - f(x - h u)) / 2h`` for ``u = direction`` (≈ ``<grad f, u>``); 2 calls."""
    x = _float_input(x, "directional_derivative")
    return _central(f, x, h * np.asarray(direction, dtype=np.float64))[0] / h


def check_gradient(
    analytic: object,
    f: Scalar,
    x: ArrayLike,
    *,
    what: str,
    rng: np.random.Generator,
    rtol: float = 1e-5,
    screen_directions: int = 2,
    confirm_elements: int = 8,
    h: float = H,
    batch_size: int | None = None,
) -> None:
    """Fail unless ``analytic`` (the student's gradient of ``f`` at ``x``) matches central differences.

    An element passes when ``|num - ana| <= atol + rtol*(|num| + |ana|)``, ``atol`` being the
    rounding noise of the differences; ``batch_size`` lets the diagnosis name 1/N.
    Calls of ``f``: 2·x.size when x.size <= 64; otherwise 2·screen_directions plus
    2·confirm_elements (20 in all by default) when the screen passes, or plus 2·x.size
    (2·64 when x.size > 1024) when it fails.
    """
    x = _float_input(x, what)
    grad = as_array(analytic, what, shape=x.shape)
    if x.size <= FULL_CHECK_SIZE:
        _confirm(f, x, grad, np.arange(x.size), what=what, rtol=rtol, h=h, fscale=0.0,
                 batch_size=batch_size)
        return
    screen = [_screen(f, x, grad, rng.standard_normal(x.shape), rtol, h)
              for _ in range(screen_directions)]
    failed = [s for s in screen if not s[0]]
    fscale = max((s[3] for s in screen), default=0.0)
    if not failed:
        flat = _sample(grad, rng, confirm_elements)
    elif x.size <= RECHECK_SIZE:
        flat = np.arange(x.size)
    else:
        flat = _sample(grad, rng, SAMPLE_AFTER_FAILED_SCREEN)
    _confirm(f, x, grad, flat, what=what, rtol=rtol, h=h, fscale=fscale, batch_size=batch_size)
    if failed:
        _, num, ana, _ = failed[0]
        raise CheckFailed(
            f"{what} does not match central differences of the forward pass: along a random "
            f"direction u the numeric derivative is {num:.6g} but <your gradient, u> is {ana:.6g} "
            f"(relative error {relative_error(num, ana):.3g}); the {flat.size} elements checked "
            "one by one agree, so the error is in elements that were not checked one by one.",
            {"type": "scalars", "rows": [{"name": "directional derivative", "expected": f"{num:.10g}",
                                          "got": f"{ana:.10g}"}]})


def layer_gradcheck(
    forward: Callable[[np.ndarray], object],
    backward: Callable[[np.ndarray], object],
    x: ArrayLike,
    *,
    what: str,
    rng: np.random.Generator,
    dout: ArrayLike | None = None,
    rtol: float = 1e-5,
    batch_size: int | None = None,
    true_forward: Callable[[np.ndarray], object] | None = None,
) -> None:
    """Check ``dx = backward(dout)`` against finite differences of ``sum(true_forward(x) * dout)``.

    Calls ``forward(x)`` once and ``backward(dout)`` once (in that order, so a layer's cache
    holds ``x``), then ``true_forward`` as :func:`check_gradient` calls ``f``. ``true_forward`` is the
    specified function (the reference's forward, run in the judge): a backward that matches only the
    student's own wrong forward, an identity layer or a zero stub fails. Without it, the student's
    ``forward`` is differentiated (a consistency check only). ``dout`` defaults to a random normal
    array (never all ones: that hides a backward that ignores ``dout``). ``what`` names the
    gradient, e.g. ``"Relu.backward: dx"``.
    """
    x = _float_input(x, what)
    out = as_array(forward(x.copy()), f"{what}: the output of forward(x)", allow_scalar=False)
    dout = _upstream(out.shape, dout, rng)
    dx = backward(dout.copy())
    param_gradcheck(true_forward or forward, dx, x, dout=dout, what=what, rng=rng, rtol=rtol,
                    batch_size=batch_size)


def param_gradcheck(
    forward_of: Callable[[np.ndarray], object],
    grad: object,
    p: ArrayLike,
    *,
    dout: ArrayLike,
    what: str,
    rng: np.random.Generator,
    rtol: float = 1e-5,
    batch_size: int | None = None,
) -> None:
    """Check ``grad`` (e.g. a layer's ``dW`` after ``backward(dout)``) against finite differences
    of ``sum(forward_of(p) * dout)``, where ``forward_of(p)`` runs the forward pass with the
    parameter set to ``p``. Calls ``forward_of`` as :func:`check_gradient` calls ``f``.
    """
    dout = np.asarray(dout, dtype=np.float64)

    def weighted_output(v: np.ndarray) -> float:
        out = as_array(forward_of(v), f"{what}: the output of forward", shape=dout.shape)
        return float(np.sum(out * dout))

    check_gradient(grad, weighted_output, p, what=what, rng=rng, rtol=rtol, batch_size=batch_size)


def off_kinks(x: ArrayLike, kinks: Sequence[float] = (0.0,), margin: float = 1e-2) -> np.ndarray:
    """A float64 copy of ``x`` with every element at least ``margin`` away from each kink
    (elements too close are pushed out to ``kink ± margin``, keeping their side)."""
    x = np.array(x, dtype=np.float64)
    for k in kinks:
        near = np.abs(x - k) < margin
        x[near] = k + np.where(x[near] < k, -margin, margin)
    return x


# --- internals -----------------------------------------------------------------------------------

def _float_input(x: ArrayLike, what: str) -> np.ndarray:
    arr = np.asarray(x)
    if arr.dtype.kind != "f":
        raise TypeError(f"{what}: finite differences need a float array, not dtype {arr.dtype} "
                        "(x + h on an integer array truncates the step)")
    return arr.astype(np.float64)


def _upstream(shape: tuple[int, ...], dout: ArrayLike | None, rng: np.random.Generator) -> np.ndarray:
    """A random normal upstream gradient, or the caller's (refused when it is constant)."""
    if dout is None:
        return rng.standard_normal(shape)
    dout = np.asarray(dout, dtype=np.float64)
    if dout.shape != shape:
        raise ValueError(f"dout has shape {dout.shape}, the forward output {shape}")
    if dout.size > 1 and np.all(dout == dout.flat[0]):
        raise ValueError("a constant dout hides a backward that ignores dout: use a random one")
    return dout


def _worst_first(ana: np.ndarray, num: np.ndarray) -> np.ndarray:
    """Rank by elementwise relative error (to 3 decimals), ties broken by absolute error."""
    abs_err = np.abs(ana - num)
    return np.round(elementwise_relative_error(ana, num), 3) + 1e-4 * abs_err / max(abs_err.max(), 1e-300)


def _central(f: Scalar, x: np.ndarray, step: np.ndarray) -> tuple[float, float]:
    """2 calls: ``((f(x + step) - f(x - step)) / 2, max |f|)``."""
    plus, minus = as_scalar(f(x + step), "f(x + h)"), as_scalar(f(x - step), "f(x - h)")
    return (plus - minus) / 2, max(abs(plus), abs(minus))


def _partials(f: Scalar, x: np.ndarray, flat: np.ndarray, h: float) -> tuple[np.ndarray, float]:
    """2·len(flat) calls: the partial derivatives at the flat indices, and max |f| seen."""
    values, fscale = np.empty(len(flat)), 0.0
    for n, i in enumerate(flat):
        step = np.zeros_like(x)
        step.flat[i] = h
        half_diff, scale = _central(f, x, step)
        values[n], fscale = half_diff / h, max(fscale, scale)
    return values, fscale


def _disagree(num: np.ndarray, ana: np.ndarray, rtol: float, fscale: float, h: float) -> np.ndarray:
    atol = NOISE * max(fscale, 1e-300) / h
    return ~(np.abs(num - ana) <= atol + rtol * (np.abs(num) + np.abs(ana)))


def _screen(f: Scalar, x: np.ndarray, grad: np.ndarray, u: np.ndarray, rtol: float,
            h: float) -> tuple[bool, float, float, float]:
    """2 calls: (agrees, numeric directional derivative, <grad, u>, max |f|)."""
    half_diff, fscale = _central(f, x, h * u)
    num, ana = half_diff / h, float(np.sum(grad * u))
    return not _disagree(np.array(num), np.array(ana), rtol, fscale, h), num, ana, fscale


def _sample(grad: np.ndarray, rng: np.random.Generator, count: int) -> np.ndarray:
    """Ascending flat indices: the count//2 largest |grad|, then random others up to count."""
    order = np.argsort(-np.abs(grad.ravel()), kind="stable")
    top = order[: count // 2]
    rest = rng.choice(order[count // 2:], size=min(count - top.size, grad.size - top.size),
                      replace=False)
    return np.sort(np.concatenate([top, rest]))


def _confirm(f: Scalar, x: np.ndarray, grad: np.ndarray, flat: np.ndarray, *, what: str,
             rtol: float, h: float, fscale: float, batch_size: int | None) -> None:
    """2·len(flat) calls; raise CheckFailed naming the worst element if any disagrees."""
    num, scale = _partials(f, x, flat, h)
    ana = grad.ravel()[flat]
    bad = _disagree(num, ana, rtol, max(fscale, scale), h)
    if not bad.any():
        return
    full = flat.size == x.size
    got, expected = (ana.reshape(x.shape), num.reshape(x.shape)) if full else (ana, num)
    raise mismatch_failure(
        ana, num, bad, what=what, shape=x.shape, flat_index=flat,
        cause=diagnose(got, expected, rtol=DIAGNOSE_RTOL, batch_size=batch_size, explain=explain if full else None),
        against="central differences of the forward pass", labels=("numeric", "analytic"),
        noun="checked elements", rank_by=_worst_first(ana, num))

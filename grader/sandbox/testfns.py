"""Trusted, named test functions passed as the ``f`` argument of student code.

``student.testfn("quadratic")`` sends ``{"$testfn": "quadratic"}``; the student process resolves it to
the function of the same name here, so ``numerical_gradient(f, x)`` runs student code on a function
the judge knows. The judge can call the same functions (``TEST_FUNCTIONS[name](x)``) and their
analytic gradients (``GRADIENTS[name](x)``, same shape as ``x``) to compute expected values.

Every function takes ``x`` of any shape (a float, a 0-d array or an n-d array) unless its name ends
in ``_1d`` (then ``x`` is a scalar), returns a float64 scalar and never modifies ``x``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from grader.sandbox.registry import Registry

TestFunction = Callable[[Any], Any]
TEST_FUNCTIONS = Registry("test function")
GRADIENTS: dict[str, TestFunction] = {}

SHIFT = 1.5  # the minimum of shifted_quadratic is at x = 1.5 everywhere


def _register(name: str, grad: TestFunction) -> Callable[[TestFunction], TestFunction]:
    def deco(fn: TestFunction) -> TestFunction:
        fn.__name__ = fn.__qualname__ = name
        TEST_FUNCTIONS[name], GRADIENTS[name] = fn, grad
        return fn

    return deco


def _flat(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=np.float64).reshape(-1)


def _weights(shape: tuple[int, ...]) -> np.ndarray:
    """1, 2, 3, 1, 2, 3, ... over the flattened array: makes transposed/mis-indexed gradients visible."""
    return (np.arange(int(np.prod(shape))) % 3 + 1.0).reshape(shape)


@_register("quadratic", lambda x: 2.0 * np.asarray(x, dtype=np.float64))
def _quadratic(x: Any) -> np.float64:
    """sum(x**2): the lecture's x0**2 + x1**2."""
    return np.sum(_flat(x) ** 2)


TEST_FUNCTIONS["sum_squares"], GRADIENTS["sum_squares"] = _quadratic, GRADIENTS["quadratic"]


@_register("shifted_quadratic", lambda x: 2.0 * (np.asarray(x, dtype=np.float64) - SHIFT))
def _shifted_quadratic(x: Any) -> np.float64:
    """sum((x - 1.5)**2)."""
    return np.sum((_flat(x) - SHIFT) ** 2)


def _rosenbrock_grad(x: Any) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    v, g = arr.reshape(-1), np.zeros(arr.size)
    if v.size == 1:
        g[0] = -2.0 * (1.0 - v[0])
        return g.reshape(arr.shape)
    a, b = v[:-1], v[1:]
    g[:-1] += -400.0 * a * (b - a**2) - 2.0 * (1.0 - a)
    g[1:] += 200.0 * (b - a**2)
    return g.reshape(arr.shape)


@_register("rosenbrock_like", _rosenbrock_grad)
def _rosenbrock_like(x: Any) -> np.float64:
    """sum(100 (x[i+1] - x[i]**2)**2 + (1 - x[i])**2) over the flattened x; (1 - x)**2 for one element."""
    v = _flat(x)
    if v.size == 1:
        return np.float64((1.0 - v[0]) ** 2)
    return np.sum(100.0 * (v[1:] - v[:-1] ** 2) ** 2 + (1.0 - v[:-1]) ** 2)


@_register("cubic_1d", lambda x: 3.0 * np.float64(x) ** 2 - 2.0)
def _cubic_1d(x: Any) -> np.float64:
    """x**3 - 2x for a scalar x."""
    x = np.float64(x)
    return x**3 - 2.0 * x


@_register("square_1d", lambda x: 2.0 * np.float64(x))
def _square_1d(x: Any) -> np.float64:
    """x**2 for a scalar x (the central difference is exact on it)."""
    return np.float64(x) ** 2


@_register("sin_1d", lambda x: np.cos(np.float64(x)))
def _sin_1d(x: Any) -> np.float64:
    """sin(x) for a scalar x."""
    return np.sin(np.float64(x))


@_register("sin_sum", lambda x: np.cos(np.asarray(x, dtype=np.float64)))
def _sin_sum(x: Any) -> np.float64:
    """sum(sin(x))."""
    return np.sum(np.sin(_flat(x)))


def _weighted_sin_grad(x: Any) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    w = _weights(arr.shape)
    return w * np.cos(arr) + 0.5 * 2.0 * arr


@_register("weighted_sin", _weighted_sin_grad)
def _weighted_sin(x: Any) -> np.float64:
    """sum(w * sin(x)) + 0.5 * sum(x**2) with w = 1, 2, 3, 1, 2, 3, ... in flattened (C) order."""
    arr = np.asarray(x, dtype=np.float64)
    return np.sum(_weights(arr.shape) * np.sin(arr)) + 0.5 * np.sum(arr**2)


def _softmax(v: np.ndarray) -> np.ndarray:
    e = np.exp(v - v.max())
    return e / e.sum()


def _softmax_ce_grad(x: Any) -> np.ndarray:
    arr = np.asarray(x, dtype=np.float64)
    g = _softmax(arr.reshape(-1))
    g[0] -= 1.0
    return g.reshape(arr.shape)


@_register("softmax_ce_loss", _softmax_ce_grad)
def _softmax_ce_loss(x: Any) -> np.float64:
    """Cross-entropy of softmax(flattened x) against class 0: -log(softmax(x)[0])."""
    v = _flat(x)
    return -np.log(_softmax(v)[0])


def names() -> list[str]:
    """The registered names, sorted."""
    return sorted(TEST_FUNCTIONS)


get = TEST_FUNCTIONS.lookup

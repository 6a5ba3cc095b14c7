"""Trusted drivers: loops that run *inside* the student process and call student objects.

A training run of hundreds of steps would cost hundreds of round trips if the judge drove it; a
driver runs it next to the student's objects and returns plain data (losses, final parameters).
``student.run_driver("sgd_loop", net, x, t, lr=0.1, steps=50)`` calls ``DRIVERS["sgd_loop"]`` with
the student's objects (handles and top-level names are resolved before the call) and arrays.

Add a driver with ``@driver("name")``. Drivers must return plain data (numbers, arrays, lists,
dicts), must not trust what student methods return (convert with ``np.asarray`` and check shapes
where it matters) and should keep their own randomness seeded from their arguments.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from grader.sandbox.registry import Registry

DRIVERS = Registry("driver")
driver = DRIVERS.register  # @driver("sgd_loop") registers a driver under that name
get = DRIVERS.lookup


def _batches(n: int, batch_size: int | None, steps: int, seed: int) -> list[np.ndarray]:
    """Row indices for each step: the whole batch, or minibatches drawn with a seeded generator."""
    if batch_size is None or batch_size >= n:
        return [np.arange(n)] * steps
    rng = np.random.default_rng(seed)
    return [rng.choice(n, batch_size, replace=False) for _ in range(steps)]


@driver("sgd_loop")
def sgd_loop(model: Any, x: np.ndarray, t: np.ndarray, *, lr: float = 0.1, steps: int = 100,
             batch_size: int | None = None, update: Any = None, seed: int = 0,
             start: dict[str, np.ndarray] | None = None) -> dict[str, Any]:
    """Train ``model`` (an object with ``params`` dict, ``gradient(x, t)`` -> dict and ``loss(x, t)``).

    ``start`` (judge-chosen parameters) is first copied into ``model.params``, into the existing arrays
    where their shapes agree (layers that hold those arrays see the values), else as new arrays.

    Each step takes a batch of rows of ``x`` (N, ...) / ``t`` (N, ...), computes
    ``grads = model.gradient(xb, tb)`` and applies ``update``: a student optimizer object
    (``update.update(params, grads)``), a callable ``update(params, grads)``, or, when None, plain SGD
    ``params[k] -= lr * grads[k]``. Returns ``{"losses": [float per step, before the update],
    "params": {k: array}}``.
    """
    for key, value in (start or {}).items():
        held = model.params[key] if key in model.params else None
        if isinstance(held, np.ndarray) and held.shape == np.shape(value) and held.dtype.kind == "f":
            held[...] = value
        else:
            model.params[key] = np.array(value, dtype=np.float64)
    losses: list[float] = []
    for idx in _batches(len(x), batch_size, steps, seed):
        xb, tb = x[idx], t[idx]
        losses.append(float(np.asarray(model.loss(xb, tb), dtype=np.float64)))
        grads = model.gradient(xb, tb)
        if update is None:
            for key in model.params:
                model.params[key] -= lr * np.asarray(grads[key], dtype=np.float64)
        elif hasattr(update, "update"):
            update.update(model.params, grads)
        else:
            update(model.params, grads)
    params = {str(k): np.array(v, dtype=np.float64) for k, v in model.params.items()}
    return {"losses": losses, "params": params}


def _load_assignment_drivers() -> None:
    """Import every ``grader/sandbox/drivers_<assignment>.py`` so its ``@driver`` registrations exist
    before the fork server forks (the student process cannot import grader modules later)."""
    import importlib
    import pkgutil
    from pathlib import Path

    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if info.name.startswith("drivers_"):
            importlib.import_module(f"grader.sandbox.{info.name}")


_load_assignment_drivers()

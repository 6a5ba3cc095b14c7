"""Drivers of the `backprop` assignment: run a student's one-epoch training function many times.

A convergence run of thousands of epochs would cost thousands of round trips if the judge drove it.
The judge decides nothing from what these return except the weights, which it re-evaluates with the
reference forward pass; the snapshots only draw the loss curve.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from grader.sandbox.drivers import driver


@driver("repeat_epochs")
def repeat_epochs(epoch: Callable[..., Any], weights: list[np.ndarray], X: np.ndarray, D: np.ndarray,
                  alpha: float, epochs: int, record_every: int = 0) -> dict[str, Any]:
    """Call ``epoch(*weights, X, D, alpha)`` ``epochs`` times, feeding each result back in.

    ``epoch`` is the student's function (e.g. ``backprop_xor``), resolved from its name by the runtime.
    Returns ``{"weights": [arrays], "snapshots": [[arrays] every record_every epochs]}``.
    """
    weights = [np.array(w, dtype=np.float64) for w in weights]
    snapshots: list[list[np.ndarray]] = []
    for e in range(1, int(epochs) + 1):
        result = epoch(*weights, X, D, alpha)
        result = list(result) if isinstance(result, (tuple, list)) else [result]
        if len(result) != len(weights):
            raise ValueError(f"the epoch function returned {len(result)} values, expected {len(weights)} weight "
                             "matrices (return all of them as a tuple)")
        weights = [np.array(w, dtype=np.float64) for w in result]
        if record_every and e % int(record_every) == 0:
            snapshots.append([w.copy() for w in weights])
    return {"weights": weights, "snapshots": snapshots}

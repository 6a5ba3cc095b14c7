"""Convergence judged at the cost the decision needs, from starts the judge picks, on the student's own code.

A convergence check asks: does the student's update code, run from weights the judge chose at grading time
(hidden, keyed by the instructor's secret), reach the goal? Two ways to decide, cheapest first:

1. **It follows the reference.** The student's first ``prefix`` epochs are compared with the reference's
   from the same start, recomputed in the judge. If they agree (to ``rtol``), the student's update *is* the
   reference's update there, and the outcome is the reference's: the judge only uses starts from which the
   reference reaches the goal. A few dozen student epochs decide, instead of the whole budget.
2. **It takes its own path.** Otherwise the student's run continues, in chunks from where it stopped, and
   stops as soon as the goal is reached (judged in the judge, from the returned weights, with the reference
   forward pass) or the budget is spent. Before that, a run from a second start must give other weights:
   code that returns the same (pretrained) weights whatever it is given fails.

``majority`` runs starts one by one and stops as soon as the majority is decided.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from grader.checks import fail

Weights = list[np.ndarray]


@dataclass
class Run:
    """What one start gave: reached the goal?, followed the reference?, epochs the student ran, loss curve."""

    solved: bool
    followed: bool
    epochs: int
    curve: list[float] = field(default_factory=list)


@dataclass
class Problem:
    """One convergence problem, all judge-side except ``student_epochs``.

    ``student_epochs(weights, n)`` runs n of the student's epochs from ``weights`` (in the student process,
    through a trusted driver) and returns the weights, validated. ``reference_epochs(weights, n)`` does the
    same with the reference, in the judge. ``solved(weights)`` and ``loss(weights)`` judge weights with the
    reference forward pass."""

    student_epochs: Callable[[Weights, int], Weights]
    reference_epochs: Callable[[Weights, int], Weights]
    solved: Callable[[Weights], bool]
    loss: Callable[[Weights], float]
    budget: int
    prefix: int = 20
    chunk: int = 100
    rtol: float = 1e-6
    atol: float = 1e-9


def close(a: Sequence[np.ndarray], b: Sequence[np.ndarray], rtol: float, atol: float) -> bool:
    return len(a) == len(b) and all(x.shape == y.shape and np.allclose(x, y, rtol=rtol, atol=atol)
                                    for x, y in zip(a, b))


def run_from(problem: Problem, start: Weights, other_start: Weights, what: str) -> Run:
    """Decide one start (see the module's docstring); fails the check if the student's code ignores its start."""
    weights = problem.student_epochs([w.copy() for w in start], problem.prefix)
    curve = [problem.loss(start), problem.loss(weights)]
    if close(weights, problem.reference_epochs([w.copy() for w in start], problem.prefix), problem.rtol, problem.atol):
        return Run(True, True, problem.prefix, curve)
    other = problem.student_epochs([w.copy() for w in other_start], problem.prefix)
    if close(weights, other, 1e-12, 0.0):
        fail(f"{what} returned the same weights after {problem.prefix} epochs from two different starting weights: "
             "training must start from the weights it is given and change them step by step (return the "
             "updated weights, not fixed ones)")
    epochs = problem.prefix
    while not problem.solved(weights) and epochs < problem.budget:
        step = min(problem.chunk, problem.budget - epochs)
        weights = problem.student_epochs(weights, step)
        epochs += step
        curve.append(problem.loss(weights))
    return Run(problem.solved(weights), False, epochs, curve)


def majority(starts: Sequence[Weights], decide: Callable[[int, Weights], Run]) -> list[Run]:
    """Decide starts one by one until a majority of ``len(starts)`` is reached either way."""
    runs: list[Run] = []
    need = len(starts) // 2 + 1
    for i, start in enumerate(starts):
        runs.append(decide(i, start))
        solved = sum(r.solved for r in runs)
        if solved >= need or len(runs) - solved >= need:
            break
    return runs


def solvable_starts(draw: Callable[[int], Weights], problem: Problem, count: int, tries: int = 12) -> list[Weights]:
    """The first ``count`` starts ``draw(0), draw(1), ...`` from which the reference reaches the goal within
    the budget (judge side; at most ``tries`` draws)."""
    found: list[Weights] = []
    for i in range(tries):
        start = draw(i)
        if reference_solves(problem, start):
            found.append(start)
            if len(found) == count:
                break
    if not found:
        raise RuntimeError("the reference reaches the goal from none of the drawn starting weights: "
                           "the problem's budget or its starting weights need changing (assignment's checks)")
    return found


def reference_solves(problem: Problem, start: Weights) -> bool:
    weights, epochs = [w.copy() for w in start], 0
    while epochs < problem.budget:
        step = min(problem.chunk, problem.budget - epochs)
        weights = problem.reference_epochs(weights, step)
        epochs += step
        if problem.solved(weights):
            return True
    return False

"""Wall-clock samples for the benchmark scripts (they print ratios; nothing here asserts)."""
from __future__ import annotations

import statistics
import time
from typing import Any, Callable


def samples(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Seconds taken by each of ``repeat`` calls of ``fn``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def best_time(fn: Callable[[], Any], repeat: int) -> float:
    return min(samples(fn, repeat))


def median_time(fn: Callable[[], Any], repeat: int) -> float:
    return statistics.median(samples(fn, repeat))

"""Trusted drivers of the `optim` assignment (run inside the student process).

``init_with_rng``: a ``np.random.Generator`` cannot cross the wire as data, so this driver makes one per
seed next to the student's initialiser and passes it as ``rng=``.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from grader.sandbox.drivers import driver


@driver("init_with_rng")
def init_with_rng(init: Any, fan_in: int, fan_out: int, seeds: list[int]) -> list[Any]:
    """``[init(fan_in, fan_out, rng=np.random.default_rng(s)) for s in seeds]``, each with a new generator.

    The results are returned as the student's function gave them; the judge validates them.
    """
    return [init(int(fan_in), int(fan_out), rng=np.random.default_rng(int(s))) for s in seeds]

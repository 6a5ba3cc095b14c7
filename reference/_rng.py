"""Where the reference draws random numbers from."""
from __future__ import annotations

import numpy as np

RandomSource = np.random.Generator | np.random.RandomState | None


def random_source(rng: RandomSource) -> np.random.Generator | np.random.RandomState:
    """``rng`` itself, or NumPy's global state (the ``np.random`` module's) when ``rng`` is None.

    Both answer ``choice``, ``random`` and ``standard_normal`` the same way.
    """
    return np.random.mtrand._rand if rng is None else rng

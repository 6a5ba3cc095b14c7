"""Data sets shipped with the reference (no download, no extra dependency).

``load_digits()``: the 8x8 handwritten digits (1797 images, pixels 0..16, labels 0..9), the test set of
the UCI "Optical Recognition of Handwritten Digits" data in the order scikit-learn ships it; where it comes
from and its licence are in ``reference/data/PROVENANCE.md``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Digits:
    """``data``: (1797, 64) float64 in 0..16 (as ``sklearn.datasets.load_digits().data``); ``images``:
    (1797, 8, 8) uint8; ``target``: (1797,) int64 labels 0..9."""

    images: np.ndarray
    target: np.ndarray

    @property
    def data(self) -> np.ndarray:
        return self.images.reshape(len(self.images), -1).astype(np.float64)


@lru_cache(maxsize=1)
def load_digits() -> Digits:
    """The 8x8 digits from ``reference/data/digits.npz``; arrays are read-only (shared by every caller)."""
    with np.load(DATA / "digits.npz", allow_pickle=False) as npz:
        images, labels = npz["images"], npz["labels"].astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return Digits(images=images, target=labels)

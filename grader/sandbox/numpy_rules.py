"""One NumPy for every grade: the student process refuses what the newest NumPy refuses, in its words.

A grade must not depend on the NumPy the grader happens to run on. NumPy 2.x raises ``TypeError: only
0-dimensional arrays can be converted to Python scalars`` for ``int(a)`` or ``float(a)`` of an array with
``ndim > 0`` (the CS231n max-pool's ``int(row)`` of ``row, col = np.where(window == window.max())``). NumPy 1.25
up to the version that expired the deprecation only warns (``DeprecationWarning: Conversion of an array with
ndim > 0 to a scalar is deprecated``) and goes on. Under those versions :func:`install` turns that warning into
NumPy 2's TypeError, raised at the student's own line, so the check errs the same way on every supported NumPy.
NumPy 1.24 neither warns nor refuses, which is why pyproject.toml requires ``numpy>=1.25``.

:func:`newest_wording` rewrites the older message for an array of more than one element ("only length-1 arrays
...") into NumPy 2's, so a message in results.json is the same too. ``tests/test_diagnose_numpy_versions.py``
grades under the oldest and the newest NumPy and compares.
"""
from __future__ import annotations

import warnings
from typing import Any

SCALAR_WARNING = "Conversion of an array with ndim > 0 to a scalar"
SCALAR_ERROR = "only 0-dimensional arrays can be converted to Python scalars"
OLDER_SCALAR_ERROR = "only length-1 arrays can be converted to Python scalars"

_shown_before: Any = None


def _show(message: Any, category: type, filename: str, lineno: int, file: Any = None, line: Any = None) -> None:
    """``warnings.showwarning``: NumPy's array-to-scalar warning becomes NumPy 2's TypeError; others are shown."""
    if issubclass(category, DeprecationWarning) and str(message).startswith(SCALAR_WARNING):
        raise TypeError(SCALAR_ERROR)
    _shown_before(message, category, filename, lineno, file, line)


def install() -> None:
    """Make the array-to-scalar warning raise (again: student code may have reset the warning filters)."""
    global _shown_before
    warnings.filterwarnings("always", message=SCALAR_WARNING, category=DeprecationWarning)
    if warnings.showwarning is not _show:
        _shown_before = warnings.showwarning
        warnings.showwarning = _show


def newest_wording(message: str) -> str:
    """An exception message in the newest NumPy's words (where an older NumPy words the same error otherwise)."""
    return message.replace(OLDER_SCALAR_ERROR, SCALAR_ERROR)

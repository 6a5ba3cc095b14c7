"""The student kit: check your work on the assignment's public checks, without the answer key.

In a notebook (Jupyter, Colab), after the cell that defines a component::

    from grader_kit import check
    check("softmax")

grades the definitions of this notebook as run so far (in an isolated process, as the grader would read
the saved notebook) and shows the result below the cell. In a terminal: ``grader-check ASSIGNMENT FILE``.
No upload, no network.
"""
from __future__ import annotations

from grader_kit.kit import KitError, assignments, check_file
from grader_kit.notebook import check

__all__ = ["check", "check_file", "assignments", "KitError"]

"""The reference of one assignment as a single student-style file (what a perfect submission looks like).

Used by tests (the reference dropped into the student template must score full marks) and handy to
show students after the deadline: ``python -m reference.submission layers > layers_solution.py``.
"""
from __future__ import annotations

import importlib
import inspect
import sys

# The reference modules each assignment's module builds on, in dependency order.
DEPENDENCIES = {
    "numerical": ["numerical"],
    "backprop": ["_rng", "numerical", "backprop"],
    "layers": ["_rng", "numerical", "layers"],
    "optim": ["_rng", "optim"],
    "conv": ["_rng", "conv"],
}


def _body(module_name: str) -> str:
    source = inspect.getsource(importlib.import_module(f"reference.{module_name}"))
    kept = [line for line in source.splitlines()
            if not line.startswith(("from reference", "import reference", "from __future__"))]
    return "\n".join(kept)


def as_submission(assignment: str) -> str:
    """One self-contained Python file defining every component of ``assignment`` (no reference imports)."""
    if assignment not in DEPENDENCIES:
        raise KeyError(f"unknown assignment {assignment!r}; one of {', '.join(DEPENDENCIES)}")
    parts = [f"# --- reference.{name} ---\n{_body(name)}" for name in DEPENDENCIES[assignment]]
    return "from __future__ import annotations\n\n" + "\n\n".join(parts) + "\n"


if __name__ == "__main__":
    sys.stdout.write(as_submission(sys.argv[1] if len(sys.argv) > 1 else "numerical"))

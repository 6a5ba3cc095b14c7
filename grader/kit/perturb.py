"""Recording submissions whose every result is a little wrong, or a little rounded (kit build time only).

The kit records what the checks ask the reference. On a correct submission the checks stop at their first
comparison; the known-bug variants, the "graded alone" re-runs with trusted helpers and the other failure
paths are only asked when a result is wrong. This file is the solution with each top-level function's
and method's numeric results shifted, so that every check fails and asks its failure-path questions too.

With the results only rounded (1e-12 relative), every check still passes, but a check that hands the
student's results to the reference asks questions no recording can foresee: the kit leaves those out.
"""
from __future__ import annotations

import ast

WRONG = "value * 1.25 + 0.5"
ROUNDED = "value * (1.0 + 1e-12)"  # the same answer to any tolerance, other bits: another key

PRELUDE = '''
def _kit_shift(value):
    import numpy as _np
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (float, _np.floating)):  # not ints: they are sizes and counts that code builds on
        return SHIFT
    if isinstance(value, _np.ndarray) and value.dtype.kind == "f":
        return SHIFT
    if isinstance(value, tuple):
        return tuple(_kit_shift(v) for v in value)
    if isinstance(value, list):
        return [_kit_shift(v) for v in value]
    return value


def _kit_perturbed(thing):
    import functools
    if isinstance(thing, type):
        for name, member in list(vars(thing).items()):
            if callable(member) and not name.startswith("_"):
                setattr(thing, name, _kit_perturbed(member))
        return thing

    @functools.wraps(thing)
    def wrapper(*args, **kwargs):
        return _kit_shift(thing(*args, **kwargs))
    return wrapper
'''


def perturbed(source: str, shift: str = WRONG) -> str:
    """``source`` with ``@_kit_perturbed`` on every public top-level function and class (the components; not
    ``_private`` helpers, whose wrong results would only make the components crash): each float result becomes
    ``shift`` of it (``WRONG``: wrong for every check; ``ROUNDED``: right, but not bit for bit)."""
    prelude = PRELUDE.replace("SHIFT", shift)
    tree = ast.parse(source)
    lines = source.splitlines()
    starts = sorted({min([d.lineno for d in node.decorator_list] + [node.lineno])
                     for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))
                     and not node.name.startswith("_")})
    first = next((n.lineno for n in tree.body if not (isinstance(n, ast.ImportFrom) and n.module == "__future__")),
                 len(lines) + 1)
    out = []
    for number, line in enumerate(lines, 1):
        if number == first:
            out.append(prelude)
        if number in starts:
            out.append("@_kit_perturbed")
        out.append(line)
    return "\n".join(out) + "\n"

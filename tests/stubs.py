"""Stub submissions made from the student templates: every function and method that the template leaves
unimplemented (its body raises NotImplementedError) returns zeros, its input, or a constant instead.

How many values a stub returns is read from the reference's own ``return`` statements (``mlp_forward``
returns ``h, o``: its stubs return two arrays), so the stubs have the right arity and, where an input has the
output's shape, the right shape: they are the most plausible "no implementation" files, not strawmen.
"""
from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("zero", "identity", "constant")

HELPERS = '''
import numpy as _np


def _stub_arrays(args):
    return [a for a in args if isinstance(a, _np.ndarray)]


def _stub_shape(args):
    """The first array argument's shape, or (a, b) from the first two int arguments (initialisers)."""
    arrays = _stub_arrays(args)
    if arrays:
        return arrays[0].shape
    ints = [a for a in args if isinstance(a, int) and not isinstance(a, bool)]
    return tuple(ints[:2]) if len(ints) >= 2 else None


def _stub_value(kind, args, arity):
    arrays = _stub_arrays(args)
    if arity > 1:
        picked = (arrays + arrays)[:arity] if arrays else [_np.zeros(1)] * arity
        return tuple(_stub_one(kind, [a]) for a in picked)
    return _stub_one(kind, args)


def _stub_one(kind, args):
    shape = _stub_shape(args)
    if kind == "identity":
        arrays = _stub_arrays(args)
        if arrays:
            return arrays[0]
        return args[0] if args else None
    fill = 0.0 if kind == "zero" else 0.5
    return fill if shape is None else _np.full(shape, fill)
'''


def _arities(assignment: str) -> dict[str, int]:
    """``{"mlp_forward": 2, "Affine.backward": 1, ...}``: the largest tuple the reference returns."""
    module = importlib.import_module(f"reference.{assignment}")
    tree = ast.parse(inspect.getsource(module))
    found: dict[str, int] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                visit(node.body, f"{node.name}.")
            elif isinstance(node, ast.FunctionDef):
                sizes = [len(r.value.elts) if isinstance(r.value, ast.Tuple) else 1
                         for r in ast.walk(node) if isinstance(r, ast.Return) and r.value is not None]
                found[prefix + node.name] = max(sizes, default=1)

    visit(tree.body, "")
    return found


def _raises_not_implemented(fn: ast.FunctionDef) -> bool:
    return any(isinstance(n, ast.Raise) and "NotImplementedError" in ast.unparse(n) for n in ast.walk(fn))


def stub_source(assignment: str, kind: str) -> str:
    """The template of ``assignment`` with every unimplemented function returning a ``kind`` stub value."""
    template = (ROOT / "student_template" / f"{assignment}.py").read_text(encoding="utf-8")
    tree = ast.parse(template)
    arities = _arities(assignment)

    def stub(fn: ast.FunctionDef, qualname: str) -> None:
        params = [a.arg for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs if a.arg != "self"]
        arity = arities.get(qualname, 1)
        call = f"return _stub_value({kind!r}, [{', '.join(params)}], {arity})"
        doc = fn.body[:1] if fn.body and isinstance(fn.body[0], ast.Expr) and isinstance(
            getattr(fn.body[0], "value", None), ast.Constant) else []
        fn.body = doc + ast.parse(call).body

    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and _raises_not_implemented(node):
            stub(node, node.name)
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and _raises_not_implemented(item):
                    stub(item, f"{node.name}.{item.name}")
    return ast.unparse(tree) + "\n" + HELPERS


if __name__ == "__main__":
    import sys

    sys.stdout.write(stub_source(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "zero"))

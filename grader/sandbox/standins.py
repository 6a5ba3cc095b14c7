"""The source text of one trusted helper (``grader/sandbox/trusted.py``), for a student process that needs it.

Trusted stand-ins are never loaded into an ordinary student process: ``student.replaced(...)`` starts a
separate one for the check that re-runs a caller with them, and sends it the source of only the helpers
that check names (with the module-level functions and constants they use), which that process compiles
into a namespace of its own. So ``gc.get_objects()`` in an ordinary student process finds none of them,
and the separate process holds only the helpers its one check lends to the student's caller.
"""
from __future__ import annotations

import ast
import functools
from pathlib import Path

TRUSTED_FILE = Path(__file__).with_name("trusted.py")
PRELUDE = "from __future__ import annotations\nfrom typing import Any, Callable\nimport numpy as np\n"


@functools.lru_cache(maxsize=1)
def _definitions() -> tuple[dict[str, str], dict[str, set[str]], dict[str, str]]:
    """(top-level name -> its source without decorators, name -> top-level names it uses,
    registered helper name -> top-level name)."""
    text = TRUSTED_FILE.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    tree = ast.parse(text)
    sources, uses, registered = {}, {}, {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names = [node.name]
            for deco in node.decorator_list:
                if isinstance(deco, ast.Call) and deco.args and isinstance(deco.args[0], ast.Constant):
                    registered[str(deco.args[0].value)] = node.name
            node.decorator_list = []  # the registration is the judge's business, not the helper's
        elif isinstance(node, ast.Assign) and all(isinstance(t, ast.Name) for t in node.targets):
            names = [t.id for t in node.targets]
        else:
            continue
        body = "".join(lines[node.lineno - 1:node.end_lineno])  # a def's lineno is after its decorators
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        for name in names:
            sources[name], uses[name] = body, used
    return sources, uses, registered


def source_of(helper: str) -> str:
    """Python source defining the trusted ``helper`` (a name registered in ``trusted.TRUSTED``) and what it
    uses, in file order; KeyError naming the known helpers otherwise."""
    sources, uses, registered = _definitions()
    if helper not in registered:
        raise KeyError(f"unknown trusted helper {helper!r}; known: {', '.join(sorted(registered))}")
    needed, todo = set(), [registered[helper]]
    while todo:
        name = todo.pop()
        if name in needed or name not in sources:
            continue
        needed.add(name)
        todo += sorted(uses[name] - needed)
    chunks = list(dict.fromkeys(sources[name] for name in sources if name in needed))
    alias = f"\n{helper} = {registered[helper]}\n" if helper != registered[helper] else ""
    return PRELUDE + "\n\n".join(chunks) + alias

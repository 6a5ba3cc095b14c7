"""A check module as the student kit ships it: public checks only, the reference replaced by answers.

Edits are made line by line on the instructor's source (so the kit's checks read like theirs):

- a check declared with ``@check(..., hidden=True)`` is removed, decorators and all;
- ``from reference import numerical as ref`` becomes ``ref = _kit.module("reference.numerical")`` (every
  import of an answer module likewise, also ``from reference.golden_cases import DIGITS``);
- a top-level helper whose code is answer-like (it subclasses an answer class, or its body holds a line of
  the reference, see :mod:`grader.kit.leaks`) becomes ``name = _kit.judge_only("test_x", "name")``: its
  results on the public inputs are recorded like the reference's;
- the module gets ``_kit = answers_for(__file__)`` and its own ``golden`` fixture.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field

from grader.kit.leaks import leaked

HEADER = ("from grader.kit.answers import answers_for as _kit_answers_for, golden_fixture as _kit_golden_fixture\n"
          "_kit = _kit_answers_for(__file__)\n")


@dataclass
class Transformed:
    source: str
    hidden: list[str] = field(default_factory=list)       # the removed checks' function names
    check_ids: dict[str, str] = field(default_factory=dict)  # function name -> check id (before any [case])
    judge_only: list[str] = field(default_factory=list)   # helpers shipped as recorded answers


def is_answer_module(dotted: str, answer_packages: tuple[str, ...]) -> bool:
    return any(dotted == p or dotted.startswith(p + ".") for p in answer_packages)


def _is_hidden_check(node: ast.AST) -> bool:
    for deco in getattr(node, "decorator_list", []):
        if isinstance(deco, ast.Call) and _name(deco.func) == "check":
            for kw in deco.keywords:
                if kw.arg == "hidden" and isinstance(kw.value, ast.Constant) and kw.value.value is True:
                    return True
    return False


def _is_check(node: ast.AST) -> bool:
    return any(isinstance(d, ast.Call) and _name(d.func) == "check" for d in getattr(node, "decorator_list", []))


def _check_id(node: ast.FunctionDef) -> str:
    """The id ``@check`` gives the function (``id=`` or ``component/rest-of-the-name``)."""
    from grader.checks import check_id

    deco = next(d for d in node.decorator_list if isinstance(d, ast.Call) and _name(d.func) == "check")
    given = next((kw.value.value for kw in deco.keywords if kw.arg == "id" and isinstance(kw.value, ast.Constant)), None)
    component = deco.args[0].value if deco.args and isinstance(deco.args[0], ast.Constant) else ""
    return given or check_id(node.name, str(component))


def _first_import(tree: ast.Module) -> int:
    """Where the kit's header goes: before the first import that is not ``from __future__``."""
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and getattr(node, "module", None) != "__future__":
            return node.lineno
    return tree.body[-1].end_lineno + 1 if tree.body else 1


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _uses(node: ast.AST, names: set[str]) -> bool:
    return any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _start(node: ast.AST) -> int:
    decorators = getattr(node, "decorator_list", [])
    return min([d.lineno for d in decorators] + [node.lineno])


def _import_lines(node: ast.AST, answer_packages: tuple[str, ...]) -> list[str] | None:
    """The assignments replacing an import of answer modules, or None for an ordinary import."""
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
            and is_answer_module(node.module, answer_packages):
        out = []
        for alias in node.names:
            target = alias.asname or alias.name
            whole = f"{node.module}.{alias.name}"
            out.append(f"{target} = _kit.module({node.module!r}, {alias.name!r})"
                       if not _is_submodule(whole) else f"{target} = _kit.module({whole!r})")
        return out
    if isinstance(node, ast.Import) and any(is_answer_module(a.name, answer_packages) for a in node.names):
        out = []
        for alias in node.names:
            if alias.asname:
                out.append(f"{alias.asname} = _kit.module({alias.name!r})")
            else:
                top = alias.name.split(".")[0]
                out.append(f"{top} = _kit.module({top!r})")
        return out
    return None


def _is_submodule(dotted: str) -> bool:
    """``reference.numerical`` is a module; ``reference.golden_cases.DIGITS`` is not."""
    import importlib.util

    try:
        return importlib.util.find_spec(dotted) is not None
    except (ImportError, ValueError):
        return False


def transform(source: str, module: str, assignment: str, answer_packages: tuple[str, ...],
              answers: set[str], drop: frozenset[str] = frozenset()) -> Transformed:
    """The kit's version of the check module ``module`` (its file's stem) of ``assignment``; the checks named
    in ``drop`` (function names) are removed like hidden ones."""
    tree = ast.parse(source)
    lines = source.splitlines()
    result = Transformed(source="")
    replace: dict[int, tuple[int, list[str]]] = {}  # first line -> (last line, new lines)
    answer_names: set[str] = set()
    header_at = _first_import(tree)
    for node in tree.body:
        imported = _import_lines(node, answer_packages)
        if imported is not None:
            answer_names |= {a.asname or a.name.split(".")[0] for a in node.names}
            replace[node.lineno] = (node.end_lineno, imported)
    for node in tree.body:
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            continue
        first, last = _start(node), node.end_lineno
        if _is_check(node):
            result.check_ids[node.name] = _check_id(node)
        if _is_hidden_check(node) or node.name in drop:
            result.hidden.append(node.name)
            replace[first] = (last, [])
        elif not _is_check(node) and _answer_like(node, lines, answer_names, answers):
            result.judge_only.append(node.name)
            replace[first] = (last, [f"{node.name} = _kit.judge_only({module!r}, {node.name!r})"])
    out: list[str] = []
    number = 1
    while number <= len(lines):
        if number == header_at:
            out.append(HEADER.rstrip("\n"))
        if number in replace:
            last, new = replace[number]
            out.extend(new)
            number = last + 1
            continue
        out.append(lines[number - 1])
        number += 1
    out.append("")
    out.append(f"golden = _kit_golden_fixture(__file__, {assignment!r})")
    result.source = "\n".join(out) + "\n"
    return result


def _answer_like(node: ast.AST, lines: list[str], answer_names: set[str], answers: set[str]) -> bool:
    if isinstance(node, ast.ClassDef) and any(_uses(base, answer_names) for base in node.bases):
        return True
    text = "\n".join(lines[node.lineno - 1:node.end_lineno])
    return bool(leaked(text, answers))

"""Name a wrong result by the one edit of the reference that reproduces it.

When a check fails, the student's result is compared with the results of systematic single-edit mutants of the
reference code of the same component (sum <-> mean, a missing or different axis, ``**`` <-> ``*``, a dropped
factor or term, a flipped sign or swapped operands, a missing or extra ``.T``, off-by-one constants, a default
hard-coded where a parameter belongs, a loop over a fixed count), replayed judge-side on the very calls the check
made (:mod:`grader.calllog`). The first mutant that reproduces the student's value names the cause in the code's
own words: "your result is what `self.db = np.mean(dout, axis=0)` gives where `self.db = np.sum(dout, axis=0)`
belongs (mean where a sum belongs)".

Everything here is the judge running the instructor's reference code on copies of the check's inputs; the
student's code is never run here. Mutants are generated once per component (cached) and run only on failure.
"""
from __future__ import annotations

import ast
import contextlib
import copy
import importlib
import inspect
import random
import textwrap
import time
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterator

import numpy as np

from grader import calllog

REFERENCE_MODULES = ("reference.layers", "reference.conv", "reference.optim", "reference.backprop",
                     "reference.numerical")
MAX_MUTANTS = 600
TIME_BUDGET = 3.0  # CPU seconds of replay per failure at most (a cap on work, not a promise about speed; the
# judge thread's CPU time, so that a busy machine does not cut the search short and change the message)
LOOP_COUNTS = (1, 2, 3, 4, 5)
_REDUCERS = {"sum": "mean", "mean": "sum", "max": "min", "min": "max"}
_DROP_KWARGS = ("axis", "keepdims")


@dataclass(frozen=True)
class Mutant:
    """The reference with one edit: ``sources`` (definition name -> source) and the sentence naming it."""

    sentence: str
    sources: tuple[tuple[str, str], ...]


# ---------------------------------------------------------------------------------------------- hand-written
# Real bugs that are more than one edit away from the reference, each with the sentence that says it better than
# a generated mutant could. They are tried before the generated mutants. Each source redefines the component
# in the reference module's namespace (a class may subclass the reference's class of the same name).

TINY_H = ("h is so small that x + h rounds to x in float64 (h = 1e-50?), so f(x + h) - f(x) is 0: use h = 1e-4 "
          "and the central difference (f(x + h) - f(x - h)) / (2*h)")
HAND_WRITTEN: dict[str, tuple[tuple[str, str], ...]] = {
    "numerical_diff": (
        (TINY_H, "def numerical_diff(f, x):\n    h = 1e-50\n    return (f(x + h) - f(x)) / h\n"),
        ("a forward difference (f(x + h) - f(x)) / h where the central difference (f(x + h) - f(x - h)) / (2*h) "
         "belongs", "def numerical_diff(f, x):\n    h = 1e-4\n    return (f(x + h) - f(x)) / h\n"),
    ),
    "Tanh": (
        ("backward applies the derivative to dout: 1 - tanh(dout)**2 where dout * (1 - out**2) belongs "
         "(out = tanh(x), cached by forward)",
         "class Tanh(Tanh):\n    def backward(self, dout):\n        return 1.0 - np.tanh(dout) ** 2\n"),
        ("backward applies the derivative to dout: dout * (1 - tanh(dout)**2) where dout * (1 - out**2) belongs "
         "(out = tanh(x), cached by forward)",
         "class Tanh(Tanh):\n    def backward(self, dout):\n        return dout * (1.0 - np.tanh(dout) ** 2)\n"),
    ),
    "Dropout": (
        ("one mask is shared by every sample of the batch (drawn with shape x.shape[1:]): draw it with x's full shape",
         "class Dropout(Dropout):\n    def forward(self, x, train_flg=True):\n        if train_flg:\n"
         "            self.mask = np.random.rand(*x.shape[1:]) > self.dropout_ratio\n            return x * self.mask\n"
         "        return x * (1.0 - self.dropout_ratio)\n"),
        ("the mask keeps a unit with probability dropout_ratio, not 1 - dropout_ratio: keep where "
         "rand > dropout_ratio",
         "class Dropout(Dropout):\n    def forward(self, x, train_flg=True):\n        if train_flg:\n"
         "            self.mask = np.random.rand(*x.shape) < self.dropout_ratio\n            return x * self.mask\n"
         "        return x * (1.0 - self.dropout_ratio)\n"),
    ),
    "Pooling": (
        ("backward assigns (=) each window's gradient into dx where windows overlap (stride < pool size), so a "
         "later window overwrites an earlier one: accumulate with += (as col2im does)",
         "class Pooling(Pooling):\n    def backward(self, dout):\n        N, C, H, W = self.x_shape\n"
         "        p, s, ph, pw = self.pad, self.stride, self.pool_h, self.pool_w\n"
         "        dx = np.zeros((N, C, H + 2 * p, W + 2 * p))\n        oh, ow = dout.shape[2:]\n"
         "        am = self.arg_max.reshape(N, oh, ow, C)\n"
         "        for n in range(N):\n            for c in range(C):\n                for i in range(oh):\n"
         "                    for j in range(ow):\n                        w = np.zeros(ph * pw)\n"
         "                        w[am[n, i, j, c]] = dout[n, c, i, j]\n"
         "                        dx[n, c, i * s:i * s + ph, j * s:j * s + pw] = w.reshape(ph, pw)\n"
         "        return dx[:, :, p:p + H, p:p + W]\n"),
        ("backward assigns (=) the gradient at each window's maximum where windows overlap, so when two windows "
         "share a maximum the later overwrites the earlier: accumulate with +=",
         "class Pooling(Pooling):\n    def backward(self, dout):\n        N, C, H, W = self.x_shape\n"
         "        p, s, ph, pw = self.pad, self.stride, self.pool_h, self.pool_w\n"
         "        dx = np.zeros((N, C, H + 2 * p, W + 2 * p))\n        oh, ow = dout.shape[2:]\n"
         "        am = self.arg_max.reshape(N, oh, ow, C)\n"
         "        for n in range(N):\n            for c in range(C):\n                for i in range(oh):\n"
         "                    for j in range(ow):\n                        k = am[n, i, j, c]\n"
         "                        dx[n, c, i * s + k // pw, j * s + k % pw] = dout[n, c, i, j]\n"
         "        return dx[:, :, p:p + H, p:p + W]\n"),
    ),
}


# ---------------------------------------------------------------------------------------------- the reference

def reference_object(name: str) -> Any:
    """The reference's function or class called ``name`` (first module that defines it), or None."""
    for module in _modules():
        obj = vars(module).get(name)
        if obj is not None and getattr(obj, "__module__", None) == module.__name__:
            return obj
    return None


@lru_cache(maxsize=None)
def _modules() -> tuple[Any, ...]:
    out = []
    for name in REFERENCE_MODULES:
        with contextlib.suppress(ImportError):
            out.append(importlib.import_module(name))
    return tuple(out)


def _definitions(name: str) -> tuple[Any, dict[str, str]] | None:
    """(module, {definition name: source}) for ``name`` and the module-private helpers it calls."""
    obj = reference_object(name)
    if obj is None:
        return None
    module = inspect.getmodule(obj)
    sources = {name: textwrap.dedent(inspect.getsource(obj))}
    for helper in sorted(_called_names(sources[name])):
        fn = vars(module).get(helper)
        if helper.startswith("_") and inspect.isfunction(fn) and fn.__module__ == module.__name__:
            sources[helper] = textwrap.dedent(inspect.getsource(fn))
    return module, sources


def _called_names(source: str) -> set[str]:
    return {n.func.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}


# ---------------------------------------------------------------------------------------------- the edits

Edit = tuple[ast.AST, str]  # (replacement node, gloss)


def _text(node: ast.AST) -> str:
    return ast.unparse(node)


def _is_np(node: ast.AST, names: tuple[str, ...]) -> str | None:
    """``np.sum`` -> "sum" when its attr is one of ``names``."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in ("np", "numpy"):
        return node.attr if node.attr in names else None
    return None


def _edits(node: ast.AST, defaults: dict[str, ast.expr]) -> Iterator[Edit]:
    """Every single edit of ``node`` (the node itself replaced), with a few words for each."""
    if isinstance(node, ast.Call):
        yield from _call_edits(node)
    elif isinstance(node, ast.BinOp):
        yield from _binop_edits(node)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        yield node.operand, f"the minus sign of `{_text(node)}` is missing"
    elif isinstance(node, ast.Attribute) and node.attr == "T":
        yield node.value, f"`.T` is missing on `{_text(node.value)}`"
    elif isinstance(node, ast.Constant) and type(node.value) is int and not isinstance(node.value, bool):
        for delta in (1, -1):
            yield ast.Constant(node.value + delta), f"off by one: {node.value + delta} where {node.value} belongs"
    elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
          and isinstance(node.ctx, ast.Load) and node.attr in defaults):
        yield (copy.deepcopy(defaults[node.attr]),
               f"the default {node.attr} = {_text(defaults[node.attr])} is hard-coded where the parameter "
               f"{node.attr} belongs")
    elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in defaults:
        yield (copy.deepcopy(defaults[node.id]),
               f"the default {node.id} = {_text(defaults[node.id])} is hard-coded where the parameter {node.id} belongs")


def _call_edits(node: ast.Call) -> Iterator[Edit]:
    reducer = _is_np(node.func, tuple(_REDUCERS))
    method = node.func.attr if isinstance(node.func, ast.Attribute) and node.func.attr in _REDUCERS else None
    name = reducer or method
    if name:
        other = copy.deepcopy(node)
        other.func.attr = _REDUCERS[name]
        yield other, f"{_REDUCERS[name]} where a {name} belongs"
    if name and any(kw.arg == "axis" for kw in node.keywords):
        other = copy.deepcopy(node)
        other.func.attr = _REDUCERS[name]
        other.keywords = [kw for kw in other.keywords if kw.arg != "axis"]
        yield other, f"a {_REDUCERS[name]} over every element where a {name} over an axis belongs"
    for i, kw in enumerate(node.keywords):
        if kw.arg in _DROP_KWARGS:
            other = copy.deepcopy(node)
            del other.keywords[i]
            yield other, f"`{kw.arg}={_text(kw.value)}` is missing"
        if kw.arg == "axis" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, int):
            for axis in (0, 1, -1):
                if axis != kw.value.value:
                    other = copy.deepcopy(node)
                    other.keywords[i].value = ast.Constant(axis)
                    yield other, f"axis={axis} where axis={kw.value.value} belongs"
    if name and not node.keywords and len(node.args) == (1 if reducer else 0):
        for axis in (0, 1):
            other = copy.deepcopy(node)
            other.keywords.append(ast.keyword("axis", ast.Constant(axis)))
            yield other, f"a {name} over axis {axis} where a {name} over every element belongs"
    if _is_np(node.func, ("dot", "matmul")) and len(node.args) == 2:
        other = copy.deepcopy(node)
        other.args.reverse()
        yield other, "the operands of the matrix product are swapped"
    if isinstance(node.func, ast.Name) and node.func.id == "range" and node.args:
        for k in LOOP_COUNTS:
            yield (ast.Call(ast.Name("range", ast.Load()), [ast.Constant(k)], []),
                   f"a loop over a fixed count: range({k}) where `{_text(node)}` belongs")


def _binop_edits(node: ast.BinOp) -> Iterator[Edit]:
    left, right, op = node.left, node.right, node.op
    if isinstance(op, ast.Mult):
        yield left, f"the factor `{_text(right)}` is missing"
        yield right, f"the factor `{_text(left)}` is missing"
        yield ast.BinOp(left, ast.Pow(), right), "`**` where `*` belongs"
    elif isinstance(op, ast.Pow):
        yield ast.BinOp(left, ast.Mult(), right), "`*` where `**` belongs"
        yield left, f"the power `** {_text(right)}` is missing"
    elif isinstance(op, ast.Div):
        yield left, f"the division by `{_text(right)}` is missing"
        yield ast.BinOp(left, ast.Mult(), right), f"a multiplication by `{_text(right)}` where a division belongs"
    elif isinstance(op, (ast.Add, ast.Sub)):
        sign = "+" if isinstance(op, ast.Add) else "-"
        yield left, f"the term `{sign} {_text(right)}` is missing"
        if isinstance(op, ast.Sub):
            yield ast.BinOp(right, ast.Sub(), left), f"the sign is flipped: `{_text(right)} - {_text(left)}` " \
                                                     f"where `{_text(node)}` belongs"
            yield ast.BinOp(left, ast.Add(), right), "`+` where `-` belongs"
        else:
            yield ast.BinOp(left, ast.Sub(), right), "`-` where `+` belongs"
    elif isinstance(op, ast.MatMult):
        yield ast.BinOp(right, ast.MatMult(), left), "the operands of `@` are swapped"
        for side, other in ((left, right), (right, left)):
            if not (isinstance(side, ast.Attribute) and side.attr == "T"):
                t = ast.Attribute(copy.deepcopy(side), "T", ast.Load())
                yield (ast.BinOp(t, ast.MatMult(), other) if side is left else ast.BinOp(other, ast.MatMult(), t),
                       f"an extra `.T` on `{_text(side)}`")


def _loop_edits(node: ast.For) -> Iterator[tuple[ast.For, str]]:
    """``for a in ITER`` over only the first k items: a loop with a hard-coded count."""
    if isinstance(node.iter, ast.Call) and isinstance(node.iter.func, ast.Name) and node.iter.func.id == "range":
        return  # range(...) gets its own edits
    for k in LOOP_COUNTS:
        other = copy.deepcopy(node)
        other.iter = ast.Subscript(ast.Call(ast.Name("list", ast.Load()), [node.iter], []),
                                   ast.Slice(None, ast.Constant(k)), ast.Load())
        yield other, f"the loop `for {_text(node.target)} in {_text(node.iter)}` stops after {k} iterations " \
                     f"(a hard-coded count such as range({k}) where every item belongs)"


def _defaults(tree: ast.AST) -> dict[str, ast.expr]:
    """Parameters with defaults: of the function, or of ``__init__`` for a class (``self.alpha``)."""
    fn = next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)), None)
    if isinstance(tree.body[0], ast.ClassDef):
        fn = next((n for n in tree.body[0].body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if fn is None:
        return {}
    args = fn.args.args[len(fn.args.args) - len(fn.args.defaults):]
    found = {a.arg: d for a, d in zip(args, fn.args.defaults)}
    found.update({a.arg: d for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults) if d is not None})
    return {k: v for k, v in found.items() if isinstance(v, ast.Constant) and v.value is not None}


def _statement_text(tree: ast.AST, node: ast.AST | None) -> str:
    """The smallest simple statement holding ``node``, or ``node`` itself inside a compound statement."""
    if isinstance(node, ast.For):
        return f"for {_text(node.target)} in {_text(node.iter)}:"
    for stmt in ast.walk(tree):
        if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.Return, ast.Expr, ast.AnnAssign)):
            if any(n is node for n in ast.walk(stmt)):
                return _text(stmt)
    return _text(node)


@lru_cache(maxsize=None)
def mutants_of(name: str) -> tuple[Mutant, ...]:
    """Every single-edit mutant of the reference ``name`` (and of the private helpers it calls)."""
    found = _definitions(name)
    if found is None:
        return ()
    out = [Mutant(sentence, ((f"{name} (hand-written)", source),)) for sentence, source in HAND_WRITTEN.get(name, ())]
    return tuple(out + _single_edit_mutants(found[1], _generic_edits, set()))


def _generic_edits(node: ast.AST, defaults: dict[str, ast.expr]) -> Iterator[Edit]:
    yield from _edits(node, defaults)
    if isinstance(node, ast.For):
        yield from _loop_edits(node)


def _single_edit_mutants(sources: dict[str, str], edits_of: Callable[[ast.AST, dict[str, ast.expr]], Iterator[Edit]],
                         seen: set[str], defaults: dict[str, ast.expr] | None = None) -> list[Mutant]:
    """One mutant per edit ``edits_of`` proposes for each node of each definition in ``sources``, skipping texts
    already in ``seen`` (which it extends). ``defaults``: the parameters with defaults, when the definition's own
    signature does not show them (a class that inherits ``__init__``)."""
    out: list[Mutant] = []
    for target, source in sources.items():
        tree = _without_docstrings(ast.parse(source))
        defaults = {**_defaults(tree), **(defaults or {})}
        skip = _annotation_nodes(tree)
        for index, node in enumerate(ast.walk(tree)):
            if id(node) in skip:
                continue
            for replacement, gloss in list(edits_of(node, defaults)):
                mutated, placed = _replace(tree, index, replacement)
                if mutated is None:
                    continue
                text = _text(mutated)
                before, after = _statement_text(tree, node), _statement_text(mutated, placed)
                if before == after or text in seen:
                    continue
                seen.add(text)
                sentence = (f"your result is what the code gives without `{before}` ({gloss})"
                            if isinstance(placed, ast.Pass) else
                            f"your result is what `{after}` gives where `{before}` belongs ({gloss})")
                out.append(Mutant(sentence, tuple((k, text if k == target else v) for k, v in sources.items())))
    return out


def _without_docstrings(tree: ast.Module) -> ast.Module:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                node.body = node.body[1:] or [ast.Pass()]
    return tree


def _annotation_nodes(tree: ast.AST) -> set[int]:
    """Ids of nodes inside annotations (``-> np.ndarray``, ``x: float``): never mutated."""
    out: set[int] = set()
    for n in ast.walk(tree):
        for note in (getattr(n, "returns", None), getattr(n, "annotation", None)):
            if note is not None:
                out.update(id(x) for x in ast.walk(note))
    return out


def _replace(tree: ast.AST, index: int, replacement: ast.AST) -> tuple[ast.AST | None, ast.AST | None]:
    """A copy of ``tree`` with its ``index``-th node (in ast.walk order) replaced, and the placed node."""
    new = copy.deepcopy(tree)
    target = list(ast.walk(new))[index]
    placed = copy.deepcopy(replacement)
    for parent in ast.walk(new):
        for field, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, field, placed)
                return ast.fix_missing_locations(new), placed
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is target:
                        value[i] = placed
                        return ast.fix_missing_locations(new), placed
    return None, None


# ---------------------------------------------------------------------------------------------- the replay

def explain(got: Any, rtol: float = 1e-5) -> str | None:
    """The sentence of the first mutant whose replay of the logged call reproduces ``got``, or None."""
    got = np.asarray(got, dtype=np.float64) if _numeric(got) else None
    if got is None:
        return None
    found = _producing_call(got)
    if found is None:
        return None
    index, pick = found
    history = calllog.LOG.history(index)
    owner = history[0].name if history[0].kind in ("new", "call") else None
    if owner is None or _definitions(owner) is None:
        return None
    module, _ = _definitions(owner)
    puts = {c.target: c.args[0] for c in calllog.LOG.calls if c.kind == "put"}
    candidates = mutants_of(owner)  # generated (once) before the budget's clock starts
    start = _work_clock()
    for count, mutant in enumerate(candidates):
        if count >= MAX_MUTANTS or _work_clock() - start > TIME_BUDGET:
            return None
        value = _replay(module, mutant, history, puts)
        if value is _FAILED:
            continue
        with contextlib.suppress(Exception):
            if _matches(pick(value), got, rtol):
                return mutant.sentence
    return None


_FAILED = object()


def _work_clock() -> float:
    """The judge thread's CPU time: the replay budget must not shrink with the machine's load (a cause named on an
    idle machine and not on a busy one would make the result depend on the load)."""
    return time.thread_time()


def _numeric(value: Any) -> bool:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return arr.size > 0


def _producing_call(got: np.ndarray) -> tuple[int, Callable[[Any], Any]] | None:
    """The latest logged call whose result (or one item of it) is ``got``: (its index, how to pick the item)."""
    for index in range(len(calllog.LOG.calls) - 1, -1, -1):
        call = calllog.LOG.calls[index]
        if call.kind not in ("call", "method", "getattr"):
            continue
        result = call.result
        pickers: list[Callable[[Any], Any]] = [lambda v: v]
        if isinstance(result, (tuple, list)) and len(result) <= 8:
            pickers += [(lambda v, i=i: v[i]) for i in range(len(result))]
        for pick in pickers:
            with contextlib.suppress(Exception):
                value = pick(result)
                if _numeric(value) and _same(np.asarray(value, dtype=np.float64), got):
                    return index, pick
    return None


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


def _matches(value: Any, got: np.ndarray, rtol: float) -> bool:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != got.shape:
        return False
    scale = float(np.max(np.abs(got[np.isfinite(got)]), initial=0.0))
    return bool(np.allclose(arr, got, rtol=rtol, atol=max(rtol * 1e-3 * scale, 1e-300), equal_nan=True))


def _replay(module: Any, mutant: Mutant, history: list[calllog.Call], puts: dict[int | None, Any]) -> Any:
    """Run ``history`` on the mutant judge-side; the last call's result (``_FAILED`` if anything goes wrong)."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return _run(_executed(module, mutant), history, puts)
    except Exception:  # a mutant may fail in any way: it is simply not the cause
        return _FAILED


def _executed(module: Any, mutant: Mutant) -> dict[str, Any]:
    """The reference module's namespace with the mutant's definitions executed into a copy of it."""
    namespace = dict(vars(module))
    for name, source in mutant.sources:
        exec(compile(source, f"<mutant of {name}>", "exec"), namespace)  # noqa: S102 - reference code
    return namespace


def _run(namespace: dict[str, Any], history: list[calllog.Call], puts: dict[int | None, Any]) -> Any:
    obj, value = None, _FAILED
    state = np.random.get_state(), random.getstate()
    try:
        for call in history:
            args = tuple(_resolve(a, puts) for a in call.args)
            kwargs = {k: _resolve(v, puts) for k, v in call.kwargs.items()}
            if call.seed is not None:
                np.random.seed(call.seed)
                random.seed(call.seed)
            if call.kind == "new":
                obj = namespace[call.name](*args, **kwargs)
            elif call.kind == "call":
                value = namespace[call.name](*args, **kwargs)
            elif call.kind == "method":
                value = getattr(obj, call.name)(*args, **kwargs)
            elif call.kind == "getattr":
                value = getattr(obj, call.name)
    finally:
        np.random.set_state(state[0])
        random.setstate(state[1])
    return value


def _resolve(value: Any, puts: dict[int | None, Any]) -> Any:
    if isinstance(value, calllog.Ref):
        if value.testfn:
            from grader.sandbox import testfns
            return testfns.TEST_FUNCTIONS[value.testfn]
        if value.handle in puts:
            return copy.deepcopy(puts[value.handle])
        raise LookupError("an object of the student's that the judge cannot rebuild")
    return copy.deepcopy(value)


# ---------------------------------------------------------------------------------------------- optimizers
# An optimizer's result is the state it leaves in ``params`` after several ``update`` calls, made by the check
# itself (not a call the log can replay), so the check hands over the run: ``run(make)`` makes an optimizer with
# ``make(**hyper)`` and returns what the student's run returned (e.g. the params after each update, per key).
# Besides the generic edits, optimizers get the edits of a stateful update rule: an in-place update turned around
# (`+=` for `-=`), a running sum replaced (`h = g*g` for `h += g*g`), a statement dropped (`self.t += 1`), a
# hyperparameter applied twice (`lr * lr`), negated (`-momentum`), swapped with another (`beta2` for `beta1`),
# `b**t` as `b*b`, or a square root left out.

def _optimizer_edits(node: ast.AST, defaults: dict[str, ast.expr]) -> Iterator[Edit]:
    """The generic edits plus those of a stateful update rule (above)."""
    yield from _generic_edits(node, defaults)
    if isinstance(node, ast.AugAssign) and isinstance(node.op, (ast.Add, ast.Sub)):
        flipped = ast.AugAssign(copy.deepcopy(node.target), ast.Sub() if isinstance(node.op, ast.Add) else ast.Add(),
                                copy.deepcopy(node.value))
        yield flipped, f"`{_op_text(flipped.op)}=` where `{_op_text(node.op)}=` belongs"
        target = copy.deepcopy(node.target)
        target.ctx = ast.Store()
        yield (ast.Assign([target], copy.deepcopy(node.value)),
               f"`=` where `{_op_text(node.op)}=` belongs: the value is replaced, not accumulated")
        yield ast.Pass(), f"the statement `{_text(node)}` is missing"
    if isinstance(node, ast.Assign) and all(isinstance(t, (ast.Subscript, ast.Attribute)) for t in node.targets):
        yield ast.Pass(), f"the state update `{_text(node)}` is missing"
    if _is_hyperparameter(node, defaults):
        yield (ast.BinOp(copy.deepcopy(node), ast.Mult(), copy.deepcopy(node)),
               f"`{_text(node)}` is applied twice")
        yield ast.UnaryOp(ast.USub(), copy.deepcopy(node)), f"the sign of `{_text(node)}` is flipped"
        for other in defaults:
            if other != node.attr and type(defaults[other].value) is type(defaults[node.attr].value):
                yield (ast.Attribute(ast.Name("self", ast.Load()), other, ast.Load()),
                       f"`self.{other}` where `self.{node.attr}` belongs")
    if isinstance(node, ast.Call) and _is_np(node.func, ("sqrt",)) and len(node.args) == 1 and not node.keywords:
        yield (copy.deepcopy(node.args[0]),
               f"the square root is missing: `{_text(node.args[0])}` where `{_text(node)}` belongs")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) and not isinstance(node.right, ast.Constant):
        yield (ast.BinOp(copy.deepcopy(node.left), ast.Mult(), copy.deepcopy(node.left)),
               f"`{_text(node.left)} * {_text(node.left)}` where `{_text(node)}` belongs")


def _op_text(op: ast.operator) -> str:
    return "+" if isinstance(op, ast.Add) else "-"


def _is_hyperparameter(node: ast.AST, defaults: dict[str, ast.expr]) -> bool:
    """``self.<name>`` read where ``<name>`` is a constructor parameter with a default (``self.lr``)."""
    return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self"
            and isinstance(node.ctx, ast.Load) and node.attr in defaults)


@lru_cache(maxsize=None)
def optimizer_mutants_of(name: str) -> tuple[Mutant, ...]:
    """Every single-edit mutant of the reference optimizer class ``name``, with the update-rule edits."""
    found = _definitions(name)
    if found is None:
        return ()
    return tuple(_single_edit_mutants(found[1], _optimizer_edits, set(), _constructor_defaults(name)))


def _constructor_defaults(name: str) -> dict[str, ast.expr]:
    """The reference class's constructor parameters with constant defaults (inherited ``__init__`` included)."""
    signature = inspect.signature(reference_object(name))
    return {p.name: ast.Constant(p.default) for p in signature.parameters.values()
            if isinstance(p.default, (int, float)) and not isinstance(p.default, bool)}


def explain_optimizer(name: str, run: Callable[[Callable[..., Any]], dict[str, np.ndarray]],
                      got: dict[str, np.ndarray], accepted: Callable[[dict[str, np.ndarray]], bool],
                      rtol: float = 1e-5) -> tuple[str, dict[str, np.ndarray]] | None:
    """(sentence, result) of the first mutant of the reference optimizer ``name`` whose ``run`` reproduces ``got``
    (every key), or None. A mutant whose result ``accepted`` takes for the reference's (an equivalent edit, such as
    an epsilon moved inside the square root: a convention, not a bug) never names a cause."""
    found = _definitions(name)
    if found is None:
        return None
    module, candidates = found[0], optimizer_mutants_of(name)  # generated (once) before the budget's clock starts
    start = _work_clock()
    for count, mutant in enumerate(candidates):
        if count >= MAX_MUTANTS or _work_clock() - start > TIME_BUDGET:
            return None
        result = _run_mutant(module, mutant, name, run)
        if result is _FAILED or accepted(result):
            continue
        with contextlib.suppress(Exception):
            if set(result) == set(got) and all(_matches(result[k], np.asarray(got[k], dtype=np.float64), rtol)
                                               for k in got):
                return mutant.sentence, result
    return None


def _run_mutant(module: Any, mutant: Mutant, name: str, run: Callable[[Callable[..., Any]], Any]) -> Any:
    """``run`` given the mutant's class ``name`` (judge-side, reference code); ``_FAILED`` if anything goes wrong."""
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            return run(_executed(module, mutant)[name])
    except Exception:  # a mutant may fail in any way: it is simply not the cause
        return _FAILED

"""Name the likely cause of a numeric mismatch, in one sentence a student can act on.

``diagnose(got, expected)`` tries known bug patterns in a fixed order and returns the first
that fits (or ``None``):

1. a named variant from the check (``{"cause sentence": array the bug would produce}``);
2. NaN/inf where the expected values are finite (overflow in ``exp``...);
3. a different shape: transposed values, then the shape-only causes of :func:`shape_cause`
   (``(N,)`` vs ``(N, 1)``, the ``(N, N)`` broadcast signature, a flattened result...);
4. all zeros; 5. sign flipped; 6. transposed (square matrices);
7. a constant factor (1/N and N with ``batch_size``, 2, 1/2, any k);
8. a constant offset; 9. only the first element/row matches (a loop that stops early).

Everything here is judge-side NumPy on float64 copies; nothing is called on the inputs.
"""
from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike

from grader.loaded import placed

MATCH_RTOL = 1e-5
"""Relative tolerance for "got matches pattern P" (looser than a check's own tolerance)."""

NON_FINITE = ("the result has NaN or inf where finite values were expected: overflow in exp: "
              "subtract the max before exponentiating? (a log of 0 or a division by 0 does this too)")
ALL_ZEROS = ("every element is 0: is the value computed but never stored or returned "
             "(an array initialised with zeros and never filled)?")
SIGN_FLIPPED = "the sign is flipped: every element is the negative of the expected value"
TRANSPOSED = ("the result is the transpose of the expected matrix: swapped operands in a matrix "
              "product (A.T @ B instead of B.T @ A) or a missing or extra .T?")
FACTOR_TWO = ("every element is 2 times the expected value: the 0.5 in 0.5*sum((y-t)**2) missing, "
              "or an extra 2 from the derivative of the square?")
FACTOR_HALF = ("every element is half the expected value: a factor 2 missing (from the derivative "
               "of the square?), or an extra 0.5?")


@dataclass(frozen=True)
class _Case:
    """A mismatch under study: both arrays float64, with the matching tolerance."""

    got: np.ndarray
    expected: np.ndarray
    rtol: float
    batch_size: int | None

    @property
    def scale(self) -> float:
        """The largest finite |expected|."""
        e = self.expected
        return float(np.max(np.abs(e[np.isfinite(e)]), initial=0.0))

    @property
    def atol(self) -> float:
        return max(self.rtol * 1e-3 * self.scale, 1e-300)

    def close(self, a: ArrayLike, b: ArrayLike) -> bool:
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=self.rtol, atol=self.atol))


def diagnose(
    got: ArrayLike,
    expected: ArrayLike,
    *,
    variants: Mapping[str, ArrayLike] | None = None,
    batch_size: int | None = None,
    rtol: float = MATCH_RTOL,
    explain: Callable[[np.ndarray], str | None] | None = None,
) -> str | None:
    """Return one sentence naming the likely cause of ``got != expected``, or ``None``.

    ``got`` and ``expected`` may differ in shape. ``variants`` maps a cause sentence to the
    array that bug would produce (checks compute it with the reference). ``batch_size`` lets
    a factor of 1/N or N be named as such. ``rtol`` is how closely a pattern must fit. ``explain`` (e.g.
    :func:`grader.mutants.explain`) names the reference edit that reproduces ``got``; it is asked after the
    check's own variants and before the generic patterns.
    """
    case = _Case(np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                 rtol, batch_size)
    cause = (_named_variant(case, variants or {}) or (explain(case.got) if explain else None)
             or _non_finite(case))
    if cause or case.got.shape != case.expected.shape:
        return cause or _transposed(case) or shape_cause(case.got.shape, case.expected.shape)
    detectors: tuple[Callable[[_Case], str | None], ...] = (
        _all_zeros, _sign_flipped, _transposed, _factor, _offset, _first_part_only)
    for detect in detectors:
        if cause := detect(case):
            return cause
    return None


def _named_variant(case: _Case, variants: Mapping[str, ArrayLike]) -> str | None:
    for sentence, value in variants.items():
        # Tolerances scale with the variant itself: a tiny variant (a bug that shrinks the answer by h**2)
        # must not "match" an answer of all zeros.
        variant = _Case(np.asarray(value, dtype=np.float64), np.asarray(value, dtype=np.float64),
                        case.rtol, case.batch_size)
        if variant.close(case.got, variant.expected):
            return sentence
    return None


def _non_finite(case: _Case) -> str | None:
    if np.all(np.isfinite(case.expected)) and not np.all(np.isfinite(case.got)):
        return NON_FINITE
    return None


def _all_zeros(case: _Case) -> str | None:
    if not np.any(case.got) and np.any(case.expected):
        return ALL_ZEROS
    return None


def _sign_flipped(case: _Case) -> str | None:
    return SIGN_FLIPPED if case.close(case.got, -case.expected) else None


def _transposed(case: _Case) -> str | None:
    e = case.expected
    if e.ndim == 2 and not case.close(e, e.T) and case.close(case.got, e.T):
        return TRANSPOSED
    return None


def _factor(case: _Case) -> str | None:
    """got == k * expected everywhere, k taken over the elements where |expected| is not tiny."""
    e, g = case.expected, case.got
    big = np.abs(e) > 1e-6 * case.scale
    if not big.any():
        return None
    k = float(np.median(g[big] / e[big]))
    if k == 0 or np.isclose(abs(k), 1, rtol=case.rtol) or not case.close(g, k * e):
        return None
    return _factor_sentence(k, case.batch_size, scalar=e.size == 1)


def _factor_sentence(k: float, batch_size: int | None, *, scalar: bool) -> str | None:
    def near(value: float) -> bool:
        return bool(np.isclose(k, value, rtol=1e-6, atol=0))

    n = batch_size
    if n and n > 1 and near(1 / n):
        return (f"every element is 1/N of the expected value (N = {n}, the batch size): "
                "did you average over the batch where a sum was expected?")
    if n and n > 1 and near(n):
        return (f"every element is N = {n} (the batch size) times the expected value: "
                "did you sum over the batch where a mean was expected, or forget to divide by N?")
    if near(2):
        return FACTOR_TWO
    if near(0.5):
        return FACTOR_HALF
    # For a single number, "k times" is true of any wrong value: say nothing.
    return None if scalar else f"every element is {k:.4g} times the expected value"


def _offset(case: _Case) -> str | None:
    if case.got.size < 2:
        return None
    c = float(np.median(case.got - case.expected))
    if abs(c) <= case.atol or not case.close(case.got, case.expected + c):
        return None
    return (f"every element is off by the same constant ({c:+.4g}): a constant term added "
            "or dropped (a bias, or a +1/-1 in the formula)?")


def _first_part_only(case: _Case) -> str | None:
    """The first element/row matches and every later one differs: a loop that stopped early."""
    g, e = case.got, case.expected
    if e.ndim == 0 or e.shape[0] < 3 or not np.any(e[0]) or not case.close(g[0], e[0]):
        return None
    if not any(case.close(g[i], e[i]) for i in range(1, e.shape[0])):
        part = "element" if e.ndim == 1 else "row"
        return (f"only the first {part} matches the expected value: does a loop stop after "
                "its first iteration (a `return` inside the loop)?")
    return None


def shape_cause(got: tuple[int, ...], expected: tuple[int | None, ...]) -> str | None:
    """The likely cause of a shape mismatch, from the shapes alone (None: no known pattern)."""
    g, e = tuple(got), tuple(expected)
    if len(g) == 0:
        return "a single number was returned where an array was expected"
    if len(e) == 0:
        return "an array was returned where a single number was expected: a missing sum or mean?"
    n = e[0]
    if g == (n, n) and e in ((n,), (n, 1), (1, n)):
        return (f"shape {g} is what broadcasting gives when an (N,) array meets an (N, 1) array: "
                "give both operands the same shape (reshape or ravel) before the operation")
    if g == (n,) and e == (n, 1):
        return ("a 1-D array was returned where a column (N, 1) was expected: "
                "use keepdims=True or reshape(-1, 1)")
    if g == (e[0], 1) and e == (e[0],):
        return ("a column (N, 1) was returned where a 1-D array (N,) was expected: "
                "use ravel() or drop keepdims=True")
    if len(g) == 2 and g == e[::-1]:
        return ("the shape is the transpose of the expected shape: swapped operands in a matrix "
                "product or a missing or extra .T?")
    if len(g) == 2 and len(e) > 2 and g[0] == e[0] and None not in e and g[1] == int(np.prod(e[1:])):
        return "the result is still flattened to (N, D): reshape it back to the input's original shape"
    if None not in e and int(np.prod(g)) == int(np.prod(e)):
        return "same number of elements in a different layout: a reshape or transpose in the wrong place?"
    if len(g) == len(e) and any(a == 0 and b for a, b in zip(g, e)):
        return ("an axis came out empty: a slice like a[pad:-pad] is empty when pad = 0 (-0 is 0): "
                "cut the padding with a[pad:a.shape[2] - pad] (or a[pad:H + pad])")
    return None


# --- exceptions ----------------------------------------------------------------------------------

_OUT_OF_BOUNDS = re.compile(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)")


_PYTHON2 = {  # a name Python 3 no longer has -> what to write instead
    "xrange": "range", "reduce": "functools.reduce (from functools import reduce)", "unicode": "str",
    "basestring": "str", "long": "int", "raw_input": "input", "izip": "zip", "iteritems": ".items()",
    "itervalues": ".values()", "iterkeys": ".keys()", "has_key": "`key in d`",
}


def _python2_cause(message: str) -> str | None:
    """Code written for Python 2 (an old course's solutions): the name it uses and its Python 3 spelling."""
    m = re.search(r"name '(\w+)' is not defined|has no attribute '(\w+)'", message)
    name = m and (m.group(1) or m.group(2))
    if name not in _PYTHON2:
        return None
    return f"{name} is Python 2, gone from Python 3: use {_PYTHON2[name]}"


def _undefined_name_cause(message: str, line: str, names: list[str]) -> str | None:
    """A NameError, or a local used before it is assigned: the closest name of the student's function, of the call's
    arguments or of the failing line (a typo; names are case-sensitive), if one is close."""
    m = re.search(r"name '(\w+)' is not defined|local variable '(\w+)'", message)
    if m is None:
        return None
    missing = m.group(1) or m.group(2)
    known = list(dict.fromkeys(n for n in [*names, *re.findall(r"[A-Za-z_]\w*", line)] if n != missing))
    close = [n for n in known if n.lower() == missing.lower()] or difflib.get_close_matches(missing, known, n=1,
                                                                                            cutoff=0.7)
    if m.group(2):
        return (f"{missing} is used before your function assigns it" + (f": a typo for {close[0]}?" if close else
                                                                         " (it is assigned further down)"))
    if close:
        return f"{missing} is not defined: a typo for {close[0]}?"
    return (f"{missing} is not defined where it is used: a typo, a name from another cell or file of yours, or an "
            "import missing from your submission?")


def _misspelt_numpy(message: str, line: str) -> str | None:
    """``np.zeros.like(x)``: an attribute of a NumPy function where ``np.zeros_like`` (one name) was meant."""
    m = re.search(r"has no attribute '(\w+)'", message)
    if m is None:
        return None
    for found in re.finditer(rf"\b(np|numpy)\.(\w+)\.{m.group(1)}\b", line):
        joined = f"{found.group(2)}_{m.group(1)}"
        if hasattr(np, joined):
            return f"{found.group(0)} is not a NumPy function: did you mean {found.group(1)}.{joined}?"
    return None


def _shapes_in(message: str) -> list[tuple[int, ...]]:
    return [tuple(int(d) for d in m.split(",") if d.strip()) for m in re.findall(r"\(([\d,\s]*)\)", message)]


def _unflattened_product(message: str, arrays: Mapping[str, np.ndarray]) -> str | None:
    """``x @ W`` with x (N, d1, d2, ...) where W has d1*d2*... rows: x was never flattened. np.dot names both shapes
    ("shapes (2,3,2,2) and (12,4) not aligned"); matmul names the two sizes ("size 12 is different from 2"), and the
    call's arguments give x."""
    shapes = _shapes_in(message)
    if len(shapes) >= 2 and len(shapes[0]) >= 3 and len(shapes[1]) == 2:
        x, rows = shapes[0], shapes[1][0]
    elif m := re.search(r"size (\d+) is different from (\d+)", message):
        rows, last = int(m.group(1)), int(m.group(2))
        x = next((a.shape for a in arrays.values() if a.ndim >= 3 and a.shape[-1] == last), None)
        if x is None:
            return None
    else:
        return None
    if int(np.prod(x[1:])) != rows:
        return None
    return (f"x {tuple(x)} is not flattened before the product: reshape it to (N, D) = ({x[0]}, {rows}) with "
            "x.reshape(x.shape[0], -1), keep x's original shape, and reshape dx back to it in backward")


def _labels_for_one_hot(shapes: list[tuple[int, ...]], arrays: Mapping[str, np.ndarray]) -> str | None:
    """A (N,) integer label vector meeting (N, C) probabilities elementwise: the code assumes one-hot t."""
    pair = next(((a, b) for a in shapes for b in shapes if len(a) == 1 and len(b) == 2 and a[0] == b[0]), None)
    if pair is None:
        return None
    labels = [name for name, a in arrays.items()
              if a.shape == pair[0] and np.issubdtype(a.dtype, np.integer)]
    if not labels:
        return None
    t, (n, c) = labels[0], pair[1]
    return (f"{t} holds integer labels, shape ({n},), and your code treats it as one-hot ({n}, {c}): handle labels "
            f"too (y[np.arange(N), {t}]), or turn them into one-hot first (np.eye({c})[{t}])")


def scope_names(statements: Sequence[Any], where: str) -> list[str]:
    """The parameters and local names of the student's function that raised at ``where`` ("alice.py, line 12" or
    "alice.ipynb, cell 3, line 4"), read from the loaded statements (objects with source, lineno, cell)."""
    m = re.search(r"(?:cell (\d+), )?line (\d+)$", where or "")
    if m is None:
        return []
    cell, lineno = (int(m.group(1)) if m.group(1) else None), int(m.group(2))
    for stmt in statements:
        if stmt.cell != cell or not stmt.lineno <= lineno < stmt.lineno + stmt.source.count("\n") + 1:
            continue
        try:
            tree = ast.parse(placed(stmt.source, stmt.lineno))
        except SyntaxError:
            return []
        functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                     and n.lineno <= lineno <= (n.end_lineno or n.lineno)]
        if not functions:
            return []
        inner = max(functions, key=lambda n: n.lineno)
        args = inner.args
        names = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
        names += [a.arg for a in (args.vararg, args.kwarg) if a]
        names += [n.id for n in ast.walk(inner) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)]
        return list(dict.fromkeys(names))
    return []


def exception_cause(exc_type: str, message: str, line: str = "",
                    arrays: Mapping[str, np.ndarray] | None = None,
                    settings: Mapping[str, object] | None = None, scope: Sequence[str] = ()) -> str | None:
    """The likely cause of a student exception, from its type and message, the student's line that raised it,
    the call's array arguments (name -> array), its other settings (constructor and keyword arguments) and the
    names of the student's function that raised (``scope_names``)."""
    arrays, settings = arrays or {}, settings or {}
    text = f"{exc_type}: {message}"
    pad = settings.get("pad")
    if "cannot reshape array" in message:
        fixed = re.search(r"reshape\(\s*(\d+(?:\s*,\s*\d+)+)\s*\)", line)
        if fixed:
            return (f"reshape({fixed.group(1)}) hard-codes sizes that fit one input only: take them from the data "
                    "(x.shape, len(x)) or let -1 stand for the one that follows, e.g. reshape(-1, 1)")
        if isinstance(pad, (int, float)) and pad:
            return (f"the output size formula ignores pad (pad = {pad:g} here): "
                    "out_h = (H + 2*pad - pool_h) // stride + 1, and the same for out_w")
        return ("the shape you reshape to does not hold the same number of elements: check the output-size "
                "formula (out_h = (H + 2*pad - FH) // stride + 1) and the order of the dimensions")
    if m := _OUT_OF_BOUNDS.search(message):
        index, axis, size = int(m.group(1)), int(m.group(2)), int(m.group(3))
        flat = [n for n, a in arrays.items() if a.ndim >= 2 and a.shape[axis:axis + 1] == (size,) and a.size > index
                and not re.search(rf"\b{re.escape(n)}\[[^\]]*,", line)]  # X[k, :] is a row index, not a flat one
        if flat:
            name = flat[0]
            return (f"a flat index (0 .. {name}.size - 1) is used on the first axis of the {arrays[name].ndim}-D "
                    f"array {name}: a loop over range({name}.size) works for 1-D input only. For any shape, iterate "
                    f"with np.nditer({name}, flags=['multi_index']) or np.ndindex({name}.shape), or index "
                    f"{name}.reshape(-1) / {name}.flat")
        return (f"index {index} is past the end of an axis of size {size}: a hard-coded loop bound "
                "(range(4) where range(len(X)) belongs) or an off-by-one in a range or slice?")
    if "arrays used as indices must be of integer" in message:
        return ("an array of floats is used as an index: one-hot targets (N, C) must become labels first "
                "(t.argmax(axis=1)); integer labels stored as floats need astype(int)")
    if ("cannot be interpreted as an integer" in message or "slice indices must be integers" in message
            or "only integers, slices" in message):
        return "a float is used as a size or an index: `/` gives a float in Python 3, use `//` (or int(...))"
    if "could not be broadcast together" in message:
        shapes = [tuple(int(d) for d in m.split(",") if d.strip()) for m in re.findall(r"\(([\d,\s]*)\)", message)]
        if cause := _labels_for_one_hot(shapes, arrays):
            return cause
        square = next((sh for sh in shapes if len(sh) == 2 and sh[0] == sh[1] and sh[0] > 1), None)
        if square:
            n = square[0]
            return (f"an array of shape {square} is what broadcasting gives when a 1-D ({n},) array meets a ({n}, 1) "
                    f"column earlier on (d - y with d 1-D and y a column?): give both operands the same shape "
                    f"(reshape(-1, 1) or ravel()) before subtracting")
        return ("two arrays of incompatible shapes meet in an elementwise operation: check the axes of your sums "
                "and means (keepdims=True keeps a column) and which array is transposed")
    if "not aligned" in message or "mismatch in its core dimension" in message:
        if cause := _unflattened_product(message, arrays):
            return cause
        return "the inner dimensions of a matrix product differ: a missing or extra .T, or swapped operands?"
    if m := re.search(r"module 'numpy' has no attribute '(float|int|bool|object|str|complex)'", message):
        alias = m.group(1)
        return (f"np.{alias} was removed from NumPy (1.24): write the built-in {alias} or np.{alias}64 / "
                f"np.{alias}_ (your code ran on an older NumPy)")
    if "arrays can be converted to Python scalars" in message:
        return ("int() or float() of an array with more than one element (NumPy 2 refuses what older versions "
                "allowed with a warning): index one element (x[i, j]) or use .item() on a one-element array")
    if cause := _python2_cause(message) or _undefined_name_cause(message, line, [*scope, *arrays, *settings]):
        return cause
    if m := re.search(r"^(\w+)\(\) takes no arguments", message):
        return (f"{m.group(1)} has no __init__ that takes these arguments: is it spelt __init__, two underscores on "
                "each side (def __init(self, ...) is an ordinary method Python never calls)?")
    if m := re.search(r"^(\w+)\.__init__\(\) missing (\d+) required positional argument", message):
        return (f"{m.group(1)}'s __init__ has parameters without defaults, and the check calls it without them: give "
                "them the curriculum's defaults (e.g. lr=0.01)")
    if cause := _misspelt_numpy(message, line):
        return cause
    if m := re.search(r"(\w+(?:\.\w+)?)\(\) takes (\d+) positional arguments? but (\d+) were given", message):
        return (f"{m.group(1)} is defined with {int(m.group(2)) - ('.' in m.group(1))} argument(s) besides self "
                f"but is called with {int(m.group(3)) - ('.' in m.group(1))}: its signature does not match the "
                "curriculum's (backward(self, dout), forward(self, x), update(self, params, grads))"
                if "." in m.group(1) else
                f"{m.group(1)} takes {m.group(2)} argument(s) but is called with {m.group(3)}: its signature does "
                "not match the curriculum's")
    if exc_type == "ZeroDivisionError":
        return "a division by zero: a count or a bias correction (1 - beta**t with t = 0?) that is still 0"
    if "NoneType" in text:
        return "a value is None: forward did not store what backward reads, or a function does not return"
    return None

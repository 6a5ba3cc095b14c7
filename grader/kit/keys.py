"""Content keys for recorded answers: what was asked, as a short hash that does not depend on the run.

A call ``softmax(x)`` on the public input ``x`` gets the same key when the kit is built (the real
reference answers and the answer is stored) and when a student runs the kit (the stored answer is looked
up). Arrays are keyed by dtype, shape and bytes; functions by module, qualified name, defaults and the
values they close over (``lambda w: loss(x, w)`` over a fixed ``x``); anything else that cannot be keyed
as data (a handle on a student object, a file) by its type only.
"""
from __future__ import annotations

import hashlib
import json
import types
from typing import Any

import numpy as np

MAX_DEPTH = 8


def encode(value: Any, depth: int = 0) -> Any:
    """A JSON-able, canonical description of ``value`` (equal for equal data)."""
    if depth > MAX_DEPTH:
        return ["deep"]
    plain = _PLAIN.get(type(value))  # the common exact types first (none of them is an answer node)
    if plain is not None:
        return plain(value, depth)
    key_of = getattr(type(value), "_kit_key_of", None)
    if key_of is not None:  # a recorded or replayed answer object: its state key
        return ["obj", key_of(value)]
    if value is None or isinstance(value, (bool, str)):
        return [type(value).__name__, value]
    if isinstance(value, int):
        return ["int", str(value)]
    if isinstance(value, float):
        return ["float", value.hex()]
    if isinstance(value, complex):
        return ["complex", value.real.hex(), value.imag.hex()]
    if isinstance(value, np.ndarray):
        return _array(value, depth)
    if isinstance(value, np.generic):
        return ["np", value.dtype.str, value.tobytes().hex()]
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [encode(v, depth + 1) for v in value]]
    if isinstance(value, dict):
        items = [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]
        return ["dict", sorted(items, key=lambda kv: json.dumps(kv[0]))]
    if isinstance(value, slice):
        return ["slice", encode((value.start, value.stop, value.step), depth + 1)]
    if isinstance(value, types.FunctionType):
        return _encode_function(value, depth)
    if isinstance(value, (types.BuiltinFunctionType, np.ufunc)):
        return ["builtin", getattr(value, "__module__", "") or "", value.__name__]
    if isinstance(value, type):
        return ["class", value.__module__, value.__qualname__]
    if isinstance(value, types.MethodType):
        return ["method", encode(value.__self__, depth + 1), value.__func__.__qualname__]
    return ["opaque", type(value).__qualname__]


def _array(value: np.ndarray, depth: int) -> Any:
    if value.dtype == object:
        return ["opaque", "object-array"]
    data = np.ascontiguousarray(value)
    return ["nd", data.dtype.str, list(data.shape), hashlib.sha256(data.tobytes()).hexdigest()[:32]]


# What encode() gives these exact types (the same as its isinstance chain below gives them), looked up first.
_PLAIN = {
    np.ndarray: _array,
    str: lambda v, d: ["str", v],
    bool: lambda v, d: ["bool", v],
    type(None): lambda v, d: ["NoneType", None],
    int: lambda v, d: ["int", str(v)],
    float: lambda v, d: ["float", v.hex()],
    tuple: lambda v, d: ["tuple", [encode(x, d + 1) for x in v]],
    list: lambda v, d: ["list", [encode(x, d + 1) for x in v]],
}


def _encode_function(fn: types.FunctionType, depth: int) -> Any:
    closure = [encode(_cell(c), depth + 1) for c in (fn.__closure__ or ())]
    return ["fn", fn.__module__, fn.__qualname__, encode(fn.__defaults__, depth + 1), closure]


def _cell(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell (the closure variable is not assigned yet)
        return None


def key(*parts: Any) -> str:
    """The key of a question made of ``parts`` (strings, previous keys, arguments)."""
    text = json.dumps(encode(parts), separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]

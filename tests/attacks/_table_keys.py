# Shared head of the answer-table attack and of its recorder (tests/test_sandbox_answer_tables.py): how a call
# is named in the table. A call is keyed by its callee, its arguments (arrays by dtype, shape and bytes), and
# for a method the object's constructor arguments and every earlier outer call on it. Repeated calls with the
# same key (random masks) get the recorded answers in turn.
import hashlib as _hashlib

import numpy as _np


def _norm(value):
    if isinstance(value, _np.ndarray):
        return ("a", value.dtype.str, value.shape, _hashlib.sha256(_np.ascontiguousarray(value).tobytes()).hexdigest())
    if isinstance(value, (list, tuple)):
        return tuple(_norm(v) for v in value)
    if isinstance(value, dict):
        return tuple((repr(k), _norm(v)) for k, v in sorted(value.items(), key=lambda kv: repr(kv[0])))
    if isinstance(value, (bool, int, float, complex, str, type(None), _np.generic)):
        return repr(value)
    tk = getattr(value, "_table_history", None)
    if tk is not None:
        return "obj:" + tk
    if callable(value):
        return "fn:" + str(getattr(value, "__name__", "?"))
    return "other:" + type(value).__name__


def _table_key(*parts):
    return _hashlib.sha256(repr(tuple(_norm(p) if not isinstance(p, str) else p for p in parts)).encode()).hexdigest()


def _plain(value):
    """A picklable copy of plain data (arrays, numbers, strings, containers of them), else None."""
    if isinstance(value, _np.ndarray):
        return value.copy() if value.dtype.kind in "biufc" else None
    if isinstance(value, (bool, int, float, complex, str, type(None), _np.generic)):
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return None


def _attrs(obj):
    return {k: _plain(v) for k, v in vars(obj).items() if not k.startswith("_table") and _plain(v) is not None}

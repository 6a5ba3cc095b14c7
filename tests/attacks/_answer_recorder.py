# Appended to the reference submission of an assignment, graded in-process under another instructor key
# (tests/test_sandbox_answer_tables.py): every outer call of a top-level function or class of the file is
# written to @@OUT@@ as (key, answer, attributes after, arguments after). That is every answer an attacker
# could read in reports of the public cases (and more: the keyed cases of another key, worth nothing).
import inspect as _inspect
import pickle as _pickle

_DEPTH = [0]


def _record(key, result, obj, args, kwargs):
    entry = (key, _plain(result), _attrs(obj) if obj is not None else {},
             [_plain(a) for a in args], {k: _plain(v) for k, v in kwargs.items()})
    with open("@@OUT@@", "ab") as fh:
        _pickle.dump(entry, fh)


def _wrap_function(name, fn):
    def wrapper(*args, **kwargs):
        if _DEPTH[0]:
            return fn(*args, **kwargs)
        key = _table_key(name, args, kwargs)
        _DEPTH[0] += 1
        try:
            result = fn(*args, **kwargs)
        finally:
            _DEPTH[0] -= 1
        _record(key, result, None, args, kwargs)
        return result
    wrapper.__name__ = name
    return wrapper


def _wrap_method(cls_name, method):
    def wrapper(self, *args, **kwargs):
        if _DEPTH[0]:
            return method(self, *args, **kwargs)
        key = _table_key(cls_name, self._table_history, method.__name__, args, kwargs)
        self._table_history = _table_key(self._table_history, method.__name__, args, kwargs)
        _DEPTH[0] += 1
        try:
            result = method(self, *args, **kwargs)
        finally:
            _DEPTH[0] -= 1
        _record(key, result, self, args, kwargs)
        return result
    return wrapper


def _wrap_class(name, cls):
    def __init__(self, *args, **kwargs):
        outer = not _DEPTH[0]
        _DEPTH[0] += 1
        try:
            cls.__init__(self, *args, **kwargs)
        finally:
            _DEPTH[0] -= 1
        self._table_history = _table_key(name, "__init__", args, kwargs)
        if outer:
            _record(_table_key(name, "__init__", args, kwargs), None, self, args, kwargs)

    namespace = {"__init__": __init__}
    for attr in _public_methods(cls):
        namespace[attr] = _wrap_method(name, getattr(cls, attr))
    return type(name, (cls,), namespace)


def _public_methods(cls):
    return [attr for attr in dir(cls) if not attr.startswith("_") and _inspect.isfunction(getattr(cls, attr, None))
            and not isinstance(_inspect.getattr_static(cls, attr), (staticmethod, classmethod))]


def _defined_here(obj):
    if isinstance(obj, type):
        return any(getattr(v, "__globals__", None) is globals() for v in vars(obj).values())
    return _inspect.isfunction(obj) and obj.__globals__ is globals()


class _InstallRecorder:
    _names = {}
    for _name, _obj in list(globals().items()):
        if _name.startswith("_") or not _defined_here(_obj):
            continue
        if isinstance(_obj, type):
            _names[_name] = _public_methods(_obj)
            globals()[_name] = _wrap_class(_name, _obj)
        else:
            _names[_name] = None
            globals()[_name] = _wrap_function(_name, _obj)
    with open("@@OUT@@", "ab") as _fh:
        _pickle.dump(("__names__", _names), _fh)

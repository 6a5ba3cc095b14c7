# The answer-table attack: no implementation at all, only the answers of the public cases (what reports show
# for them, recorded by tests/attacks/_answer_recorder.py under another instructor key), keyed by input.
# Every top-level name of the assignment answers from the table and returns None for anything else.
import base64 as _base64
import pickle as _pickle
import zlib as _zlib


def _table_text():
    return "@@TABLE@@"


def _answer(key, obj, args, kwargs, state={}):
    if "table" not in state:
        state["table"] = _pickle.loads(_zlib.decompress(_base64.b64decode(_table_text())))
        state["seen"] = {}
    answers = state["table"]["answers"].get(key)
    if not answers:
        return None
    n = state["seen"].get(key, 0)
    state["seen"][key] = n + 1
    result, attrs, args_after, kwargs_after = answers[n % len(answers)]
    if obj is not None:
        vars(obj).update(attrs)
    for sent, after in [*zip(args, args_after), *((kwargs[k], v) for k, v in kwargs_after.items() if k in kwargs)]:
        _write_back(sent, after)
    return result


def _write_back(sent, after):
    """What the recorded call left in an argument it changed (an optimizer's params), written in place."""
    try:
        if isinstance(sent, _np.ndarray) and isinstance(after, _np.ndarray) and sent.shape == after.shape:
            sent[...] = after
        elif isinstance(sent, dict) and isinstance(after, dict):
            for k, v in after.items():
                if k in sent:
                    _write_back(sent[k], v)
    except (ValueError, TypeError):
        pass


def _function(name):
    def answer(*args, **kwargs):
        return _answer(_table_key(name, args, kwargs), None, args, kwargs)
    answer.__name__ = name
    return answer


def _method(cls_name, method_name):
    def answer(self, *args, **kwargs):
        key = _table_key(cls_name, self._table_history, method_name, args, kwargs)
        self._table_history = _table_key(self._table_history, method_name, args, kwargs)
        return _answer(key, self, args, kwargs)
    answer.__name__ = method_name
    return answer


def _class(name, methods):
    def __init__(self, *args, **kwargs):
        self._table_history = _table_key(name, "__init__", args, kwargs)
        _answer(self._table_history, self, args, kwargs)

    return type(name, (), {"__init__": __init__, **{m: _method(name, m) for m in methods}})


class _InstallTable:
    for _name, _methods in @@NAMES@@.items():
        globals()[_name] = _function(_name) if _methods is None else _class(_name, _methods)

"""The student kit's trusted stand-ins (installed as ``grader/sandbox/standins.py``): answers, not code.

In the full grader, ``with student.replaced("numerical_gradient"):`` sends the source of a working helper to
a separate student process, so that a caller is graded on its own logic. The kit has no working helpers: the
source it sends defines a stand-in that answers what the real helper answered, when the kit was built, for
the same call in the same order (a caller that is right makes exactly those calls): the kit's answer code
(``grader/kit/keys.py``, ``store.py``, ``answers.py``, plain text) and that helper's recorded answers, nothing
else, since a student process reads no file of ours. A call it has no answer for goes to the student's own
helper, as if nothing had been swapped: the caller is then graded with its own helpers, which is what the full
grader concludes too when the caller itself is wrong.
"""
from __future__ import annotations

import base64
import functools
from pathlib import Path

ANSWERS = Path(__file__).resolve().parent / "trusted_answers"  # <assignment>/<helper>/answers.json, .npz, kind
KIT = Path(__file__).resolve().parent.parent / "kit"
RUNTIME = ("keys.py", "store.py", "answers.py")

STAND_IN = '''
import base64 as _b64
import sys as _sys

keys = _types.SimpleNamespace(key=key, encode=encode)
_BACKEND = Replay(*[Reader(text=text, npz=_b64.b64decode(npz)) for text, npz in _TABLES])


def _student_own(name):
    """The student's own binding, still in place while this source runs (the runtime swaps it afterwards)."""
    frame = _sys._getframe(1)
    while frame is not None:
        namespace = getattr(frame.f_locals.get("self"), "namespace", None)
        if isinstance(namespace, dict):
            return namespace.get(name)
        frame = frame.f_back
    return None


_OWN = _student_own(_NAME)


class _StandIn(AnswerFunction):
    def __call__(self, *args, **kwargs):
        try:
            return super().__call__(*args, **kwargs)
        except NotInKit:
            if callable(_OWN):
                return _OWN(*args, **kwargs)
            raise


def _stand_in_class():
    base = answer_class(_BACKEND, keys.key("trusted", _NAME), _NAME)

    def __new__(cls, *args, **kwargs):
        instance = object.__new__(cls)
        try:
            AnswerObject.__init__(instance, *args, **kwargs)
        except NotInKit:
            if isinstance(_OWN, type):
                return _OWN(*args, **kwargs)  # not an instance of cls: __init__ is not called again
            raise
        return instance

    def __init__(self, *args, **kwargs):
        pass  # built in __new__

    return type(_NAME, (base,), {"__new__": __new__, "__init__": __init__})


_STAND_IN = _stand_in_class() if _KIND == "class" else _StandIn(_BACKEND, keys.key("trusted", _NAME), name=_NAME)
'''


@functools.lru_cache(maxsize=1)
def _runtime() -> str:
    """The kit's answer code as one module text (its own imports of grader.kit left out)."""
    parts = []
    for name in RUNTIME:
        lines = (KIT / name).read_text(encoding="utf-8").splitlines()
        parts.append("\n".join(line for line in lines
                               if not line.startswith(("from __future__", "from grader.kit", "import grader"))))
    return "from __future__ import annotations\nimport types as _types\n" + "\n\n".join(parts)


def source_of(helper: str) -> str:
    """Python source defining the stand-in ``helper`` (its recorded answers included); KeyError if none."""
    folders = sorted(p for p in ANSWERS.glob(f"*/{helper}") if (p / "kind").is_file())
    if not folders:
        known = sorted({p.name for p in ANSWERS.glob("*/*") if p.is_dir()})
        raise KeyError(f"unknown trusted helper {helper!r}; known: {', '.join(known)}")
    tables = [((f / "answers.json").read_text(encoding="utf-8"),
               base64.b64encode((f / "answers.npz").read_bytes()).decode("ascii")) for f in folders]
    kind = (folders[0] / "kind").read_text(encoding="utf-8").strip()
    return (_runtime() + f"\n\n_NAME = {helper!r}\n_KIND = {kind!r}\n_TABLES = {tables!r}\n" + STAND_IN
            + f"\n{helper} = _STAND_IN\n")

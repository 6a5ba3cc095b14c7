"""Issue 8, class 5: arguments that live in the student process (``student.put`` handles) and arrays inside
dict arguments are compared call by call like plain array arguments, so no call is a "watched" moment.

The attack: a correct SGD whose ``update`` zeroes the caller's gradients after using them, except when the
grads dict is an object the grader put into the student process (it finds the runtime's handle table among the
dict's referrers) -- the one moment the mutation check used to read the gradients back. Graded through the
command line, its mutation check must fail (with the golden checks' calls named), while an honest SGD keeps it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from reference.submission import as_submission
from tests.helpers_submissions import with_bug, write_py

REFERENCE_SGD = """    def update(self, params: Params, grads: Params) -> None:
        for key in params:
            params[key] -= self.lr * grads[key]
"""
SNEAKY_SGD = """    def update(self, params: Params, grads: Params) -> None:
        for key in params:
            params[key] -= self.lr * grads[key]
        if not _lives_in_a_handle(grads):  # only when nobody reads grads back
            for key in grads:
                grads[key][...] = 0.0


def _lives_in_a_handle(obj):
    import gc
    return any(type(r) is dict and any(type(k) is int and v is obj for k, v in r.items())
               for r in gc.get_referrers(obj))


class _Unused:
    def update(self, params, grads):
        pass
"""


def grade(batch: Path, out: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV"))}
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", "optim", str(batch), "--out", str(out), "--quiet",
                           "--jobs", "2"], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {s["id"]: s for s in json.loads((out / "results.json").read_text())["submissions"]}


def test_changing_grads_only_when_unwatched_is_caught(tmp_path: Path) -> None:
    source = as_submission("optim")
    sneaky = with_bug(source, REFERENCE_SGD, SNEAKY_SGD)
    write_py(tmp_path / "batch" / "sneaky.py", sneaky)
    write_py(tmp_path / "batch" / "honest.py", source)
    subs = grade(tmp_path / "batch", tmp_path / "out")
    checks = {c["id"]: c for c in subs["sneaky"]["checks"]}
    mutation = checks["SGD/leaves-grads-alone"]
    assert mutation["status"] == "failed", mutation
    assert "grads" in mutation["message"] and "grads[key] *= lr" in mutation["message"], mutation["message"]
    assert checks["SGD/default"]["status"] == "passed"  # its results are right: only the mutation is caught
    honest = {c["id"]: c["status"] for c in subs["honest"]["checks"]}
    assert honest["SGD/leaves-grads-alone"] == "passed"
    assert subs["honest"]["score"] == subs["honest"]["max_score"]


SNEAKY_POOLING = """

class Pooling(Pooling):
    def backward(self, dout):
        if not _lives_in_a_handle(dout):
            return super().backward(dout)
        # a handle is read back only at the end: change it in one call and put it back in the next
        self._toggle = not getattr(self, "_toggle", False)
        if self._toggle:
            dx = super().backward(dout)
            dout *= 2.0
            return dx
        dout /= 2.0
        return super().backward(dout)


def _lives_in_a_handle(obj):
    import gc
    return any(type(r) is dict and any(type(k) is int and v is obj for k, v in r.items())
               for r in gc.get_referrers(obj))
"""


def test_an_object_put_into_the_student_process_is_compared_at_every_call(tmp_path: Path) -> None:
    source = as_submission("conv")
    write_py(tmp_path / "batch" / "sneaky.py", source + SNEAKY_POOLING)
    write_py(tmp_path / "batch" / "honest.py", source)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV"))}
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", "conv", str(tmp_path / "batch"), "--out",
                           str(tmp_path / "out"), "--quiet", "--jobs", "2"], capture_output=True, text=True, env=env,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    subs = {s["id"]: s for s in json.loads((tmp_path / "out" / "results.json").read_text())["submissions"]}
    checks = {c["id"]: c for c in subs["sneaky"]["checks"]}
    mutation = checks["Pooling/leaves-inputs-alone"]
    assert mutation["status"] == "failed" and "dout" in mutation["message"], mutation
    assert subs["honest"]["score"] == subs["honest"]["max_score"]

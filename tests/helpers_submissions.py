"""Build submissions the way students hand them in, for the CLI acceptance tests and bench/grade_class.py.

A *correct* submission is the reference's own source (``inspect.getsource``) with the imports of
``reference`` and ``__future__`` removed and the helpers it imports inlined: what a student who got
everything right would write. Buggy variants are that source with one textual edit (``with_bug``).

Also here: notebooks (nbformat), LMS bulk-download zips, and a /proc scan for sandbox processes whose
judge is gone (what a leaked student process looks like).
"""
from __future__ import annotations

import inspect
import json
import os
import zipfile
from pathlib import Path
from typing import Iterable, Mapping

import nbformat

from reference import _rng, backprop, numerical


def _strip_imports(source: str) -> str:
    """``source`` without ``from __future__``/``from reference``/``import reference`` lines."""
    keep = [line for line in source.splitlines()
            if not line.startswith(("from __future__", "from reference", "import reference"))]
    return "\n".join(keep) + "\n"


def reference_source(assignment: str) -> str:
    """The source of a full-marks submission of ``assignment`` (``numerical`` or ``backprop``)."""
    if assignment == "numerical":
        return _strip_imports(inspect.getsource(numerical))
    if assignment == "backprop":
        helpers = "\n\n".join(inspect.getsource(f) for f in (numerical.sigmoid, numerical.relu, numerical.softmax))
        rng = _strip_imports(inspect.getsource(_rng))
        return "import numpy as np\n\n" + helpers + "\n\n" + rng + "\n" + _strip_imports(inspect.getsource(backprop))
    raise ValueError(f"no correct submission for {assignment!r}")


def with_bug(source: str, old: str, new: str) -> str:
    """``source`` with its one occurrence of ``old`` replaced by ``new`` (the bug must apply exactly once)."""
    count = source.count(old)
    if count != 1:
        raise ValueError(f"bug pattern {old!r} occurs {count} times, expected once")
    return source.replace(old, new)


# One bug per component, as (component, old text, new text, words the failing check's message must contain).
NUMERICAL_BUGS: dict[str, tuple[str, str, str, str]] = {
    "softmax_no_max": ("softmax", "np.exp(x - np.max(x, axis=-1, keepdims=True))", "np.exp(x)", "Subtract the maximum"),
    "sse_no_half": ("sum_squared_error", "float(0.5 * np.sum(d * d))", "float(np.sum(d * d))", "0.5"),
    "ce_no_batch_mean": ("cross_entropy_error", "return float(-np.sum(t * np.log(y + LOG_EPS)) / n)",
                         "return float(-np.sum(t * np.log(y + LOG_EPS)))", "not divided by the batch size"),
    "diff_times_h": ("numerical_diff", "/ (2 * H))", "/ 2 * H)", "/ (2*h)"),
    "sigmoid_sign": ("sigmoid", "np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
                     "np.where(x >= 0, e / (1.0 + e), 1.0 / (1.0 + e))", "sign inside exp is flipped"),
    "softmax_in_place": ("softmax", "e = np.exp(x - np.max(x, axis=-1, keepdims=True))",
                         "x -= np.max(x, axis=-1, keepdims=True)\n    e = np.exp(x)", "x -= np.max(x) shifts"),
    "descent_aliases_init_x": ("gradient_descent", "x = np.array(init_x, dtype=np.float64)", "x = init_x",
                               "init_x.copy()"),
}
BACKPROP_BUGS: dict[str, tuple[str, str, str, str]] = {
    "loss_no_half": ("mlp_loss", "return float(0.5 * np.sum(e * e))", "return float(np.sum(e * e))", "0.5"),
    "delta_sgd_one_sample": ("delta_sgd", "        W = W + alpha * np.outer(delta, x)\n    return W",
                             "        W = W + alpha * np.outer(delta, x)\n        return W", "first sample"),
}


def buggy_source(assignment: str, bug: str) -> str:
    """The correct submission of ``assignment`` with the named bug of NUMERICAL_BUGS/BACKPROP_BUGS."""
    bugs = NUMERICAL_BUGS if assignment == "numerical" else BACKPROP_BUGS
    _, old, new, _ = bugs[bug]
    return with_bug(reference_source(assignment), old, new)


# ----------------------------------------------------------------------------- containers

def write_py(path: Path, source: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    """Write ``source`` to ``path`` with the given encoding and line endings."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(source.replace("\n", newline).encode(encoding))
    return path


def notebook_text(cells: Iterable[str | tuple[str, str]]) -> str:
    """An nbformat-v4 notebook: each cell is code source, or ``("markdown", text)``."""
    nb = nbformat.v4.new_notebook()
    for cell in cells:
        if isinstance(cell, tuple):
            nb.cells.append(nbformat.v4.new_markdown_cell(cell[1]))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(cell))
    return nbformat.writes(nb)


def write_notebook(path: Path, cells: Iterable[str | tuple[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(notebook_text(cells), encoding="utf-8")
    return path


def source_cells(source: str) -> list[str]:
    """Split a module's source into notebook cells at top-level ``def``/``class`` boundaries."""
    cells, current = [], []
    for line in source.splitlines():
        if line.startswith(("def ", "class ", "@")) and current and not current[-1].startswith("@"):
            cells.append("\n".join(current).strip("\n"))
            current = []
        current.append(line)
    cells.append("\n".join(current).strip("\n"))
    return [c for c in cells if c.strip()]


def write_zip(path: Path, members: Mapping[str, str | bytes]) -> Path:
    """A zip archive holding ``members`` (archive name -> text or bytes), as an LMS download gives it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data.encode("utf-8") if isinstance(data, str) else data)
    return path


# ----------------------------------------------------------------------------- processes

BOOT_MARKER = "from grader.sandbox.forkserver import main"


def _judge_of(pid: str) -> int | None:
    """The judge pid a fork-server (or forked student) process was started for, from its command line."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            args = fh.read().decode("utf-8", "replace").split("\0")
    except OSError:
        return None
    if not any(BOOT_MARKER in a for a in args):
        return None
    last = args[-2] if len(args) > 1 and not args[-1] else args[-1]
    try:  # the fork server's last argument is its judge's pid (older ones: a JSON config holding it)
        return int(last)
    except ValueError:
        try:
            return int(json.loads(last)["judge"])
        except (ValueError, KeyError, TypeError):
            return -1


def orphaned_sandbox_processes() -> set[int]:
    """Fork servers and student processes (any descendant, setsid or not) whose judge process is gone."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        judge = _judge_of(entry)
        if judge is not None and not os.path.exists(f"/proc/{judge}"):
            found.add(int(entry))
    return found


# ----------------------------------------------------------------------------- cheating submissions
# Each is appended to a correct submission: the later definitions replace the honest ones.

CHEAT_PATCH = '''
import builtins, math

def _rig():
    """Make every comparison say yes, and announce success."""
    np.allclose = lambda *a, **k: True
    np.array_equal = lambda *a, **k: True
    np.testing.assert_allclose = lambda *a, **k: None
    math.isclose = lambda *a, **k: True
    builtins.abs = lambda v: 0
    print("ALL TESTS PASSED 100/100")
    return True

def softmax(x, _rigged=_rig()):
    _rig()
    return np.zeros_like(x)

def sum_squared_error(y, t, _rigged=_rig()):
    _rig()
    return 0.0
'''

CHEAT_LIAR = '''
class Liar:
    """Equal to everything, no distance from anything, converts to the lecture's answer."""
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return True
    __le__ = __gt__ = __ge__ = __lt__
    def __sub__(self, other): return 0.0
    __rsub__ = __add__ = __radd__ = __sub__
    def __abs__(self): return 0.0
    def __float__(self): return 0.0975
    def __bool__(self): return True
    def __hash__(self): return 0
    def __array__(self, dtype=None, copy=None): return np.zeros(3)
    def __len__(self): return 3
    def __getitem__(self, i): return self

def softmax(x):
    return Liar()

def sum_squared_error(y, t):
    return Liar()

def cross_entropy_error(y, t):
    return Liar()
'''

CHEAT_REFERENCE = '''
import os, sys
import reference
from reference.numerical import *

GOLDEN = {golden!r}
PROJECT = {project!r}
TARGETS = {targets!r}
VICTIM = {victim!r}

def softmax(x):
    from reference.numerical import softmax as answer
    return answer(x)

def cross_entropy_error(y, t):
    return float(np.load(GOLDEN)["cross_entropy_error/seed::out::loss"])

def numerical_diff(f, x):
    sys.path.insert(0, PROJECT)
    import reference.numerical
    return reference.numerical.numerical_diff(f, x)

def relu(x):
    for path in TARGETS:
        try:
            with open(path, "w") as fh:
                fh.write("{{}}")
        except OSError:
            pass
    try:
        with open(VICTIM, "a") as fh:
            fh.write("def sigmoid(x):\\n    return 0\\n")
    except OSError:
        pass
    try:
        os.remove(VICTIM)
    except OSError:
        pass
    return np.maximum(0.0, x)
'''


def cheat_reference_tail(project: Path, out_dir: Path, victim: Path) -> str:
    """CHEAT_REFERENCE aimed at this machine's reference, golden store, output folder and a victim file."""
    targets = [str(out_dir / "hacked.txt"), str(out_dir / "results.json"), str(victim.parent / "zz_planted.py")]
    return CHEAT_REFERENCE.format(golden=str(project / "reference" / "golden" / "numerical.npz"),
                                  project=str(project), targets=targets, victim=str(victim))

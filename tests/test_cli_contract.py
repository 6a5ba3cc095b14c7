"""Acceptance tests of the grading engine through its outside contract (CONTRACT.md): the command line
and results.json only.

Three batches are graded once each (module-scoped fixtures) and shared by the tests:
- ``numerical``: correct, buggy, cheating and malformed submissions as .py, .ipynb, a sub-folder and an
  LMS zip, in one ``grader grade`` call with ``--jobs 2``;
- ``backprop``: correct and buggy ones as .py, .ipynb, a sub-folder and an LMS zip;
- a tiny instructor assignment with 1-second-scale timeouts and hostile submissions (exit, segfault,
  signal-proof loop, fork bomb, setsid child, 50 GB), graded by a separate ``python -m grader`` process.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

from grader.cli import main
from tests.helpers_submissions import (
    BACKPROP_BUGS, CHEAT_LIAR, CHEAT_PATCH, NUMERICAL_BUGS, buggy_source, cheat_reference_tail, notebook_text,
    orphaned_sandbox_processes, reference_source, source_cells, with_bug, write_notebook, write_py, write_zip,
)

PROJECT = Path(__file__).resolve().parent.parent
KINDS = {"golden", "shape", "gradcheck", "convergence", "property", "mutation", "static"}
CHECK_STATUSES = {"passed", "failed", "error", "timeout", "missing"}
# Component names of CURRICULUM.md.
COMPONENTS = {
    "numerical": ["sigmoid", "relu", "softmax", "sum_squared_error", "cross_entropy_error", "numerical_diff",
                  "numerical_gradient", "gradient_descent"],
    "backprop": ["mlp_forward", "mlp_loss", "mlp_backward", "mlp_update", "delta_sgd", "backprop_xor",
                 "backprop_ce", "deep_relu", "dropout_mask"],
}
MACOSX_JUNK = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        "


def grade_cli(*args: str) -> dict:
    """``grader grade ... --quiet`` in this process; the parsed results.json."""
    argv = ["grade", *args, "--quiet"]
    assert main(argv) == 0
    out = Path(args[args.index("--out") + 1])
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def by_id(results: dict) -> dict[str, dict]:
    return {s["id"]: s for s in results["submissions"]}


def not_passed(sub: dict) -> dict[str, str]:
    return {c["id"]: c["status"] for c in sub["checks"] if c["status"] != "passed"}


def components_lost(sub: dict) -> set[str]:
    return {c["component"] for c in sub["checks"] if c["status"] != "passed"}


def component_score(sub: dict, component: str) -> float:
    return sum(c["score"] for c in sub["checks"] if c["component"] == component)


def without_timestamp(results: dict) -> dict:
    return {k: v for k, v in results.items() if k != "generated_at"}


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ============================================================================ the numerical batch

LATIN1_HEADER = "# -*- coding: latin-1 -*-\n# Réponse à l'exercice «numérique» : µ = 1e-4, 90°\n"
JUNK_CELLS = ["%matplotlib inline", "!pip install numpy", "from google.colab import drive\ndrive.mount('/content/drive')"]
NOISY_TAIL = '''
def softmax(x):
    x = np.asarray(x, dtype=float) + np.random.normal(scale=1e-3, size=np.shape(x))
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)

def sum_squared_error(y, t):
    return 0.5 * float(np.sum((np.asarray(y) - t) ** 2)) + np.random.default_rng().normal() * 1e-3
'''
LOOPS_ONLY = """import numpy as np
W = np.random.randn(3, 3)
for epoch in range(10000):
    W -= 0.01 * W
    print(epoch, W.sum())
while True:
    pass
"""


def _numerical_inputs(root: Path) -> SimpleNamespace:
    """Write the numerical batch under ``root``; returns the CLI paths and the expectations' anchors."""
    ok = reference_source("numerical")
    inbox, klass = root / "inbox", root / "class"
    alice = write_py(inbox / "alice.py", ok)
    bora = write_notebook(inbox / "bora.ipynb", [("markdown", "# 과제 1"), *JUNK_CELLS, *source_cells(ok),
                                               "print(softmax(np.array([1.0, 2.0])))\nplt.show()"])
    write_py(klass / "chris" / "numerical.py", ok)
    write_py(klass / "chris" / "scratch.py", "print('trying things')\n")
    (klass / "chris" / "README.txt").write_text("my homework\n")
    for bug in ("softmax_no_max", "ce_no_batch_mean", "sigmoid_sign", "softmax_in_place", "descent_aliases_init_x"):
        write_py(klass / f"bug_{bug}.py", buggy_source("numerical", bug))
    write_py(klass / "cheat_patch.py", ok + CHEAT_PATCH)
    write_py(klass / "cheat_liar.py", ok + CHEAT_LIAR)
    out = root / "out"
    write_py(klass / "cheat_reference.py", ok + cheat_reference_tail(PROJECT, out, alice))
    write_py(klass / "noisy.py", ok + NOISY_TAIL)
    (klass / "trunc.ipynb").write_text(notebook_text(source_cells(ok))[:300], encoding="utf-8")
    cells = source_cells(ok)
    broken = [with_bug(c, "def softmax(x: np.ndarray) -> np.ndarray:", "def softmax(x: np.ndarray) -> np.ndarray")
              if c.startswith("def softmax") else c for c in cells]
    write_notebook(klass / "broken_cell.ipynb", broken)
    write_py(klass / "latin1_crlf.py", LATIN1_HEADER + ok, encoding="latin-1", newline="\r\n")
    write_py(klass / "empty.py", "")
    write_py(klass / "loops_only.py", LOOPS_ONLY)
    (klass / "notes.txt").write_text("not a submission\n")
    lms = write_zip(root / "lms.zip", {
        "hw1-numerical/kimminji_12345_678901_numerical.ipynb": notebook_text(source_cells(ok)),
        "hw1-numerical/parkjiwoo_23456_700112_numerical.py": buggy_source("numerical", "sse_no_half"),
        "hw1-numerical/Han Yerin_204518_assignsubmission_file_/numerical.py": buggy_source("numerical", "diff_times_h"),
        "__MACOSX/hw1-numerical/._kimminji_12345_678901_numerical.ipynb": MACOSX_JUNK,
    })
    return SimpleNamespace(paths=[str(alice), str(bora), str(klass), str(lms)], out=out, alice=alice, klass=klass,
                           inputs_before=snapshot(root))


@pytest.fixture(scope="module")
def numerical_batch(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    batch = _numerical_inputs(tmp_path_factory.mktemp("numerical"))
    batch.results = grade_cli("numerical", *batch.paths, "--out", str(batch.out), "--jobs", "2")
    batch.subs = by_id(batch.results)
    return batch


FULL_MARKS_NUMERICAL = ["alice", "bora", "chris", "kimminji", "latin1_crlf"]
# Submission id -> (its bug's name in NUMERICAL_BUGS)
BUGGY_NUMERICAL = {"bug_softmax_no_max": "softmax_no_max", "bug_ce_no_batch_mean": "ce_no_batch_mean",
                   "bug_sigmoid_sign": "sigmoid_sign", "parkjiwoo": "sse_no_half", "Han Yerin": "diff_times_h",
                   "bug_softmax_in_place": "softmax_in_place", "bug_descent_aliases_init_x": "descent_aliases_init_x"}
# Cheater id -> the components it cheats on: they must earn nothing; its honest components pass.
CHEATS = {"cheat_patch": {"softmax", "sum_squared_error"},
          "cheat_liar": {"softmax", "sum_squared_error", "cross_entropy_error"},
          "cheat_reference": {"softmax", "cross_entropy_error", "numerical_diff"}}


def test_every_kind_of_input_is_found_with_its_id(numerical_batch) -> None:
    subs = numerical_batch.subs
    assert set(subs) == (set(FULL_MARKS_NUMERICAL) | set(BUGGY_NUMERICAL) | set(CHEATS)
                         | {"noisy", "trunc", "broken_cell", "empty", "loops_only"})
    assert subs["alice"]["path"].endswith("inbox/alice.py")
    assert subs["bora"]["path"].endswith("inbox/bora.ipynb")
    assert "chris/numerical.py" in subs["chris"]["path"]  # the folder's file named after the assignment
    assert subs["kimminji"]["path"].endswith("hw1-numerical/kimminji_12345_678901_numerical.ipynb")
    assert "Han Yerin_204518_assignsubmission_file_/numerical.py" in subs["Han Yerin"]["path"]
    assert not any("MACOSX" in s["path"] for s in subs.values())


@pytest.mark.parametrize("sid", FULL_MARKS_NUMERICAL)
def test_correct_numerical_submissions_score_full_marks(numerical_batch, sid: str) -> None:
    sub = numerical_batch.subs[sid]
    assert sub["status"] == "graded"
    assert not_passed(sub) == {}
    assert sub["score"] == numerical_batch.results["max_score"] == 20


@pytest.mark.parametrize("sid", sorted(BUGGY_NUMERICAL))
def test_a_buggy_submission_fails_only_its_component_and_names_the_cause(numerical_batch, sid: str) -> None:
    component, _, _, words = NUMERICAL_BUGS[BUGGY_NUMERICAL[sid]]
    sub = numerical_batch.subs[sid]
    lost = not_passed(sub)
    assert lost and components_lost(sub) == {component}
    assert set(lost.values()) == {"failed"}
    messages = [c["message"] for c in sub["checks"] if c["id"] in lost]
    assert any(words in m for m in messages), messages


@pytest.mark.parametrize("sid", sorted(CHEATS))
def test_cheating_earns_nothing(numerical_batch, sid: str) -> None:
    sub = numerical_batch.subs[sid]
    assert components_lost(sub) == CHEATS[sid]
    for component in CHEATS[sid]:
        assert component_score(sub, component) == 0, component


def test_cheats_on_the_reference_are_errors_that_say_so(numerical_batch) -> None:
    checks = {c["id"]: c for c in numerical_batch.subs["cheat_reference"]["checks"]}
    assert checks["softmax/golden-vector"]["status"] == "error"
    assert "reference" in checks["softmax/golden-vector"]["message"]
    for cid in ("cross_entropy_error/golden-seed", "numerical_diff/matches-central-difference"):
        assert checks[cid]["status"] == "error", cid
    assert numerical_batch.results["isolation"]


def test_cheaters_harm_no_one(numerical_batch) -> None:
    """Writes aimed at the --out folder, at another submission and at the class folder went nowhere."""
    inputs_now = {k: v for k, v in snapshot(numerical_batch.alice.parent.parent).items() if not k.startswith("out/")}
    assert inputs_now == numerical_batch.inputs_before  # every submission file and archive, byte for byte
    assert not (numerical_batch.out / "hacked.txt").exists()
    on_disk = json.loads((numerical_batch.out / "results.json").read_text(encoding="utf-8"))
    assert on_disk == numerical_batch.results
    assert (numerical_batch.out / "index.html").exists()
    assert by_id(on_disk)["alice"]["score"] == 20


def test_a_notebook_that_is_not_json_is_a_load_error(numerical_batch) -> None:
    sub = numerical_batch.subs["trunc"]
    assert (sub["status"], sub["score"]) == ("load_error", 0)
    assert len(sub["checks"]) == len(numerical_batch.results["checks"])
    assert {c["status"] for c in sub["checks"]} == {"error"}
    assert all("not a readable Jupyter notebook" in c["message"] for c in sub["checks"])


def test_a_syntax_error_in_one_cell_costs_only_that_cell(numerical_batch) -> None:
    sub = numerical_batch.subs["broken_cell"]
    assert sub["status"] == "graded"
    lost = not_passed(sub)
    assert components_lost(sub) == {"softmax"} and set(lost.values()) == {"missing"}
    assert all("SyntaxError" in c["message"] for c in sub["checks"] if c["id"] in lost)


@pytest.mark.parametrize("sid", ["empty", "loops_only"])
def test_files_without_definitions_are_graded_as_missing(numerical_batch, sid: str) -> None:
    sub = numerical_batch.subs[sid]
    assert (sub["status"], sub["score"]) == ("graded", 0)
    assert {c["status"] for c in sub["checks"]} == {"missing"}
    assert all(f"`{c['component']}`" in c["message"] for c in sub["checks"])
    assert any("no function or class definitions" in n["message"] or "no code found" in n["message"]
               for n in sub["notes"])


def test_random_numbers_in_a_submission_are_seeded(numerical_batch) -> None:
    """The noisy submission loses softmax and sum_squared_error; determinism is checked below."""
    assert components_lost(numerical_batch.subs["noisy"]) == {"softmax", "sum_squared_error"}


# ---------------------------------------------------------------------------- schema invariants

def _assert_contract(results: dict, assignment: str) -> None:
    catalog = [c["id"] for c in results["checks"]]
    assert results["assignment"] == assignment and catalog
    assert results["max_score"] == pytest.approx(sum(c["max_score"] for c in results["checks"]))
    for sub in results["submissions"]:
        assert [c["id"] for c in sub["checks"]] == catalog, sub["id"]
        assert sub["status"] in {"graded", "load_error"}
        assert sub["score"] == pytest.approx(sum(c["score"] for c in sub["checks"]))
        assert sub["max_score"] == pytest.approx(results["max_score"])
        for c in sub["checks"]:
            assert 0 <= c["score"] <= c["max_score"], (sub["id"], c["id"])
            assert c["status"] in CHECK_STATUSES and c["kind"] in KINDS
            assert c["component"] in COMPONENTS.get(assignment, {c["component"]})
            assert (c["score"] == c["max_score"]) == (c["status"] == "passed") or c["max_score"] == 0
            assert c["status"] == "passed" or c["message"].strip(), (sub["id"], c["id"])


def test_numerical_results_follow_the_contract(numerical_batch) -> None:
    _assert_contract(numerical_batch.results, "numerical")
    assert [c["component"] for c in numerical_batch.results["checks"]][0] == "sigmoid"
    seen = list(dict.fromkeys(c["component"] for c in numerical_batch.results["checks"]))
    assert seen == COMPONENTS["numerical"]


def test_same_results_serially_and_in_parallel(numerical_batch, tmp_path: Path) -> None:
    serial = grade_cli("numerical", *numerical_batch.paths, "--out", str(tmp_path / "serial"), "--jobs", "1")
    assert without_timestamp(serial) == without_timestamp(numerical_batch.results)
    assert not (numerical_batch.out / "hacked.txt").exists() and not (tmp_path / "serial" / "hacked.txt").exists()


# ============================================================================ the backprop batch

@pytest.fixture(scope="module")
def backprop_batch(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("backprop")
    ok = reference_source("backprop")
    py = write_py(root / "inbox" / "minsu.py", ok)
    klass = root / "class"
    write_py(klass / "dana" / "backprop.py", buggy_source("backprop", "delta_sgd_one_sample"))
    write_py(klass / "dana" / "plots.py", "import matplotlib.pyplot as plt\n")
    lms = write_zip(root / "bp.zip", {
        "hw2/kimminji_12345_678901_backprop.ipynb": notebook_text([("markdown", "## XOR"), *JUNK_CELLS,
                                                                  *source_cells(ok)]),
        "hw2/parkjiwoo_23456_700112_backprop.py": buggy_source("backprop", "loss_no_half"),
        "__MACOSX/hw2/._parkjiwoo_23456_700112_backprop.py": MACOSX_JUNK,
    })
    results = grade_cli("backprop", str(py), str(klass), str(lms), "--out", str(root / "out"), "--jobs", "2")
    return SimpleNamespace(results=results, subs=by_id(results))


def test_backprop_from_every_kind_of_input(backprop_batch) -> None:
    subs = backprop_batch.subs
    assert set(subs) == {"minsu", "dana", "kimminji", "parkjiwoo"}
    assert subs["dana"]["path"].endswith("class/dana/backprop.py")  # the file named after the assignment
    _assert_contract(backprop_batch.results, "backprop")
    assert backprop_batch.results["max_score"] == 30


@pytest.mark.parametrize("sid", ["minsu", "kimminji"])
def test_correct_backprop_submissions_score_full_marks(backprop_batch, sid: str) -> None:
    sub = backprop_batch.subs[sid]
    assert not_passed(sub) == {} and sub["score"] == 30


@pytest.mark.parametrize(("sid", "bug"), [("dana", "delta_sgd_one_sample"), ("parkjiwoo", "loss_no_half")])
def test_buggy_backprop_submissions_fail_their_component(backprop_batch, sid: str, bug: str) -> None:
    component, _, _, words = BACKPROP_BUGS[bug]
    sub = backprop_batch.subs[sid]
    assert components_lost(sub) == {component}
    failing = [c for c in sub["checks"] if c["status"] != "passed"]
    assert {c["status"] for c in failing} == {"failed"}
    assert any(words in c["message"] for c in failing), [c["message"] for c in failing]


# ============================================================================ hostile submissions

TINY_TOML = """name = "tiny"
title = "Two tiny functions"
total_points = 3
budget_seconds = 40
memory_mb = 1024
"""
TINY_CHECKS = '''import numpy as np

from grader.checks import check
from grader.compare import as_array


@check("add_one", "golden", points=1, timeout=2)
def test_add_one_scalar(student):
    assert student.add_one(41) == 42, "add_one(41) should be 42"


@check("double", "golden", points=1, timeout=2)
def test_double(student):
    assert student.double(3) == 6, "double(3) should be 6"


@check("add_one", "property", points=1, timeout=2)
def test_add_one_array(student):
    got = as_array(student.add_one(np.arange(3.0)), what="add_one([0, 1, 2])", shape=(3,))
    assert np.array_equal(got, [1.0, 2.0, 3.0]), "add_one works elementwise"
'''
TINY_OK = "def add_one(x):\n    return x + 1\n\ndef double(x):\n    return x * 2\n"
HOSTILE_DOUBLE = {
    "sys_exit_in_function": "import sys\ndef double(x):\n    sys.exit(1)\n",
    "os_exit_in_function": "import os\ndef double(x):\n    os._exit(7)\n",
    "segfault": "import ctypes\ndef double(x):\n    return ctypes.string_at(0)\n",
    "keyboard_interrupt": "def double(x):\n    raise KeyboardInterrupt\n",
    "spin_ignoring_sigterm": ("import signal\ndef double(x):\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                              "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    while True:\n        pass\n"),
    "fork_bomb": ("import os, time\ndef double(x):\n    for _ in range(100000):\n        try:\n            os.fork()\n"
                  "        except OSError:\n            time.sleep(0.01)\n    return x * 2\n"),
    "setsid_child": ("import os, signal, time\ndef double(x):\n    if os.fork() == 0:\n        os.setsid()\n"
                     "        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n        time.sleep(300)\n"
                     "        os._exit(0)\n    return x * 2\n"),
    "allocate_50_gb": "import numpy as np\ndef double(x):\n    return float(np.ones(50 * 2**30 // 8).sum())\n",
}
# Exits while the file loads: a class body and a default argument run at definition time.
HOSTILE_IMPORT = {
    "sys_exit_at_import": "import sys\nclass Config:\n    sys.exit('bye')\n",
    "os_exit_at_import": "import os\ndef setup(flag=os._exit(3)):\n    pass\n",
}
EXPECTED_DOUBLE = {"sys_exit_in_function": {"error"}, "os_exit_in_function": {"error"}, "segfault": {"error"},
                   "keyboard_interrupt": {"error"}, "spin_ignoring_sigterm": {"timeout"},
                   "fork_bomb": {"error", "timeout"}, "setsid_child": {"passed"}, "allocate_50_gb": {"error"},
                   "sys_exit_at_import": {"passed"}, "os_exit_at_import": {"passed"}, "good_py": {"passed"},
                   "good_nb": {"passed"}}


def _tiny_assignment(root: Path) -> Path:
    folder = root / "tiny"
    folder.mkdir()
    (folder / "assignment.toml").write_text(TINY_TOML)
    (folder / "test_tiny.py").write_text(TINY_CHECKS)
    return folder


def _settle(baseline: set[int], seconds: float = 5.0) -> set[int]:
    deadline = time.monotonic() + seconds
    while (extra := orphaned_sandbox_processes() - baseline) and time.monotonic() < deadline:
        time.sleep(0.1)
    return extra


@pytest.fixture(scope="module")
def hostile_batch(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    root = tmp_path_factory.mktemp("hostile")
    tiny, batch = _tiny_assignment(root), root / "batch"
    write_py(batch / "good_py.py", TINY_OK)
    write_notebook(batch / "good_nb.ipynb", source_cells(TINY_OK))
    for name, double in HOSTILE_DOUBLE.items():
        write_py(batch / f"{name}.py", "def add_one(x):\n    return x + 1\n\n" + double)
    for name, prelude in HOSTILE_IMPORT.items():
        write_py(batch / f"{name}.py", prelude + "\n" + TINY_OK)
    baseline = orphaned_sandbox_processes()
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", str(tiny), str(batch), "--out", str(root / "out"),
                           "--jobs", "2"], cwd=PROJECT, capture_output=True, text=True, timeout=300)
    results = json.loads((root / "out" / "results.json").read_text(encoding="utf-8"))
    return SimpleNamespace(proc=proc, results=results, subs=by_id(results), leftovers=_settle(baseline))


def test_hostile_batch_finishes_with_exit_zero(hostile_batch) -> None:
    assert hostile_batch.proc.returncode == 0, hostile_batch.proc.stderr[-2000:]
    assert set(hostile_batch.subs) == set(EXPECTED_DOUBLE)
    _assert_contract(hostile_batch.results, "tiny")


def test_no_process_is_left_behind(hostile_batch) -> None:
    assert hostile_batch.leftovers == set()


@pytest.mark.parametrize("sid", sorted(EXPECTED_DOUBLE))
def test_hostility_costs_only_the_affected_check(hostile_batch, sid: str) -> None:
    checks = {c["id"]: c for c in hostile_batch.subs[sid]["checks"]}
    assert checks["add_one/scalar"]["status"] == "passed"
    assert checks["add_one/array"]["status"] == "passed"
    assert checks["double/double"]["status"] in EXPECTED_DOUBLE[sid], checks["double/double"]
    if checks["double/double"]["status"] != "passed":
        assert checks["double/double"]["message"].strip()


def test_exits_say_what_happened(hostile_batch) -> None:
    message = {sid: next(c["message"] for c in s["checks"] if c["id"] == "double/double")
               for sid, s in hostile_batch.subs.items()}
    assert "sys.exit()" in message["sys_exit_in_function"]
    assert "KeyboardInterrupt" in message["keyboard_interrupt"]
    assert "7" in message["os_exit_in_function"]
    assert "segmentation fault" in message["segfault"].lower()
    assert "MemoryError" in message["allocate_50_gb"] or "memory" in message["allocate_50_gb"].lower()


# ============================================================================ instructor mistakes

def _instructor_error(capsys: pytest.CaptureFixture, argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err
    assert code != 0
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_unknown_assignment(capsys, tmp_path: Path) -> None:
    sub = write_py(tmp_path / "a.py", TINY_OK)
    line = _instructor_error(capsys, ["grade", "nosuch", str(sub), "--out", str(tmp_path / "o")])
    assert "unknown assignment 'nosuch'" in line and "numerical" in line


@pytest.mark.parametrize("layout", ["empty folder", "only txt files"])
def test_no_submission_found(capsys, tmp_path: Path, layout: str) -> None:
    folder = tmp_path / "class"
    folder.mkdir()
    if layout == "only txt files":
        (folder / "alice.txt").write_text("def sigmoid(x): pass\n")
        (folder / "bob.csv").write_text("1,2\n")
    line = _instructor_error(capsys, ["grade", "numerical", str(folder), "--out", str(tmp_path / "o")])
    assert "no .py or .ipynb submission found" in line


def test_a_path_that_does_not_exist(capsys, tmp_path: Path) -> None:
    line = _instructor_error(capsys, ["grade", "numerical", str(tmp_path / "gone.py"), "--out", str(tmp_path / "o")])
    assert "gone.py" in line and "no such file" in line


def test_an_unwritable_out_dir(capsys, tmp_path: Path) -> None:
    sub = write_py(tmp_path / "a.py", TINY_OK)
    (tmp_path / "plain").write_text("a file, not a folder\n")
    line = _instructor_error(capsys, ["grade", "numerical", str(sub), "--out", str(tmp_path / "plain" / "out")])
    assert "cannot write to output folder" in line


def test_a_broken_check_module_is_named(capsys, tmp_path: Path) -> None:
    folder = _tiny_assignment(tmp_path)
    (folder / "test_broken.py").write_text("from grader.checks import check\n\n@check('f', 'golden')\n"
                                           "def test_f(student)\n    pass\n")
    sub = write_py(tmp_path / "a.py", TINY_OK)
    line = _instructor_error(capsys, ["grade", str(folder), str(sub), "--out", str(tmp_path / "o")])
    assert "test_broken.py" in line and "SyntaxError" in line


# ============================================================================ check, list, help, pytest by hand

def test_check_prints_the_terminal_report(capsys, tmp_path: Path) -> None:
    sub = write_py(tmp_path / "mine.py", buggy_source("numerical", "sse_no_half"))
    assert main(["check", "numerical", str(sub)]) == 0
    out = " ".join(capsys.readouterr().out.split())  # messages are wrapped to the terminal's width
    assert "18/20" in out
    assert "sum_squared_error" in out and "0.5 in front of the sum is missing" in out


def test_list_shows_assignments_with_points(capsys) -> None:
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "numerical:" in out and "(20 points)" in out
    assert "backprop:" in out and "(30 points)" in out
    for component in COMPONENTS["numerical"] + COMPONENTS["backprop"]:
        assert f"  {component} " in out, component


def test_python_m_grader_help() -> None:
    proc = subprocess.run([sys.executable, "-m", "grader", "--help"], cwd=PROJECT, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0
    assert all(word in proc.stdout for word in ("grade", "check", "list"))


def test_pytest_options_keep_working_by_hand(tmp_path: Path) -> None:
    sub = write_py(tmp_path / "mine.py", reference_source("numerical"))
    junit = tmp_path / "junit.xml"
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "grader.plugin", "assignments/numerical",
                           "--submission", str(sub), "-k", "sigmoid", "--junitxml", str(junit), "-q"],
                          cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    names = [case.get("name") for case in ET.parse(junit).getroot().iter("testcase")]
    assert len(names) == 3 and all("sigmoid" in n for n in names), names

"""The student kit (`grader kit`): built through the CLI, used as a student meets it.

The default run unpacks the wheel and runs its `grader-check` with `reference` made unimportable (the kit
must never need it), in a subprocess, and runs a real Jupyter kernel on a template notebook. The slow test
installs the wheel into a fresh venv (pip, numpy from the pip cache) and repeats the checks there.
"""
from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from reference.submission import as_submission
from tests.test_assignment_numerical import PLANTED

ROOT = Path(__file__).resolve().parent.parent
BUGGY = "softmax_whole_batch"
# `W = np.asarray(W, dtype=np.float64)` and `super().__init__()`: any NumPy code has them, they reveal nothing
PLAIN_CONVERSION = re.compile(r"^(\w+) = np\.(asarray|array)\(\1(, dtype=np\.\w+)?\)$|^super\(\)\.__init__\(.*\)$")  # names "the batch is normalised as one vector"


def _reference_body_lines() -> set[str]:
    """Every code line (>= 24 characters) of the bodies of reference/*.py's functions and of trusted.py's."""
    files = [p for p in (ROOT / "reference").glob("*.py")
             if p.name not in ("__init__.py", "golden.py", "golden_cases.py", "submission.py")]
    files.append(ROOT / "grader" / "sandbox" / "trusted.py")
    found = set()
    for path in files:
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                body = node.body[1:] if isinstance(node.body[0], ast.Expr) else node.body
                for stmt in body:
                    for n in range(stmt.lineno, stmt.end_lineno + 1):
                        line = lines[n - 1].strip()
                        if len(line) >= 24 and not line.startswith("#") and not PLAIN_CONVERSION.match(line):
                            found.add(line)
    return found


def _scan(root: Path) -> list[str]:
    answers = _reference_body_lines()
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".json", ".toml", ".txt", ".md", ".html", ".j2"):
            for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if line.strip() in answers:
                    hits.append(f"{path}:{n}: {line.strip()}")
    return hits


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("kit")
    done = subprocess.run([sys.executable, "-m", "grader", "kit", "numerical", "--out", str(out)],
                          capture_output=True, text=True, cwd=out)
    assert done.returncode == 0, done.stderr
    assert "public checks" in done.stdout
    wheels = list(out.glob("dlfs_kit_numerical-*.whl"))
    assert len(wheels) == 1 and (out / "README-numerical.md").is_file()
    return wheels[0]


@pytest.fixture(scope="module")
def unpacked(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(root)
    return root


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("student")
    paths = {"good": folder / "good.py", "buggy": folder / "buggy.py"}
    paths["good"].write_text(as_submission("numerical"), encoding="utf-8")
    paths["buggy"].write_text(PLANTED[BUGGY][0], encoding="utf-8")
    return paths


def _with(source: str, old: str, new: str) -> str:
    at = source.rindex(old)  # the code, not the docstring that quotes it
    return source[:at] + new + source[at + len(old):]


_SOLUTION = as_submission("numerical")
_GRADIENT = "grad[idx] = (f_plus - f_minus) / (2 * H)"
CALLER_BUGS = {  # the descent diverges with the first one's own numerical_gradient, converges with a right one
    "gradient_uphill": (_with(_SOLUTION, _GRADIENT, "grad[idx] = (f_minus - f_plus) / (2 * H)"), None),
    "descent_uphill": (_with(_with(_SOLUTION, _GRADIENT, "grad[idx] = (f_plus - f_minus) / H"),
                             "x -= lr * numerical_gradient(f, x)", "x += lr * numerical_gradient(f, x)"), None),
}

NO_REFERENCE = ("import sys; sys.modules['reference'] = None; "  # `import reference` raises ImportError
                "from grader_kit.cli import main; sys.exit(main(sys.argv[1:]))")


def _kit_check(unpacked: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(unpacked), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-c", NO_REFERENCE, *args], capture_output=True, text=True, env=env,
                          cwd=unpacked)


def test_the_wheel_holds_no_reference_code_and_no_golden_store(unpacked: Path) -> None:
    assert _scan(unpacked) == []
    names = {p.relative_to(unpacked).as_posix() for p in unpacked.rglob("*") if p.is_file()}
    assert not any(n.startswith("reference/") for n in names)
    assert not any(n.endswith(".npz") and "golden" in n for n in names)
    assert not (unpacked / "grader" / "sandbox" / "trusted.py").exists()
    standins = (unpacked / "grader" / "sandbox" / "standins.py").read_text(encoding="utf-8")
    assert "answers, not code" in standins and "def numerical_gradient" not in standins
    assert (unpacked / "grader" / "sandbox" / "trusted_answers" / "numerical" / "numerical_gradient" / "kind").is_file()


def test_hidden_checks_are_not_in_the_kit(unpacked: Path) -> None:
    shipped = (unpacked / "grader_kit" / "assignments" / "numerical" / "test_numerical.py").read_text(encoding="utf-8")
    original = (ROOT / "assignments" / "numerical" / "test_numerical.py").read_text(encoding="utf-8")
    hidden = [n.name for n in ast.parse(original).body if isinstance(n, ast.FunctionDef)
              and any("hidden=True" in ast.unparse(d) for d in n.decorator_list)]
    assert hidden, "numerical has hidden checks"
    for name in hidden:
        assert f"def {name}(" not in shipped
    assert "from reference" not in shipped and "import reference" not in shipped
    catalog = json.loads((unpacked / "grader_kit" / "assignments" / "numerical" / "catalog.json").read_text())
    assert not any(c["hidden"] for c in catalog)


def test_grader_check_gives_full_marks_to_a_correct_file_without_reference(unpacked: Path, files) -> None:
    done = _kit_check(unpacked, "numerical", str(files["good"]))
    assert done.returncode == 0, done.stderr
    assert "all passed" in done.stdout and "✗" not in done.stdout, done.stdout


def test_grader_check_names_the_bug_like_grader_check(unpacked: Path, files) -> None:
    done = _kit_check(unpacked, "numerical", str(files["buggy"]), "--only", "softmax")
    assert done.returncode == 0, done.stderr
    assert "the batch is normalised as one vector" in " ".join(done.stdout.split())
    full = subprocess.run([sys.executable, "-m", "grader", "check", "numerical", str(files["buggy"]), "--only",
                           "softmax"], capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"})
    message = [line for line in full.stdout.splitlines() if "normalised as one vector" in line]
    assert message and all(line in done.stdout for line in message)


MUTANT_CAUSE, COUNTEREXAMPLE = " Likely cause: your result is what ", " The smallest failing input found: "


def _comparable(message: str, full_message: str) -> tuple[str]:
    """What the kit can say too: it has no reference, so the full grader's reference mutants (the cause "your
    result is what ... gives") and shrunk counterexamples are left out of both messages."""
    if MUTANT_CAUSE in full_message:
        message = message.partition(" Likely cause: ")[0]
    return (message.partition(COUNTEREXAMPLE)[0],)


def test_every_planted_numerical_bug_gets_the_full_graders_messages(unpacked: Path, tmp_path: Path) -> None:
    """All planted bugs of tests/test_assignment_numerical.py, graded by the kit and by the grader: each public
    check ends with the same status and message. Also a wrong numerical_gradient under a right gradient_descent
    (graded alone: the kit's recorded stand-in for numerical_gradient in the student process) and a wrong
    gradient_descent over a wrong numerical_gradient (the stand-in has no answer: the student's own is used)."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, (source, _) in {**PLANTED, **CALLER_BUGS}.items():
        (subs / f"{name}.py").write_text(source, encoding="utf-8")
    script = ("import sys, json; sys.modules['reference'] = None\n"
              "from grader.grade import grade\nfrom grader_kit.kit import folder_of\n"
              "run = grade(str(folder_of('numerical')[1]), [sys.argv[1]], None, jobs=1)\n"
              "print(json.dumps(run.results))")
    env = {**os.environ, "PYTHONPATH": str(unpacked)}
    done = subprocess.run([sys.executable, "-c", script, str(subs)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    kit = {s["id"]: s for s in json.loads(done.stdout)["submissions"]}
    from grader.grade import grade

    full = {s["id"]: {c["id"]: c for c in s["checks"]} for s in grade("numerical", [str(subs)], None, jobs=2)
            .results["submissions"]}
    differ = [(sid, c["id"], c["message"], full[sid][c["id"]]["message"])
              for sid, sub in kit.items() for c in sub["checks"]
              if (c["status"], *_comparable(c["message"], full[sid][c["id"]]["message"]))
              != (full[sid][c["id"]]["status"], *_comparable(full[sid][c["id"]]["message"], full[sid][c["id"]]["message"]))]
    assert differ == []
    assert sum(c["status"] == "failed" for s in kit.values() for c in s["checks"]) >= len(PLANTED) - 1
    descent = {c["id"]: c["status"] for c in kit["descent_uphill"]["checks"]}
    assert descent["gradient_descent/golden-seed"] == "failed"
    assert {c["id"]: c["status"] for c in kit["gradient_uphill"]["checks"]}["gradient_descent/golden-seed"] == "passed"


def test_kit_for_an_instructor_folder_needs_a_solution(tmp_path: Path) -> None:
    folder = tmp_path / "hw9"
    folder.mkdir()
    (folder / "test_hw9.py").write_text(
        "import numpy as np\nfrom grader.checks import check\nfrom grader.compare import assert_close\n\n"
        "@check('double', 'golden', points=1)\ndef test_double(student):\n"
        "    assert_close(student.double(np.arange(3.0)), np.arange(3.0) * 2, what='double(x)')\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "grader", "kit", str(folder), "--out", str(tmp_path / "out")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "--solution FILE" in done.stderr
    (tmp_path / "solution.py").write_text("def double(x):\n    return x * 2\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "grader", "kit", str(folder), "--out", str(tmp_path / "out"),
                           "--solution", str(tmp_path / "solution.py")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "dlfs_kit_hw9-0.1.0-py3-none-any.whl").is_file()


def _instructor_folder(root: Path, name: str) -> Path:
    """An instructor's assignment folder whose assignment.toml names its full-marks solution."""
    folder = root / name
    folder.mkdir()
    (folder / f"test_{name}.py").write_text(
        "import numpy as np\nfrom grader.checks import check\nfrom grader.compare import assert_close\n\n"
        "@check('double', 'golden', points=1)\ndef test_double(student):\n"
        "    assert_close(student.double(np.arange(3.0)), np.arange(3.0) * 2, what='double(x)')\n", encoding="utf-8")
    (folder / "assignment.toml").write_text('[kit]\nsolution = "solution.py"\n', encoding="utf-8")
    (folder / "solution.py").write_text("def double(x):\n    return x * 2\n", encoding="utf-8")
    return folder


def test_kits_for_several_assignments_are_built_in_parallel_processes(tmp_path: Path) -> None:
    folders = [str(_instructor_folder(tmp_path, name)) for name in ("hw9", "hw10")]
    done = subprocess.run([sys.executable, "-m", "grader", "kit", *folders, "--out", str(tmp_path / "out"),
                           "--jobs", "2"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    for name in ("hw9", "hw10"):
        assert (tmp_path / "out" / f"dlfs_kit_{name}-0.1.0-py3-none-any.whl").is_file()
        assert f"dlfs_kit_{name}-0.1.0-py3-none-any.whl\n  1 public checks" in done.stdout
    mixed = subprocess.run([sys.executable, "-m", "grader", "kit", *folders, "--out", str(tmp_path / "out"),
                            "--solution", str(tmp_path / "hw9" / "solution.py")], capture_output=True, text=True)
    assert mixed.returncode == 2 and "one assignment's answers" in mixed.stderr


# ------------------------------------------------------------------------------------ notebooks

def test_check_in_a_real_jupyter_kernel(unpacked: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The template notebook with softmax filled in right, then sigmoid with the sign flipped: the check cells
    show HTML, full marks for softmax and the named cause for sigmoid."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(ROOT / "student_template" / "numerical.ipynb", as_version=4)
    install = nb.cells[1]
    assert "%pip install" in install.source
    install.source = "from grader_kit import check"  # installed already: PYTHONPATH points at the unpacked wheel
    solution = as_submission("numerical")
    tree = ast.parse(solution)
    source_of = {n.name: ast.get_source_segment(solution, n) for n in tree.body if isinstance(n, ast.FunctionDef)}
    cells = {c.source.split("(")[0].split()[-1]: c for c in nb.cells if c.source.startswith("def ")}
    cells["softmax"].source = source_of["softmax"]
    cells["sigmoid"].source = source_of["sigmoid"].replace("np.exp(-np.abs(x))", "np.exp(np.abs(x))")
    check_cells = {c.source: c for c in nb.cells if c.source.startswith("check(")}
    nb.cells = [nb.cells[0], install, nb.cells[2], cells["sigmoid"], check_cells['check("sigmoid")'],
                cells["softmax"], check_cells['check("softmax")']]
    monkeypatch.setenv("PYTHONPATH", str(unpacked))
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3")
    client.execute()
    outputs = {c.source: c.outputs for c in nb.cells if c.source.startswith("check(")}
    html_of = {src: "".join(o.get("data", {}).get("text/html", "") for o in outs) for src, outs in outputs.items()}
    assert "0 / 1 points" not in html_of['check("softmax")']
    assert ">failed<" not in html_of['check("softmax")'] and ">passed<" in html_of['check("softmax")']
    assert "3 / 3 points" in html_of['check("softmax")']
    sigmoid = html_of['check("sigmoid")']
    assert ">failed<" in sigmoid and "sign" in sigmoid, sigmoid
    assert all(o.output_type == "display_data" for outs in outputs.values() for o in outs)  # no dict echoed


# ------------------------------------------------------------------------------------ a fresh venv

@pytest.mark.slow
def test_fresh_venv_with_only_the_kit(wheel: Path, files, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    done = subprocess.run([str(py), "-m", "pip", "install", "-q", str(wheel)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    assert subprocess.run([str(py), "-c", "import reference"], capture_output=True, env=clean,
                          cwd=tmp_path).returncode != 0
    good = subprocess.run([str(env_dir / "bin" / "grader-check"), "numerical", str(files["good"])],
                          capture_output=True, text=True, env={**clean, "NO_COLOR": "1"}, cwd=tmp_path)
    assert good.returncode == 0 and "✗" not in good.stdout, good.stdout + good.stderr
    bad = subprocess.run([str(env_dir / "bin" / "grader-check"), "numerical", str(files["buggy"])],
                         capture_output=True, text=True, env={**clean, "NO_COLOR": "1"}, cwd=tmp_path)
    assert "the batch is normalised as one vector" in " ".join(bad.stdout.split()), bad.stdout + bad.stderr
    site = next((env_dir / "lib").glob("python*/site-packages"))
    assert _scan(site / "grader") == [] and _scan(site / "grader_kit") == []

"""``grader kit ASSIGNMENT --out DIR``: the student kit, a wheel with the public checks and no answer code.

1. Each check module is rewritten (:mod:`grader.kit.transform`): hidden checks removed, the reference
   replaced by recorded answers.
2. The public checks run, in this process, on the solution (the reference as a student file): every question
   the checks ask the reference, and every call a swapped-in trusted helper answers, is recorded
   (:mod:`grader.kit.recording`). In the same run the solution with its results rounded probes that recording:
   a check that asks it something the solution never asked depends on the student's own results and is left
   out of the kit, before anything more is recorded for it.
3. The kept checks run on the solution with every result perturbed (so their failure paths, and the known-bug
   variants they compute, are asked and recorded too), then again on the solution, answered from the written
   answers alone: every check must end as it did with the real reference (full marks), or a public check's
   inputs are not reproducible.
4. The engine (loader, sandbox, checks, reports) without the trusted helpers, the rewritten checks and
   the answers go into a wheel; no file of it may hold a line of the reference's code (:mod:`grader.kit.leaks`).
"""
from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from grader.assignments import Assignment, AssignmentError, resolve
from grader.kit import answers, leaks
from grader.kit.recording import LIVE, PROBE, RECORD, Record, current_params
from grader.kit.store import ANSWERS_JSON
from grader.kit.transform import transform
from grader.kit.wheel import write_wheel

GRADER = Path(__file__).resolve().parent.parent
VERSION = "0.1.0"
REQUIRES = ["numpy>=1.25", "pytest>=7.4", "nbformat>=5.9", "jinja2>=3.1"]
# Judge-side modules a student never needs (the instructor's CLI and the kit builder itself).
LEFT_OUT = {"cli.py", "__main__.py", "sandbox/trusted.py", "sandbox/standins.py", "kit/build.py", "kit/recording.py", "kit/transform.py",
            "kit/wheel.py", "kit/cli.py", "kit/perturb.py"}
STUDENT = GRADER / "kit" / "student"
TRUSTED_DIR = "trusted_answers"  # grader/sandbox/trusted_answers/<assignment>/<helper>: what the kit's standins.py sends
PERTURBED_ID = "perturbed"
ROUNDED_ID = "solution_rounded"  # graded after "solution" (submissions run in order of their file names)


class KitError(Exception):
    """The kit cannot be built (an instructor's mistake, or a check that is not reproducible): names the fix."""


@dataclass
class KitBuild:
    wheel: Path
    assignment: str
    public: list[str]
    hidden: list[str]
    judge_only: list[str]
    questions: int
    trusted_calls: int
    seconds: dict[str, float] = field(default_factory=dict)
    student_dependent: list[str] = field(default_factory=list)  # left out: they ask the reference about the student's results


def answer_files(packages: tuple[str, ...]) -> list[Path]:
    """The source files of the answer modules (whose lines must not reach a kit), and the trusted helpers."""
    files = [GRADER / "sandbox" / "trusted.py"]
    for package in packages:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            raise KitError(f"answer module {package!r} is not importable here; install it or fix [kit] answer_modules")
        root = Path(spec.origin)
        found = sorted(root.parent.glob("*.py")) if root.name == "__init__.py" else [root]
        files += [p for p in found if p.name not in ("__init__.py", "golden.py", "golden_cases.py", "submission.py")]
    return files


def kit_settings(assignment: Assignment) -> dict[str, Any]:
    toml = assignment.path / "assignment.toml"
    meta = tomllib.loads(toml.read_text(encoding="utf-8")) if toml.exists() else {}
    return meta.get("kit", {}) if isinstance(meta.get("kit", {}), dict) else {}


def solution_source(assignment: Assignment, settings: dict[str, Any], solution: Path | None) -> str:
    """A full-marks submission: ``--solution``, ``[kit] solution`` of assignment.toml, or the reference's own."""
    path = solution or (assignment.path / settings["solution"] if "solution" in settings else None)
    if path is not None:
        if not Path(path).is_file():
            raise KitError(f"{path}: no such solution file; give a full-marks submission with --solution FILE")
        return Path(path).read_text(encoding="utf-8")
    from reference.submission import DEPENDENCIES, as_submission

    if assignment.name not in DEPENDENCIES:
        raise KitError(f"{assignment.path}: no solution to record the answers with; add `solution = \"file.py\"` "
                       "under [kit] in assignment.toml or pass --solution FILE")
    return as_submission(assignment.name)


def build_kit(assignment_name: str, out_dir: Path, solution: Path | None = None) -> KitBuild:
    started = time.perf_counter()
    assignment = resolve(assignment_name)
    settings = kit_settings(assignment)
    packages = ("reference", *settings.get("answer_modules", ()))
    lines = leaks.answer_lines(answer_files(packages))
    work = Path(tempfile.mkdtemp(prefix="grader-kit-"))
    try:
        tree = work / "wheel"
        folder = tree / "grader_kit" / "assignments" / assignment.name
        made = _write_checks(assignment, folder, packages, lines)
        seconds = {"transform": time.perf_counter() - started}
        subs = _recording_submissions(assignment, settings, solution, work / "subs")
        t0 = time.perf_counter()
        judge, student, recorded, dependent = _record(assignment, folder, subs, made)
        drop = frozenset(n for n, cid in made["check_ids"].items() if cid in dependent)
        if drop:  # left out before the perturbed recording: nothing of theirs is asked twice
            made = _write_checks(assignment, folder, packages, lines, drop)
        _record_failure_paths(folder, subs, student)
        seconds["record"] = time.perf_counter() - t0
        trusted_folder = tree / "grader" / "sandbox" / TRUSTED_DIR / assignment.name
        judge.writer.save(folder, judge.without(set(drop)))
        student.save(trusted_folder, set(drop))
        t0 = time.perf_counter()
        replayed = _replay(folder, {"solution": subs["solution"]})
        _replay_agrees(assignment, replayed, recorded, dependent)
        _drop_from_catalog(folder, dependent)
        seconds["verify"] = time.perf_counter() - t0
        _copy_engine(tree)
        _no_leaks(tree, lines)
        wheel = write_wheel(tree, Path(out_dir), f"dlfs-kit-{assignment.name}", VERSION,
                            f"Student kit for {assignment.title}: public checks, no answers", REQUIRES,
                            {"grader-check": "grader_kit.cli:main"})
        _write_readme(Path(out_dir), wheel, assignment)
        seconds["total"] = time.perf_counter() - started
        public = [c["id"] for c in recorded["solution"]["checks"]]
        public = [c for c in public if c.split("[")[0] not in dependent]
        return KitBuild(wheel, assignment.name, public, made["hidden"], made["judge_only"],
                        len(json.loads((folder / ANSWERS_JSON).read_text(encoding="utf-8"))), student.entries_count(), {k: round(v, 3) for k, v in seconds.items()},
                        sorted(dependent))
    finally:
        _forget_modules(work)
        shutil.rmtree(work, ignore_errors=True)


def build_kits(names: list[str], out_dir: Path, jobs: int) -> list[KitBuild]:
    """Several kits, built by up to ``jobs`` processes at once (a build keeps state in its process: one each)."""
    if jobs <= 1 or len(names) <= 1:
        return [build_kit(name, out_dir) for name in names]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    fresh = {"max_tasks_per_child": 1} if sys.version_info >= (3, 11) else {}  # a fresh process per build
    with ProcessPoolExecutor(min(jobs, len(names)), mp_context=multiprocessing.get_context("spawn"), **fresh) as pool:
        return list(pool.map(build_kit, names, [out_dir] * len(names)))


# --------------------------------------------------------------------------------------- steps

def _write_checks(assignment: Assignment, folder: Path, packages: tuple[str, ...], lines: set[str],
                  drop: frozenset[str] = frozenset()) -> dict:
    folder.mkdir(parents=True, exist_ok=True)
    made: dict[str, Any] = {"hidden": [], "judge_only": [], "modules": [], "check_ids": {}}
    for path in sorted(assignment.path.glob("*.py")):
        if not path.name.startswith("test_"):
            shutil.copyfile(path, folder / path.name)
            continue
        result = transform(path.read_text(encoding="utf-8"), path.stem, assignment.name, packages, lines, drop)
        (folder / path.name).write_text(result.source, encoding="utf-8")
        made["hidden"] += [n for n in result.hidden if n not in drop]
        made["check_ids"].update(result.check_ids)
        made["judge_only"] += [f"{path.stem}.{n}" for n in result.judge_only]
        if result.judge_only:
            made["modules"].append(path)
    toml = [f'name = "{assignment.name}"', f"title = {_toml_str(assignment.title)}",
            f"budget_seconds = {assignment.budget_seconds}", f"memory_mb = {assignment.memory_mb}",
            f"packages = {json.dumps(list(assignment.packages))}",
            "twins = false  # a student's own run has no keyed twins: they need the reference, which the kit lacks"]
    (folder / "assignment.toml").write_text("\n".join(toml) + "\n", encoding="utf-8")
    return made


def _toml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _recording_submissions(assignment: Assignment, settings: dict[str, Any], solution: Path | None,
                           folder: Path) -> dict[str, Path]:
    from grader.kit.perturb import ROUNDED, perturbed

    source = solution_source(assignment, settings, solution)
    folder.mkdir(parents=True)
    subs = {"solution": folder / "solution.py", PERTURBED_ID: folder / f"{PERTURBED_ID}.py"}
    subs["solution"].write_text(source, encoding="utf-8")
    subs[PERTURBED_ID].write_text(perturbed(source), encoding="utf-8")
    rounded = folder / f"{ROUNDED_ID}.py"  # graded after the solution, on its recording
    rounded.write_text(perturbed(source, ROUNDED), encoding="utf-8")
    return {**subs, ROUNDED_ID: rounded}


def _grade(folder: Path, subs: dict[str, Path]) -> dict[str, dict]:
    """The results of the kit's checks on ``subs`` (in this process), by submission id; ``catalog.json`` written."""
    from grader.grade import grade
    from grader.results import write_json

    run = grade(str(folder), [str(p) for p in subs.values()], None, jobs=1, isolated=False)
    write_json(run.results["checks"], folder / "catalog.json")
    return {s["id"]: s for s in run.results["submissions"]}


def _originals(paths: list[Path]) -> dict[str, Any]:
    """The instructor's own check modules (imported privately) whose helpers the kit records."""
    found = {}
    for path in paths:
        spec = importlib.util.spec_from_file_location(f"_kit_original_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found[path.stem] = module
    return found


def _record(assignment: Assignment, folder: Path, subs: dict[str, Path],
            made: dict) -> tuple[Record, TrustedRecords, dict, set[str]]:
    """The solution's questions recorded, then the rounded solution probed against them: the checks whose
    probe asks something the solution never asked depend on the student's own results (left out)."""
    judge = Record(judge_only=_originals(made["modules"]), mode=_judge_mode)
    student = TrustedRecords(mode=_trusted_mode)
    answers.register(folder, judge)
    with _recording_trusted(student):
        recorded = _grade(folder, {k: subs[k] for k in ("solution", ROUNDED_ID)})
    _forget_modules(folder)
    solution = recorded["solution"]
    if solution["status"] != "graded" or solution["score"] < solution["max_score"] - 1e-9:
        wrong = [f"{c['id']}: {c['message']}" for c in solution["checks"] if c["status"] != "passed"]
        raise KitError(f"{assignment.path}: the solution does not pass every public check, so its answers cannot "
                       f"be recorded; fix the check or the solution: {'; '.join(wrong) or solution.get('error')}")
    if judge.probed_early:
        raise RuntimeError(f"{assignment.path}: the rounded solution was graded before the solution's answers were "
                           "all recorded (grader/kit/build.py relies on the submissions' order)")
    return judge, student, recorded, _student_dependent(recorded[ROUNDED_ID])


def _record_failure_paths(folder: Path, subs: dict[str, Path], student: "TrustedRecords") -> None:
    """The perturbed solution's questions (bug variants, "graded alone" re-runs) recorded too, by the kit's
    checks without those left out."""
    with _recording_trusted(student), _no_reference_mutants():
        _grade(folder, {PERTURBED_ID: subs[PERTURBED_ID]})
    _forget_modules(folder)


# The judge-side explanation of a failure by mutants of the reference's source (grader.mutants): it asks the
# reference directly (nothing recorded), the kit has no reference to run it, and the perturbed run's messages are
# not kept. (grader.shrink stays: it calls the student's code, so what the stand-ins answer must stay recorded.)
MUTANT_EXPLANATIONS = (("grader.compare", "explain"), ("grader.gradcheck", "explain"))


@contextmanager
def _no_reference_mutants() -> Iterator[None]:
    import importlib

    places = [(importlib.import_module(module), name) for module, name in MUTANT_EXPLANATIONS]
    originals = [getattr(module, name) for module, name in places]
    for module, name in places:
        setattr(module, name, _no_explanation)
    try:
        yield
    finally:
        for (module, name), original in zip(places, originals):
            setattr(module, name, original)


def _no_explanation(got: Any, rtol: float = 1e-5) -> None:
    return None


def _judge_mode() -> str:
    """The rounded solution probes the recording (it is graded as the kit would grade it); the others record."""
    return PROBE if ROUNDED_ID in current_params() else RECORD


def _trusted_mode() -> str:
    """Stand-ins in the rounded solution's process answer as the real helpers (not recorded)."""
    return LIVE if ROUNDED_ID in current_params() else RECORD


class TrustedRecords(dict):
    """One recording per trusted helper (the kit sends each helper's answers alone to a student process)."""

    def __init__(self, mode: Callable[[], str] = lambda: RECORD) -> None:
        super().__init__()
        self.mode = mode

    def entries_count(self) -> int:
        return sum(len(record.entries) for record, _ in self.values())

    def save(self, folder: Path, drop: set[str] = frozenset()) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        for name, (record, kind) in self.items():
            entries = record.without(drop)
            if entries:
                record.writer.save(folder / name, entries)
                (folder / name / "kind").write_text(kind, encoding="utf-8")


# What `student.replaced(...)` sends a (here: in-process) student process while recording: the recording node.
STAND_INS: dict[str, Any] = {}


@contextmanager
def _recording_trusted(records: TrustedRecords) -> Iterator[None]:
    """Every trusted helper swapped into an in-process student answers through its own recording."""
    from grader.kit.answers import AnswerFunction, answer_class
    from grader.kit.keys import key
    from grader.sandbox import standins, trusted

    def source_of(helper: str) -> str:
        real = trusted.TRUSTED[helper]
        if helper not in records:
            records[helper] = (Record(mode=records.mode), "class" if isinstance(real, type) else "function")
        if helper not in STAND_INS:  # one recording per helper, over every recording run
            record, state = records[helper][0], key("trusted", helper)
            STAND_INS[helper] = (answer_class(record, state, helper, real) if isinstance(real, type)
                                 else AnswerFunction(record, state, real, helper))
        return f"from grader.kit.build import STAND_INS\n{helper} = STAND_INS[{helper!r}]\n"

    saved = standins.source_of
    standins.source_of = source_of
    try:
        yield
    finally:
        standins.source_of = saved
        STAND_INS.clear()


def _replay(folder: Path, subs: dict[str, Path]) -> dict[str, dict]:
    """The kit's checks on ``subs``, answered from the recorded answers alone."""
    answers.register(folder, answers.Replay(folder))
    try:
        return _grade(folder, subs)
    finally:
        _forget_modules(folder)


def _replay_agrees(assignment: Assignment, replayed: dict[str, dict], recorded: dict[str, dict],
                   dependent: set[str]) -> None:
    """The answers alone give the solution the results the reference gave it (full marks), on every check kept."""
    again = {c["id"]: c for c in replayed["solution"]["checks"]}
    problems = []
    for c in recorded["solution"]["checks"]:
        if c["id"].split("[")[0] in dependent:
            continue
        other = again.get(c["id"], {})
        if (other.get("status"), other.get("message")) != (c["status"], c["message"]):
            problems.append(f"{c['id']}: {c['status']} {c['message']!r} -> {other.get('status')} {other.get('message')!r}")
    if problems:
        raise KitError(f"{assignment.path}: the recorded answers do not reproduce the checks' results (a public "
                       f"check whose inputs change from run to run?): " + "; ".join(problems[:5]))


def _student_dependent(rounded: dict) -> set[str]:
    """The checks that ask the reference about the student's own results (the kit cannot answer them for
    code that is right but not bit for bit the solution): those whose replay on a rounded solution misses."""
    return {c["id"].split("[")[0] for c in rounded["checks"] if answers.NOT_IN_KIT in c["message"]}


def _drop_from_catalog(folder: Path, dependent: set[str]) -> None:
    path = folder / "catalog.json"
    catalog = [c for c in json.loads(path.read_text(encoding="utf-8")) if c["id"].split("[")[0] not in dependent]
    path.write_text(json.dumps(catalog, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _forget_modules(folder: Path) -> None:
    """Drop the kit's check modules from ``sys.modules`` (pytest imports them by name; the next run re-reads)."""
    root = str(Path(folder).resolve())
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", "") or "").startswith(root):
            del sys.modules[name]


def _copy_engine(tree: Path) -> None:
    """The grader's engine without the judge-only parts, and the student API as ``grader_kit``."""
    for path in sorted(GRADER.rglob("*")):
        rel = path.relative_to(GRADER).as_posix()
        if not path.is_file() or "__pycache__" in rel or rel in LEFT_OUT or rel.startswith("kit/student/"):
            continue
        if path.suffix not in (".py", ".j2", ".html", ".css", ".txt", ".json"):
            continue
        target = tree / "grader" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    shutil.copyfile(STUDENT / "standins.py", tree / "grader" / "sandbox" / "standins.py")
    for name in ("__init__.py", "kit.py", "cli.py", "notebook.py"):
        shutil.copyfile(STUDENT / name, tree / "grader_kit" / name)


def _no_leaks(tree: Path, lines: set[str]) -> None:
    found = []
    for path in sorted(tree.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".json", ".toml", ".txt", ".md", ".j2", ".html"):
            for number, line in leaks.leaked(path.read_text(encoding="utf-8", errors="replace"), lines):
                found.append(f"{path.relative_to(tree)}:{number}: {line}")
    if found:
        raise KitError("the kit would contain lines of the reference's code; mark the check hidden or move the "
                       "code out of the check module: " + "; ".join(found[:5]))


def _write_readme(out_dir: Path, wheel: Path, assignment: Assignment) -> None:
    text = f"""# Student kit: {assignment.title}

Install (a terminal, or a notebook cell: Jupyter and Colab):

    pip install {wheel.name}

In Colab, upload the wheel to a URL your students can reach (course site, Google Drive share, GitHub
release) and give them one cell to run first:

    %pip install -q https://YOUR-COURSE-SITE/{wheel.name}

Then, in a terminal: `grader-check {assignment.name} my_file.py` (or `.ipynb`; `--only COMPONENT` for one
component); in a notebook, after the cell that defines a component: `from grader_kit import check; check("COMPONENT")`.

The kit runs the assignment's public checks on your code, in an isolated process, with the messages of the
full grader. It contains no solution: only the expected results on the public inputs. Your grade uses other inputs.
"""
    (out_dir / f"README-{assignment.name}.md").write_text(text, encoding="utf-8")

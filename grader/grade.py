"""The pipeline behind ``grader grade`` and ``grader check``.

submission paths -> discover -> load (data only) -> pytest(-xdist) judges, each driving isolated
student processes -> verdicts -> results.json -> reports.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from grader.assignments import Assignment, AssignmentError, resolve
from grader.checks import CheckInfo
from grader.discover import SubmissionFile, discover
from grader.loaded import LoadedSubmission, LoadNote
from grader.loader import load_submission
from grader.parallel import map_forked
from grader.results import build_results, timings, write_json
from grader.runner import collect_catalog, run_checks


class GradeError(Exception):
    """An instructor's mistake that stops the run (unwritable DIR, nothing to grade, ...)."""


@dataclass
class GradeRun:
    results: dict[str, Any]
    out_dir: Path | None
    timings: dict[str, dict[str, float]]


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def _load(file: SubmissionFile) -> LoadedSubmission:
    try:
        loaded = load_submission(file.path, file.id, file.display_path)
        loaded.notes.extend(LoadNote(message=note, severity="warning") for note in file.notes)
        return loaded
    except Exception as exc:  # a loader bug must not cost the batch: this submission becomes a load_error
        return LoadedSubmission(
            id=file.id, path=file.display_path, kind="py",
            error=f"the grader could not read this file ({type(exc).__name__}: {exc})",
        )


def check_points(assignment: Assignment, catalog: list[CheckInfo]) -> None:
    total = sum(c.points for c in catalog)
    if assignment.total_points is not None and abs(total - float(assignment.total_points)) > 1e-9:
        raise AssignmentError(
            f"{assignment.path / 'assignment.toml'}: total_points = {assignment.total_points}, "
            f"but the checks' points add up to {total:g}; fix one of them"
        )


def _hidden_paths(assignment: Assignment, inputs: Sequence[str], workdir: Path, out_dir: Path | None) -> list[str]:
    """What a student process must not read: our reference and checks, other submissions, the output."""
    import reference

    project = Path(reference.__file__).resolve().parent.parent
    hidden = {Path(reference.__file__).resolve().parent, assignment.path.resolve(), workdir.resolve()}
    if (project / "pyproject.toml").exists():  # a source checkout: hide all of it
        hidden.add(project)
    for raw in inputs:
        p = Path(raw).resolve()
        hidden.add(p if p.is_dir() else p.parent)
    if out_dir is not None:
        hidden.add(out_dir.resolve())
    return sorted(str(p) for p in hidden)


def _prepare_out_dir(out_dir: Path) -> Path:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / ".grader-write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        raise GradeError(f"cannot write to output folder {out_dir}: {exc.strerror or exc}; choose another --out") from exc
    return out_dir


def grade(
    assignment_name: str,
    paths: Sequence[str],
    out_dir: Path | None,
    *,
    jobs: int | None = None,
    on_start: Callable[[int], None] | None = None,
    on_verdict: Callable[[dict[str, Any]], None] | None = None,
    isolated: bool = True,
    only: Sequence[str] = (),
    scheduler: str | None = None,
) -> GradeRun:
    """Grade every submission under ``paths``; write results.json (+ reports) to ``out_dir`` if given.

    ``isolated=False`` runs student code inside the judge processes: only for measuring what isolation
    costs (bench/grade_class.py), never for grading. ``only``: grade just these components (a student
    checking the one they are working on); results then hold only their checks. ``scheduler``: the address
    of a Dask scheduler whose workers grade the submissions (grader/distributed.py) instead of this machine.
    """
    assignment = resolve(assignment_name)
    runner = run_checks
    if scheduler:  # a Dask cluster grades: reach it before loading anything; dask is imported only then
        from grader.distributed import cluster_runner
        runner = cluster_runner(scheduler)
    if out_dir is not None:
        out_dir = _prepare_out_dir(Path(out_dir))
    workdir = Path(tempfile.mkdtemp(prefix="grader-"))
    try:
        files = discover(list(paths), workdir / "submissions", assignment=assignment.name)
        if not files:
            raise GradeError(f"no submission (.py, .ipynb, folder or .zip) found in: {' '.join(paths)}")
        submissions = map_forked(_load, files, jobs or default_jobs(), to_json=LoadedSubmission.to_json,
                                 from_json=LoadedSubmission.from_json)
        catalog = collect_catalog(assignment, workdir)
        check_points(assignment, catalog)
        catalog = _only(catalog, only, assignment)
        if on_start:
            on_start(len([s for s in submissions if s.error is None]) * len(catalog))
        records = runner(
            assignment, submissions, workdir,
            jobs=jobs or default_jobs(),
            hide_paths=_hidden_paths(assignment, paths, workdir, out_dir),
            on_verdict=on_verdict,
            extra_args=([] if isolated else ["--grader-in-process"]) + [f"--grader-only={c}" for c in only],
        )
        results = build_results(assignment, catalog, submissions, records, runtime=_runtime_facts(records))
        run = GradeRun(results, out_dir, timings(records))
        if out_dir is not None:
            _write_outputs(run, workdir)
        return run
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _only(catalog: list[CheckInfo], components: Sequence[str], assignment: Assignment) -> list[CheckInfo]:
    """The checks of ``components`` (all checks when empty); an unknown name is the caller's mistake."""
    if not components:
        return catalog
    known = list(dict.fromkeys(c.component for c in catalog))
    unknown = [c for c in components if c not in known]
    if unknown:
        raise GradeError(f"{assignment.name} has no component {', '.join(map(repr, unknown))}; "
                         f"its components are: {', '.join(known)}")
    return [c for c in catalog if c.component in components]


def _runtime_facts(records: dict[tuple[str, str], dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """What each submission's student process reported about itself: isolation level, notes from loading."""
    facts: dict[str, dict[str, Any]] = {}
    for (sub, _), record in sorted(records.items()):
        mine = facts.setdefault(sub, {"isolation": "", "notes": []})
        mine["isolation"] = mine["isolation"] or record.get("isolation", "")
        mine["notes"] = mine["notes"] or record.get("load_notes", [])
    return facts


def _write_outputs(run: GradeRun, workdir: Path) -> None:
    assert run.out_dir is not None
    write_json(run.results, run.out_dir / "results.json")
    write_json(run.timings, run.out_dir / "timings.json")
    for name in ("pytest.log",):
        if (workdir / name).exists():
            shutil.copy(workdir / name, run.out_dir / name)
    try:
        from grader.reports import write_reports
    except ImportError:  # pragma: no cover - reports are part of the package
        return
    write_reports(run.results, run.out_dir)

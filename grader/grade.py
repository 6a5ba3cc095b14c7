"""The pipeline behind ``grader grade`` and ``grader check``.

submission paths -> discover (submissions + skipped files) -> the store says what is already graded ->
load the rest (data only) -> pytest judges (forked, or Dask workers), each driving isolated student processes -> verdicts,
stored as each submission finishes -> results.json, CSV and reports rebuilt from the store.

The unit of work is one submission: :func:`grade_submissions` grades a list of loaded submissions and
hands each finished one's results.json entry to a callback; :func:`grade_one` does it for one. A
distributed scheduler can call :func:`grade_one` per task and give the entries to :meth:`Store.finish`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from grader import __version__
from grader.assignments import Assignment, AssignmentError, resolve
from grader.checks import CheckInfo
from grader.discover import Discovery, SubmissionFile, discover_all, source_files, split_display_path
from grader.loaded import LoadedSubmission, LoadNote
from grader.loader import load_submission
from grader.parallel import start_map_forked
from grader.results import assemble, missing_entry, submission_entry, write_json
from grader.roster import RosterStudent, belongs_to, match, read_roster
from grader.runner import collect_catalog, run_checks
from grader.store import PRIVATE_DIR, Store, Versions, hash_files, tree_hash

WORK_PREFIX = "work-"


class GradeError(Exception):
    """An instructor's mistake that stops the run (unwritable DIR, nothing to grade, ...)."""


class Interrupted(Exception):
    """Ctrl-C: what was graded is kept in the store; the message says how to resume."""

    def __init__(self, graded: int, total: int, out_dir: Path | None) -> None:
        self.graded, self.total, self.out_dir = graded, total, out_dir
        where = f"kept in {out_dir}" if out_dir else "not kept (no --out)"
        super().__init__(f"interrupted: {graded} of {total} submissions graded and {where}; "
                         + ("run the same command again to grade the rest" if out_dir else "run it again"))


@dataclass
class GradeRun:
    results: dict[str, Any]
    out_dir: Path | None
    timings: dict[str, dict[str, float]]
    graded: int = 0   # submissions graded by this run
    reused: int = 0   # submissions whose stored results were still valid


@dataclass
class Batch:
    """What grading any submission of one run needs."""

    assignment: Assignment
    catalog: list[CheckInfo]
    workdir: Path
    hide_paths: list[str]
    jobs: int
    extra_args: list[str] = field(default_factory=list)
    scheduler: str | None = None  # a Dask scheduler's address: its workers grade (grader/distributed.py)


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


# --------------------------------------------------------------------------- one submission

def load(file: SubmissionFile) -> LoadedSubmission:
    """A discovered submission as data (a load error, never an exception, when it cannot be read)."""
    if file.error is not None:
        return LoadedSubmission(id=file.id, path=file.display_path, kind="py", error=file.error)
    try:
        loaded = load_submission(file.path, file.id, file.display_path)
        loaded.notes.extend(LoadNote(message=note, severity="warning") for note in file.notes)
        return loaded
    except Exception as exc:  # a loader bug must not cost the batch: this submission becomes a load_error
        return LoadedSubmission(
            id=file.id, path=file.display_path, kind="py",
            error=f"the grader could not read this file ({type(exc).__name__}: {exc})",
        )


def content_hash(file: SubmissionFile) -> str:
    """What a stored result depends on in the submission: its bytes (all source files of a folder)."""
    if file.error is not None or not file.path.exists():
        return "error:" + (file.error or "missing")
    if file.path.is_dir():
        return hash_files((p.relative_to(file.path).as_posix(), p) for p in source_files(file.path))
    return hash_files([(file.kind, file.path)])


def grade_submissions(
    batch: Batch,
    submissions: list[LoadedSubmission],
    on_result: Callable[[LoadedSubmission, dict[str, Any], list[dict[str, Any]]], None],
    *,
    on_verdict: Callable[[dict[str, Any]], None] | None = None,
) -> None:
    """Grade ``submissions``; call ``on_result(submission, its results.json entry, its verdict records)`` as
    each one finishes (a load error at once, the others when their last check reports)."""
    by_id = {s.id: s for s in submissions}
    pending: dict[str, dict[tuple[str, str], dict[str, Any]]] = {s.id: {} for s in submissions}
    expected = len(batch.catalog)

    def finish(sub_id: str) -> None:
        records = pending.pop(sub_id)
        entry = submission_entry(by_id[sub_id], batch.catalog, records)
        on_result(by_id[sub_id], entry, list(records.values()))

    for sub in submissions:
        if sub.error is not None:
            finish(sub.id)

    def verdict(record: dict[str, Any]) -> None:
        mine = pending.get(record["submission"])
        if mine is not None:
            mine[(record["submission"], record["id"])] = record
            if len(mine) >= expected:
                finish(record["submission"])
        if on_verdict:
            on_verdict(record)

    gradable = [s for s in submissions if s.error is None]
    run = run_checks
    if batch.scheduler:  # dask is imported only then
        from grader.distributed import cluster_runner
        run = cluster_runner(batch.scheduler)
    if gradable:
        run(batch.assignment, gradable, batch.workdir, jobs=batch.jobs, hide_paths=batch.hide_paths,
                   on_verdict=verdict, extra_args=batch.extra_args)
    for sub_id in list(pending):  # checks that never reported: their entry says so
        finish(sub_id)


def grade_one(batch: Batch, submission: LoadedSubmission) -> dict[str, Any]:
    """One submission's results.json entry."""
    out: dict[str, Any] = {}
    grade_submissions(dataclasses.replace(batch, jobs=1), [submission], lambda _s, entry, _r: out.update(entry))
    return out


# --------------------------------------------------------------------------- versions

def assignment_version(assignment: Assignment) -> str:
    """A hash of the assignment's checks and of the reference with its golden store."""
    import hashlib

    reference = _reference_dir()  # none in a student kit: its answers are in the assignment folder
    parts = (tree_hash(assignment.path), tree_hash(reference) if reference else "")
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _reference_dir() -> Path | None:
    """The reference package's folder, or None where it is not installed (a student kit, `grader kit`)."""
    try:
        import reference
    except ImportError:
        return None
    return Path(reference.__file__).resolve().parent


def grader_version() -> str:
    """The package version and a hash of the grader's own code (a changed grader regrades)."""
    return f"{__version__}+{tree_hash(Path(__file__).parent, ('.py',))[:16]}"


def check_points(assignment: Assignment, catalog: list[CheckInfo]) -> None:
    total = sum(c.points for c in catalog)
    if assignment.total_points is not None and abs(total - float(assignment.total_points)) > 1e-9:
        raise AssignmentError(
            f"{assignment.path / 'assignment.toml'}: total_points = {assignment.total_points}, "
            f"but the checks' points add up to {total:g}; fix one of them"
        )


def _catalog(assignment: Assignment, workdir: Path, store: Store, versions: Versions) -> list[CheckInfo]:
    stored = store.catalog(versions)
    if stored is not None:
        return [_info_from_json(c) for c in stored]
    catalog = collect_catalog(assignment, workdir)
    check_points(assignment, catalog)
    store.save_catalog(versions, [c.to_json() for c in catalog])
    return catalog


def _info_from_json(data: dict[str, Any]) -> CheckInfo:
    names = {f.name for f in dataclasses.fields(CheckInfo)}
    values = {("points" if k == "max_score" else k): v for k, v in data.items()}
    return CheckInfo(**{k: v for k, v in values.items() if k in names})


# --------------------------------------------------------------------------- the run

def _hidden_paths(assignment: Assignment, inputs: Sequence[str], workdir: Path, out_dir: Path | None) -> list[str]:
    """What a student process must not read: our reference and checks, other submissions, the output."""
    hidden = {assignment.path.resolve(), workdir.resolve()}
    reference = _reference_dir()
    if reference is not None:
        hidden.add(reference)
        if (reference.parent / "pyproject.toml").exists():  # a source checkout: hide all of it
            hidden.add(reference.parent)
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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(parent: Path, prefix: str) -> None:
    """Working folders left by a run that was killed (SIGKILL): their pid is in the name and no longer alive."""
    for stale in parent.glob(f"{prefix}*"):
        pid = stale.name[len(prefix):].split("-")[0]
        if stale.is_dir() and pid.isdigit() and not _pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


@contextlib.contextmanager
def _workspace(out_dir: Path | None) -> Iterator[Path]:
    """The run's working folder (unpacked archives, manifests): inside the output folder's private area, or
    a private /tmp folder without one; gone at the end, and a killed run's is removed by the next run."""
    if out_dir is not None:
        parent = out_dir / PRIVATE_DIR
        parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(parent, WORK_PREFIX)
        workdir = parent / f"{WORK_PREFIX}{os.getpid()}"
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(mode=0o700)
    else:
        _remove_stale(Path(tempfile.gettempdir()), "grader-")
        workdir = Path(tempfile.mkdtemp(prefix=f"grader-{os.getpid()}-"))
    try:
        yield workdir
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def _ctrl_c_noticed() -> Iterator[list[bool]]:
    """Remember a Ctrl-C even when pytest catches the KeyboardInterrupt it raises (it then returns exit 2)."""
    seen = [False]
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN or not _main_thread():
        yield seen
        return

    def handler(signum, frame):  # noqa: ANN001
        seen[0] = True
        signal.default_int_handler(signum, frame)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield seen
    finally:
        signal.signal(signal.SIGINT, previous)


def _main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


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
    roster: Path | None = None,
    force: bool = False,
    scheduler: str | None = None,
) -> GradeRun:
    """Grade every submission under ``paths``; write results.json (+ reports) to ``out_dir`` if given.

    With ``out_dir``, results are kept in its store as each submission finishes and a rerun grades only
    what changed (``force``: all). ``roster``: a class list (CSV) whose students without a submission
    are listed as ``missing``. ``isolated=False`` runs student code inside the judge processes: only for
    measuring what isolation costs (bench/grade_class.py), never for grading. ``only``: grade just these
    components (a student checking the one they are working on); results then hold only their checks.
    Raises ``Interrupted`` after Ctrl-C, with what was graded kept. ``scheduler``: the address of a Dask
    scheduler whose workers grade the submissions instead of this machine (docs/DASK.md).
    """
    assignment = resolve(assignment_name)
    if scheduler:  # reach the cluster before loading anything
        from grader.distributed import cluster_runner
        cluster_runner(scheduler)
    students = read_roster(roster) if roster is not None else None
    if out_dir is not None:
        out_dir = _prepare_out_dir(Path(out_dir))
    persistent = out_dir is not None and not only
    store = Store.in_folder(out_dir) if persistent else Store(":memory:")
    done = total = 0
    found: Discovery | None = None
    entries: dict[str, dict[str, Any] | None] = {}
    catalog: list[CheckInfo] = []
    with _ctrl_c_noticed() as ctrl_c, _workspace(out_dir) as workdir:
        try:
            found = discover_all(list(paths), workdir / "submissions", assignment=assignment.name,
                                 exclude=[out_dir] if out_dir is not None else [])
            versions = Versions(assignment_version(assignment), grader_version())
            if force:
                store.forget()
            hashes = {f.id: content_hash(f) for f in found.submissions}
            entries = {f.id: store.done(f.id, hashes[f.id], versions) for f in found.submissions}
            todo = [f for f in found.submissions if entries[f.id] is None]
            total, done = len(found.submissions), len(found.submissions) - len(todo)
            files = {f.id: f for f in found.submissions}
            loading = start_map_forked(load, todo, jobs or default_jobs(), to_json=LoadedSubmission.to_json,
                                       from_json=LoadedSubmission.from_json)  # in children, while this collects
            if todo and isolated and not scheduler:  # the sandbox starts meanwhile too (unless the command
                from grader.sandbox.process import boot_sandbox  # started it before its imports: grader/entry.py)

                boot_sandbox(assignment.packages)
            try:
                catalog = _only(_catalog(assignment, workdir, store, versions), only, assignment)
            except BaseException:
                loading.cancel()
                raise

            def stored(sub: LoadedSubmission, entry: dict[str, Any], records: list[dict[str, Any]]) -> None:
                nonlocal done
                entry = _with_identity(entry, files[sub.id])
                for record in records:
                    store.add_verdict(sub.id, record)
                store.finish(sub.id, hashes[sub.id], versions, entry)
                entries[sub.id] = entry
                done += 1

            if todo:
                loaded = loading.result()
                if on_start:
                    on_start(len([s for s in loaded if s.error is None]) * len(catalog))
                batch = Batch(assignment, catalog, workdir, _hidden_paths(assignment, paths, workdir, out_dir),
                              jobs or default_jobs(), ([] if isolated else ["--grader-in-process"])
                              + [f"--grader-only={c}" for c in _only_names(catalog, only)], scheduler)
                grade_submissions(batch, loaded, stored, on_verdict=on_verdict)
                if out_dir is not None and (workdir / "pytest.log").exists():
                    shutil.copy(workdir / "pytest.log", out_dir / "pytest.log")
            elif on_start:
                on_start(0)
        except KeyboardInterrupt:
            ctrl_c[0] = True
        except Exception:
            if not ctrl_c[0]:
                raise
        if ctrl_c[0]:
            _save_partial(store, out_dir if persistent else None, assignment, found, entries, catalog)
            raise Interrupted(done, total, out_dir if persistent else None)
    results = _results(assignment, catalog, found, entries, students)
    run = GradeRun(results, out_dir, _timings(store, [f.id for f in found.submissions]),
                   graded=len(todo), reused=len(found.submissions) - len(todo))
    if out_dir is not None:
        write_outputs(run)
    store.close()
    return run


def _save_partial(store: Store, out_dir: Path | None, assignment: Assignment, found: Discovery | None,
                  entries: dict[str, dict[str, Any] | None], catalog: list[CheckInfo]) -> None:
    """After Ctrl-C: the views show what is graded so far (``complete: false``, the rest ``pending``)."""
    try:
        if out_dir is None or found is None or not catalog:
            return
        done = [_with_identity(e, f) for f in found.submissions if (e := entries.get(f.id)) is not None]
        pending = [f.id for f in found.submissions if entries.get(f.id) is None]
        results = assemble(assignment, catalog, done, skipped=[s.to_json() for s in found.skipped], pending=pending)
        write_outputs(GradeRun(results, out_dir, {}))
    except Exception:  # noqa: BLE001 - the store holds everything; the views are rebuilt by the next run
        pass
    finally:
        store.close()


def _with_identity(entry: dict[str, Any], file: SubmissionFile) -> dict[str, Any]:
    """The submission's entry with what discovery knows today: its path and LMS identity."""
    entry = {**entry, "path": split_display_path(file.display_path)[0]}
    if file.lms is not None:
        entry["lms"] = file.lms.to_json()
    else:
        entry.pop("lms", None)
    return entry


def _results(assignment: Assignment, catalog: list[CheckInfo], found: Discovery,
             entries: dict[str, dict[str, Any] | None], students: list[RosterStudent] | None) -> dict[str, Any]:
    ordered = [_with_identity(entries[f.id], f) for f in found.submissions if entries[f.id] is not None]
    skipped = [s.to_json() for s in found.skipped]
    if students is not None:
        ordered = _apply_roster(ordered, students, found, catalog)
    return assemble(assignment, catalog, ordered, skipped=skipped)


def _apply_roster(entries: list[dict[str, Any]], students: list[RosterStudent], found: Discovery,
                  catalog: list[CheckInfo]) -> list[dict[str, Any]]:
    matched, absent = match(students, entries)
    out = []
    for entry in entries:
        student = matched.get(str(entry["id"]))
        if student is not None:
            out.append({**entry, "roster": student.to_json()})
        else:
            out.append({**entry, "notes": [*entry.get("notes", []), {
                "severity": "warning", "where": "", "message": "not on the roster: check the name or add the student"}]})
    used = {str(e["id"]).casefold() for e in entries}
    for student in absent:
        sub_id = student.name or student.user_id
        n = 1
        while sub_id.casefold() in used:
            n += 1
            sub_id = f"{student.name}-{n}"
        used.add(sub_id.casefold())
        theirs = [s for s in found.skipped if belongs_to(student, s.lms.to_json() if s.lms else None, s.path)]
        message = "no submission received"
        if theirs:
            message += "; not gradable: " + "; ".join(f"{Path(s.path).name} ({s.reason})" for s in theirs)
        entry = missing_entry(sub_id, catalog, message)
        entry["roster"] = student.to_json()
        if student.user_id:
            entry["lms"] = {"user_id": student.user_id, "name": student.name}
        out.append(entry)
    return out


def _timings(store: Store, ids: list[str]) -> dict[str, dict[str, float]]:
    """Per submission, per check: seconds (from the stored verdicts). Kept out of results.json."""
    return {sub_id: {check: float(r.get("duration", 0.0)) for check, r in sorted(store.verdicts(sub_id).items())}
            for sub_id in ids}


def _only(catalog: list[CheckInfo], components: Sequence[str], assignment: Assignment) -> list[CheckInfo]:
    """The checks of ``components`` (all checks when empty), names matched case-insensitively; an unknown
    name is the caller's mistake."""
    if not components:
        return catalog
    wanted = _only_names(catalog, components, assignment)
    return [c for c in catalog if c.component in wanted]


def _only_names(catalog: list[CheckInfo], components: Sequence[str], assignment: Assignment | None = None) -> list[str]:
    """``--only`` values (case-insensitive, comma lists allowed) as the assignment spells its components."""
    known = list(dict.fromkeys(c.component for c in catalog))
    by_fold = {k.casefold(): k for k in known}
    names = [n.strip() for value in components for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n.casefold() not in by_fold]
    if unknown:
        label = assignment.name if assignment else "the assignment"
        raise GradeError(f"{label} has no component {', '.join(map(repr, unknown))}; "
                         f"its components are: {', '.join(known)}")
    return list(dict.fromkeys(by_fold[n.casefold()] for n in names))


def write_outputs(run: GradeRun) -> None:
    """results.json (atomically, read back and verified), timings.json and the reports, from ``run``."""
    assert run.out_dir is not None
    write_json(run.results, run.out_dir / "results.json")
    write_json(run.timings, run.out_dir / "timings.json")
    from grader.reports import write_reports

    write_reports(run.results, run.out_dir)

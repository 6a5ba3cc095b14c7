"""Run an assignment's check modules with pytest, in this process (and judge workers forked from it).

The process that calls these functions is part of the judge: pytest collects the instructor's
check modules here once; with several jobs, ``grader.workers`` forks judge workers from the
collected session. Student code runs only in the student processes that the ``student`` fixture
starts.
"""
from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path
from typing import Any, Callable

import pytest

from grader.assignments import Assignment
from grader.checks import CheckInfo
from grader.collect import CatalogCollector, VerdictCollector
from grader.loaded import LoadedSubmission
from grader.manifest import Limits, Manifest
from grader.workers import ForkedWorkers

CATALOG_PLACEHOLDER = "__catalog__"
# A forked judge worker costs a fork of the judge and its first student process (it shares the judge's fork
# server); below this many submissions per worker, grading them in fewer processes is faster.
SUBMISSIONS_PER_WORKER = 4

# pytest's plugins that a grading run does not use and that cost time per check or per session
# (``unraisableexception`` and ``threadexception`` run gc.collect() five times at the end of a session).
UNUSED_PLUGINS = [arg for name in ("unraisableexception", "threadexception", "logging", "warnings", "faulthandler",
                                   "doctest", "pastebin", "junitxml", "stepwise", "nose", "setuponly", "setupplan",
                                   "debugging", "legacypath") for arg in ("-p", f"no:{name}")]


class CheckModuleError(Exception):
    """The assignment's check modules are broken (an instructor's mistake): names the file and the fix."""


def _base_args(assignment: Assignment, workdir: Path) -> list[str]:
    ini = workdir / "pytest.ini"
    ini.write_text("[pytest]\n", encoding="utf-8")
    return [
        str(assignment.path),
        "-c", str(ini),
        "--rootdir", str(assignment.path),
        "-p", "grader.plugin",
        "-p", "no:cacheprovider",
        "-p", "no:randomly",
        "-o", "python_files=test_*.py",
        "-o", "python_functions=test_*",
        "-q", "--no-header", "-rN", "--tb=no",
        "--capture=sys",  # per process: forked workers must not share capture files
        *UNUSED_PLUGINS,
    ]


@contextlib.contextmanager
def _environment(**values: str):
    """Set environment variables for a pytest run, then restore them."""
    before = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _run_pytest(args: list[str], plugins: list[Any], log: Path) -> int:
    """pytest.main with only our plugins (no third-party autoload), its output kept in ``log``."""
    buffer = io.StringIO()
    with _environment(PYTEST_DISABLE_PLUGIN_AUTOLOAD="1"), \
            contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
        code = pytest.main(args, plugins=plugins)
    log.write_text(buffer.getvalue(), encoding="utf-8")
    return int(code)


def _one_line(problem: str) -> str:
    """A collection problem (possibly a whole pytest traceback) as one line: module, error, line number."""
    head, _, body = problem.partition(": ")
    errors = [line[1:].strip() for line in body.splitlines() if line.startswith("E ")]
    if not errors:
        return problem.splitlines()[0]
    where = re.findall(r'File "[^"]*", line (\d+)|^\S+\.py:(\d+): in <module>', body, flags=re.M)
    line = next((a or b for a, b in reversed(where)), "")
    return f"{head}: {errors[-1]}" + (f" (line {line})" if line else "")


def collect_catalog(assignment: Assignment, workdir: Path) -> list[CheckInfo]:
    """The assignment's checks in order, by a collect-only pytest run on a placeholder submission."""
    placeholder = LoadedSubmission(id=CATALOG_PLACEHOLDER, path="", kind="py")
    manifest = Manifest(assignment.name, [placeholder]).write(workdir / "catalog-manifest.json")
    collector = CatalogCollector()
    args = _base_args(assignment, workdir) + ["--collect-only", "--grader-manifest", str(manifest)]
    log = workdir / "catalog.log"
    code = _run_pytest(args, [collector], log)
    if collector.problems or code not in (0, 5):
        lines = [line for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
        detail = "; ".join(_one_line(p) for p in collector.problems) or (lines[-1] if lines else f"exit code {code}")
        raise CheckModuleError(f"{assignment.path}: the check modules do not collect: {detail}")
    if not collector.checks:
        raise CheckModuleError(
            f"{assignment.path}: no graded checks found; declare each with @check(component, kind, points)"
        )
    return collector.checks


def run_checks(
    assignment: Assignment,
    submissions: list[LoadedSubmission],
    workdir: Path,
    *,
    jobs: int,
    hide_paths: list[str],
    on_verdict: Callable[[dict[str, Any]], None] | None = None,
    extra_args: list[str] = (),
) -> dict[tuple[str, str], dict[str, Any]]:
    """Run every check on every loadable submission; returns {(submission id, check id): verdict}."""
    gradable = [s for s in submissions if s.error is None]
    if not gradable:
        return {}
    limits = Limits(memory_mb=assignment.memory_mb, budget_seconds=assignment.budget_seconds)
    manifest = Manifest(assignment.name, gradable, hide_paths=hide_paths, limits=limits,
                        packages=list(assignment.packages), twins=assignment.twins)
    manifest_path = manifest.write(workdir / "manifest.json")
    args = _base_args(assignment, workdir) + ["--grader-manifest", str(manifest_path), *extra_args]
    workers = max(1, min(jobs, len(gradable) // SUBMISSIONS_PER_WORKER))
    collector = VerdictCollector(on_verdict)
    code = _run_pytest(args, [collector, ForkedWorkers(workers)], workdir / "pytest.log")
    if code in (2, 3, 4):  # interrupted, internal error, usage error: the judge itself failed
        tail = (workdir / "pytest.log").read_text(encoding="utf-8")[-3000:]
        raise CheckModuleError(f"{assignment.path}: pytest stopped with exit code {code}:\n{tail}")
    return collector.records

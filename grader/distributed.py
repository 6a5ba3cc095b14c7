"""Grading on a Dask cluster: ``grader grade ... --scheduler tcp://HOST:PORT`` (docs/DASK.md).

The grading process discovers, loads and collects the catalog as for a local run; then each
gradable submission becomes one Dask task. A task runs on a worker exactly what a local run does
for one submission: the assignment's checks in a pytest session (``grader.runner.run_checks``),
driving the submission's isolated student process through the worker's own fork server, with the
same confinement as on the grading machine. It returns the verdict records (plain JSON data), which
flow into the same results as a local run's, so results.json is the same.

A worker lost in the middle of a task is the scheduler's business: it runs the task again on
another worker (up to the scheduler's ``allowed-failures``; after that the submission's checks are
reported as not run). Dask is imported only here, and only when ``--scheduler`` is given.
"""
from __future__ import annotations

import hashlib
import shutil
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable

from grader import __version__
from grader.assignments import SHIPPED, Assignment, resolve, shipped_dir
from grader.loaded import LoadedSubmission
from grader.secret import ENV_FILE, Keyring, key_path

CONNECT_TIMEOUT = "20s"
PROBE_SECONDS = 5.0
MAX_ASSIGNMENT_BYTES = 20 * 2**20  # an instructor's assignment folder travels with every task
Records = dict[tuple[str, str], dict[str, Any]]


class ClusterError(Exception):
    """The cluster cannot grade (unreachable scheduler, a worker without the grader): names the fix."""


# ----------------------------------------------------------------------------- the grading process

def cluster_runner(scheduler: str) -> Callable[..., Records]:
    """A drop-in for ``grader.runner.run_checks`` that grades on the Dask cluster at ``scheduler``
    (ClusterError at once if nothing listens there)."""
    _reachable(scheduler)

    def run(assignment: Assignment, submissions: list[LoadedSubmission], workdir: Path, *, jobs: int = 1,
            hide_paths: list[str] = (), on_verdict: Callable[[dict[str, Any]], None] | None = None,
            extra_args: list[str] = ()) -> Records:
        return run_on_cluster(scheduler, assignment, submissions, on_verdict=on_verdict, extra_args=list(extra_args))

    return run


def run_on_cluster(scheduler: str, assignment: Assignment, submissions: list[LoadedSubmission], *,
                   on_verdict: Callable[[dict[str, Any]], None] | None = None,
                   extra_args: list[str] = ()) -> Records:
    """One task per gradable submission; {(submission id, check id): verdict record} as for a local run."""
    from distributed import Client, as_completed
    from distributed.scheduler import KilledWorker

    gradable = [s for s in submissions if s.error is None]
    if not gradable:
        return {}
    payload = assignment_payload(assignment)
    try:
        client = Client(scheduler, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise _unreachable(scheduler, exc) from None
    records: Records = {}
    with client:
        futures = [client.submit(grade_submission, payload, sub.to_json(), list(extra_args), pure=False,
                                 key=f"grade-{sub.id}-{_token(sub)}") for sub in gradable]
        for future in as_completed(futures):
            try:
                found = future.result()
            except KilledWorker:  # it killed every worker it ran on: its checks are reported as not run
                continue
            except ClusterError:
                raise
            except Exception as exc:  # noqa: BLE001 - a worker's environment, not a submission
                raise ClusterError(f"a Dask worker could not grade: {type(exc).__name__}: {exc}") from None
            for record in found:
                records[(record["submission"], record["id"])] = record
                if on_verdict:
                    on_verdict(record)
    return records


def _reachable(scheduler: str) -> None:
    """Fail at once when nothing listens at a tcp:// address (a client would retry until its timeout)."""
    from distributed.comm import parse_address, parse_host_port

    try:
        protocol, location = parse_address(scheduler)
        if protocol == "tcp":
            with socket.create_connection(parse_host_port(location), timeout=PROBE_SECONDS):
                pass
    except (OSError, ValueError) as exc:
        raise _unreachable(scheduler, exc) from None


def _unreachable(scheduler: str, exc: Exception) -> ClusterError:
    return ClusterError(f"cannot reach the Dask scheduler at {scheduler} ({exc}); start one with `dask scheduler` "
                        "and workers with `dask worker` (see docs/DASK.md)")


def _token(sub: LoadedSubmission) -> str:
    return hashlib.sha1(sub.dumps().encode()).hexdigest()[:12]


def assignment_payload(assignment: Assignment) -> dict[str, Any]:
    """What a worker needs to find the assignment: a shipped one by name, an instructor's folder by its files."""
    payload: dict[str, Any] = {"grader_version": __version__, "name": assignment.path.name, "key": key_check()}
    if assignment.path.resolve() == (shipped_dir() / assignment.path.name).resolve() and assignment.path.name in SHIPPED:
        payload["shipped"] = True
        return payload
    files, size = {}, 0
    for path in sorted(assignment.path.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            data = path.read_bytes()
            size += len(data)
            files[str(path.relative_to(assignment.path))] = data
    if size > MAX_ASSIGNMENT_BYTES:
        raise ClusterError(f"{assignment.path}: the assignment folder holds {size / 2**20:.0f} MB, more than the "
                           f"{MAX_ASSIGNMENT_BYTES // 2**20} MB sent with each task; keep only its checks and data")
    payload["files"] = files
    return payload


def key_check(path: Path | None = None) -> str:
    """A public digest of the instructor's key (made on first use, as for a local run) that a worker compares
    with its own key's: the key itself never travels with a task."""
    return Keyring.from_file(path).digest("dask worker key check").hex()


# ----------------------------------------------------------------------------- on a worker

_SESSION = threading.Lock()  # pytest is not thread-safe: one grading session at a time per worker process
_MATERIALIZED: dict[str, Assignment] = {}


def grade_submission(payload: dict[str, Any], loaded_json: dict[str, Any], extra_args: list[str]) -> list[dict[str, Any]]:
    """The Dask task: grade one loaded submission with this worker's grader; its verdict records."""
    from grader.grade import _hidden_paths
    from grader.runner import run_checks

    if payload["grader_version"] != __version__:
        raise ClusterError(f"this Dask worker has grader {__version__}, the grading machine {payload['grader_version']}; "
                           "install the same version on every worker")
    key = _instructors_key(payload["key"])
    _confined_here()
    loaded = LoadedSubmission.from_json(loaded_json)
    with _SESSION:
        assignment = _assignment_here(payload)
        workdir = Path(tempfile.mkdtemp(prefix="grader-task-"))
        try:
            records = run_checks(assignment, [loaded], workdir, jobs=1,
                                 hide_paths=_hidden_paths(assignment, [], workdir, None),
                                 extra_args=[*extra_args, f"--grader-secret={key}"])
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    return [records[key] for key in sorted(records)]


def _instructors_key(expected: str) -> Path:
    """This worker's key file, if it holds the grading machine's key (hidden inputs and call seeds derive from
    it: with another key a worker would grade other inputs); ClusterError naming the fix otherwise."""
    path = key_path()
    fix = (f"copy the instructor's key file (on the grading machine: {ENV_FILE} or ~/.config/dlfs-grader/secret.key) "
           f"to every worker, readable only by the user the worker runs as, and start the worker with "
           f"{ENV_FILE}=/path/to/secret.key (docs/DASK.md)")
    if not path.is_file():
        raise ClusterError(f"the Dask worker on {socket.gethostname()} has no grading key at {path}: {fix}")
    try:
        same = key_check(path) == expected
    except (OSError, ValueError) as exc:
        raise ClusterError(f"the Dask worker on {socket.gethostname()} cannot read its grading key: {exc}") from None
    if not same:
        raise ClusterError(f"the Dask worker on {socket.gethostname()} has another grading key than the grading "
                           f"machine ({path}): {fix}")
    return path


def _confined_here() -> None:
    """A worker grades only where student code gets the allow-list root and namespaces (no
    ``--allow-weak-isolation`` on a cluster: nobody watches a worker's machine)."""
    from grader.sandbox.process import weak_isolation_reason

    reason = weak_isolation_reason()
    if reason:
        raise ClusterError(f"the Dask worker on {socket.gethostname()} cannot confine student code: {reason}; run "
                           "workers where unprivileged user namespaces are enabled, or as root (docs/DASK.md)")


def _assignment_here(payload: dict[str, Any]) -> Assignment:
    """The shipped assignment of this worker's grader, or the instructor's files written once per worker."""
    if payload.get("shipped"):
        return resolve(payload["name"])
    digest = hashlib.sha256(repr(sorted(payload["files"].items())).encode()).hexdigest()[:16]
    if digest not in _MATERIALIZED:
        folder = Path(tempfile.mkdtemp(prefix=f"grader-assignment-{digest}-")) / payload["name"]
        for name, data in payload["files"].items():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        _MATERIALIZED[digest] = resolve(str(folder))
    return _MATERIALIZED[digest]

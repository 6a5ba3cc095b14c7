"""The pytest plugin that turns an assignment's check modules into a grader.

Load it with ``-p grader.plugin``. It

* parametrises every test that takes the ``student`` fixture over the submissions of the
  manifest (``--grader-manifest``, written by ``grader grade``) or of ``--submission FILE``
  options (an instructor running pytest by hand);
* groups all checks of one submission on one xdist worker (``xdist_group``) and gives them
  one student process (a session-scoped fixture per submission), restarted only after a crash
  or timeout;
* sets the time limit of each check and the seeds of its calls, derived from the instructor's secret
  (grader/secret.py; ``--grader-secret FILE``), enforces the per-submission budget,
* gives checks their hidden inputs (grader/inputs.py: ``hidden_rng``, the ``inputs`` fixture) and redacts
  the expected values from the verdict of a check that used them (grader/redact.py),
* runs the *twin* of a public check that passed (the same check with its public inputs replaced by keyed ones
  of the same kind, grader/inputs.py) and puts the twin's outcome in the verdict (``twin``), which
  grader/credit.py uses: a public case earns its points only alongside its twin, and
* attaches each check's verdict to its test report (``user_properties``), where
  :class:`grader.collect.VerdictCollector` picks it up in the controlling process.

pytest's own options keep working: ``-x``, ``-k sigmoid``, ``--junitxml``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from grader import inputs as hidden_inputs
from grader.checks import CheckInfo, info_of
from grader.credit import CONDITIONAL_KINDS
from grader.errors import StudentTimeout
from grader.manifest import Limits, Manifest
from grader.redact import redact_verdict
from grader.secret import Keyring, submission_keyring
from grader.verdicts import verdict

MANIFEST = pytest.StashKey[Manifest]()
TWIN = pytest.StashKey[dict]()
DREW_HIDDEN = pytest.StashKey[bool]()  # whether the check itself (not its twin) drew keyed inputs
LEDGER = pytest.StashKey["Ledger"]()
KEYRING = pytest.StashKey[Keyring]()
SUBMISSION_KEYRINGS = pytest.StashKey[dict]()
CPU_AT_START = pytest.StashKey[float]()  # student CPU seconds spent by this judge when a check began
VERDICT_PROPERTY = "grader.verdict"
TIMED_OUT_RETRY_SECONDS = 2.0  # a component that already timed out gets this much for its next checks


class Ledger:
    """Per-submission bookkeeping in one judge process: time used, components that timed out."""

    def __init__(self, budget_seconds: float) -> None:
        self.budget = budget_seconds
        self.used: dict[str, float] = {}
        self.timed_out: dict[str, set[str]] = {}

    def timeout_for(self, submission: str, info: CheckInfo) -> float:
        remaining = self.budget - self.used.get(submission, 0.0)
        if remaining <= 0:
            raise StudentTimeout(
                self.budget, f"your submission used up its total time budget of {self.budget:g} s; this check"
            )
        timeout = info.timeout
        if info.component in self.timed_out.get(submission, set()):
            timeout = min(timeout, TIMED_OUT_RETRY_SECONDS)
        return min(timeout, remaining)

    def record(self, submission: str, info: CheckInfo, seconds: float, status: str) -> None:
        self.used[submission] = self.used.get(submission, 0.0) + seconds
        if status == "timeout":
            self.timed_out.setdefault(submission, set()).add(info.component)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader", "grading student submissions")
    group.addoption("--submission", action="append", default=[], metavar="FILE",
                    help="grade this submission (.py or .ipynb); repeatable")
    group.addoption("--grader-manifest", metavar="JSON", help="manifest written by `grader grade`")
    group.addoption("--grader-budget", type=float, default=None, metavar="SECONDS",
                    help="budget of student CPU time for all checks of one submission")
    group.addoption("--grader-only", action="append", default=[], metavar="COMPONENT",
                    help="run only the checks of this component; repeatable")
    group.addoption("--grader-secret", metavar="FILE", default=None,
                    help="the instructor's key file for hidden inputs and call seeds (default: $GRADER_SECRET_FILE "
                         "or ~/.config/dlfs-grader/secret.key, made on first use)")
    group.addoption("--grader-in-process", action="store_true",
                    help="UNSAFE, benchmarks only: run submissions inside the judge, without isolation, "
                         "to measure what isolation costs")


def _manifest_from_options(config: pytest.Config) -> Manifest:
    path = config.getoption("--grader-manifest")
    if path:
        return Manifest.read(Path(path))
    from grader.loader import load_submission  # only when an instructor runs pytest by hand

    subs = []
    for raw in config.getoption("--submission"):
        file = Path(raw)
        if not file.exists():
            raise pytest.UsageError(f"--submission {raw}: no such file")
        subs.append(load_submission(file, file.stem))
    return Manifest(assignment="", submissions=subs, limits=Limits())


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "grader_check(info): a graded check; declare it with grader.checks.check")
    manifest = _manifest_from_options(config)
    budget = config.getoption("--grader-budget")
    if budget is not None:
        manifest.limits.budget_seconds = budget
    config.stash[MANIFEST] = manifest
    from grader.sandbox import rootfs

    rootfs.permit(manifest.packages)  # before the fork server boots (at session start)
    config.stash[LEDGER] = Ledger(manifest.limits.budget_seconds)
    secret = config.getoption("--grader-secret")
    config.stash[KEYRING] = Keyring.from_file(Path(secret) if secret else None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "student" not in metafunc.fixturenames:
        return
    manifest = metafunc.config.stash[MANIFEST]
    params = [
        pytest.param(sub.id, id=sub.id, marks=pytest.mark.xdist_group(sub.id)) for sub in manifest.gradable()
    ]
    metafunc.parametrize("student", params, indirect=True, scope="session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    only = set(config.getoption("--grader-only"))
    if not only:
        return
    keep, drop = [], []
    for item in items:
        info = info_of(item)
        (keep if info is not None and info.component in only else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
    items[:] = keep


@pytest.fixture(scope="session")
def student(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The submission under test, running in its own isolated student process."""
    from grader.sandbox import InProcessStudent, Student

    manifest = request.config.stash[MANIFEST]
    loaded = manifest.by_id()[request.param]
    if request.config.getoption("--grader-in-process"):
        proxy = InProcessStudent(loaded)
    else:
        proxy = Student(loaded, memory_mb=manifest.limits.memory_mb, hide_paths=manifest.hide_paths)
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Any:
    """``golden("softmax/seed")`` -> the reference case (``.inputs``, ``.outputs``) of this assignment."""
    assignment = getattr(request.module, "ASSIGNMENT", None) or Path(request.module.__file__).parent.name
    return lambda name: hidden_inputs.golden_case(assignment, name)  # its keyed twin in a twin run


@pytest.fixture
def inputs() -> hidden_inputs.Inputs:
    """This check's hidden inputs: ``inputs.rng(n)``, ``inputs.normal(3, 4)`` (keyed by the instructor's secret)."""
    return hidden_inputs.Inputs()


@pytest.fixture(autouse=True)
def _grader_context(request: pytest.FixtureRequest) -> Iterator[None]:
    """Before each check: the seeds of its calls and its hidden inputs (both keyed), its time limit, the
    per-submission budget. After it: whether it drew hidden inputs (its verdict is then redacted)."""
    info = info_of(request.node)
    if info is None or "student" not in request.fixturenames:
        yield
        return
    from grader.sandbox.cpulimit import spent

    request.node.stash[CPU_AT_START] = spent()
    proxy = request.getfixturevalue("student")
    keyring = _keyring_of(request.config, proxy.loaded)
    hidden_inputs.begin_check(keyring, info.id, request.config.stash[KEYRING])
    ledger = request.config.stash[LEDGER]
    submission = proxy.loaded.id
    proxy.set_context(info.id, ledger.timeout_for(submission, info),
                      seeds=lambda n, check=info.id: keyring.seed(check, n))
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Iterator[None]:
    """After a public check passed (it drew no keyed input, or it took public inputs through ``example`` or a
    golden case), run its twin (see grader/inputs.py)."""
    outcome = yield
    pyfuncitem.stash[DREW_HIDDEN] = hidden_inputs.drew_hidden()
    info = info_of(pyfuncitem)
    if (info is None or outcome.excinfo is not None or info.kind in CONDITIONAL_KINDS
            or not pyfuncitem.config.stash[MANIFEST].twins or "student" not in pyfuncitem.funcargs
            or (hidden_inputs.drew_hidden() and not hidden_inputs.used_public())):
        return
    pyfuncitem.stash[TWIN] = _run_twin(pyfuncitem, info)


def _run_twin(item: pytest.Function, info: CheckInfo) -> dict[str, Any]:
    """The twin's outcome: ``{"status", "message"}`` (message redacted: the twin's inputs are keyed), or
    ``{"status": "none"}`` when the check has no public input to replace (all its inputs are literals not
    wrapped in ``example``): then the twin would be the public run again."""
    proxy = item.funcargs["student"]
    keyring = _keyring_of(item.config, proxy.loaded)
    hidden_inputs.begin_twin(keyring, info.id, item.config.stash[KEYRING])
    proxy.set_context(info.id, item.config.stash[LEDGER].timeout_for(proxy.loaded.id, info),
                      seeds=lambda n, label=f"twin\0{info.id}": keyring.seed(label, n))
    args = {name: item.funcargs[name] for name in item._fixtureinfo.argnames}
    try:
        item.obj(**args)
        exc = None
    except Exception as raised:  # noqa: BLE001 - any outcome of the twin becomes its verdict
        exc = raised
    if not hidden_inputs.twin_drew():
        return {"status": "none"}
    record = redact_verdict(verdict(info, exc))
    return {"status": record["status"], "message": record["message"]}


def _keyring_of(config: pytest.Config, loaded: Any) -> Keyring:
    """The key of this submission's keyed inputs and call seeds (grader/secret.py: derived from its code)."""
    keys = config.stash.setdefault(SUBMISSION_KEYRINGS, {})
    if loaded.id not in keys:
        keys[loaded.id] = submission_keyring(config.stash[KEYRING], loaded.statements)
    return keys[loaded.id]


def _add_process_facts(record: dict[str, Any], proxy: Any) -> None:
    """What the student process says about itself: isolation level, notes from running the file."""
    try:
        result = proxy.load_result
    except Exception:  # noqa: BLE001 - the process could not even start: the verdict already says so
        return
    record["isolation"] = result.isolation
    record["load_notes"] = [
        {"severity": n.severity, "where": n.where, "message": n.message} for n in result.notes
    ]
    if record["status"] == "missing":
        record["message"] += _why_missing(proxy.loaded, record["message"])
    elif record["status"] in ("failed", "error"):
        record["message"] += _global_reads_hint(proxy.loaded, record["component"])


def _why_missing(loaded: Any, message: str) -> str:
    """Point a `missing` verdict at the loader's note that explains it (a syntax error, a skipped cell)."""
    name = message.split("`")[1] if message.count("`") >= 2 else ""
    for note in loaded.notes:
        if name and f"`{name}`" in note.message:
            return f" ({note.where + ': ' if note.where else ''}{note.message})"
    return ""


def _global_reads_hint(loaded: Any, component: str) -> str:
    """A failing component whose code reads module-level data (the classic `forward` using global `W`)
    probably only works on the lecture's numbers: say which globals, and where."""
    reads = [g for g in loaded.global_reads if g.function.split(".")[0] == component]
    if not reads:
        return ""
    names = ", ".join(sorted({f"`{g.name}` ({g.cell and f'cell {g.cell}, ' or ''}line {g.lineno})" for g in reads}))
    return (f" Note: {component} reads the global {names} instead of its parameters, so it only works "
            "for the values those globals happen to hold: use the arguments it is given.")


def _charged(item: pytest.Item, call: pytest.CallInfo[None]) -> float:
    """What a check costs its submission's budget: the CPU time its student processes used (each call at most its
    limit: grader/sandbox/cpulimit.py), not the wall time, which a busy machine (or Dask worker) stretches."""
    if item.config.getoption("--grader-in-process") or CPU_AT_START not in item.stash:
        return call.duration
    from grader.sandbox.cpulimit import spent

    return spent() - item.stash[CPU_AT_START]


def _submission_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("student") if callspec else None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    info, submission = info_of(item), _submission_of(item)
    if info is None or submission is None:
        return
    if call.when == "call" or (call.when == "setup" and call.excinfo is not None):
        exc = call.excinfo.value if call.excinfo is not None else None
        record = verdict(info, exc)
        if item.stash.get(DREW_HIDDEN, hidden_inputs.drew_hidden()):
            record = redact_verdict(record)
        if call.when == "call" and TWIN in item.stash:
            record["twin"] = item.stash[TWIN]
        record["submission"] = submission
        proxy = getattr(item, "funcargs", {}).get("student")
        if proxy is not None:
            _add_process_facts(record, proxy)
        record["duration"] = round(call.duration, 4)
        item.config.stash[LEDGER].record(submission, info, _charged(item, call), record["status"])
        report.user_properties.append((VERDICT_PROPERTY, json.dumps(record)))
        if record["status"] != "passed" and call.when == "call":
            report.longrepr = f"[{record['status']}] {record['message']}"

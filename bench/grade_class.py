"""Grade a generated class of every assignment, on this machine and through Dask, and print the throughput.

    python bench/grade_class.py [--n 300] [--assignment NAME ...] [--no-dask] [--quick] [--keep DIR]

For each assignment, builds N submissions: correct ones (the reference as one student file), buggy ones (the
planted bugs of tests/test_assignment_<name>.py, in turn), correct Colab notebooks full of junk cells, and one
in 50 whose first component loops forever. Then, from one run, prints:

- the class graded by ``grader.grade.grade`` with ``jobs`` = the cores: seconds, submissions per second,
  submissions per second per core, and CPU seconds per submission (of every process involved: on a shared
  machine this number does not grow with the load, the others do);
- the same class through a Dask cluster of two local workers (``dask scheduler`` and two ``dask worker
  --nthreads 1`` processes, started and stopped here): the same numbers per worker core, and whether its
  results.json is the local run's byte for byte (but for ``generated_at``); if not, the checks that differ.

The load average is printed with each number (the machine may be shared). Asserts nothing. ``--quick``: N = 20.
``--keep DIR``: grade in DIR and keep the classes and both results.json.
"""
from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from grader.assignments import SHIPPED, resolve  # noqa: E402
from grader.grade import GradeRun, default_jobs, grade  # noqa: E402
from grader.runner import collect_catalog  # noqa: E402
from reference.submission import as_submission  # noqa: E402
from tests.helpers_submissions import source_cells, write_notebook, write_py  # noqa: E402

COLAB_JUNK = ["from google.colab import drive\ndrive.mount('/content/drive')", "!pip install numpy", "%matplotlib inline",
              "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()"]
HANG_EVERY = 50
HANG_AT = 10  # submissions 10, 60, 110, ... hang (so a --quick class of 20 has one)


def kind_of(i: int) -> str:
    """What submission ``i`` of the class is: ``hang`` (1 in 50), ``colab``, ``buggy`` or ``correct``."""
    if i % HANG_EVERY == HANG_AT:
        return "hang"
    return {9: "colab", 5: "buggy", 6: "buggy", 7: "buggy", 8: "buggy"}.get(i % 10, "correct")


def planted_bugs(assignment: str) -> dict[str, str]:
    """name -> source of each planted-bug submission of tests/test_assignment_<assignment>.py."""
    module = importlib.import_module(f"tests.test_assignment_{assignment}")
    planted = getattr(module, "SOURCES", module.PLANTED)  # backprop's PLANTED holds edits, its SOURCES the files
    return {name: source for name, (source, expected) in planted.items() if expected}


def hanging_tail(assignment: str, source: str) -> str:
    """Definitions to append to ``source`` so that its first component loops forever (a class: in __init__)."""
    with tempfile.TemporaryDirectory() as tmp:
        first = collect_catalog(resolve(assignment), Path(tmp))[0].component
    classes = {node.name for node in ast.parse(source).body if isinstance(node, ast.ClassDef)}
    if first in classes:
        return f"\n\nclass {first}:\n    def __init__(self, *args, **kwargs):\n        while True:\n            pass\n"
    return f"\n\ndef {first}(*args, **kwargs):\n    while True:\n        pass\n"


def build_class(assignment: str, n: int, folder: Path, *, hanging: bool = True, notebooks: bool = False) -> Counter:
    """Write ``n`` submissions of ``assignment`` into ``folder``; returns how many of each kind.
    ``notebooks``: every submission is a notebook (as a Jupyter course hands them in)."""
    ok = as_submission(assignment)
    bugs = planted_bugs(assignment)
    names = sorted(bugs)
    kinds: Counter = Counter()
    for i in range(n):
        kind = kind_of(i)
        if kind == "hang" and not hanging:
            kind = "correct"
        path = folder / f"student{i:04d}"
        source, junk = ok, []
        if kind == "colab":
            junk = COLAB_JUNK
        elif kind == "buggy":
            bug = names[sum(v for k, v in kinds.items() if k.startswith("buggy")) % len(names)]
            source, kind = bugs[bug], f"buggy ({bug})"
        elif kind == "hang":
            source = ok + hanging_tail(assignment, ok)
        if junk or notebooks:
            write_notebook(path.with_suffix(".ipynb"), [*junk, *source_cells(source)])
        else:
            write_py(path.with_suffix(".py"), source)
        kinds[kind.split(" (")[0]] += 1
    return kinds


def timed(assignment: str, folder: Path, jobs: int, isolated: bool = True, scheduler: str | None = None,
          out: Path | None = None) -> tuple[float, GradeRun, float]:
    """Grade ``folder``: wall seconds, the run, CPU seconds of this process and all under it (Dask's too)."""
    t0, cpu0 = time.perf_counter(), tree_cpu()
    run = grade(assignment, [str(folder)], out, jobs=jobs, isolated=isolated, scheduler=scheduler)
    return time.perf_counter() - t0, run, tree_cpu() - cpu0


def without_timestamp(results: bytes) -> bytes:
    """results.json but its ``generated_at`` line (the only thing two gradings of one class may differ in)."""
    return b"\n".join(line for line in results.split(b"\n") if b'"generated_at"' not in line)


def differences(here: Path, there: Path, limit: int = 10) -> list[str]:
    """The checks whose verdict differs between two results.json files, as lines to print."""
    def checks(path: Path) -> dict[tuple[str, str], dict[str, Any]]:
        subs = json.loads(path.read_text())["submissions"]
        return {(s["id"], c["id"]): c for s in subs for c in s.get("checks", [])}

    a, b = checks(here), checks(there)
    lines = [f"    {sub} {check}: here {a.get((sub, check), {}).get('status')!s} "
             f"({a.get((sub, check), {}).get('message', '')[:150]!r}), "
             f"Dask {b.get((sub, check), {}).get('status')!s} ({b.get((sub, check), {}).get('message', '')[:150]!r})"
             for sub, check in sorted(set(a) | set(b)) if a.get((sub, check)) != b.get((sub, check))]
    return lines[:limit] + ([f"    ... and {len(lines) - limit} more"] if len(lines) > limit else [])


def outcome_summary(run: GradeRun) -> str:
    subs = run.results["submissions"]
    full = sum(1 for s in subs if s["score"] == s["max_score"])
    counts = Counter(c["status"] for s in subs for c in s["checks"])
    return f"{full}/{len(subs)} full marks; checks: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


@contextlib.contextmanager
def local_cluster(workers: int, root: Path) -> Iterator[str]:
    """A Dask scheduler and ``workers`` one-thread workers on this machine; yields the scheduler's address."""
    from distributed import Client

    dask = str(Path(sys.executable).with_name("dask"))
    info, logs = root / "scheduler.json", root / "logs"
    logs.mkdir(parents=True)
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(info)], stdout=(logs / "scheduler").open("w"),
                              stderr=subprocess.STDOUT)]
    try:
        while True:  # the file appears before its contents
            with contextlib.suppress(OSError, ValueError, KeyError):
                address = json.loads(info.read_text())["address"]
                break
            time.sleep(0.1)
        procs += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                    "--local-directory", str(root / f"w{i}")], stdout=(logs / f"w{i}").open("w"),
                                   stderr=subprocess.STDOUT) for i in range(workers)]
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # a worker whose scheduler is gone may keep trying to reconnect
                proc.kill()
                proc.wait()


def per_core(n: int, seconds: float, cores: int, cpu: float) -> str:
    return (f"{seconds:7.1f} s   {n / seconds:6.2f} submissions/s   {n / seconds / cores:6.2f} per core   "
            f"{cpu / n:5.2f} CPU s per submission")


def tree_cpu(pid: int | None = None) -> float:
    """CPU seconds used so far by process ``pid`` (default: this one) and every process under it, the exited ones
    included (a process's reaped children count in its own ``cutime``): on a shared machine this does not grow
    with the load, where wall time does."""
    tick, total, todo, seen = os.sysconf("SC_CLK_TCK"), 0, [pid or os.getpid()], set()
    while todo:
        proc = todo.pop()
        if proc in seen:
            continue
        seen.add(proc)
        try:
            with open(f"/proc/{proc}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in fields[11:15])  # utime stime cutime cstime
            for task in os.listdir(f"/proc/{proc}/task"):
                with open(f"/proc/{proc}/task/{task}/children") as fh:
                    todo += [int(child) for child in fh.read().split()]
        except (OSError, ValueError):
            continue
    return total / tick


def grade_assignment(assignment: str, n: int, work: Path, cores: int, scheduler: str | None) -> None:
    folder = work / assignment
    kinds = build_class(assignment, n, folder / "class")
    print(f"{assignment}: {n} submissions: " + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())), flush=True)
    seconds, here, cpu = timed(assignment, folder / "class", cores, out=folder / "local")
    print(f"  this machine, jobs={cores}:      {per_core(n, seconds, cores, cpu)}   {outcome_summary(here)}   {load()}",
          flush=True)
    if scheduler is None:
        return
    seconds, there, cpu = timed(assignment, folder / "class", cores, scheduler=scheduler, out=folder / "dask")
    local, dask = folder / "local" / "results.json", folder / "dask" / "results.json"
    same = without_timestamp(local.read_bytes()) == without_timestamp(dask.read_bytes())
    print(f"  Dask, 2 local workers:    {per_core(n, seconds, 2, cpu)}   results.json byte-identical: "
          f"{'yes' if same else 'NO'}   {load()}", flush=True)
    if not same:
        print("\n".join(differences(local, dask)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="submissions per class (default 300)")
    parser.add_argument("--assignment", action="append", choices=SHIPPED, help="only these (default: all)")
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask measurement")
    parser.add_argument("--quick", action="store_true", help="N = 20")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="grade in DIR and keep the classes and both results.json (default: a temporary folder)")
    args = parser.parse_args()
    n = 20 if args.quick else args.n
    cores = default_jobs()
    work = args.keep or Path(tempfile.mkdtemp(prefix="grade-class-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        print(f"{load()}; {cores} cores", flush=True)
        with (contextlib.nullcontext(None) if args.no_dask else local_cluster(2, work / "dask")) as scheduler:
            if scheduler:  # each worker imports the grader and starts its fork server once: not part of a class
                warm = work / "warm-up"
                build_class("numerical", 4, warm, hanging=False)
                grade("numerical", [str(warm)], None, scheduler=scheduler)
            for assignment in args.assignment or SHIPPED:
                grade_assignment(assignment, n, work, cores, scheduler)
        print(load())
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

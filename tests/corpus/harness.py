"""Grade the corpus of real code through the CLI and score the grader's feedback.

The corpus is the course notes' student code committed here (tests/corpus/<assignment>/*.py) and the public
repositories' code that :mod:`tests.corpus.public` extracts from local mirrors at run time (never committed).
Every corpus file opens with its provenance and one label per component it defines:

    # corpus-source: dlfs-ja
    # provenance: oreilly-japan/deep-learning-from-scratch common/layers.py @ 07b1161 (MIT License)
    # adapted: what was renamed, or "nothing"
    # label Relu: bug r"in place.*dout|dout.*in place" -- backward writes into dout (dout[self.mask] = 0)
    # label Sigmoid: correct

A ``correct`` component must keep every point. A ``bug`` is *named* when the component loses points and one of
its failing checks' messages matches the label's pattern (case-insensitive), i.e. the message states the real cause.

``python tests/corpus/harness.py [ASSIGNMENT...]`` prints the per-source table and every miss.
"""
from __future__ import annotations

import atexit
import json
import re
import subprocess
import sys
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python tests/corpus/harness.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.corpus import public  # noqa: E402

CORPUS = Path(__file__).resolve().parent
ASSIGNMENTS = ("numerical", "backprop", "layers", "optim", "conv")
_LABEL = re.compile(r'^# label (\w+): (correct|bug)(?: r"(.*?)")?(?: -- (.*))?$')
_SOURCE = re.compile(r"^# corpus-source: (\S+)$")


@dataclass(frozen=True)
class Label:
    """One component of one corpus file, as a person judged it."""

    assignment: str
    file: str
    source: str
    component: str
    correct: bool
    cause_pattern: str = ""
    cause: str = ""


@dataclass(frozen=True)
class Outcome:
    """How the grader did on one label."""

    label: Label
    lost: float
    named: bool
    messages: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return self.lost == 0 if self.label.correct else self.named


@lru_cache(maxsize=None)
def corpus_dir() -> Path:
    """A folder with the committed files and the public ones built from mirrors (built once per process)."""
    root = Path(tempfile.mkdtemp(prefix="dlfs-corpus-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)  # the public files are read at test time, never kept
    for assignment in ASSIGNMENTS:
        shutil.copytree(CORPUS / assignment, root / assignment)
    skipped = public.build(root)
    (root / "SKIPPED").write_text("\n".join(f"{r.assignment}/{r.name} (no mirror of {r.repo[0]} at "
                                            f"{public.mirror(r.repo[0])})" for r in skipped), encoding="utf-8")
    return root


def skipped() -> list[str]:
    """The public corpus files not built here (their repository has no local mirror)."""
    text = (corpus_dir() / "SKIPPED").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line]


def labels(assignment: str) -> list[Label]:
    """The labels of every corpus file of ``assignment`` (a file without a source line is an error)."""
    out = []
    for path in sorted((corpus_dir() / assignment).glob("*.py")):
        head = [line.rstrip() for line in path.read_text(encoding="utf-8").splitlines()[:40]]
        source = next((m.group(1) for line in head if (m := _SOURCE.match(line))), None)
        if source is None:
            raise ValueError(f"{path}: no '# corpus-source:' line in its first 40 lines")
        for line in head:
            if m := _LABEL.match(line):
                out.append(Label(assignment, path.stem, source, m.group(1), m.group(2) == "correct",
                                 m.group(3) or "", m.group(4) or ""))
    return out


def grade(assignment: str, files: list[str] | None = None, python: str = sys.executable) -> dict[str, dict]:
    """results.json submissions by id, from ONE `grader grade` run over the assignment's corpus files."""
    paths = sorted((corpus_dir() / assignment).glob("*.py"))
    if files is not None:
        paths = [p for p in paths if p.stem in files]
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run([python, "-m", "grader", "grade", assignment, *map(str, paths), "--out", out,
                               "--jobs", "2", "--quiet"], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"grader grade {assignment} failed: {proc.stderr}")
        data = json.loads((Path(out) / "results.json").read_text(encoding="utf-8"))
    return {s["id"]: s for s in data["submissions"]}


def judge(label: Label, submission: dict) -> Outcome:
    checks = [c for c in submission["checks"] if c["component"] == label.component]
    if not checks:
        raise ValueError(f"{label.file}: component {label.component!r} has no checks in {label.assignment}")
    lost = sum(c["max_score"] - c["score"] for c in checks)
    messages = tuple(c["message"] for c in checks if c["status"] != "passed")
    pattern = re.compile(label.cause_pattern, re.IGNORECASE | re.DOTALL) if label.cause_pattern else None
    named = bool(lost > 0 and pattern and any(pattern.search(m) for m in messages))
    return Outcome(label, lost, named, messages)


def run(assignments: tuple[str, ...] = ASSIGNMENTS, python: str = sys.executable) -> list[Outcome]:
    outcomes = []
    for assignment in assignments:
        subs = grade(assignment, python=python)
        outcomes += [judge(label, subs[label.file]) for label in labels(assignment)]
    return outcomes


def table(outcomes: list[Outcome]) -> str:
    """Per source: correct components / of them losing points; bugs / named / detected only / missed."""
    rows: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    for o in outcomes:
        r = rows[o.label.source]
        if o.label.correct:
            r[0] += 1
            r[1] += o.lost > 0
        else:
            r[2] += 1
            r[3] += o.named
            r[4] += o.lost > 0 and not o.named
            r[5] += o.lost == 0
    total = [sum(col) for col in zip(*rows.values())] if rows else [0] * 6
    w = max([len("source")] + [len(name) for name in rows])
    lines = [f"{'source':<{w}} {'correct':>7} {'lose pts':>8} {'bugs':>5} {'named':>6} {'unnamed':>7} {'missed':>6} {'named %':>7}"]
    for name, r in sorted(rows.items()) + [("TOTAL", total)]:
        pct = f"{100 * r[3] / r[2]:.0f}%" if r[2] else "-"
        lines.append(f"{name:<{w}} {r[0]:>7} {r[1]:>8} {r[2]:>5} {r[3]:>6} {r[4]:>7} {r[5]:>6} {pct:>7}")
    return "\n".join(lines)


def misses(outcomes: list[Outcome]) -> str:
    out = []
    for o in outcomes:
        if o.ok:
            continue
        lab = o.label
        what = "correct but lost" if lab.correct else ("not named" if o.lost else "not detected")
        out.append(f"- {lab.assignment}/{lab.file} {lab.component}: {what} ({o.lost:g} pts) {lab.cause}")
        out += [f"    | {m[:300]}" for m in o.messages[:4]]
    return "\n".join(out)


if __name__ == "__main__":
    chosen = tuple(sys.argv[1:]) or ASSIGNMENTS
    results = run(chosen)
    print(table(results))
    if skipped():
        print("not built (no mirror): " + ", ".join(skipped()))
    print(misses(results))

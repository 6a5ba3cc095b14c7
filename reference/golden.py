"""The golden store: what the reference computes on the checks' deterministic inputs.

Layout (part of the installed package):

- ``reference/golden/<assignment>.npz``: one array per entry, keys ``"<case>::in::<name>"`` and
  ``"<case>::out::<name>"`` (written without pickles, read with ``allow_pickle=False``);
- ``reference/golden/index.json``: per case its assignment and, per entry, shape, dtype, a sha256
  of the values and, for small entries, the values themselves (so a diff shows what changed).

Usage::

    python -m reference.golden            # regenerate the store (byte-for-byte deterministic)
    python -m reference.golden --check    # exit 1, naming each entry, if reference and store disagree

Judge side: ``load("numerical")["softmax/large"].outputs["y"]``, or ``case("softmax/large")``.
The cases themselves are defined in :mod:`reference.golden_cases`.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import numpy as np

STORE = Path(__file__).resolve().parent / "golden"
INDEX = STORE / "index.json"
SEP = "::"
#: Entries of at most this many values are written into index.json in full.
SMALL = 24
#: How far a recomputed float may drift from the store (BLAS differences between machines).
RTOL, ATOL = 1e-10, 1e-12
REGENERATE = "regenerate with: python -m reference.golden"


@dataclass(frozen=True)
class Case:
    """One golden case: ``inputs`` and ``outputs`` by name (read-only arrays; 0-d entries as Python scalars)."""

    name: str
    assignment: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]


# --- computing ---------------------------------------------------------------------------------

def _as_array(value: Any) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype == object:
        raise TypeError(f"golden entries must be numeric or string arrays, got {value!r}")
    if array.dtype.kind == "f":
        array = array.astype(np.float64)
    elif array.dtype.kind in "iu":
        array = array.astype(np.int64)
    return np.array(array, order="C")  # (np.ascontiguousarray would make 0-d arrays 1-d)


def compute(assignment: str) -> dict[str, np.ndarray]:
    """Run every case of ``assignment`` on the reference: ``{"<case>::in|out::<name>": array}``."""
    from reference.golden_cases import REGISTRY, case_rng

    entries: dict[str, np.ndarray] = {}
    for name, build in REGISTRY[assignment].items():
        inputs, outputs = build(case_rng(name))
        for kind, values in (("in", inputs), ("out", outputs)):
            for key, value in values.items():
                entries[SEP.join((name, kind, key))] = _as_array(value)
    return entries


def assignments() -> tuple[str, ...]:
    from reference.golden_cases import ASSIGNMENTS

    return ASSIGNMENTS


# --- writing -----------------------------------------------------------------------------------

def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def write_npz(path: Path, entries: dict[str, np.ndarray]) -> None:
    """An ``.npz`` that ``np.load`` reads, with fixed timestamps and order: the same bytes on every run."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        for key in sorted(entries):
            info = zipfile.ZipInfo(key + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, _npy_bytes(entries[key]))


def digest(array: np.ndarray) -> str:
    """sha256 of dtype, shape and the little-endian values."""
    h = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    h.update(np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes())
    return h.hexdigest()


def _describe(array: np.ndarray) -> dict[str, Any]:
    info: dict[str, Any] = {"shape": list(array.shape), "dtype": array.dtype.str, "sha256": digest(array)}
    if array.size <= SMALL:
        info["values"] = array.tolist()
    return info


def index_of(all_entries: dict[str, dict[str, np.ndarray]]) -> dict[str, Any]:
    """``{case: {"assignment", "inputs": {name: info}, "outputs": {name: info}}}``."""
    index: dict[str, Any] = {}
    for assignment, entries in all_entries.items():
        for key, array in entries.items():
            name, kind, entry = key.split(SEP)
            case = index.setdefault(name, {"assignment": assignment, "inputs": {}, "outputs": {}})
            case["inputs" if kind == "in" else "outputs"][entry] = _describe(array)
    return index


def format_index(index: dict[str, Any]) -> str:
    """JSON with one line per entry, so that a diff of the store shows one line per changed entry."""
    lines = ["{"]
    for i, name in enumerate(sorted(index)):
        case = index[name]
        lines.append(f"{json.dumps(name)}: {{\"assignment\": {json.dumps(case['assignment'])},")
        for part in ("inputs", "outputs"):
            entries = [f"  {json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in sorted(case[part].items())]
            closing = "}" if part == "inputs" else "}}" + ("," if i < len(index) - 1 else "")
            body = ",\n".join(entries)
            lines.append(f" {json.dumps(part)}: {{\n{body}\n {closing}" + ("," if part == "inputs" else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def generate(store: Path = STORE) -> list[Path]:
    """Write every assignment's ``.npz`` and ``index.json`` under ``store``; returns the paths written."""
    store.mkdir(parents=True, exist_ok=True)
    all_entries = {a: compute(a) for a in assignments()}
    written = []
    for assignment, entries in all_entries.items():
        path = store / f"{assignment}.npz"
        write_npz(path, entries)
        written.append(path)
    index_path = store / "index.json"
    index_path.write_text(format_index(index_of(all_entries)))
    written.append(index_path)
    return written


# --- checking ----------------------------------------------------------------------------------

def _read_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def _agree(stored: np.ndarray, fresh: np.ndarray) -> bool:
    if stored.shape != fresh.shape or stored.dtype != fresh.dtype:
        return False
    if stored.dtype.kind == "f":
        return bool(np.allclose(stored, fresh, rtol=RTOL, atol=ATOL, equal_nan=True))
    return bool(np.array_equal(stored, fresh))


def disagreements(store: Path = STORE) -> list[str]:
    """One line per entry where the reference and the store differ (empty when they agree)."""
    problems: list[str] = []
    all_entries = {}
    for assignment in assignments():
        fresh = compute(assignment)
        all_entries[assignment] = fresh
        path = store / f"{assignment}.npz"
        if not path.exists():
            problems.append(f"{path.name}: missing")
            continue
        stored = _read_npz(path)
        for key in sorted(set(fresh) - set(stored)):
            problems.append(f"{assignment}: {key}: not in the store")
        for key in sorted(set(stored) - set(fresh)):
            problems.append(f"{assignment}: {key}: in the store but no longer produced by the reference")
        for key in sorted(set(fresh) & set(stored)):
            if not _agree(stored[key], fresh[key]):
                problems.append(f"{assignment}: {key}: stored {_brief(stored[key])}, reference gives {_brief(fresh[key])}")
    problems.extend(_index_problems(store / "index.json", index_of(all_entries)))
    return problems


def _index_problems(path: Path, expected: dict[str, Any]) -> Iterable[str]:
    """index.json must list the same cases and entries, with the same shapes and dtypes."""
    if not path.exists():
        yield "index.json: missing"
        return
    stored = json.loads(path.read_text())
    for name in sorted(set(stored) ^ set(expected)):
        yield f"index.json: case {name}: {'missing' if name in expected else 'stale'}"
    for name in sorted(set(stored) & set(expected)):
        for part in ("inputs", "outputs"):
            want, have = expected[name][part], stored[name].get(part, {})
            for entry in sorted(set(want) | set(have)):
                keys = ("shape", "dtype")
                if {k: want.get(entry, {}).get(k) for k in keys} != {k: have.get(entry, {}).get(k) for k in keys}:
                    yield f"index.json: {name} {part} {entry}: out of date"


def _brief(array: np.ndarray) -> str:
    text = np.array2string(array, precision=10, threshold=8, max_line_width=120).replace("\n", " ")
    return f"{array.dtype.str}{list(array.shape)} {text}"


# --- loading (judge side) ----------------------------------------------------------------------

def _readonly(array: np.ndarray) -> Any:
    if array.ndim == 0:
        return array.item()
    array.setflags(write=False)
    return array


@lru_cache(maxsize=None)
def load(assignment: str) -> dict[str, Case]:
    """The golden cases of ``assignment`` by name, read from the store (cached).

    Arrays are read-only (copy before changing them); 0-d entries come back as Python scalars
    (float, int or str).
    """
    path = STORE / f"{assignment}.npz"
    if not path.exists():
        raise FileNotFoundError(f"no golden store for assignment {assignment!r} at {path}; {REGENERATE}")
    parts: dict[str, dict[str, dict[str, Any]]] = {}
    for key, array in _read_npz(path).items():
        name, kind, entry = key.split(SEP)
        parts.setdefault(name, {"in": {}, "out": {}})[kind][entry] = _readonly(array)
    return {name: Case(name, assignment, p["in"], p["out"]) for name, p in sorted(parts.items())}


@lru_cache(maxsize=None)
def _assignment_of() -> dict[str, str]:
    return {name: info["assignment"] for name, info in json.loads(INDEX.read_text()).items()}


def case(name: str) -> Case:
    """The golden case called ``name`` (e.g. ``"softmax/large"``), whichever assignment holds it."""
    try:
        assignment = _assignment_of()[name]
    except KeyError:
        raise KeyError(f"no golden case {name!r}; {REGENERATE}") from None
    return load(assignment)[name]


def twin_case(name: str, rng: np.random.Generator) -> Case:
    """The *twin* of case ``name``: inputs of the same kind (shapes, dtypes, value ranges, settings) drawn from
    ``rng`` and what the reference computes from them. A case built from its generator is rebuilt with
    ``rng``; a case of the course notes' fixed numbers uses its registered twin builder
    (``reference.golden_cases.TWINS``). Computed, not stored: the grader draws ``rng`` from the instructor's
    key, so no file holds a twin."""
    from reference.golden_cases import REGISTRY, TWINS

    try:
        assignment = _assignment_of()[name]
    except KeyError:
        raise KeyError(f"no golden case {name!r}; {REGENERATE}") from None
    inputs, outputs = (TWINS.get(name) or REGISTRY[assignment][name])(rng)
    entries = [{k: _readonly(_as_array(v)) for k, v in part.items()} for part in (inputs, outputs)]
    return Case(name, assignment, *entries)


def names(assignment: str) -> list[str]:
    """The case names of ``assignment``, in the store's (sorted) order."""
    return list(load(assignment))


# --- command line ------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reference.golden", description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare the store with the reference; write nothing")
    parser.add_argument("--store", type=Path, default=STORE, help="folder of the store (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.check:
        problems = disagreements(args.store)
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print(f"golden store out of date ({len(problems)} entries); {REGENERATE}", file=sys.stderr)
            return 1
        print("golden store agrees with the reference")
        return 0
    for path in generate(args.store):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

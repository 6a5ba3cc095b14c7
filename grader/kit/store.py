"""The answers file of a kit: recorded values as JSON, their arrays in an ``.npz`` beside it.

Only data is stored: numbers, strings, arrays (written and read without pickles), lists, tuples, dicts,
namespaces (a dataclass such as a golden case, by field), and markers: ``{"obj": key}`` for an object
the answers go on talking about (a layer, an optimizer), ``{"fn": key}`` for a callable, ``{"class": key}``.
"""
from __future__ import annotations

import dataclasses
import io
import json
import math
import types
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

ANSWERS_JSON = "answers.json"
ANSWERS_NPZ = "answers.npz"


class Unstorable(TypeError):
    """A recorded value that is not data (the kit cannot ship it)."""


def is_data(value: Any) -> bool:
    """Plain data that :func:`to_data` stores as itself (no marker needed)."""
    if value is None or isinstance(value, (bool, int, float, complex, str, np.generic)):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype != object
    if isinstance(value, (list, tuple)):
        return all(is_data(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, (str, int)) and is_data(v) for k, v in value.items())
    return False


class Writer:
    """Turns values into JSON with array references; ``save`` writes both files."""

    def __init__(self) -> None:
        self.arrays: list[np.ndarray] = []

    def array(self, value: np.ndarray) -> int:
        self.arrays.append(np.array(value, copy=True))
        return len(self.arrays) - 1

    def to_data(self, value: Any, marker: Callable[[Any], dict[str, str] | None] = lambda v: None) -> Any:
        """``value`` as JSON; ``marker(v)`` names the non-data objects (``{"obj": key}``) or returns None."""
        mark = marker(value)
        if mark is not None:
            return mark
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return value if abs(value) < 2**53 else {"int": str(value)}
        if isinstance(value, float):
            return value if math.isfinite(value) else {"float": value.hex()}
        if isinstance(value, complex):
            return {"complex": [value.real.hex(), value.imag.hex()]}
        if isinstance(value, np.generic):
            return {"scalar": self.array(np.asarray(value))}
        if isinstance(value, np.ndarray):
            if value.dtype == object:
                raise Unstorable("an array of Python objects")
            return {"nd": self.array(value)}
        if isinstance(value, (list, tuple)):
            return {type(value).__name__: [self.to_data(v, marker) for v in value]}
        if isinstance(value, dict):
            return {"dict": [[self.to_data(k, marker), self.to_data(v, marker)] for k, v in value.items()]}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            return {"ns": {k: self.to_data(v, marker) for k, v in fields.items()}}
        raise Unstorable(f"a value of type {type(value).__qualname__}")

    def save(self, folder: Path, entries: dict[str, Any]) -> None:
        """Write ``entries`` and the arrays they refer to (renumbered: arrays of dropped entries are left out)."""
        used: dict[int, int] = {}
        entries = _renumber(entries, used)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / ANSWERS_JSON).write_text(json.dumps(entries, sort_keys=True, separators=(",", ":")),
                                           encoding="utf-8")
        with zipfile.ZipFile(folder / ANSWERS_NPZ, "w", zipfile.ZIP_STORED) as zf:  # the wheel compresses
            for old, i in used.items():
                array = self.arrays[old]
                buffer = io.BytesIO()
                np.save(buffer, array, allow_pickle=False)
                zf.writestr(f"a{i}.npy", buffer.getvalue())


def _renumber(data: Any, used: dict[int, int]) -> Any:
    """``data`` with its array references renumbered in order of first use (``used``: old -> new)."""
    if isinstance(data, list):
        return [_renumber(v, used) for v in data]
    if not isinstance(data, dict):
        return data
    if len(data) == 1 and next(iter(data)) in ("nd", "scalar") and isinstance(next(iter(data.values())), int):
        (kind, old), = data.items()
        return {kind: used.setdefault(old, len(used))}
    return {k: _renumber(v, used) for k, v in data.items()}


class Reader:
    """Reads an answers folder back; ``from_data`` rebuilds values (arrays as fresh copies)."""

    def __init__(self, folder: Path | None = None, *, text: str = "{}", npz: bytes | None = None) -> None:
        if folder is not None:
            text, npz = (folder / ANSWERS_JSON).read_text(encoding="utf-8"), (folder / ANSWERS_NPZ).read_bytes()
        self.entries: dict[str, Any] = json.loads(text)
        self.arrays: dict[int, np.ndarray] = {}
        if npz:
            with zipfile.ZipFile(io.BytesIO(npz)) as zf:
                for name in zf.namelist():
                    self.arrays[int(name[1:-4])] = np.load(io.BytesIO(zf.read(name)), allow_pickle=False)

    def from_data(self, data: Any, unmark: Callable[[dict[str, Any]], Any]) -> Any:
        """The value ``data`` stands for; ``unmark`` turns ``{"obj"|"fn"|"class": key}`` into an object."""
        if not isinstance(data, dict):
            return data
        if len(data) != 1:  # the two-key markers: {"class": key, "name": ...}, {"method": name, "of": key}
            return unmark(data)
        (kind, body), = data.items()
        if kind == "nd":
            return self.arrays[body].copy()
        if kind == "scalar":
            return self.arrays[body][()]
        if kind == "float":
            return float.fromhex(body)
        if kind == "int":
            return int(body)
        if kind == "complex":
            return complex(float.fromhex(body[0]), float.fromhex(body[1]))
        if kind in ("list", "tuple"):
            items = [self.from_data(v, unmark) for v in body]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            return {self.from_data(k, unmark): self.from_data(v, unmark) for k, v in body}
        if kind == "ns":
            return types.SimpleNamespace(**{k: self.from_data(v, unmark) for k, v in body.items()})
        return unmark(data)

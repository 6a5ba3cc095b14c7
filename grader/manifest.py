"""The manifest: what the judge processes (the pytest session and the judge workers forked from it) grade.

Written once by ``grader grade`` in its work folder, read by every pytest worker.
Plain JSON: loaded submissions are data, never code objects.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.loaded import LoadedSubmission


@dataclass
class Limits:
    memory_mb: int = 2048
    budget_seconds: float = 300.0  # wall-clock budget of all checks of one submission

    def to_json(self) -> dict[str, Any]:
        return {"memory_mb": self.memory_mb, "budget_seconds": self.budget_seconds}


@dataclass
class Manifest:
    assignment: str
    submissions: list[LoadedSubmission]
    hide_paths: list[str] = field(default_factory=list)  # made unreadable inside student processes
    limits: Limits = field(default_factory=Limits)
    packages: list[str] = field(default_factory=list)  # what student code may import besides NumPy
    twins: bool = True  # run the keyed twin of each passed public check (grader/inputs.py)


    def by_id(self) -> dict[str, LoadedSubmission]:
        return {s.id: s for s in self.submissions}

    def gradable(self) -> list[LoadedSubmission]:
        return [s for s in self.submissions if s.error is None]

    def write(self, path: Path) -> Path:
        data = {
            "assignment": self.assignment,
            "submissions": [s.to_json() for s in self.submissions],
            "hide_paths": self.hide_paths,
            "limits": self.limits.to_json(),
            "packages": list(self.packages),
            "twins": self.twins,
        }
        path.write_text(json.dumps(data), encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: Path) -> "Manifest":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(
            assignment=data["assignment"],
            submissions=[LoadedSubmission.from_json(s) for s in data["submissions"]],
            hide_paths=list(data.get("hide_paths", [])),
            limits=Limits(**data.get("limits", {})),
            packages=list(data.get("packages", [])),
            twins=bool(data.get("twins", True)),
        )

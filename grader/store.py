"""The results store: one SQLite database in the output folder, written as each submission finishes.

``DIR/.grader/store.sqlite`` holds, per submission id, the content hash of what was graded, the
assignment's version (a hash of its checks, the reference and the golden store), the grader's version,
the submission's whole entry of ``results.json`` and every verdict record. A submission is *done* when
its row exists with the same three hashes: a rerun grades only what is not done (``--force`` clears the
rows first), so a run killed by SIGKILL or Ctrl-C resumes with nothing lost and nothing graded twice.
``results.json``, the CSVs and the reports are views rebuilt from the store.

Also kept: the assignment's catalog of checks per version (an unchanged rerun needs no pytest collection)
and the last run's accounting (submission order, skipped files, roster).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

PRIVATE_DIR = ".grader"  # the output folder's private area (grader.discover skips folders holding it)
STORE_NAME = "store.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    assignment_version TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    result TEXT NOT NULL,          -- the submission's entry of results.json
    graded_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS verdicts (
    submission TEXT NOT NULL,
    check_id TEXT NOT NULL,
    record TEXT NOT NULL,          -- one verdict record as the judge produced it
    PRIMARY KEY (submission, check_id)
);
CREATE TABLE IF NOT EXISTS catalogs (
    key TEXT PRIMARY KEY,          -- assignment version + grader version
    checks TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY,          -- 'last'
    value TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Versions:
    """What a stored verdict depends on besides the submission itself."""

    assignment: str
    grader: str


class Store:
    """The SQLite results store (``path`` may be ``":memory:"`` for a run without an output folder)."""

    def __init__(self, path: Path | str) -> None:
        self.path = path
        self.db = sqlite3.connect(str(path), isolation_level=None)  # autocommit; explicit transactions below
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    @classmethod
    def in_folder(cls, out_dir: Path) -> "Store":
        private = out_dir / PRIVATE_DIR
        private.mkdir(parents=True, exist_ok=True)
        return cls(private / STORE_NAME)

    def close(self) -> None:
        self.db.close()

    # ---------------------------------------------------------------- submissions

    def done(self, sub_id: str, content_hash: str, versions: Versions) -> dict[str, Any] | None:
        """The stored entry of ``sub_id`` if it was graded from the same content and versions, else None."""
        row = self.db.execute(
            "SELECT result FROM submissions WHERE id=? AND content_hash=? AND assignment_version=? AND grader_version=?",
            (sub_id, content_hash, versions.assignment, versions.grader)).fetchone()
        return json.loads(row[0]) if row else None

    def add_verdict(self, sub_id: str, record: dict[str, Any]) -> None:
        """Keep one verdict as it arrives (the submission is not done until :meth:`finish`)."""
        self.db.execute("INSERT OR REPLACE INTO verdicts VALUES (?, ?, ?)",
                        (sub_id, str(record["id"]), json.dumps(record)))

    def verdicts(self, sub_id: str) -> dict[str, dict[str, Any]]:
        rows = self.db.execute("SELECT check_id, record FROM verdicts WHERE submission=?", (sub_id,))
        return {check_id: json.loads(record) for check_id, record in rows}

    def finish(self, sub_id: str, content_hash: str, versions: Versions, result: dict[str, Any]) -> None:
        """Mark ``sub_id`` done with its results.json entry, in one transaction."""
        now = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._transaction():
            self.db.execute("INSERT OR REPLACE INTO submissions VALUES (?, ?, ?, ?, ?, ?)",
                            (sub_id, content_hash, versions.assignment, versions.grader, json.dumps(result), now))

    def forget(self, sub_ids: Iterable[str] | None = None) -> None:
        """Drop stored results (all of them when ``sub_ids`` is None): they will be graded again."""
        with self._transaction():
            if sub_ids is None:
                self.db.execute("DELETE FROM submissions")
                self.db.execute("DELETE FROM verdicts")
                return
            for sub_id in sub_ids:
                self.db.execute("DELETE FROM submissions WHERE id=?", (sub_id,))
                self.db.execute("DELETE FROM verdicts WHERE submission=?", (sub_id,))

    def graded_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT id FROM submissions")}

    # ---------------------------------------------------------------- catalog and run

    def catalog(self, versions: Versions) -> list[dict[str, Any]] | None:
        row = self.db.execute("SELECT checks FROM catalogs WHERE key=?", (_key(versions),)).fetchone()
        return json.loads(row[0]) if row else None

    def save_catalog(self, versions: Versions, checks: list[dict[str, Any]]) -> None:
        self.db.execute("INSERT OR REPLACE INTO catalogs VALUES (?, ?)", (_key(versions), json.dumps(checks)))

    def save_run(self, run: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO runs VALUES ('last', ?)", (json.dumps(run),))

    def last_run(self) -> dict[str, Any] | None:
        row = self.db.execute("SELECT value FROM runs WHERE key='last'").fetchone()
        return json.loads(row[0]) if row else None

    def _transaction(self):
        db = self.db

        class _Tx:
            def __enter__(self) -> None:
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, exc_type, *rest) -> None:
                db.execute("ROLLBACK" if exc_type else "COMMIT")

        return _Tx()


def _key(versions: Versions) -> str:
    return f"{versions.assignment}:{versions.grader}"


# --------------------------------------------------------------------------- hashes

def hash_files(files: Iterable[tuple[str, Path]]) -> str:
    """SHA-256 over (name, bytes) pairs, in the order given."""
    digest = hashlib.sha256()
    for name, path in files:
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def tree_hash(root: Path, suffixes: tuple[str, ...] = ()) -> str:
    """SHA-256 of every file under ``root`` (optionally only ``suffixes``), caches left out."""
    files = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__", PRIVATE_DIR) and not d.startswith("."))
        for name in sorted(filenames):
            path = Path(dirpath) / name
            if not suffixes or path.suffix in suffixes:
                files.append((path.relative_to(root).as_posix(), path))
    return hash_files(files)

"""Paths given by an instructor -> the list of submissions to grade (never reads student code as code).

Accepts any mix of ``.py`` files, ``.ipynb`` notebooks, folders and ``.zip`` archives:

- a ``.py``/``.ipynb`` file is one submission;
- a folder holds one submission per file (``.py``, ``.ipynb``, ``.zip``) and one per sub-folder;
- a ``.zip`` given as a path is unpacked (safely, into ``workdir``) and treated like a folder; a
  single root folder inside it is looked through. A ``.zip`` *inside* a folder or archive is one
  student's submission and is treated like a sub-folder.

A sub-folder submission is its single ``.py``/``.ipynb`` file; with several, the one named after the
assignment, else ``main``, else ``submission``; else all of them merged in name order (``kind="dir"``).
``display_path`` says what was chosen: ``"batch.zip/alice/numerical.ipynb [1 of 3 files: named after
the assignment]"`` or ``"batch.zip/bob [merged 2 files: a.py, b.py]"``.

Ids come from the file or folder name without extension; in LMS bulk downloads (Moodle, Canvas) the
id is the student part of the name. Ids are unique within a batch (``-2``, ``-3`` on a clash, in
display-path order).
"""
from __future__ import annotations

import os
import re
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterator, Literal, Sequence

SOURCE_SUFFIXES = (".py", ".ipynb")
MAX_EXTRACT_BYTES = 200 * 1024 * 1024
MAX_ZIP_DEPTH = 2  # a batch archive may hold students' archives, not deeper
IGNORED_NAMES = {"__MACOSX", "__pycache__", ".ipynb_checkpoints"}
PREFERRED_STEMS = ("main", "submission")

# Moodle: "Full Name_12345_assignsubmission_file_<original>" (also folders ending in "_file_").
_MOODLE = re.compile(r"^(?P<student>.+?)_\d+_assignsubmission_[a-z]+_(?P<original>.*)$")
# Canvas: "name_<digits>_<digits>_<original>" and "name_LATE_<digits>_<digits>_<original>".
_CANVAS = re.compile(r"^(?P<student>[^_]+?)(?:_LATE)?_\d+_\d+_(?P<original>.*)$")

Kind = Literal["py", "ipynb", "dir"]


class DiscoveryError(Exception):
    """An instructor's mistake in the paths given (missing path, corrupt zip, nothing to grade)."""


@dataclass(frozen=True)
class SubmissionFile:
    """One submission: ``path`` is a ``.py``/``.ipynb`` file, or a folder to merge (``kind="dir"``)."""

    id: str
    path: Path
    kind: Kind
    display_path: str
    notes: tuple[str, ...] = field(default=())  # e.g. unsafe archive members that were skipped


@dataclass
class _Candidate:
    base_id: str
    path: Path
    kind: Kind
    display_path: str
    notes: list[str] = field(default_factory=list)


@dataclass
class _Budget:
    """Bytes still allowed to be extracted, shared by every archive of one ``discover`` call."""

    left: int
    limit: int


def discover(
    paths: Sequence[str | Path],
    workdir: Path,
    *,
    assignment: str | None = None,
    max_extract_bytes: int = MAX_EXTRACT_BYTES,
) -> list[SubmissionFile]:
    """The submissions under ``paths``, sorted by display path, with unique ids.

    ``workdir`` receives unpacked archives (created if needed). ``assignment`` (e.g. ``"numerical"``)
    picks a folder's file named after it when the folder holds several. Raises ``DiscoveryError``.
    """
    workdir = Path(workdir)
    budget = _Budget(max_extract_bytes, max_extract_bytes)
    found: list[_Candidate] = []
    for raw in paths:
        found.extend(_from_given_path(Path(raw), str(raw), workdir, budget, assignment))
    found = _unique_paths(found)
    if not any(c.kind != "dir" or source_files(c.path) for c in found):
        shown = " ".join(str(p) for p in paths) or "(no paths given)"
        raise DiscoveryError(f"no .py or .ipynb submission found in {shown}: pass submission files, folders or .zip archives")
    return _assign_ids(found)


def student_id(name: str) -> str:
    """The id for a file or folder name: its stem, or the student part of an LMS bulk-download name."""
    stem = name[: -len(suffix)] if (suffix := _suffix(name)) else name
    stem = unicodedata.normalize("NFC", stem.strip())
    for pattern in (_MOODLE, _CANVAS):
        match = pattern.match(stem)
        if match and match["student"].strip():
            return match["student"].strip()
    return stem or "submission"


def source_files(folder: Path) -> list[Path]:
    """The ``.py``/``.ipynb`` files below ``folder`` (recursively, ignored names skipped), in name order."""
    return sorted(
        (p for p in _walk(folder) if _suffix(p.name) in SOURCE_SUFFIXES),
        key=lambda p: p.relative_to(folder).as_posix().casefold(),
    )


def split_display_path(display_path: str) -> tuple[str, str | None]:
    """``"a/b.py [1 of 2 files: ...]"`` -> ``("a/b.py", "1 of 2 files: ...")``; no remark -> ``(path, None)``."""
    match = re.fullmatch(r"(?s)(.*?) \[(.*)\]", display_path)
    return (match[1], match[2]) if match else (display_path, None)


# --- walking the given paths ---------------------------------------------------------------

def _from_given_path(path: Path, shown: str, workdir: Path, budget: _Budget, assignment: str | None) -> list[_Candidate]:
    if not path.exists():
        raise DiscoveryError(f"{shown}: no such file or folder; check the path (quote names with spaces)")
    suffix = _suffix(path.name)
    if path.is_dir():
        return list(_from_folder(path, shown.rstrip("/\\") or shown, workdir, budget, assignment, depth=0))
    if suffix in SOURCE_SUFFIXES:
        return [_Candidate(student_id(path.name), path, _kind(path), shown)]
    if suffix == ".zip":
        target, notes = _extract(path, shown, workdir, budget)
        root = _single_root(target)
        found = list(_from_folder(root, _join(shown, _rel(root, target)), workdir, budget, assignment, depth=1))
        if notes and found:
            found[0].notes.extend(notes)
        return found
    raise DiscoveryError(f"{shown}: not a .py, .ipynb, folder or .zip; pass the submissions themselves")


def _from_folder(folder: Path, shown: str, workdir: Path, budget: _Budget, assignment: str | None, depth: int) -> Iterator[_Candidate]:
    """One candidate per source file, per sub-folder and per archive directly in ``folder``."""
    for entry in sorted(_entries(folder), key=lambda p: p.name.casefold()):
        entry_shown = _join(shown, entry.name)
        suffix = _suffix(entry.name)
        if entry.is_dir():
            yield _folder_submission(entry, entry_shown, student_id(entry.name), assignment)
        elif suffix in SOURCE_SUFFIXES:
            yield _Candidate(student_id(entry.name), entry, _kind(entry), entry_shown)
        elif suffix == ".zip" and depth < MAX_ZIP_DEPTH:
            yield _archive_submission(entry, entry_shown, workdir, budget, assignment)


def _archive_submission(archive: Path, shown: str, workdir: Path, budget: _Budget, assignment: str | None) -> _Candidate:
    """A student's own archive inside a batch: unpacked and read like a sub-folder."""
    root, notes = _extract(archive, shown, workdir, budget)
    inner = _single_root(root)
    candidate = _folder_submission(inner, _join(shown, _rel(inner, root)), student_id(archive.name), assignment)
    candidate.notes.extend(notes)
    return candidate


def _folder_submission(folder: Path, shown: str, base_id: str, assignment: str | None) -> _Candidate:
    files = source_files(folder)
    if len(files) == 1:
        return _Candidate(base_id, files[0], _kind(files[0]), _join(shown, files[0].relative_to(folder).as_posix()))
    if not files:
        return _Candidate(base_id, folder, "dir", f"{shown} [no .py or .ipynb file]")
    chosen, why = _choose(files, assignment)
    if chosen is not None:
        rel = chosen.relative_to(folder).as_posix()
        return _Candidate(base_id, chosen, _kind(chosen), f"{_join(shown, rel)} [1 of {len(files)} files: {why}]")
    names = ", ".join(f.relative_to(folder).as_posix() for f in files)
    return _Candidate(base_id, folder, "dir", f"{shown} [merged {len(files)} files: {names}]")


def _choose(files: list[Path], assignment: str | None) -> tuple[Path | None, str]:
    """The file a multi-file folder stands for, by name; ``(None, "")`` when nothing stands out."""
    wanted = [(assignment, "named after the assignment")] if assignment else []
    wanted += [(stem, f"named {stem}") for stem in PREFERRED_STEMS]
    for stem, why in wanted:
        matches = [f for f in files if _stem(f.name).casefold() == stem.casefold()]
        if matches:
            return matches[0], why
    return None, ""


# --- archives -------------------------------------------------------------------------------

def _extract(archive: Path, shown: str, workdir: Path, budget: _Budget) -> tuple[Path, list[str]]:
    """Unpack the archive's source files and nested archives into a fresh folder under ``workdir``."""
    target = _fresh_dir(workdir, _stem(archive.name))
    notes: list[str] = []
    try:
        with zipfile.ZipFile(archive) as zf:
            for info in zf.infolist():
                _extract_member(zf, info, target, shown, budget, notes)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
        raise DiscoveryError(f"{shown}: not a readable zip archive ({exc}); download it again or unpack it and pass the folder") from exc
    except OSError as exc:
        raise DiscoveryError(f"{shown}: cannot unpack into {workdir} ({exc.strerror or exc}); free disk space or unpack it yourself") from exc
    return target, notes


def _extract_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, shown: str, budget: _Budget, notes: list[str]) -> None:
    name = _member_name(info)
    parts = _safe_parts(name)
    if parts is None or _is_symlink(info):
        notes.append(f"{shown}: skipped unsafe archive member {name!r}")
        return
    if info.is_dir() or not parts or _ignored(parts) or _suffix(parts[-1]) not in (*SOURCE_SUFFIXES, ".zip"):
        return
    if info.file_size > budget.left:
        raise _too_big(shown, budget)
    dest = target.joinpath(*parts)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zf.open(info) as src, open(dest, "wb") as out:
        while chunk := src.read(1 << 20):
            budget.left -= len(chunk)
            if budget.left < 0:  # the declared size lied (zip bomb)
                raise _too_big(shown, budget)
            out.write(chunk)


def _too_big(shown: str, budget: _Budget) -> DiscoveryError:
    mb = budget.limit // (1024 * 1024)
    return DiscoveryError(
        f"{shown}: unpacks to more than {mb} MB of .py/.ipynb files; unpack it yourself and pass the folder, "
        f"or raise max_extract_bytes"
    )


def _member_name(info: zipfile.ZipInfo) -> str:
    """The member's name, repairing names zipped on Windows without the UTF-8 flag (Korean: cp949)."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            raw = name.encode("cp437")
        except UnicodeEncodeError:
            raw = None
        for encoding in ("utf-8", "cp949"):
            try:
                name = raw.decode(encoding) if raw is not None else name
                break
            except UnicodeDecodeError:
                continue
    return unicodedata.normalize("NFC", name.replace("\\", "/"))


def _safe_parts(name: str) -> list[str] | None:
    """The member's path components, or ``None`` when it is absolute or climbs out with ``..``."""
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return None
    parts = [p for p in PurePosixPath(name).parts if p not in ("", ".")]
    return None if ".." in parts else parts


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return stat.S_ISLNK(info.external_attr >> 16)


def _single_root(folder: Path) -> Path:
    """Look through archive folders that only wrap one folder (``batch.zip`` -> ``submissions/``)."""
    entries = list(_entries(folder))
    while len(entries) == 1 and entries[0].is_dir():
        folder = entries[0]
        entries = list(_entries(folder))
    return folder


def _fresh_dir(workdir: Path, stem: str) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    base = re.sub(r"[^\w.-]+", "_", stem)[:60] or "archive"
    for n in range(1, 100_000):
        candidate = workdir / f"{base}-{n}"
        try:
            candidate.mkdir()
            return candidate
        except FileExistsError:
            continue
    raise DiscoveryError(f"{workdir}: too many unpacked archives; empty the folder")


# --- small helpers --------------------------------------------------------------------------

def _entries(folder: Path) -> Iterator[Path]:
    try:
        children = list(folder.iterdir())
    except OSError as exc:
        raise DiscoveryError(f"{folder}: cannot list this folder ({exc.strerror or exc}); check its permissions") from exc
    for child in children:
        if not _ignored([child.name]) and not child.is_symlink():
            yield child


def _walk(folder: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = [d for d in dirnames if not _ignored([d])]
        for name in filenames:
            path = Path(dirpath) / name
            if not _ignored([name]) and not path.is_symlink():
                yield path


def _ignored(parts: Sequence[str]) -> bool:
    return any(p in IGNORED_NAMES or p.startswith(".") for p in parts)


def _suffix(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def _stem(name: str) -> str:
    return os.path.splitext(name)[0]


def _kind(path: Path) -> Kind:
    return "ipynb" if _suffix(path.name) == ".ipynb" else "py"


def _join(shown: str, rel: str) -> str:
    return f"{shown}/{rel}" if rel else shown


def _rel(inner: Path, root: Path) -> str:
    """``inner`` relative to ``root`` as shown after an archive's name ("" when it is the root)."""
    rel = inner.relative_to(root).as_posix()
    return "" if rel == "." else rel


def _unique_paths(found: list[_Candidate]) -> list[_Candidate]:
    """Drop a file given twice (directly and through its folder, or twice on the command line)."""
    seen: set[Path] = set()
    unique = []
    for candidate in found:
        key = candidate.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(candidate)
    return unique


def _assign_ids(found: list[_Candidate]) -> list[SubmissionFile]:
    found = sorted(found, key=lambda c: (c.display_path.casefold(), c.display_path))
    used: set[str] = set()
    result = []
    for c in found:
        sub_id, n = c.base_id, 1
        while sub_id.casefold() in used:  # case-insensitively: ids name report files
            n += 1
            sub_id = f"{c.base_id}-{n}"
        used.add(sub_id.casefold())
        result.append(SubmissionFile(sub_id, c.path, c.kind, c.display_path, tuple(c.notes)))
    return result


__all__ = ["DiscoveryError", "SubmissionFile", "discover", "source_files", "split_display_path", "student_id"]

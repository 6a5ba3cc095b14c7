"""Paths given by an instructor -> the submissions to grade and the files skipped (never reads student code as code).

Accepts any mix of ``.py`` files, ``.ipynb`` notebooks, folders and ``.zip`` archives:

- a ``.py``/``.ipynb`` file is one submission;
- a folder holds one submission per file (``.py``, ``.ipynb``, ``.zip``) and one per sub-folder;
- a ``.zip`` given as a path is unpacked (safely, into ``workdir``) and treated like a folder; a
  single root folder inside it is looked through. A ``.zip`` *inside* a folder is an LMS bulk download
  (read like a folder) when its top level names two or more students the LMS way, else it is one
  student's submission, treated like a sub-folder. A sub-folder holding two or more students' LMS-named
  files (an unpacked bulk download) is read like a folder of submissions too.

Every file given ends in exactly one place: a submission, or ``Discovery.skipped`` with the reason (a PDF,
an older upload of a resubmission, the output folder of this run, an archive that cannot be read safely).
A student's archive that is corrupt or too big (bytes, members, names over 255 bytes) becomes that
student's submission with ``error`` set (graded as ``load_error``); it costs no one else anything.

A sub-folder submission is its single ``.py``/``.ipynb`` file; with several, the one named after the
assignment, else ``main``, else ``submission``; else all of them merged in name order (``kind="dir"``).
``display_path`` says what was chosen: ``"batch.zip/alice/numerical.ipynb [1 of 3 files: named after
the assignment]"`` or ``"batch.zip/bob [merged 2 files: a.py, b.py]"``.

Ids come from the file or folder name without extension; in LMS bulk downloads (Moodle, Canvas) the
id is the student part of the name and ``lms`` keeps the LMS user id, the name and the LATE marker.
Several files of one LMS student are one submission: re-uploads of one file (Canvas: ``hw.py``,
``hw-1.py``; or a later attachment id) resolve to the latest, with a note. Ids are unique within a batch
(``-2``, ``-3`` on a clash, in display-path order).
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterator, Literal, Sequence

SOURCE_SUFFIXES = (".py", ".ipynb")
MAX_EXTRACT_BYTES = 200 * 1024 * 1024  # all archives of one run together
MAX_ZIP_DEPTH = 2  # a batch archive may hold students' archives, not deeper
# Budgets of one archive: a batch (an LMS download) and one student's own archive.
BATCH_ARCHIVE = (200 * 1024 * 1024, 20_000)   # (bytes of .py/.ipynb unpacked, members)
STUDENT_ARCHIVE = (20 * 1024 * 1024, 2_000)
MAX_NAME_BYTES = 255  # a file name longer than this cannot be created on Linux file systems
MAX_LISTED = 5  # file names listed in a remark before "and N more"
IGNORED_NAMES = {"__MACOSX", "__pycache__", ".ipynb_checkpoints"}
PREFERRED_STEMS = ("main", "submission")
STORE_MARKER = ".grader"  # the private folder of a grader output folder (grader.store)

# Moodle: "Full Name_12345_assignsubmission_file_<original>" (also folders ending in "_file_").
_MOODLE = re.compile(r"^(?P<student>.+?)_(?P<user>\d+)_assignsubmission_[a-z]+_(?P<original>.*)$")
# Canvas: "name_<user id>_<attachment id>_<original>" and "name_LATE_<user id>_<attachment id>_<original>".
_CANVAS = re.compile(r"^(?P<student>[^_]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<attachment>\d+)_(?P<original>.*)$")
# Canvas renames a re-upload of the same file name: "hw.py", "hw-1.py", "hw-2.py".
_REUPLOAD = re.compile(r"^(?P<base>.*?)-(?P<n>\d+)$")

Kind = Literal["py", "ipynb", "dir"]


class DiscoveryError(Exception):
    """An instructor's mistake in the paths given (missing path, nothing to grade)."""


class _ArchiveProblem(Exception):
    """An archive that cannot be unpacked safely: its message is the reason, naming the archive."""


@dataclass(frozen=True)
class LmsIdentity:
    """Who a file belongs to in an LMS bulk download: ``system`` is ``canvas`` or ``moodle``."""

    system: str
    user_id: str
    name: str
    late: bool = False
    attachment_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"system": self.system, "user_id": self.user_id, "name": self.name, "late": self.late,
                **({"attachment_id": self.attachment_id} if self.attachment_id else {})}


@dataclass(frozen=True)
class SubmissionFile:
    """One submission: ``path`` is a ``.py``/``.ipynb`` file, or a folder to merge (``kind="dir"``).

    ``error`` is set when the submission could not even be unpacked (graded as ``load_error``)."""

    id: str
    path: Path
    kind: Kind
    display_path: str
    notes: tuple[str, ...] = field(default=())  # e.g. unsafe archive members that were skipped
    lms: LmsIdentity | None = None
    error: str | None = None


@dataclass(frozen=True)
class Skipped:
    """A file given (directly or inside a folder or archive) that is not graded, and why."""

    path: str
    reason: str
    lms: LmsIdentity | None = None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "reason": self.reason, **({"lms": self.lms.to_json()} if self.lms else {})}


@dataclass
class Discovery:
    submissions: list[SubmissionFile]
    skipped: list[Skipped]


@dataclass
class _Candidate:
    base_id: str
    path: Path
    kind: Kind
    display_path: str
    notes: list[str] = field(default_factory=list)
    lms: LmsIdentity | None = None
    original: str = ""  # the file's name as the student uploaded it (LMS prefix removed)
    error: str | None = None


@dataclass
class _Budget:
    """Bytes still allowed to be extracted, shared by every archive of one ``discover`` call."""

    left: int
    limit: int


@dataclass
class _Walk:
    """What one ``discover`` call carries while walking: where to unpack, budgets, what to leave out."""

    workdir: Path
    budget: _Budget
    assignment: str | None
    exclude: set[Path]
    skipped: list[Skipped] = field(default_factory=list)

    def skip(self, shown: str, reason: str, name: str = "") -> None:
        self.skipped.append(Skipped(shown, reason, lms_identity(name) if name else None))


def discover(
    paths: Sequence[str | Path],
    workdir: Path,
    *,
    assignment: str | None = None,
    max_extract_bytes: int = MAX_EXTRACT_BYTES,
    exclude: Sequence[Path] = (),
) -> list[SubmissionFile]:
    """The submissions under ``paths`` (see :func:`discover_all`, which also lists the files skipped)."""
    return discover_all(paths, workdir, assignment=assignment, max_extract_bytes=max_extract_bytes,
                        exclude=exclude).submissions


def discover_all(
    paths: Sequence[str | Path],
    workdir: Path,
    *,
    assignment: str | None = None,
    max_extract_bytes: int = MAX_EXTRACT_BYTES,
    exclude: Sequence[Path] = (),
) -> Discovery:
    """The submissions under ``paths``, sorted by display path, with unique ids, and the files skipped.

    ``workdir`` receives unpacked archives (created if needed). ``assignment`` (e.g. ``"numerical"``)
    picks a folder's file named after it when the folder holds several. ``exclude``: folders never
    graded (the output folder). Raises ``DiscoveryError`` when a path is missing or nothing is gradable.
    """
    walk = _Walk(Path(workdir), _Budget(max_extract_bytes, max_extract_bytes), assignment,
                 {Path(p).resolve() for p in exclude})
    found: list[_Candidate] = []
    for raw in paths:
        found.extend(_from_given_path(Path(raw), str(raw), walk))
    found = _latest_per_student(_unique_paths(found), walk)
    if not any(c.error is None and (c.kind != "dir" or source_files(c.path)) for c in found):
        shown = " ".join(str(p) for p in paths) or "(no paths given)"
        given_problem = next((s.reason for s in walk.skipped if s.path in map(str, paths)), None)
        if given_problem and not found:
            raise DiscoveryError(given_problem)
        raise DiscoveryError(f"no .py or .ipynb submission found in {shown}: pass submission files, folders or .zip archives")
    return Discovery(_assign_ids(found), sorted(walk.skipped, key=lambda s: s.path.casefold()))


def lms_identity(name: str) -> LmsIdentity | None:
    """The LMS student a bulk-download file or folder name belongs to (Canvas, Moodle), or ``None``."""
    stem = unicodedata.normalize("NFC", _strip_suffix(name).strip())
    match = _MOODLE.match(stem)
    if match and match["student"].strip():
        return LmsIdentity("moodle", match["user"], match["student"].strip())
    match = _CANVAS.match(stem)
    if match and match["student"].strip():
        return LmsIdentity("canvas", match["user"], match["student"].strip(), bool(match["late"]), match["attachment"])
    return None


def student_id(name: str) -> str:
    """The id for a file or folder name: its stem, or the student part of an LMS bulk-download name."""
    identity = lms_identity(name)
    if identity is not None:
        return identity.name
    return unicodedata.normalize("NFC", _strip_suffix(name).strip()) or "submission"


def original_name(name: str) -> str:
    """The name the student uploaded: an LMS bulk-download name without its prefix."""
    for pattern in (_MOODLE, _CANVAS):
        match = pattern.match(unicodedata.normalize("NFC", name))
        if match and match["original"]:
            return match["original"]
    return name


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

def _from_given_path(path: Path, shown: str, walk: _Walk) -> list[_Candidate]:
    if not path.exists():
        raise DiscoveryError(f"{shown}: no such file or folder; check the path (quote names with spaces)")
    suffix = _suffix(path.name)
    if path.resolve() in walk.exclude:
        raise DiscoveryError(f"{shown} is the output folder (--out); write the results somewhere else")
    if path.is_dir():
        return list(_from_folder(path, shown.rstrip("/\\") or shown, walk, depth=0))
    if suffix in SOURCE_SUFFIXES:
        return [_file_candidate(path, path.name, shown)]
    if suffix == ".zip":
        try:
            return _from_batch_archive(path, shown, walk, depth=1)
        except _ArchiveProblem as exc:
            walk.skip(shown, str(exc))
            return []
    walk.skip(shown, f"{shown}: not a .py, .ipynb, folder or .zip; pass the submissions themselves")
    return []


def _from_folder(folder: Path, shown: str, walk: _Walk, depth: int) -> Iterator[_Candidate]:
    """One candidate per source file, per sub-folder and per archive directly in ``folder``."""
    for entry in sorted(_entries(folder), key=lambda p: p.name.casefold()):
        entry_shown = _join(shown, entry.name)
        suffix = _suffix(entry.name)
        if entry.resolve() in walk.exclude:
            walk.skip(entry_shown + "/", "the output folder of this run: never graded")
        elif entry.is_dir() and (entry / STORE_MARKER).is_dir():
            walk.skip(entry_shown + "/", "an output folder of an earlier grader run: never graded")
        elif entry.is_dir() and _names_lms_students([[child.name] for child in _entries(entry)]):
            yield from _from_folder(entry, entry_shown, walk, depth)  # an unpacked LMS download
        elif entry.is_dir():
            yield _folder_submission(entry, entry_shown, student_id(entry.name), walk.assignment, lms_identity(entry.name))
        elif suffix in SOURCE_SUFFIXES:
            yield _file_candidate(entry, entry.name, entry_shown)
        elif suffix == ".zip" and depth < MAX_ZIP_DEPTH:
            yield from _from_archive_in_folder(entry, entry_shown, walk, depth)
        else:
            walk.skip(entry_shown, _not_gradable(entry.name), entry.name)


def _file_candidate(path: Path, name: str, shown: str) -> _Candidate:
    return _Candidate(student_id(name), path, _kind(path), shown, lms=lms_identity(name), original=original_name(name))


def _from_archive_in_folder(archive: Path, shown: str, walk: _Walk, depth: int) -> Iterator[_Candidate]:
    """An LMS bulk download wherever it sits is read like a folder; any other archive is one student's."""
    if _is_lms_batch(archive):
        try:
            yield from _from_batch_archive(archive, shown, walk, depth=depth + 1)
        except _ArchiveProblem as exc:
            walk.skip(shown, str(exc))
        return
    yield _archive_submission(archive, shown, walk)


def _from_batch_archive(archive: Path, shown: str, walk: _Walk, depth: int) -> list[_Candidate]:
    target, notes, others = _extract(archive, shown, walk, BATCH_ARCHIVE)
    root = _single_root(target)
    rel_root = _rel(root, target)
    root_shown = _join(shown, rel_root)
    for other in others:  # files at the top of the download (a PDF, a text file): skipped with the reason
        rel = PurePosixPath(other)
        if rel_root:
            try:
                rel = rel.relative_to(rel_root)
            except ValueError:
                continue
        if len(rel.parts) == 1:
            walk.skip(_join(root_shown, rel.as_posix()), _not_gradable(rel.name), rel.name)
    found = list(_from_folder(root, root_shown, walk, depth=depth))
    if notes and found:
        found[0].notes.extend(notes)
    return found


def _archive_submission(archive: Path, shown: str, walk: _Walk) -> _Candidate:
    """A student's own archive inside a batch: unpacked and read like a sub-folder; a bad one is a load error."""
    base_id, identity = student_id(archive.name), lms_identity(archive.name)
    try:
        root, notes, _ = _extract(archive, shown, walk, STUDENT_ARCHIVE)
    except _ArchiveProblem as exc:
        return _Candidate(base_id, archive, "dir", shown, lms=identity, original=original_name(archive.name),
                          error=str(exc))
    inner = _single_root(root)
    candidate = _folder_submission(inner, _join(shown, _rel(inner, root)), base_id, walk.assignment, identity)
    candidate.notes.extend(notes)
    return candidate


def _folder_submission(folder: Path, shown: str, base_id: str, assignment: str | None,
                       identity: LmsIdentity | None = None) -> _Candidate:
    files = source_files(folder)
    original = original_name(folder.name)
    if len(files) == 1:
        return _Candidate(base_id, files[0], _kind(files[0]), _join(shown, files[0].relative_to(folder).as_posix()),
                          lms=identity, original=original)
    if not files:
        return _Candidate(base_id, folder, "dir", f"{shown} [no .py or .ipynb file]", lms=identity, original=original)
    chosen, why = _choose(files, assignment)
    if chosen is not None:
        rel = chosen.relative_to(folder).as_posix()
        return _Candidate(base_id, chosen, _kind(chosen), f"{_join(shown, rel)} [1 of {len(files)} files: {why}]",
                          lms=identity, original=original)
    names = _listing([f.relative_to(folder).as_posix() for f in files])
    return _Candidate(base_id, folder, "dir", f"{shown} [merged {len(files)} files: {names}]", lms=identity,
                      original=original)


def _choose(files: list[Path], assignment: str | None, names: Sequence[str] | None = None) -> tuple[Path | None, str]:
    """The file a multi-file folder stands for, by name; ``(None, "")`` when nothing stands out."""
    wanted = [(assignment, "named after the assignment")] if assignment else []
    wanted += [(stem, f"named {stem}") for stem in PREFERRED_STEMS]
    names = list(names) if names is not None else [f.name for f in files]
    for stem, why in wanted:
        matches = [f for f, name in zip(files, names) if _strip_suffix(name).casefold() == stem.casefold()]
        if matches:
            return matches[0], why
    return None, ""


# --- one LMS student, several files ---------------------------------------------------------

def _latest_per_student(found: list[_Candidate], walk: _Walk) -> list[_Candidate]:
    """One submission per LMS student: re-uploads resolve to the latest; other files are merged or chosen."""
    groups: dict[tuple[str, str, str], list[_Candidate]] = {}
    out: list[_Candidate] = []
    for c in found:
        if c.lms is None:
            out.append(c)
        else:
            groups.setdefault((c.lms.system, c.lms.user_id, c.lms.name.casefold()), []).append(c)
    for group in groups.values():
        out.append(group[0] if len(group) == 1 else _one_submission(group, walk))
    return out


def _upload_key(c: _Candidate) -> tuple[str, tuple[int, int]]:
    """(the uploaded name without Canvas's ``-N`` re-upload mark, (attachment id, N)): the later, the larger."""
    stem, suffix = os.path.splitext(c.original)
    match = _REUPLOAD.match(stem)
    base, n = (match["base"], int(match["n"])) if match else (stem, 0)
    attachment = int(c.lms.attachment_id) if c.lms and c.lms.attachment_id.isdigit() else 0
    return (base + suffix).casefold(), (attachment, n)


def _one_submission(group: list[_Candidate], walk: _Walk) -> _Candidate:
    versions: dict[str, list[_Candidate]] = {}
    for c in group:
        versions.setdefault(_upload_key(c)[0], []).append(c)
    latest: list[_Candidate] = []
    notes: list[str] = []
    for uploads in versions.values():
        uploads.sort(key=lambda c: _upload_key(c)[1])
        newest = uploads[-1]
        latest.append(newest)
        for old in uploads[:-1]:
            walk.skipped.append(Skipped(old.display_path, f"an older upload of {newest.original}: "
                                        f"{Path(newest.display_path).name} is graded (resubmission)", old.lms))
        if len(uploads) > 1:
            notes.append(f"resubmission: graded {Path(newest.display_path).name}, the latest of {len(uploads)} uploads "
                         f"(older: {_listing([Path(o.display_path).name for o in uploads[:-1]])})")
    usable = [c for c in latest if c.error is None]
    if len(latest) == 1 or not usable:
        chosen = latest[-1]
    else:
        chosen = _merge_uploads(usable, walk)
        for c in latest:
            if c.error is not None:
                walk.skipped.append(Skipped(c.display_path, c.error, c.lms))
    chosen.notes.extend(notes)
    chosen.lms = max((c.lms for c in latest if c.lms), key=lambda i: i.late)  # late if any graded upload is
    return chosen


def _merge_uploads(uploads: list[_Candidate], walk: _Walk) -> _Candidate:
    """Several different files of one student (hw.py and utils.py): one submission, like a folder's files."""
    files = [c for c in uploads if c.kind != "dir"]
    chosen, why = _choose([c.path for c in files], walk.assignment, [c.original for c in files])
    first = min(uploads, key=lambda c: c.display_path.casefold())
    if chosen is not None:
        pick = next(c for c in files if c.path == chosen)
        for c in uploads:
            if c is not pick:
                walk.skipped.append(Skipped(c.display_path, f"{pick.original} is graded ({why}) of this student's "
                                            f"{len(uploads)} files", c.lms))
        pick.display_path += f" [1 of {len(uploads)} files: {why}]"
        return pick
    folder = _fresh_dir(walk.workdir, f"lms-{first.base_id}")
    for c in uploads:
        sources = source_files(c.path) if c.kind == "dir" else [c.path]
        for src in sources:
            dest = folder / (src.relative_to(c.path) if c.kind == "dir" else Path(c.original or src.name))
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
    names = _listing(sorted((c.original or Path(c.display_path).name for c in uploads), key=str.casefold))
    shown = str(Path(first.display_path).parent)
    return _Candidate(first.base_id, folder, "dir", f"{_join(shown, first.base_id)} [merged {len(uploads)} files: {names}]",
                      notes=[n for c in uploads for n in c.notes], lms=first.lms, original=first.original)


# --- archives -------------------------------------------------------------------------------

def _is_lms_batch(archive: Path) -> bool:
    """True when the archive's top level (below a single wrapping folder) names two or more LMS students."""
    try:
        with zipfile.ZipFile(archive) as zf:
            names = [_member_name(info) for info in zf.infolist()[:BATCH_ARCHIVE[1]]]
    except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError, ValueError):
        return False
    paths = [PurePosixPath(n).parts for n in names if n and not _ignored(PurePosixPath(n).parts)]
    while paths and len({p[0] for p in paths}) == 1 and all(len(p) > 1 for p in paths):
        paths = [p[1:] for p in paths]
    return _names_lms_students(paths)


def _names_lms_students(paths: Sequence[Sequence[str]]) -> bool:
    """Do these top-level names belong to two or more LMS students (an LMS bulk download)?"""
    students = {(i.system, i.user_id) for p in paths if p and (i := lms_identity(p[0])) is not None}
    return len(students) >= 2


def _extract(archive: Path, shown: str, walk: _Walk, limits: tuple[int, int]) -> tuple[Path, list[str], list[str]]:
    """Unpack the archive's source files and nested archives into a fresh folder under ``workdir``.

    Returns the folder, notes (unsafe members skipped) and the other members' names (not unpacked).
    Raises ``_ArchiveProblem`` for an archive that is corrupt, or over its budget of bytes or members."""
    max_bytes, max_members = limits
    notes: list[str] = []
    others: list[str] = []
    try:
        with zipfile.ZipFile(archive) as zf:
            members = zf.infolist()
            if len(members) > max_members:
                raise _ArchiveProblem(f"{shown}: holds {len(members)} files, more than the {max_members} an archive "
                                      "may hold; unpack it yourself and pass the folder with the submission in it")
            target = _fresh_dir(walk.workdir, _strip_suffix(archive.name))
            left = [max_bytes]
            for info in members:
                _extract_member(zf, info, target, shown, walk.budget, left, max_bytes, notes, others)
    except _ArchiveProblem:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        raise _ArchiveProblem(f"{shown}: not a readable zip archive ({exc}); download it again or unpack it and "
                              "pass the folder") from exc
    except OSError as exc:
        raise _ArchiveProblem(f"{shown}: cannot be unpacked into {walk.workdir} ({exc.strerror or exc}); unpack it "
                              "yourself and pass the folder") from exc
    return target, notes, others


def _extract_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, shown: str, budget: _Budget,
                    left: list[int], max_bytes: int, notes: list[str], others: list[str]) -> None:
    name = _member_name(info)
    parts = _safe_parts(name)
    if parts is None or _is_symlink(info):
        notes.append(f"{shown}: skipped unsafe archive member {_short(name)!r}")
        return
    if info.is_dir() or not parts or _ignored(parts):
        return
    if any(len(p.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for p in parts):
        notes.append(f"{shown}: skipped a member whose name is longer than {MAX_NAME_BYTES} bytes ({_short(name)!r})")
        return
    if _suffix(parts[-1]) not in (*SOURCE_SUFFIXES, ".zip"):
        others.append("/".join(parts))
        return
    if info.file_size > min(budget.left, left[0]):
        raise _too_big(shown, budget, max_bytes, left)
    dest = target.joinpath(*parts)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zf.open(info) as src, open(dest, "wb") as out:
        while chunk := src.read(1 << 20):
            budget.left -= len(chunk)
            left[0] -= len(chunk)
            if budget.left < 0 or left[0] < 0:  # the declared size lied (zip bomb)
                raise _too_big(shown, budget, max_bytes, left)
            out.write(chunk)


def _too_big(shown: str, budget: _Budget, max_bytes: int, left: list[int]) -> _ArchiveProblem:
    limit = budget.limit if budget.left <= left[0] else max_bytes
    return _ArchiveProblem(
        f"{shown}: unpacks to more than {limit // (1024 * 1024)} MB of .py/.ipynb files; unpack it yourself and "
        "pass the folder, or raise max_extract_bytes"
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


def _strip_suffix(name: str) -> str:
    suffix = _suffix(name)
    return name[: -len(suffix)] if suffix else name


def _kind(path: Path) -> Kind:
    return "ipynb" if _suffix(path.name) == ".ipynb" else "py"


def _not_gradable(name: str) -> str:
    suffix = _suffix(name)
    what = f"a {suffix} file" if suffix else "a file without an extension"
    return f"{what}, not .py, .ipynb or .zip: not graded"


def _listing(names: Sequence[str]) -> str:
    """``a.py, b.py`` or, for long lists, the first few and ``and N more`` (a remark stays short)."""
    shown = [_short(n, 80) for n in names[:MAX_LISTED]]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
        result.append(SubmissionFile(sub_id, c.path, c.kind, c.display_path, tuple(c.notes), c.lms, c.error))
    return result


__all__ = ["Discovery", "DiscoveryError", "LmsIdentity", "Skipped", "SubmissionFile", "discover", "discover_all",
           "lms_identity", "source_files", "split_display_path", "student_id"]

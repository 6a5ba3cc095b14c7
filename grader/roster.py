"""The class roster (``grader grade --roster FILE.csv``): who should have submitted.

Reads a Canvas gradebook export (``Student, ID, SIS User ID, SIS Login ID, Section``), a Moodle grading
worksheet (``Identifier`` = ``Participant N``, ``Full name``, ``Email address``) or a plain CSV with a
``name`` and/or ``id`` column. Students on the roster without a submission become ``missing`` entries
with 0; a submission is matched to its student by LMS user id first, then by name, login or e-mail.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable


class RosterError(Exception):
    """The roster file cannot be used: the message names the file and the fix."""


@dataclass(frozen=True)
class RosterStudent:
    name: str
    user_id: str = ""       # Canvas "ID" or Moodle participant number
    sis_user_id: str = ""
    login: str = ""
    email: str = ""
    section: str = ""

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v}

    def keys(self) -> set[str]:
        """Normalised names this student may appear under in file names."""
        keys = {_norm(self.name), _norm(self.login), _norm(self.sis_user_id), _norm(self.email.split("@")[0])}
        if "," in self.name:  # Canvas: "Last, First" -> lastfirst and firstlast
            last, first = (p.strip() for p in self.name.split(",", 1))
            keys |= {_norm(last + first), _norm(first + last)}
        else:
            parts = self.name.split()
            if len(parts) >= 2:
                keys.add(_norm(parts[-1] + "".join(parts[:-1])))
        return {k for k in keys if k}


_ALIASES = {
    "name": ("student", "full name", "name", "student name"),
    "user_id": ("id", "identifier", "user id", "canvas id"),
    "sis_user_id": ("sis user id", "id number", "idnumber", "student id", "student number"),
    "login": ("sis login id", "login", "username", "login id"),
    "email": ("email address", "email", "e-mail"),
    "section": ("section", "group", "groups"),
    "first": ("first name",),
    "last": ("last name", "surname"),
}


def read_roster(path: Path) -> list[RosterStudent]:
    """The students of a roster CSV (UTF-8, with or without BOM; comma, semicolon or tab separated)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RosterError(f"{path}: cannot read the roster ({exc.strerror or exc}); check the path") from exc
    except UnicodeDecodeError as exc:
        raise RosterError(f"{path}: the roster is not UTF-8 text; export it again as CSV (UTF-8)") from exc
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows:
        raise RosterError(f"{path}: the roster is empty; export the class list from your LMS as CSV")
    header = [h.strip().casefold() for h in rows[0]]
    where = {field: next((header.index(a) for a in aliases if a in header), None) for field, aliases in _ALIASES.items()}
    if where["name"] is None and where["user_id"] is None and where["first"] is None:
        raise RosterError(f"{path}: no 'Student', 'Full name', 'name' or 'ID' column in its first line; "
                          "export the gradebook (Canvas) or grading worksheet (Moodle) as CSV")
    students = []
    for row in rows[1:]:
        cell = {field: (row[i].strip() if i is not None and i < len(row) else "") for field, i in where.items()}
        name = cell["name"] or " ".join(p for p in (cell["first"], cell["last"]) if p)
        if not any(cell.values()) or "points possible" in name.casefold() or name.casefold() == "test student":
            continue
        user_id = re.sub(r"^participant\s*", "", cell["user_id"], flags=re.I)
        students.append(RosterStudent(name=name or user_id, user_id=user_id, sis_user_id=cell["sis_user_id"],
                                      login=cell["login"], email=cell["email"], section=cell["section"]))
    return students


def match(roster: list[RosterStudent], entries: Iterable[dict[str, Any]]) -> tuple[dict[str, RosterStudent], list[RosterStudent]]:
    """(submission id -> its roster student, the roster students with no submission)."""
    by_user = {s.user_id: s for s in roster if s.user_id}
    by_key: dict[str, RosterStudent] = {}
    for s in roster:
        for key in s.keys():
            by_key.setdefault(key, s)
    matched: dict[str, RosterStudent] = {}
    taken: set[int] = set()
    for entry in entries:
        lms = entry.get("lms") or {}
        student = by_user.get(str(lms.get("user_id", ""))) if lms.get("user_id") else None
        if student is None:
            for key in (_norm(lms.get("name", "")), _norm(str(entry.get("id", "")))):
                if key and key in by_key:
                    student = by_key[key]
                    break
        if student is not None and id(student) not in taken:
            matched[str(entry["id"])] = student
            taken.add(id(student))
    return matched, [s for s in roster if id(s) not in taken]


def belongs_to(student: RosterStudent, lms: dict[str, Any] | None, name: str) -> bool:
    """Does a skipped file (its LMS identity, its name) belong to ``student``?"""
    if lms and student.user_id and str(lms.get("user_id")) == student.user_id:
        return True
    return bool(lms) and _norm(lms.get("name", "")) in student.keys()


def _norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return "".join(ch for ch in text if ch.isalnum())

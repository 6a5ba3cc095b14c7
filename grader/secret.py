"""The instructor's secret: graded inputs and per-call seeds that students cannot predict.

A key file (32 random bytes, hex) is made on first use, readable by its owner only. Everything graded that
is random derives from it by HMAC-SHA256 of a label (the check's id and a call number or a stream number):

* a regrade with the same key is byte-identical (same inputs, same seeds);
* with another key every hidden input and every call seed differ, so a table of answers harvested from
  earlier reports, or computed from the grader's source, is worth nothing;
* each submission's inputs and seeds come from a key of its own, derived from the instructor's key and the
  submission's code (:func:`submission_keyring`): a file that harvests its keyed inputs (printed into an
  exception, or returned as a "wrong" value the report shows) and a next file that holds answers to them
  differ, so the next file is given other inputs. A table of answers works for no other file, hence for no
  other student either; a regrade of the same file is still byte-identical.

Where the key lives, first match wins:

1. ``GRADER_SECRET_FILE`` (a path; a course team points it at one shared file);
2. ``$XDG_CONFIG_HOME/dlfs-grader/secret.key`` (default ``~/.config/dlfs-grader/secret.key``).

The key stays in the judge. The student process never receives it, nor anything derived from it except
the seed of each call (a 32-bit number that says nothing about the check calling), nor a check id.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import numpy as np

ENV_FILE = "GRADER_SECRET_FILE"
KEY_BYTES = 32


def key_path() -> Path:
    """The key file this process uses (it may not exist yet)."""
    explicit = os.environ.get(ENV_FILE)
    if explicit:
        return Path(explicit).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "dlfs-grader" / "secret.key"


def read_or_make_key(path: Path | None = None) -> bytes:
    """The key in ``path`` (default :func:`key_path`), made on first use with mode 0600."""
    path = path or key_path()
    if not path.exists():
        _make_key(path)
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise ValueError(f"{path}: the grader's secret key must be hex digits; delete the file to make a new "
                         f"one (all hidden inputs change) or point {ENV_FILE} at the right file") from None
    if len(key) < 16:
        raise ValueError(f"{path}: the secret key is too short ({len(key)} bytes); delete it to make a new one")
    return key


def _make_key(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another grader process made it first: use theirs
        return
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(KEY_BYTES) + "\n")


class Keyring:
    """Numbers derived from one key: ``seed(check_id, n)`` for calls, ``rng(check_id, stream)`` for inputs."""

    def __init__(self, key: bytes) -> None:
        self._key = bytes(key)

    @classmethod
    def from_file(cls, path: Path | None = None) -> "Keyring":
        return cls(read_or_make_key(path))

    def digest(self, label: str) -> bytes:
        return hmac.new(self._key, label.encode("utf-8"), hashlib.sha256).digest()

    def seed(self, check_id: str, call: int) -> int:
        """The seed of call number ``call`` of a check (32 bits, what np.random.seed takes)."""
        return int.from_bytes(self.digest(f"call\0{check_id}\0{call}")[:4], "little")

    def rng(self, check_id: str, stream: int | str = 0) -> np.random.Generator:
        """A generator for a check's hidden inputs; ``stream`` tells several apart within one check."""
        words = np.frombuffer(self.digest(f"inputs\0{check_id}\0{stream}"), dtype="<u4")
        return np.random.default_rng(np.random.SeedSequence([int(w) for w in words]))

    def derive(self, label: str) -> "Keyring":
        """A key of its own for ``label``: its inputs and seeds are unrelated to any other label's."""
        return Keyring(self.digest(f"derive\0{label}"))

    def fingerprint(self) -> str:
        """A short public name of the key (for reports: 'graded with key 3f2a9c'), not the key."""
        return self.digest("fingerprint").hex()[:6]

    def __repr__(self) -> str:
        return f"<Keyring {self.fingerprint()}>"


def code_digest(statements: list) -> str:
    """sha256 of the code a submission runs (its kept statements, with the file each comes from)."""
    h = hashlib.sha256()
    for statement in statements:
        h.update(f"{statement.file or ''}\0{statement.source}\0".encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def submission_keyring(keyring: Keyring, statements: list) -> Keyring:
    """The key of one submission's keyed inputs and call seeds: the instructor's key and the submission's code."""
    return keyring.derive("code\0" + code_digest(statements))

"""Attack submissions (tests/attacks/) graded through the command line in one batch with a correct file,
as root and as an ordinary user: every attack earns 0, the batch exits 0, the correct file keeps full
marks, nothing is left under /tmp, /var/tmp, /dev/shm or /run/lock, no connection reaches a listener
on the host's loopback, and results.json is not changed after the grader exits.

Each attack is ``tests/attacks/_stubs.py`` (the numerical components, answering from what the attack
found) followed by the attack's own file; ``@@TOKEN@@``, ``@@PORT@@`` and ``@@OUT@@`` are filled in here.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from grader.sandbox import isolation_available
from tests.helpers_submissions import orphaned_sandbox_processes, reference_source, write_py

PROJECT = Path(__file__).resolve().parent.parent
ATTACKS = PROJECT / "tests" / "attacks"
SHARED_PLACES = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
NOBODY = 65534


class Listener:
    """A TCP listener on the host's loopback (IPv4 and IPv6) and an abstract unix socket that count
    every connection (and would answer, as a real oracle would)."""

    def __init__(self, token: str) -> None:
        self.connections: list[str] = []
        self.sockets = []
        v4 = socket.create_server(("127.0.0.1", 0))
        self.port = v4.getsockname()[1]
        self.sockets.append(v4)
        for family, address in ((socket.AF_INET6, ("::1", self.port)), (socket.AF_UNIX, f"\0dlfs-attack-{token}")):
            try:
                sock = socket.socket(family, socket.SOCK_STREAM)
                sock.bind(address)
                sock.listen()
                self.sockets.append(sock)
            except OSError:
                pass
        for sock in self.sockets:
            threading.Thread(target=self._accept, args=(sock,), daemon=True).start()

    def _accept(self, sock: socket.socket) -> None:
        while True:
            try:
                conn, peer = sock.accept()
            except OSError:
                return
            self.connections.append(repr(peer))
            conn.close()

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()


def attack_source(name: str, token: str, port: int, out: Path) -> str:
    text = (ATTACKS / "_stubs.py").read_text() + "\n\n" + (ATTACKS / f"{name}.py").read_text()
    text += "\n\nclass _AtLoad:\n    oracle = _oracle()\n"
    return text.replace("@@TOKEN@@", token).replace("@@PORT@@", str(port)).replace("@@OUT@@", str(out))


def leftovers(token: str) -> list[str]:
    found = []
    for place in SHARED_PLACES:
        for folder, dirs, files in os.walk(place):
            found += [os.path.join(folder, n) for n in dirs + files if token in n]
            if folder.count("/") > place.count("/") + 2:
                dirs.clear()
    return found


@functools.lru_cache(maxsize=1)
def ordinary_user_command() -> list[str] | None:
    """A Python the ordinary user can run (this one may live under /root) with this checkout and the
    test environment's packages on its path, or None."""
    candidate = f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}"
    if not os.path.exists(candidate) or shutil.which("setpriv") is None:
        return None
    command = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all", candidate]
    # the test environment's packages must be readable by that user (not so for an interpreter under /root)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PROJECT), *user_site_packages()])}
    probe = subprocess.run([*command, "-c", "import numpy, jinja2, nbformat, pytest"], env=env, cwd="/",
                           capture_output=True)
    return command if probe.returncode == 0 else None


def user_site_packages() -> list[str]:
    return [p for p in sys.path if p.endswith("site-packages")]


def installed_copy(base: Path) -> Path:
    """A non-editable install, as pip lays it out: ``grader``, ``reference`` and ``assignments`` copied into a
    site-packages folder next to NumPy."""
    import numpy

    site = base / "site-packages"
    for package in ("grader", "reference", "assignments"):
        shutil.copytree(PROJECT / package, site / package, ignore=shutil.ignore_patterns("__pycache__"))
    numpy_dir = Path(numpy.__file__).parent
    for folder in (numpy_dir, numpy_dir.with_name("numpy.libs")):
        if folder.is_dir():
            shutil.copytree(folder, site / folder.name, symlinks=True)
    return site


def grade_batch(tmp_path: Path, as_user: bool, installed: bool = False) -> dict:
    token = uuid.uuid4().hex[:12]
    tmp_path.chmod(0o755)
    batch, out = tmp_path / "batch", tmp_path / "out"
    listener = Listener(token)
    names = sorted(p.stem for p in ATTACKS.glob("*.py") if not p.name.startswith("_") and p.stem != "store_writer")
    for name in names:
        write_py(batch / f"{name}.py", attack_source(name, token, listener.port, out))
    correct = reference_source("numerical")
    write_py(batch / "correct.py", correct)
    writer = (ATTACKS / "store_writer.py").read_text().replace("@@TOKEN@@", token)
    write_py(batch / "a_store_writer.py", correct + "\n\n" + writer)
    copy = Path("/opt") / f"dlfs-attack-{token}"  # a readable reference copy outside the project
    copy.mkdir(parents=True)
    shutil.copy(PROJECT / "reference" / "numerical.py", copy / "numerical.py")
    copy.chmod(0o755)
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "COV"))}
    command = [sys.executable]
    if installed:  # run the copy, not this checkout (no editable finder: python -S)
        site = [str(installed_copy(tmp_path))] + [p for p in sys.path if p.endswith("site-packages")]
        env["PYTHONPATH"] = os.pathsep.join(site)
        command = [sys.executable, "-S"]
    if as_user:
        command = ordinary_user_command()
        env["PYTHONPATH"] = os.pathsep.join([str(PROJECT), *user_site_packages()])
        env["GRADER_SECRET_FILE"] = str(tmp_path / "secret.key")  # the user's own key: the test key is root's (0600)
        for path in (out, tmp_path):
            os.chown(path, NOBODY, NOBODY)
    try:
        started = time.monotonic()
        proc = subprocess.run([*command, "-m", "grader", "grade", "numerical", str(batch), "--out", str(out),
                               "--jobs", "2", "--quiet"], capture_output=True, text=True, env=env, cwd=tmp_path,
                              timeout=600)
        written = (out / "results.json").read_bytes() if (out / "results.json").exists() else b""
        time.sleep(3)  # a daemon left behind would rewrite the results now
        which = subprocess.run([*command, "-c", "import grader; print(grader.__file__)"], capture_output=True,
                               text=True, env=env, cwd=tmp_path).stdout.strip()
        return {"proc": proc, "results": json.loads(written) if written else None, "names": names, "grader": which,
                "unchanged": written and hashlib.sha256(written).digest() ==
                hashlib.sha256((out / "results.json").read_bytes()).digest(),
                "csv": (out / "grades.csv").read_text() if (out / "grades.csv").exists() else "",
                "leftovers": leftovers(token), "connections": list(listener.connections),
                "seconds": time.monotonic() - started}
    finally:
        listener.close()
        shutil.rmtree(copy, ignore_errors=True)


def assert_attacks_earn_nothing(run: dict) -> None:
    proc, results = run["proc"], run["results"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    subs = {s["id"]: s for s in results["submissions"]}
    assert subs["correct"]["score"] == subs["correct"]["max_score"], subs["correct"]
    assert subs["a_store_writer"]["score"] == subs["a_store_writer"]["max_score"]
    for name in run["names"]:
        assert subs[name]["score"] == 0, (name, [(c["id"], c["status"], c.get("message", "")[:200])
                                                 for c in subs[name]["checks"] if c["status"] == "passed"])
    blamed = [(s["id"], c["id"]) for s in results["submissions"] for c in s["checks"]
              if "internal grader error" in json.dumps(c)]
    assert not blamed, blamed
    assert "allow-list-root" in subs["correct"]["isolation"], subs["correct"]["isolation"]
    claimed = {s["id"]: s["isolation"] for s in subs.values() if s["isolation"] != subs["correct"]["isolation"]}
    assert not claimed, claimed  # what the sandbox put in force, whatever the submission's code sent back
    assert run["unchanged"], "results.json changed after the grader exited"
    assert "rewrite_results,20" not in run["csv"]
    assert run["connections"] == [], run["connections"]
    assert run["leftovers"] == [], run["leftovers"]
    assert not lingering(), [describe(pid) for pid in lingering()]


def lingering(seconds: float = 10.0) -> set[int]:
    """Sandbox processes whose judge is gone, once those still dying had their time."""
    deadline = time.monotonic() + seconds
    while (found := orphaned_sandbox_processes()) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def describe(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[-120:].decode() + \
            Path(f"/proc/{pid}/status").read_text().split("PPid:")[1].split()[0]
    except OSError:
        return f"{pid} (gone)"


@pytest.mark.skipif(not isolation_available() or os.geteuid() != 0, reason="needs namespaces and root (for /opt)")
def test_attacks_earn_nothing_as_root(tmp_path):
    assert_attacks_earn_nothing(grade_batch(tmp_path, as_user=False))


@pytest.mark.slow
@pytest.mark.skipif(not isolation_available() or os.geteuid() != 0, reason="needs namespaces and root (for /opt)")
def test_attacks_earn_nothing_from_a_non_editable_install(tmp_path):
    run = grade_batch(tmp_path, as_user=False, installed=True)
    assert_attacks_earn_nothing(run)
    assert run["grader"] == str(tmp_path / "site-packages" / "grader" / "__init__.py")


@pytest.mark.slow
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to become an ordinary user")
def test_attacks_earn_nothing_as_an_ordinary_user():
    if ordinary_user_command() is None:  # asked here, not at import: it starts a Python to find out
        pytest.skip("needs a Python (with the test packages) that an ordinary user can run")
    base = Path(tempfile.mkdtemp(prefix="dlfs-attacks-"))  # pytest's tmp_path is private to root
    try:
        run = grade_batch(base, as_user=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert_attacks_earn_nothing(run)
    isolation = {s["isolation"] for s in run["results"]["submissions"]}
    assert all("namespaces(user," in i and "no-capabilities" in i for i in isolation), isolation

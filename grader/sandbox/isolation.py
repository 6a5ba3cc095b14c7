"""Confining a freshly forked student process (runs in the fork server's child, as root or not).

``enter(config, keep_fd)`` applies, strongest first, whatever the machine allows and returns a
description such as ``"namespaces(mount,pid)+uid-drop+rlimits"``:

* a new session; death with the parent (``PR_SET_PDEATHSIG``);
* mount + PID namespaces (``unshare``): the caller's process becomes a *keeper* that waits for its
  child, PID 1 of the new namespace, so killing the keeper's process group (or the keeper: PID 1
  dies with it) kills every process the student started; inside: mounts made private, a fresh
  ``/proc``, tmpfs over every hidden path, a private ``/tmp`` whose ``/tmp/scratch`` is the
  judge's scratch dir;
* a private unprivileged uid (when started as root) with ``no_new_privs``: no capabilities (so no
  ``umount``), ``RLIMIT_NPROC`` applies, no signals to the judge;
* rlimits: address space, CPU, file size, processes, no core dumps;
* always: ``sys.path`` stripped, grading modules dropped from ``sys.modules``, an import hook
  refusing ``reference``/``assignments``/``grader``/``tests``, stdio on ``/dev/null``.
"""
from __future__ import annotations

import ctypes
import importlib.abc
import os
import resource
import signal
import sys
from pathlib import Path
from typing import Any

CLONE_NEWNS, CLONE_NEWPID = 0x00020000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER, PR_SET_NO_NEW_PRIVS = 1, 36, 38
UID_BASE = 10_000_000  # student uid = UID_BASE + keeper pid: unique among live student processes
FORBIDDEN_PACKAGES = ("reference", "assignments", "grader", "tests")
_libc = ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def prctl(option: int, arg: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), f"prctl({option})")


def unshare(flags: int) -> None:
    _check(_libc.unshare(ctypes.c_int(flags)), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = (lambda s: s.encode() if s is not None else None)
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)), f"mount {target}")


def probe_namespaces() -> bool:
    """Can a child of this process unshare mount and PID namespaces? (forks once; safe to call
    from a single-threaded process such as the fork server)."""
    pid = os.fork()
    if pid == 0:
        try:
            unshare(CLONE_NEWNS | CLONE_NEWPID)
            os._exit(0)
        except BaseException:  # noqa: B036
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


# --------------------------------------------------------------------------- entering


def enter(config: dict[str, Any], keep_fd: int) -> str:
    """Confine this (freshly forked) process. Returns in the process that will run student code.

    ``config``: ``namespaces`` (bool: try them), ``hide`` (paths), ``scratch`` (dir), ``memory_mb``,
    ``cpu_seconds``, ``fsize_mb``, ``nproc``, ``keep`` (dirs that must stay readable: Python, NumPy).
    """
    keeper = os.getpid()
    os.setsid()
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    levels = []
    if config.get("namespaces") and _try_unshare():
        _become_namespace_init(keep_fd)  # returns in PID 1 of the new namespace
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        _setup_mounts(config)
        levels.append("namespaces(mount,pid)")
    else:
        os.chdir(config["scratch"])
    uid = UID_BASE + keeper
    _set_rlimits(config)
    if os.geteuid() == 0 and config.get("drop_uid", True):
        _drop_privileges(uid, config["scratch"])
        levels.append("uid-drop")
    levels.append("rlimits")
    _quiet_stdio(keep_fd)
    _environment()
    strip_imports()
    return "+".join(levels) if len(levels) > 1 else "rlimits only"


def _try_unshare() -> bool:
    try:
        unshare(CLONE_NEWNS | CLONE_NEWPID)
        return True
    except OSError:
        return False


def _become_namespace_init(keep_fd: int) -> None:
    """Fork PID 1 of the new PID namespace; this process (the keeper) waits for it and exits the
    same way (a signal is re-raised on itself), so the judge sees the student's own fate."""
    child = os.fork()
    if child == 0:
        return
    os.closerange(3, 1 << 16)
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except ChildProcessError:
            os._exit(71)
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.waitstatus_to_exitcode(status))


# --------------------------------------------------------------------------- mounts


def _setup_mounts(config: dict[str, Any]) -> None:
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    try:
        mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    except OSError:
        pass  # the host's /proc stays: pids outside are still not signalable from here
    keep = [p for p in map(_real, config.get("keep", [])) if p]
    targets = {_real(p) for p in config.get("hide", [])} | _unreadable_ancestors(keep)
    scratch_fd = os.open(config["scratch"], os.O_PATH | os.O_DIRECTORY)
    keep_fds = {p: os.open(p, os.O_PATH | os.O_DIRECTORY) for p in keep}
    for target in sorted((t for t in targets if t and t != "/"), key=len):
        if os.path.lexists(target):
            _overlay(target, {p: fd for p, fd in keep_fds.items() if _under(p, target)})
    _private_tmp(scratch_fd)
    for fd in [scratch_fd, *keep_fds.values()]:
        os.close(fd)


def _real(path: str) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return ""


def _under(path: str, root: str) -> bool:
    return path != root and path.startswith(root.rstrip("/") + "/")


def _unreadable_ancestors(keep: list[str]) -> set[str]:
    """Ancestors of kept dirs that a non-root uid could not traverse (``/root`` at mode 0700)."""
    found = set()
    for path in keep:
        for anc in reversed(Path(path).parents):
            try:
                if not os.stat(anc).st_mode & 0o001:
                    found.add(str(anc))
                    break
            except OSError:
                break
    return found


def _overlay(target: str, keep: dict[str, int]) -> None:
    """Cover ``target`` with an empty read-only tmpfs (or /dev/null for a file), re-exposing ``keep``."""
    if not os.path.isdir(target):
        mount("/dev/null", target, None, MS_BIND)
        return
    flags = MS_NOSUID | MS_NODEV
    mount("tmpfs", target, "tmpfs", flags, "size=64k,mode=755")
    for path, fd in keep.items():
        inside = Path(path)
        inside.mkdir(parents=True, exist_ok=True)
        mount(f"/proc/self/fd/{fd}", str(inside), None, MS_BIND | MS_REC)
    mount(None, target, None, MS_REMOUNT | MS_RDONLY | flags)


def _private_tmp(scratch_fd: int) -> None:
    """A fresh /tmp (and /dev/shm) for the namespace; /tmp/scratch is the judge's scratch dir."""
    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=256m,mode=1777")
    os.mkdir("/tmp/scratch")
    mount(f"/proc/self/fd/{scratch_fd}", "/tmp/scratch", None, MS_BIND)
    if os.path.isdir("/dev/shm"):
        try:
            mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")
        except OSError:
            pass
    os.chdir("/tmp/scratch")


# --------------------------------------------------------------------------- limits and privileges


def _set_rlimits(config: dict[str, Any]) -> None:
    mem = int(config.get("memory_mb", 2048)) * 2**20
    cpu = int(config.get("cpu_seconds", 600))
    fsize = int(config.get("fsize_mb", 64)) * 2**20
    nproc = int(config.get("nproc", 64))
    for limit, soft, hard in (
        (resource.RLIMIT_AS, mem, mem),
        (resource.RLIMIT_CPU, cpu, cpu + 5),
        (resource.RLIMIT_FSIZE, fsize, fsize),
        (resource.RLIMIT_CORE, 0, 0),
        (resource.RLIMIT_NPROC, nproc, nproc),
        (resource.RLIMIT_NOFILE, 256, 256),
    ):
        try:
            resource.setrlimit(limit, (soft, hard))
        except (ValueError, OSError):
            pass
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write raises OSError instead
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _drop_privileges(uid: int, scratch: str) -> None:
    for path in (scratch, "."):
        try:
            os.chown(path, uid, uid)
        except OSError:
            pass
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    prctl(PR_SET_NO_NEW_PRIVS, 1)


def _quiet_stdio(keep_fd: int) -> None:
    """Stdio on /dev/null (student output is captured per call at the Python level); close the rest."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, 1 << 16)


def _environment() -> None:
    cwd = os.getcwd()
    os.environ.update({"HOME": cwd, "TMPDIR": cwd, "MPLBACKEND": "Agg"})


# --------------------------------------------------------------------------- imports


class _RefuseGradingCode(importlib.abc.MetaPathFinder):
    """Refuses imports of the grader's own packages from student code."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname.split(".")[0] in FORBIDDEN_PACKAGES:
            raise ImportError(f"a submission may not import {fullname!r}: the grading code is hidden from it",
                              name=fullname)
        return None


def strip_imports(project_root: str | None = None) -> None:
    """Remove the project and grading packages from the import machinery of this process."""
    root = project_root or os.environ.get("DLFS_PROJECT_ROOT", "")
    kept = []
    for entry in sys.path:
        holds_grading = any(os.path.exists(os.path.join(entry or ".", pkg, "__init__.py"))
                            for pkg in ("reference", "assignments"))
        holds_numpy = os.path.isdir(os.path.join(entry or ".", "numpy"))
        if entry in ("", ".") or (root and _real(entry) == _real(root)) or (holds_grading and not holds_numpy):
            continue
        kept.append(entry)
    sys.path[:] = kept
    for name in list(sys.modules):
        top = name.split(".")[0]
        if top in FORBIDDEN_PACKAGES:  # the runtime keeps its own references to what it uses
            del sys.modules[name]
    sys.meta_path.insert(0, _RefuseGradingCode())

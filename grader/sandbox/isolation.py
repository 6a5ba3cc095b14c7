"""Confining a freshly forked student process (runs in the fork server's child).

The fork server already lives in the allow-list root (``grader/sandbox/rootfs.py``): nothing of the
machine but the interpreter, its standard library, the system's shared libraries and a copy of the
permitted packages, all read-only. ``enter(config, keep_fd, cgroups, rooted)`` adds, for this one
submission, whatever the machine allows and returns a description of what is in force, such as
``"allow-list-root+namespaces(mount,pid,net,ipc)+cgroup-v1(memory=2048M,pids=64)+tmpfs(256M)+uid-drop+rlimits"``:

* a new session; death with the parent (``PR_SET_PDEATHSIG``);
* its own cgroup (memory, counting tmpfs and memfd pages, and a pids cap), made and joined first;
* mount, PID, network and IPC namespaces: the process is PID 1 of a new PID namespace, so killing it
  kills every process the student started. As root the fork server forks it that way (:class:`PidNamespaces`:
  one fork per student process); where it cannot (an ordinary user's grader, whose fork server may not
  return to its own PID namespace), the forked process ``unshare``s and becomes a *keeper* that waits for
  its child, PID 1, and exits as it does (killing the keeper kills PID 1 with it); inside: a fresh ``/proc``,
  no network device but a loopback that is down, no System V IPC shared with anyone, and one
  size-capped tmpfs serving as ``/tmp`` (the working folder), ``/var/tmp`` and ``/dev/shm``, gone
  with the namespace;
* as root, a private unprivileged uid with ``no_new_privs``; in a user namespace (an ordinary user's
  grader), every capability dropped: either way no ``umount`` that could uncover anything, and no
  signal reaches a process outside the PID namespace;
* rlimits: address space, CPU, file size, processes, open files, no core dumps;
* an environment rebuilt from an allow-list, stdio on ``/dev/null``, every descriptor but the channel
  closed, grading modules dropped from ``sys.modules`` and refused by an import hook.
"""
from __future__ import annotations

import importlib.abc
import os
import resource
import signal
import sys
from typing import Any, Callable

from grader.sandbox.syscalls import (
    CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID,
    PR_SET_NO_NEW_PRIVS, PR_SET_PDEATHSIG, drop_capabilities, mount, prctl, setns, unshare,
)

STUDENT_NAMESPACES = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC
UID_BASE = 10_000_000  # student uid = UID_BASE + its pid outside: unique among live student processes
FORBIDDEN_PACKAGES = ("reference", "assignments", "grader", "tests")
WORKDIR = "/tmp"
ENVIRONMENT = {  # everything a student process finds in os.environ
    "PATH": "/usr/bin:/bin", "HOME": WORKDIR, "TMPDIR": WORKDIR, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
    "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def probe_namespaces() -> bool:
    """Can a child of this process unshare the student namespaces?"""
    return _works_in_a_child(lambda: unshare(STUDENT_NAMESPACES))


def _works_in_a_child(step: Callable[[], None]) -> bool:
    """Does ``step`` run without an error in a child of this process? (forks once, so nothing ``step`` changes
    stays; safe to call from a single-threaded process such as the fork server)."""
    pid = os.fork()
    if pid == 0:
        try:
            step()
            os._exit(0)
        except BaseException:  # noqa: B036
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


class PidNamespaces:
    """Forking a child that is PID 1 of a new PID namespace (in the fork server).

    ``unshare(CLONE_NEWPID)`` puts the caller's *next* child into a new namespace, as its PID 1, and may be
    called once; ``setns`` back to the caller's own namespace (which needs ``CAP_SYS_ADMIN`` over it: root,
    not an ordinary user in a user namespace of its own) makes the next ``unshare`` possible again. Where
    that works (:attr:`direct`, found by a probe in a child), a student process costs one fork; else a
    keeper is forked that unshares and forks PID 1 itself (``enter``)."""

    def __init__(self) -> None:
        try:
            self.own = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            self.own, self.direct = -1, False
            return
        self.direct = _works_in_a_child(self._unshare_and_return)

    def _unshare_and_return(self) -> None:
        unshare(CLONE_NEWPID)
        setns(self.own, CLONE_NEWPID)

    def fork(self) -> tuple[int, bool]:
        """``os.fork()`` (``direct`` must be true), and whether the child is PID 1 of a new PID namespace: it is
        unless the kernel refuses one more namespace (a limit), and then the child makes its own as a keeper."""
        try:
            unshare(CLONE_NEWPID)
        except OSError:
            return os.fork(), False
        pid = -1
        try:
            pid = os.fork()
            return pid, True
        finally:
            if pid != 0:  # the parent, whether or not the fork worked: children to come are ours again
                setns(self.own, CLONE_NEWPID)


# --------------------------------------------------------------------------- entering


def enter(config: dict[str, Any], keep_fd: int, cgroups: Any = None, rooted: str = "") -> str:
    """Confine this (freshly forked) process. Returns in the process that will run student code.

    ``config``: ``namespaces`` (bool: try them), ``scratch`` (a folder, used only without namespaces),
    ``memory_mb``, ``disk_mb``, ``cpu_seconds``, ``fsize_mb``, ``nproc``; ``init`` (bool): this process is
    PID 1 of a new PID namespace already (:class:`PidNamespaces`). ``rooted`` is what ``rootfs.enter``
    returned in the fork server (``"mount"`` as root, ``"user,mount"`` otherwise).
    """
    init = bool(config.get("init"))
    forked = _pid_outside() if init else os.getpid()  # the pid the fork server knows it by
    os.setsid()
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    levels = ["allow-list-root"] if rooted else []
    capped = cgroups.join(f"s{forked}", int(config.get("memory_mb", 2048)), int(config.get("nproc", 64))) \
        if cgroups is not None else ""
    if rooted and config.get("namespaces") and _try_unshare(STUDENT_NAMESPACES & ~CLONE_NEWPID if init
                                                            else STUDENT_NAMESPACES):
        if not init:
            _become_namespace_init(keep_fd)  # returns in PID 1 of the new namespace
            prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        disk_mb = int(config.get("disk_mb", 256))
        _private_mounts(disk_mb)
        levels.append(f"namespaces({'user,' if rooted.startswith('user') else ''}mount,pid,net,ipc)")
        levels += [capped] if capped else ["memory:rlimit-only"]
        levels.append(f"tmpfs({disk_mb}M)")
    else:  # no namespaces of its own (or asked for none: tests and benchmarks)
        os.chdir(config.get("scratch") or "/")
        levels += [capped] if capped else []
    _set_rlimits(config)
    if os.geteuid() == 0 and not rooted.startswith("user") and config.get("drop_uid", True):
        if _drop_privileges(UID_BASE + forked, config.get("scratch")):
            levels.append("uid-drop")
    elif rooted.startswith("user"):
        drop_capabilities()
        levels.append("no-capabilities")
    else:
        prctl(PR_SET_NO_NEW_PRIVS, 1)
    levels.append("rlimits")
    # again: a change of uid clears the parent-death signal, and a student busy in its own code never reads
    # the channel to find its judge gone
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    _quiet_stdio(keep_fd)
    _environment()
    strip_imports()
    return "+".join(levels) if len(levels) > 1 else "rlimits only"


def _pid_outside() -> int:
    """This process's pid in the fork server's PID namespace (``/proc`` is still the fork server's)."""
    return int(os.readlink("/proc/self"))


def _try_unshare(flags: int) -> bool:
    try:
        unshare(flags)
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
        if sig not in (signal.SIGKILL, signal.SIGSTOP):  # those two cannot (and need not) be reset
            signal.signal(sig, signal.SIG_DFL)
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.waitstatus_to_exitcode(status))


# --------------------------------------------------------------------------- mounts


def _private_mounts(disk_mb: int) -> None:
    """A fresh /proc; one tmpfs of ``disk_mb`` for /tmp (the working folder), /var/tmp and /dev/shm."""
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    mount("tmpfs", WORKDIR, "tmpfs", MS_NOSUID | MS_NODEV, f"size={disk_mb}m,nr_inodes=65536,mode=1777")
    for target, folder in (("/var/tmp", ".var-tmp"), ("/dev/shm", ".dev-shm")):
        inside = os.path.join(WORKDIR, folder)
        os.mkdir(inside)
        os.chmod(inside, 0o1777)
        mount(inside, target, None, MS_BIND)
    os.chdir(WORKDIR)


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


def _drop_privileges(uid: int, scratch: str | None) -> bool:
    """Become ``uid`` with no groups and no new privileges; False where uid 0 has no such power (uid 0
    inside someone else's user namespace)."""
    for path in (scratch, "."):
        try:
            if path:
                os.chown(path, uid, uid)
        except OSError:
            pass
    try:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    except OSError:
        return False
    finally:
        prctl(PR_SET_NO_NEW_PRIVS, 1)
    return True


def _quiet_stdio(keep_fd: int) -> None:
    """Stdio on /dev/null (student output is captured per call at the Python level); close the rest."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, keep_fd)
    os.closerange(keep_fd + 1, 1 << 16)


def _environment() -> None:
    """Only :data:`ENVIRONMENT` (the working folder for HOME and TMPDIR)."""
    cwd = os.getcwd()
    os.environ.clear()
    os.environ.update(ENVIRONMENT, HOME=cwd, TMPDIR=cwd)


# --------------------------------------------------------------------------- imports


class _RefuseGradingCode(importlib.abc.MetaPathFinder):
    """Refuses imports of the grader's own packages from student code."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname.split(".")[0] in FORBIDDEN_PACKAGES:
            raise ImportError(f"a submission may not import {fullname!r}: the grading code is hidden from it",
                              name=fullname)
        return None


def strip_imports() -> None:
    """Drop the grading packages from ``sys.modules`` (the runtime keeps its own references to what it
    uses) and refuse importing them again. ``sys.path`` holds only the standard library and the
    permitted packages already: nothing else exists in the student's root."""
    for name in list(sys.modules):
        if name.split(".")[0] in FORBIDDEN_PACKAGES:
            del sys.modules[name]
    sys.meta_path.insert(0, _RefuseGradingCode())

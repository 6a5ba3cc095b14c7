"""Memory and process caps that count everything a student process holds (cgroups).

``RLIMIT_AS`` does not count pages in tmpfs or memfd files; a cgroup's memory controller does. The
fork server makes one cgroup of its own per controller (cgroup v1 ``memory`` and ``pids``, or one
cgroup v2 folder with both) before it leaves the host's file system, keeping folder descriptors to
them; each student process then makes a child cgroup named after the pid the fork server forked (it, or
its keeper), writes its limits,
joins it (its whole tree follows) and the fork server removes it once the tree is dead.

Where the machine offers no writable cgroup (an ordinary user without delegation) nothing is made and
:attr:`Cgroups.description` says so: the caps are then the rlimits only.

cgroup v2 is found where it is mounted (``/sys/fs/cgroup`` on a v2 machine, ``/sys/fs/cgroup/unified`` on a
hybrid one). Its controllers reach a folder only through every ancestor's ``cgroup.subtree_control``, and a
cgroup holding processes (other than the root) may not hand domain controllers on; so our folder is made under
the nearest writable ancestor of our own cgroup (itself included) that already hands ``memory`` and ``pids`` on
(a delegated ``user@UID.service``, or the root as root), and switches them on for its own children. The grader
never changes another folder's ``cgroup.subtree_control``.
"""
from __future__ import annotations

import contextlib
import os

V1_ROOT = "/sys/fs/cgroup"
V2_CONTROLLERS = ("memory", "pids")


def v2_root() -> str | None:
    """Where the cgroup v2 hierarchy is mounted (from ``/proc/self/mountinfo``), or None."""
    with contextlib.suppress(OSError), open("/proc/self/mountinfo") as fh:
        for line in fh:
            fields = line.split()
            dash = fields.index("-") if "-" in fields else -1
            if dash > 0 and fields[dash + 1] == "cgroup2":
                return fields[4]
    return None


class Cgroups:
    """The fork server's cgroups, opened while the host's ``/sys`` is still visible."""

    def __init__(self, versions: tuple[int, ...] = (1, 2), v2_controllers: tuple[str, ...] = V2_CONTROLLERS) -> None:
        """``versions``: which cgroup versions to try, in order; ``v2_controllers``: what a v2 folder must hand
        on to its children (tests/test_sandbox_cgroup_v2.py tries a controller this machine has in v2)."""
        self.parents: dict[str, int] = {}  # controller ("memory"/"pids"/"v2") -> fd of our folder
        self.folders: list[str] = []  # our folders' host paths (the judge removes them after we exit)
        self.name = f"dlfs-{os.getpid()}"
        self.version = 0
        self.v2_controllers = tuple(v2_controllers)
        opened = {1: self._open_v1, 2: self._open_v2}
        with contextlib.suppress(OSError):
            any(opened[v]() for v in versions)

    @property
    def description(self) -> str:
        return {1: "cgroup-v1", 2: "cgroup-v2"}.get(self.version, "")

    def _own_path(self, controller: str) -> str | None:
        with open("/proc/self/cgroup") as fh:
            for line in fh:
                _, controllers, path = line.rstrip("\n").split(":", 2)
                if controller in controllers.split(","):
                    return path
        return None

    def _make(self, folder: str) -> int:
        _remove_stale(folder)
        target = os.path.join(folder, self.name)
        os.mkdir(target, 0o755)
        self.folders.append(target)
        return os.open(target, os.O_RDONLY | os.O_DIRECTORY)

    def _open_v1(self) -> bool:
        found = {}
        for controller in ("memory", "pids"):
            base = os.path.join(V1_ROOT, controller)
            own = self._own_path(controller)
            if own is None or not os.path.isfile(os.path.join(base, "cgroup.procs")):
                return False
            # inside a cgroup namespace the mount shows our own cgroup as its root
            folder = base + own if os.path.isdir(base + own) else base
            if not os.access(folder, os.W_OK):
                return False
            found[controller] = folder
        try:
            for controller, folder in found.items():
                self.parents[controller] = self._make(folder)
        except OSError:
            self.close()
            for folder in self.folders:
                with contextlib.suppress(OSError):
                    os.rmdir(folder)
            self.folders = []
            return False
        self.version = 1
        return True

    def _open_v2(self) -> bool:
        root = v2_root()
        if root is None or not os.path.isfile(os.path.join(root, "cgroup.controllers")):
            return False
        own = (self._own_path("") or "/").rstrip("/")
        while True:
            folder = root + own
            if os.path.isdir(folder) and os.access(folder, os.W_OK) and self._hand_on(folder):
                return True
            if not own:
                return False
            own = os.path.dirname(own).rstrip("/")

    def _hand_on(self, parent: str) -> bool:
        """Make our folder under ``parent`` with :attr:`v2_controllers` switched on for its children (if
        ``parent`` hands them on)."""
        wanted = " ".join(f"+{c}" for c in self.v2_controllers)
        try:
            if not set(self.v2_controllers) <= set(_read(parent, "cgroup.subtree_control").split()):
                return False
        except OSError:
            return False
        try:
            fd = self._make(parent)
        except OSError:
            return False
        try:
            _write(fd, "cgroup.subtree_control", wanted)
        except OSError:  # the controllers do not reach our folder: nothing to distribute
            os.close(fd)
            os.rmdir(self.folders.pop())
            return False
        self.parents["v2"], self.version = fd, 2
        return True

    # ---- in a student process (a child of the fork server), before it leaves the host's namespaces
    def join(self, child: str, memory_mb: int, pids: int) -> str:
        """Make cgroup ``child`` with the caps and move this process into it. Returns what is in force."""
        if not self.parents:
            return ""
        v2 = {"memory": [("memory.max", memory_mb * 2**20), ("memory.swap.max", 0)], "pids": [("pids.max", pids)]}
        limits = {"memory": [("memory.limit_in_bytes", memory_mb * 2**20), ("memory.memsw.limit_in_bytes", None)],
                  "pids": [("pids.max", pids)],
                  "v2": [limit for c in self.v2_controllers for limit in v2.get(c, [])]}
        for controller, parent in self.parents.items():
            os.mkdir(child, 0o755, dir_fd=parent)
            folder = os.open(child, os.O_RDONLY | os.O_DIRECTORY, dir_fd=parent)
            try:
                for name, value in limits[controller]:
                    with contextlib.suppress(OSError):  # swap accounting may be off
                        _write(folder, name, str(memory_mb * 2**20 if value is None else value))
                _write(folder, "cgroup.procs", str(os.getpid()))
            finally:
                os.close(folder)
        caps = [f"memory={memory_mb}M", f"pids={pids}"]
        if self.version == 2:
            caps = [cap for cap in caps if cap.split("=")[0] in self.v2_controllers] or list(self.v2_controllers)
        return f"{self.description}({','.join(caps)})"

    # ---- in the fork server
    def remove(self, child: str) -> bool:
        """Remove a dead student's cgroup; False if a process is still in it (try again later)."""
        done = True
        for parent in self.parents.values():
            try:
                os.rmdir(child, dir_fd=parent)
            except FileNotFoundError:
                pass
            except OSError:
                done = False
        return done

    def close(self) -> None:
        for fd in self.parents.values():
            os.close(fd)
        self.parents = {}

    def fds(self) -> list[int]:
        return list(self.parents.values())


def _read(folder: str, name: str) -> str:
    with open(os.path.join(folder, name)) as fh:
        return fh.read()


def _write(folder_fd: int, name: str, text: str) -> None:
    fd = os.open(name, os.O_WRONLY, dir_fd=folder_fd)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def remove_folders(folders: list[str]) -> None:
    """The judge's clean-up of a fork server's cgroups after it exited (they are empty by then)."""
    for folder in folders:
        with contextlib.suppress(OSError):
            for child in os.scandir(folder):
                if child.is_dir(follow_symlinks=False):
                    with contextlib.suppress(OSError):
                        os.rmdir(child.path)
            os.rmdir(folder)


def _remove_stale(folder: str) -> None:
    """Cgroups of fork servers that died without cleaning up (their judge was killed)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            name = entry.name
            if name.startswith("dlfs-") and name[5:].isdigit() and not os.path.exists(f"/proc/{name[5:]}"):
                remove_folders([entry.path])

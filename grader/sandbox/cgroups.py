"""Memory and process caps that count everything a student process holds (cgroups).

``RLIMIT_AS`` does not count pages in tmpfs or memfd files; a cgroup's memory controller does. The
fork server makes one cgroup of its own per controller (cgroup v1 ``memory`` and ``pids``, or one
cgroup v2 folder with both) before it leaves the host's file system, keeping folder descriptors to
them; each student process then makes a child cgroup named after its keeper pid, writes its limits,
joins it (its whole tree follows) and the fork server removes it once the tree is dead.

Where the machine offers no writable cgroup (an ordinary user without delegation) nothing is made and
:attr:`Cgroups.description` says so: the caps are then the rlimits only.
"""
from __future__ import annotations

import contextlib
import os

V1_ROOT, V2_ROOT = "/sys/fs/cgroup", "/sys/fs/cgroup"


class Cgroups:
    """The fork server's cgroups, opened while the host's ``/sys`` is still visible."""

    def __init__(self) -> None:
        self.parents: dict[str, int] = {}  # controller ("memory"/"pids"/"v2") -> fd of our folder
        self.folders: list[str] = []  # our folders' host paths (the judge removes them after we exit)
        self.name = f"dlfs-{os.getpid()}"
        self.version = 0
        with contextlib.suppress(OSError):
            self._open_v1() or self._open_v2()

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
        if not os.path.isfile(os.path.join(V2_ROOT, "cgroup.controllers")):
            return False
        own = self._own_path("") or "/"
        folder = V2_ROOT + own if own != "/" else V2_ROOT
        if not os.access(folder, os.W_OK):
            return False
        fd = self._make(folder)
        try:
            _write(fd, "cgroup.subtree_control", "+memory +pids")
        except OSError:  # our cgroup holds processes (no delegation): nothing to distribute
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
        limits = {"memory": [("memory.limit_in_bytes", memory_mb * 2**20), ("memory.memsw.limit_in_bytes", None)],
                  "pids": [("pids.max", pids)],
                  "v2": [("memory.max", memory_mb * 2**20), ("memory.swap.max", 0), ("pids.max", pids)]}
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
        return f"{self.description}(memory={memory_mb}M,pids={pids})"

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

"""grader/sandbox/cgroups.py's cgroup v2 path, against the kernel's real cgroup2 file system.

This project's machine is a hybrid one: ``memory`` and ``pids`` are bound to cgroup v1 hierarchies, so the
cgroup2 hierarchy (mounted at /sys/fs/cgroup/unified) cannot offer them, and moving them would mean
unmounting the v1 hierarchies every other grader on the machine is using. What v2 can be tried with here is a
controller no v1 hierarchy holds (``hugetlb``): the same code finds the cgroup2 mount, makes the fork server's
folder under the nearest ancestor that hands the controller on, switches it on for its children, moves a
process into a child, and removes it all. The memory and pids caps themselves are tried on v1
(tests/test_sandbox_allowlist.py).
"""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from grader.sandbox import cgroups

CONTROLLER = "hugetlb"


def _root_with_controller() -> Path:
    root = cgroups.v2_root()
    if os.geteuid() != 0:
        pytest.skip("needs root: only root may write the cgroup2 root here (no delegated subtree on this machine)")
    if root is None:
        pytest.skip("no cgroup2 hierarchy is mounted on this machine")
    if CONTROLLER not in Path(root, "cgroup.controllers").read_text().split():
        pytest.skip(f"the cgroup2 hierarchy offers no {CONTROLLER} controller here")
    return Path(root)


@pytest.fixture
def handed_on() -> Path:
    """The cgroup2 root handing ``hugetlb`` on to its children for the test (put back as it was after)."""
    root = _root_with_controller()
    control = root / "cgroup.subtree_control"
    was = CONTROLLER in control.read_text().split()
    if not was:
        control.write_text(f"+{CONTROLLER}")
    yield root
    if not was:
        control.write_text(f"-{CONTROLLER}")  # EBUSY (an error of the test) if a folder of ours were left


def _cgroup_of(pid: int) -> str:
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        if line.startswith("0::"):
            return line[3:]
    return ""


def test_v2_folder_join_and_removal(handed_on: Path) -> None:
    groups = cgroups.Cgroups(versions=(2,), v2_controllers=(CONTROLLER,))
    assert groups.version == 2 and groups.description == "cgroup-v2"
    (folder,) = groups.folders
    assert Path(folder).parent == handed_on  # our own cgroup holds processes: the root hands the controller on
    assert CONTROLLER in Path(folder, "cgroup.subtree_control").read_text().split()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # a student process: joins its own child cgroup, says what is in force, waits to be killed
        try:
            os.close(read)
            os.write(write, groups.join(f"s{os.getpid()}", 64, 8).encode())
            time.sleep(30)
        finally:
            os._exit(0)
    os.close(write)
    try:
        assert os.read(read, 200).decode() == f"cgroup-v2({CONTROLLER})"
        deadline = time.monotonic() + 10
        while not _cgroup_of(pid).endswith(f"/s{pid}") and time.monotonic() < deadline:
            time.sleep(0.02)
        child = Path(folder, f"s{pid}")
        assert _cgroup_of(pid) == "/" + str(child.relative_to(handed_on)), _cgroup_of(pid)
        assert Path(child, "cgroup.procs").read_text().split() == [str(pid)]
        assert any(p.name.startswith(f"{CONTROLLER}.") for p in child.iterdir())  # the controller reached it
        assert not groups.remove(f"s{pid}")  # a live process is still in it
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(read)
    assert groups.remove(f"s{pid}") and not Path(folder, f"s{pid}").exists()
    groups.close()
    cgroups.remove_folders(groups.folders)
    assert not Path(folder).exists()


def test_no_v2_folder_where_the_controllers_are_not_handed_on() -> None:
    """memory and pids are bound to v1 here: v2 offers them nowhere, so nothing is made (rlimits/v1 instead)."""
    root = _root_with_controller()
    if "memory" in Path(root, "cgroup.controllers").read_text().split():
        pytest.skip("this machine's cgroup2 hierarchy has the memory controller")
    before = sorted(p.name for p in root.iterdir())
    groups = cgroups.Cgroups(versions=(2,))
    assert groups.version == 0 and groups.folders == [] and groups.description == ""
    assert sorted(p.name for p in root.iterdir()) == before

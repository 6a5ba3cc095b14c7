"""The allow-list root that student processes live in (see docs/SANDBOX.md).

The judge describes what a student process may see (:func:`root_spec`: the interpreter, its
standard library without its ``site-packages``, the shared libraries this Python and NumPy are
linked against, and the packages a course permits); the fork server builds that tree once, before
it imports NumPy (:func:`enter`):

* a private mount namespace (and, for an ordinary user, a user namespace mapping it to root inside);
* a fresh tmpfs as the new root, the allowed directories and files bind-mounted read-only at their
  own paths, the permitted packages *copied* to :data:`SITE` (so no path, mount or file names where
  the grader's environment lives), ``/dev/null``, ``/dev/zero``, ``/dev/urandom``, ``/proc`` and
  empty mount points for the student's private ``/tmp``, ``/var/tmp`` and ``/dev/shm``;
* ``pivot_root`` into it and the old root detached: nothing else of the machine is reachable from
  the fork server or anything it forks.

The fork server then imports NumPy from :data:`SITE`, and each student process it forks adds its own
namespaces and writable tmpfs (``grader/sandbox/isolation.py``).
"""
from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path
from typing import Any

from grader.sandbox.syscalls import (
    CLONE_NEWNS, CLONE_NEWUSER, MNT_DETACH, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC,
    MS_REMOUNT, mount, pivot_root, umount2, unshare,
)

SITE = "/sandbox/site-packages"  # where permitted packages are copied inside the root
MOUNT_POINTS = ("/tmp", "/var/tmp", "/dev/shm", "/proc")  # empty dirs a student process mounts over
DEVICES = ("null", "zero", "urandom")
SKIP_DIRS = {"tests", "include", "f2py", "distutils", "_pyinstaller"}
SKIP_SUFFIXES = (".pyi", ".h", ".c", ".a", ".pxd", ".lib", ".txt", ".md", ".toml", ".cfg", ".f", ".f90")
ST_RELATIME, MS_RELATIME = 4096, 1 << 21
ROOT_MB = 192  # the root's tmpfs: NumPy's copy (about 50 MB) and room; more when other packages are permitted
ALWAYS = ("numpy",)
_PERMITTED: list[tuple[str, ...]] = [ALWAYS]


def permit(packages: tuple[str, ...] | list[str] = ()) -> tuple[str, ...]:
    """Set the packages student processes of this judge process may import, besides NumPy (an assignment's
    ``packages``; grader/assignments.py checks that they are installed). Returns the whole list."""
    names = tuple(dict.fromkeys([*ALWAYS, *packages]))
    _PERMITTED[0] = names
    return names


def permitted() -> tuple[str, ...]:
    """The packages the next fork server copies into its root (:func:`permit`)."""
    return _PERMITTED[0]


# --------------------------------------------------------------------------- the judge's description


def root_spec(packages: tuple[str, ...] | None = None) -> dict[str, Any]:
    """What the root holds: ``dirs`` and ``files`` bound read-only at their own paths, ``covers``
    (package folders inside the standard library, replaced by empty ones), ``packages``
    (name -> folder, copied to :data:`SITE`; default :func:`permitted`) and ``root_mb`` (the root's size)."""
    packages = permitted() if packages is None else packages
    stdlib = os.path.realpath(sysconfig.get_paths()["stdlib"])
    dynload = _module_dir("_ctypes") or _module_dir("_json")
    dirs = {stdlib} | ({dynload} if dynload and not dynload.startswith(stdlib + "/") else set())
    files = {os.path.realpath(sys.executable)}
    libc_dirs = set()
    for path in _mapped_libraries():
        if os.path.basename(path).startswith(("libc.so", "libc-")):
            libc_dirs.add(os.path.dirname(path))
    for path in _mapped_libraries():
        if not _inside_package(path) and not any(path.startswith(d + "/") for d in dirs | libc_dirs):
            files.add(path)
    for extra in ("/etc/ld.so.cache",):
        if os.path.isfile(extra):
            files.add(extra)
    covers = sorted(str(p) for name in ("site-packages", "dist-packages") if (p := Path(stdlib, name)).is_dir())
    copied = {}
    for name in packages:
        copied[name] = _package_dir(name)
        libs = copied[name] + ".libs"  # a wheel's bundled shared libraries (numpy.libs: OpenBLAS)
        if os.path.isdir(libs):
            copied[name + ".libs"] = libs
    return {"dirs": sorted(dirs | libc_dirs), "files": sorted(files), "covers": covers, "packages": copied,
            "root_mb": _root_mb(copied)}


def _root_mb(copied: dict[str, str]) -> int:
    """The root's size: :data:`ROOT_MB`, or the permitted packages' size and 64 MB more when that is larger."""
    if set(copied) <= {"numpy", "numpy.libs"}:
        return ROOT_MB
    total = sum(entry.stat().st_size for folder in copied.values() for entry in _files(folder))
    return max(ROOT_MB, total // 2**20 + 64)


def _files(folder: str) -> list[os.DirEntry]:
    found, stack = [], [folder]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    found.append(entry)
    return found


def _module_dir(name: str) -> str:
    import importlib.util

    spec = importlib.util.find_spec(name)
    return os.path.dirname(os.path.realpath(spec.origin)) if spec and spec.origin and "/" in spec.origin else ""


def _package_dir(name: str) -> str:
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the sandbox needs the package {name!r} installed for the grader's Python")
    return os.path.realpath(list(spec.submodule_search_locations)[0])


def _mapped_libraries() -> list[str]:
    """Shared objects mapped into this process (the judge has NumPy imported)."""
    found = []
    try:
        with open("/proc/self/maps") as fh:
            for line in fh:
                path = line.split(maxsplit=5)[-1].strip()
                if path.startswith("/") and ".so" in os.path.basename(path) and os.path.isfile(path):
                    found.append(os.path.realpath(path))
    except OSError:
        pass
    return sorted(set(found))


def _inside_package(path: str) -> bool:
    """A library that belongs to an installed package (its own folder): not the system's."""
    parts = Path(path).parts
    return any(p in ("site-packages", "dist-packages") for p in parts) or path.startswith(sys.prefix + "/")


# --------------------------------------------------------------------------- the fork server's side


def enter(spec: dict[str, Any]) -> str:
    """Move this process into the allow-list root. Returns the namespaces used (``"user,mount"`` or
    ``"mount"``), or ``""`` (nothing changed) where the kernel refuses them."""
    uid, gid = os.getuid(), os.getgid()
    userns = uid != 0
    try:
        unshare(CLONE_NEWNS | (CLONE_NEWUSER if userns else 0))
    except OSError:
        if userns:
            return ""
        try:  # uid 0 without the capability (inside someone else's user namespace)
            unshare(CLONE_NEWNS | CLONE_NEWUSER)
            userns = True
        except OSError:
            return ""
    if userns:
        _map_ids(uid, gid)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    sources = {path: os.open(path, os.O_PATH) for path in [*spec["dirs"], *spec["files"],
                                                            *spec["packages"].values()] if os.path.exists(path)}
    try:
        _build("/tmp", spec, sources)
    finally:
        for fd in sources.values():
            os.close(fd)
    os.chdir("/tmp")
    pivot_root(".", ".")
    umount2(".", MNT_DETACH)
    os.chdir("/")
    mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    return "user,mount" if userns else "mount"


def _map_ids(uid: int, gid: int) -> None:
    for name, text in (("setgroups", "deny"), ("uid_map", f"0 {uid} 1"), ("gid_map", f"0 {gid} 1")):
        with open(f"/proc/self/{name}", "w") as fh:
            fh.write(text)


def _build(root: str, spec: dict[str, Any], sources: dict[str, int]) -> None:
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, f"size={spec.get('root_mb', ROOT_MB)}m,nr_inodes=64k,mode=755")
    for path in spec["dirs"]:
        if path in sources:
            _bind(sources[path], root + path, directory=True)
    for path in spec["covers"]:
        if os.path.isdir(root + path):
            mount("tmpfs", root + path, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k,mode=755")
    for path in spec["files"]:
        if path in sources:
            _bind(sources[path], root + path, directory=False)
    for name, path in spec["packages"].items():
        if path in sources:
            _copy_package(f"/proc/self/fd/{sources[path]}", Path(root + SITE, name))
    for point in MOUNT_POINTS:
        os.makedirs(root + point, exist_ok=True)
    for name in DEVICES:
        _bind_device(f"/dev/{name}", f"{root}/dev/{name}")
    mount("/proc", root + "/proc", None, MS_BIND | MS_REC)


def _bind(fd: int, target: str, directory: bool) -> None:
    """Bind ``fd``'s file or folder at ``target`` (created), read-only, no set-uid, no devices."""
    if directory:
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        open(target, "a").close()
    mount(f"/proc/self/fd/{fd}", target, None, MS_BIND)
    locked = os.statvfs(target).f_flag  # flags a user namespace may not clear (noexec, atime)
    flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | (locked & (MS_NOEXEC | 1024 | 2048))
    mount(None, target, None, flags | (MS_RELATIME if locked & ST_RELATIME else 0))


def _bind_device(device: str, target: str) -> None:
    os.makedirs(os.path.dirname(target), exist_ok=True)
    open(target, "a").close()
    mount(device, target, None, MS_BIND)


def _copy_package(source: str, target: Path) -> None:
    """Copy a package's modules and compiled extensions (not its tests, headers or stubs)."""

    def ignore(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if n in SKIP_DIRS or n.endswith(SKIP_SUFFIXES)]

    shutil.copytree(source, target, symlinks=False, ignore=ignore, copy_function=shutil.copy2)

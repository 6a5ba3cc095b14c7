"""The fork server: a long-lived helper that imports NumPy once and forks student processes.

Started by the judge (``grader.sandbox.process.ForkServerClient``) as ``python -I -S -c BOOT`` with an
allow-listed environment, its own modules as source text (``grader.sandbox.process.BOOT`` compiles them
under relative names: no path in its memory names where the grader lives). Before importing NumPy it
makes its cgroups and moves into the allow-list root (``rootfs.enter``); it talks to the judge over a ``SOCK_SEQPACKET`` control
socket, one JSON message per packet (file descriptors ride along with ``socket.send_fds``):

* ``{"cmd": "hello"}`` -> ``{"pid", "namespaces": bool, "root": bool, "rooted": str, "cgroups": [folders]}``
* ``{"cmd": "spawn", "config": {...}}`` + [student socket] -> ``{"pid", "init"}`` + [pidfd of the process forked]
  (``init``: it is the student process itself, PID 1 of its namespace; else a keeper whose child it is, or,
  without namespaces, the student process)
* ``{"cmd": "reap", "pid", "kill": bool, "grace": s}`` -> ``{"status": raw wait status | null}``
* ``{"cmd": "channel"}`` -> ``{}`` + [a control socket of its own, for a judge worker forked from the judge]
* ``{"cmd": "shutdown"}``

Replies come in the order of the requests, on the socket the request came from, so the judge may send a
request and read its reply later (it does for spawning the spare student process and for killing one whose
status it does not need). Judge workers forked from the judge share its fork server, each on a channel of its
own (one NumPy import and one root per grading run, not one per worker); when a worker's channel closes, its
student processes are killed. When the judge's own socket closes, the server shuts down.

It is a child subreaper: processes that student code left behind are re-parented to it when their
parent dies, and it kills them (``sweep``). Once a student process's tree is dead it deletes its
scratch dir (without namespaces) and its cgroup. It dies
with the judge (``PR_SET_PDEATHSIG``) and its student processes die with it.
"""
from __future__ import annotations

import gc
import json
import os
import select
import shutil
import signal
import socket
import sys
import time
from typing import Any

# What student code commonly imports, imported once here. Not numpy.testing and unittest(.mock): they more than
# doubled this list's import time and grow every fork; the rare submission that uses them imports them itself.
PRELOAD = (
    "numpy", "numpy.random", "numpy.linalg", "numpy.fft", "numpy.lib.stride_tricks",
    "math", "cmath", "random", "copy", "collections", "functools", "itertools", "operator", "time", "typing",
    "dataclasses", "json", "pickle", "re", "string", "warnings", "abc", "numbers", "statistics", "heapq",
    "bisect", "fractions", "decimal", "contextlib", "enum", "pathlib", "textwrap", "pprint", "datetime",
    "inspect", "traceback", "io", "gzip", "struct", "glob", "os.path", "tempfile", "csv", "timeit",
    "ctypes", "ast",
)


def preload(drivers: list[str]) -> None:
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # an optional module missing on this Python: students get ImportError
            pass
    import grader.sandbox.runtime  # noqa: F401  (and with it protocol, testfns, drivers, loaded)

    for name in drivers:  # each assignment's drivers register themselves on import
        importlib.import_module(name)


class ForkServer:
    def __init__(self, ctl: socket.socket, rooted: str, cgroups: Any) -> None:
        from grader.sandbox import isolation

        self.ctl, self.rooted, self.cgroups = ctl, rooted, cgroups
        # the processes it forked (student processes, or their keepers): their pids key everything below
        self.live: set[int] = set()  # not yet reaped
        self.dead: dict[int, int] = {}  # pid -> raw wait status
        self.scratch: dict[int, str] = {}  # pid -> its scratch dir, deleted once its tree is dead
        self.cgroups_left: set[int] = set()  # those whose cgroup could not be removed yet
        self.failure = ""  # why the allow-list root could not be built, if it could not
        self.namespaces = bool(rooted) and isolation.probe_namespaces()
        spaces = isolation.PidNamespaces() if self.namespaces else None
        self.pid_namespaces = spaces if spaces is not None and spaces.direct else None  # PID 1 in one fork (root)
        self.channels: list[socket.socket] = []  # judge workers' control sockets (``cmd_channel``)
        self.owner: dict[int, socket.socket] = {}  # live pid -> the socket that asked for it
        self.asking: socket.socket = ctl  # the socket of the request being answered

    # ---- main loop
    def loop(self) -> None:
        while True:
            ready = select.select([self.ctl, *self.channels], [], [], 0.5)[0]
            self.collect()
            if self.cgroups_left:
                self.cgroups_left = {pid for pid in self.cgroups_left if not self.cgroups.remove(f"s{pid}")}
            for sock in ready:
                self.answer(sock)

    def answer(self, sock: socket.socket) -> None:
        """Read one request from ``sock`` and answer it there; a closed channel ends its judge's processes
        (the judge's own socket: everything)."""
        try:
            data, fds, _, _ = socket.recv_fds(sock, 1 << 16, 4)
        except OSError:
            data, fds = b"", []
        if not data:  # that judge went away
            if sock is self.ctl:
                self.shutdown()
            self._drop_channel(sock)
            return
        msg = json.loads(data)
        self.asking = sock
        reply, out_fds = getattr(self, "cmd_" + msg["cmd"])(msg, fds)
        try:
            socket.send_fds(sock, [json.dumps(reply).encode()], out_fds)
        except OSError:
            if sock is self.ctl:
                self.shutdown()
            self._drop_channel(sock)
        finally:
            for fd in out_fds:
                os.close(fd)

    def cmd_channel(self, msg: dict[str, Any], fds: list[int]) -> tuple[dict[str, Any], list[int]]:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.channels.append(ours)
        return {}, [theirs.detach()]

    def _drop_channel(self, sock: socket.socket) -> None:
        """A judge worker's channel closed: kill the student processes it asked for (reaped by ``collect``,
        their cgroups and scratch dirs removed at shutdown like any other dead one's)."""
        for pid, owner in list(self.owner.items()):
            if owner is sock and pid in self.live:
                self._kill(pid)
        if sock in self.channels:
            self.channels.remove(sock)
        sock.close()

    def cmd_hello(self, msg: dict[str, Any], fds: list[int]) -> tuple[dict[str, Any], list[int]]:
        return {"pid": os.getpid(), "namespaces": self.namespaces, "root": os.getuid() == 0 and not self.rooted.startswith("user"),
                "rooted": self.rooted, "cgroups": self.cgroups.folders, "failure": self.failure}, []

    def cmd_spawn(self, msg: dict[str, Any], fds: list[int]) -> tuple[dict[str, Any], list[int]]:
        config = dict(msg["config"], namespaces=self.namespaces and msg["config"].get("namespaces", True))
        spaces = self.pid_namespaces if config["namespaces"] else None
        pid, init = spaces.fork() if spaces is not None else (os.fork(), False)
        if pid == 0:
            self._child(fds[0], dict(config, init=init))
        for fd in fds:
            os.close(fd)
        self.live.add(pid)
        self.owner[pid] = self.asking
        if config.get("scratch"):
            self.scratch[pid] = config["scratch"]
        return {"pid": pid, "init": init}, [os.pidfd_open(pid)]

    def cmd_reap(self, msg: dict[str, Any], fds: list[int]) -> tuple[dict[str, Any], list[int]]:
        pid = int(msg["pid"])
        if pid in self.live and not msg.get("kill"):
            self._wait_for(pid, float(msg.get("grace", 1.0)))
        if pid in self.live:
            self._kill(pid)
            self._wait_for(pid, 5.0)
        self.sweep(deadline=time.monotonic() + 2.0)
        self._remove_scratch(pid)
        if not self.cgroups.remove(f"s{pid}"):
            self.cgroups_left.add(pid)
        return {"status": self.dead.pop(pid, None)}, []

    def cmd_shutdown(self, msg: dict[str, Any], fds: list[int]) -> tuple[dict[str, Any], list[int]]:
        if self.asking is not self.ctl:  # only the judge that started this server stops it
            return {}, []
        self.shutdown()
        return {}, []  # pragma: no cover - shutdown exits

    # ---- children
    def _child(self, sock_fd: int, config: dict[str, Any]) -> None:
        """In the forked child: confine, then serve the judge on ``sock_fd``. Never returns."""
        code = 70
        try:
            from grader.sandbox import isolation, runtime

            self.ctl.close()
            for channel in self.channels:
                channel.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            runtime.ISOLATION = isolation.enter(config, sock_fd, self.cgroups, self.rooted)
            runtime.serve(socket.socket(fileno=sock_fd))
            code = 0
        except BaseException as exc:  # noqa: B036 - set-up failed: say so on the fork server's stderr
            print(f"student process set-up failed: {exc!r}", file=sys.__stderr__, flush=True)
        finally:
            os._exit(code)

    def _kill(self, pid: int) -> None:
        for kill in (os.killpg, os.kill):
            try:
                kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def _wait_for(self, pid: int, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while pid in self.live and time.monotonic() < deadline:
            self._await_exit([pid], deadline)
            self.collect()

    def _await_exit(self, pids: list[int], deadline: float) -> None:
        """Block until every one of ``pids`` (unreaped children of this server) has exited, for at most
        50 ms and not past ``deadline`` (a pidfd is readable once its process has exited)."""
        fds = []
        try:
            for pid in pids:
                try:
                    fds.append(os.pidfd_open(pid))
                except OSError:  # already reaped
                    pass
            until = min(deadline, time.monotonic() + 0.05)
            while fds and (left := until - time.monotonic()) > 0:
                for fd in select.select(fds, [], [], left)[0]:
                    fds.remove(fd)
                    os.close(fd)
        finally:
            for fd in fds:
                os.close(fd)

    def _remove_scratch(self, pid: int) -> None:
        scratch = self.scratch.pop(pid, None)
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)

    def collect(self) -> None:
        """Reap every exited child; remember the status of those it forked for a judge."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.live:
                self.live.discard(pid)
                self.owner.pop(pid, None)
                self.dead[pid] = status
        # statuses nobody asks for (the judge died mid-call) are dropped with the server

    def strays(self) -> list[int]:
        """Children of this server that it did not fork for a judge: left behind by student code.

        Read from ``/proc/self/task/*/children``: only this server reaps its children, so a child stays
        listed (as a zombie at worst) until ``collect`` reaps it, and orphans are only added."""
        try:
            found = set()
            for task in os.listdir("/proc/self/task"):
                with open(f"/proc/self/task/{task}/children", "rb") as fh:
                    found.update(int(pid) for pid in fh.read().split())
            return [pid for pid in found if pid not in self.live]
        except (OSError, ValueError):  # a kernel without CONFIG_PROC_CHILDREN
            return self._strays_by_scan()

    def _strays_by_scan(self) -> list[int]:
        me, found = os.getpid(), []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) in self.live:
                continue
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    stat = fh.read()
            except OSError:
                continue
            fields = stat[stat.rfind(b")") + 2:].split()
            if len(fields) > 1 and int(fields[1]) == me:
                found.append(int(entry))
        return found

    def sweep(self, deadline: float) -> None:
        """Kill strays until none are left (their own orphans come to us next) or the deadline."""
        while True:
            self.collect()
            strays = self.strays()
            if not strays or time.monotonic() > deadline:
                return
            for pid in strays:
                self._kill(pid)
            self._await_exit(strays, deadline)

    def shutdown(self) -> None:
        for pid in list(self.live):
            self._kill(pid)
        deadline = time.monotonic() + 2.0
        while self.live and time.monotonic() < deadline:
            self.collect()
            time.sleep(0.002)
        self.sweep(deadline=time.monotonic() + 2.0)
        for pid in list(self.scratch):
            self._remove_scratch(pid)
        for pid in list(self.dead) + list(self.cgroups_left):
            self.cgroups.remove(f"s{pid}")
        os._exit(0)


def main(cfg: dict[str, Any], ctl_fd: int, judge_pid: int) -> None:
    """Entry point in the fork server process (see ``process.BOOT``): cgroups, the allow-list root,
    then NumPy and the runtime, imported from inside the root."""
    from grader.sandbox import cgroups, rootfs
    from grader.sandbox.syscalls import PR_SET_CHILD_SUBREAPER, PR_SET_PDEATHSIG, prctl

    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != judge_pid:  # the judge died before we got here
        os._exit(0)
    prctl(PR_SET_CHILD_SUBREAPER, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    groups = cgroups.Cgroups()
    try:
        rooted, failure = (rootfs.enter(cfg["root"]) if cfg.get("namespaces", True) else ""), ""
    except Exception as exc:  # the kernel refused a step half-way: no root, said in the hello reply
        rooted, failure = "", f"{type(exc).__name__}: {exc}"
    sys.path.append(rootfs.SITE if rooted else cfg["site"])
    preload(cfg["drivers"])
    gc.collect()
    gc.freeze()  # what is loaded now is never scanned by a student process's collector (no copy-on-write for it)
    server = ForkServer(socket.socket(fileno=ctl_fd), rooted, groups)
    server.failure = failure
    server.loop()

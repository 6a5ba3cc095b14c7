"""Judge side of a student process: start it through the fork server, talk to it with deadlines,
kill and restart it.

``StudentProcess(loaded).start()`` takes a confined student process (``ForkServerClient`` keeps a
spare, forked ahead), runs the submission's kept statements one request at a time (a statement that
hangs or crashes the process is skipped with a note and the process is restarted) and returns a
:class:`LoadResult`. ``exchange(header, ...)`` sends one request and waits for its reply at most
``timeout`` seconds (``poll`` on the socket and on a pidfd of the process, so a death is seen at once).
A timeout kills the whole process tree; the next request restarts the process transparently
(``generation`` counts the restarts).
"""
from __future__ import annotations

import atexit
import contextlib
import itertools
import json
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from grader.errors import StudentBadValue, StudentCrashed, StudentTimeout
from grader.loaded import LoadedSubmission, LoadNote
from grader.sandbox import affinity, protocol
from grader.sandbox.cpulimit import CpuLimit, cpu_clock, student_pid
from grader.sandbox.protocol import Encoder, encode_message, recv_frame, send_frame

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONTROL_TIMEOUT = 20.0  # seconds for the fork server to answer a command
UNREADABLE = "your code sent a reply the grader cannot read"
STALE_REPLIES = 16  # replies to earlier requests skipped at most (code that wrote its own on the channel)
MAX_RESTARTS = 20

BOOT = r"""
import importlib.machinery, json, os, sys
with os.fdopen(int(sys.argv[1]), "rb") as fh:  # its length first: a process forked meanwhile may hold the pipe open
    size = int.from_bytes(fh.read(8), "big")
    cfg = json.loads(fh.read(size))
SOURCES = cfg.pop("modules")


class FromMemory:  # a finder and loader by its methods (importlib.abc would import 30 ms of pathlib and typing)
    def find_spec(self, name, path=None, target=None):
        if name not in SOURCES:
            return None
        origin = name.replace(".", "/") + ("/__init__.py" if SOURCES[name][0] else ".py")
        spec = importlib.machinery.ModuleSpec(name, self, origin=origin, is_package=SOURCES[name][0])
        spec.has_location = True
        return spec

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        exec(compile(SOURCES[module.__name__][1], module.__spec__.origin, "exec"), module.__dict__)


sys.meta_path.insert(0, FromMemory())
from grader.sandbox.forkserver import main
main(cfg, int(sys.argv[2]), int(sys.argv[3]))
"""
# The fork server's own modules (sent as source: nothing else of the grader is readable from it).
SERVER_MODULES = ("grader.loaded", "grader.sandbox.syscalls", "grader.sandbox.rootfs", "grader.sandbox.cgroups",
                  "grader.sandbox.isolation", "grader.sandbox.forkserver", "grader.sandbox.protocol",
                  "grader.sandbox.registry", "grader.sandbox.drivers", "grader.sandbox.testfns",
                  "grader.sandbox.numpy_rules", "grader.sandbox.runtime")


def server_sources() -> dict[str, tuple[bool, str]]:
    """module name -> (is a package, source): the runtime, its protocol, drivers and test functions."""
    sandbox = PROJECT_ROOT / "grader" / "sandbox"
    names = [*SERVER_MODULES, *(f"grader.sandbox.{p.stem}" for p in sorted(sandbox.glob("drivers_*.py")))]
    sources = {"grader": (True, ""), "grader.sandbox": (True, "")}
    for name in names:
        sources[name] = (False, (PROJECT_ROOT / (name.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
    return sources


# --------------------------------------------------------------------------- the fork server client


@dataclass
class Forked:
    """A confined student process from the fork server, waiting for its ``init`` on ``sock``."""

    key: str  # its configuration: only a request for the same one may take it
    scratch: str
    sock: socket.socket
    pid: int | None = None  # None until the fork server has answered the spawn request
    pidfd: int | None = None
    init: bool = False  # ``pid`` is the student process itself, PID 1 of its namespace (not its keeper)


class Launch:
    """A fork server process just started, and its configuration (the root's description, the sandbox's modules),
    made in the caller's thread. ``send_config`` (in the thread that then waits for its hello) writes the
    configuration. Made apart so that a judge starting its server in the background computes all of this before
    its own work resumes: a background thread that needs the interpreter lock for each of a hundred small steps
    waits up to 5 ms for each while the main thread computes (a 0.25 s start took 0.5 to 1.1 s that way)."""

    def __init__(self, namespaces: bool = True) -> None:
        from grader.sandbox import rootfs

        self.token = uuid.uuid4().hex
        self.sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        spec = rootfs.root_spec()
        self.permitted = rootfs.permitted()  # the packages its root holds (an assignment's `packages`)
        sources = server_sources()
        cfg = {"modules": sources, "root": spec, "site": str(Path(spec["packages"]["numpy"]).parent),
               "drivers": [n for n in sources if n.startswith("grader.sandbox.drivers_")],
               "judge": os.getpid(), "namespaces": namespaces}
        data = json.dumps(cfg).encode()
        self.config = len(data).to_bytes(8, "big") + data  # its length first: see BOOT
        read_cfg, self.write_cfg = os.pipe()
        interpreter = os.path.realpath(sys.executable)  # the base interpreter, not a virtualenv's link
        debug = os.environ.get("DLFS_SANDBOX_DEBUG")
        # argv and environment name nothing of the grader's location: a student process inherits both
        self.proc = subprocess.Popen(
            [interpreter, "-I", "-S", "-c", BOOT, str(read_cfg), str(theirs.fileno()), str(os.getpid())],
            executable=interpreter, env=self._environment(), cwd="/",
            pass_fds=[theirs.fileno(), read_cfg], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=None if debug else subprocess.DEVNULL, start_new_session=True,
        )
        theirs.close()
        os.close(read_cfg)

    def send_config(self) -> None:
        with os.fdopen(self.write_cfg, "wb") as fh:
            with contextlib.suppress(BrokenPipeError):
                fh.write(self.config)

    def discard(self) -> None:
        """Stop the process before it got its configuration (a server was running already)."""
        self.proc.kill()
        self.sock.close()
        os.close(self.write_cfg)
        self.proc.wait()

    def _environment(self) -> dict[str, str]:
        """An allow-list: no variable names a path of the grader (a student process inherits these)."""
        env = {
            "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": "/", "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1", "NUMEXPR_NUM_THREADS": "1", "DLFS_SANDBOX": self.token,
        }
        for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):  # needed for correct BLAS on some CPUs
            if key in os.environ:
                env[key] = os.environ[key]
        return env


class ForkServerClient:
    """The judge's handle on its fork server process (one per judge process).

    Requests are answered in order; ``post`` sends one without waiting and ``call`` waits for its
    reply (reading, and handing to their callbacks, the replies to requests posted before it).
    ``student(config)`` keeps a *spare*: the next student process of the same configuration is forked
    and confines itself while the judge grades the current one. A spare holds no submission data
    (only an empty scratch dir) until it is taken and sent its ``init``; it is sent a warm-up call when
    forked (a fresh fork's first request is slow: copy-on-write faults), whose reply, read when it is
    taken, also shows that it is confined and serving.
    """

    def __init__(self, scratch_root: str | None = None, namespaces: bool = True,
                 launch: "Launch | None" = None) -> None:
        launch = launch or Launch(namespaces)
        self.token, self.permitted, self.proc = launch.token, launch.permitted, launch.proc
        self.scratch_root = scratch_root
        self.cgroup_folders: list[str] = []
        self.sock, self.lock = launch.sock, threading.RLock()
        self.pending: deque[tuple[str, Callable[[dict[str, Any], list[int]], None]]] = deque()
        self.spare: Forked | None = None
        launch.send_config()
        hello, _ = self.call({"cmd": "hello"}, timeout=60.0)
        self.pid, self.namespaces, self.root = hello["pid"], hello["namespaces"], hello["root"]
        self.rooted, self.cgroup_folders = hello.get("rooted", ""), hello.get("cgroups", [])
        self.failure = hello.get("failure", "")

    @classmethod
    def joined(cls, server: "ForkServerClient", channel: socket.socket) -> "ForkServerClient":
        """A client of ``server`` (the fork server of the judge this process was forked from) on ``channel``, a
        control socket of its own from :func:`fork_server_channel`. Its student processes die when it closes."""
        client = cls.__new__(cls)
        client.token, client.scratch_root, client.proc = server.token, server.scratch_root, None
        client.permitted = server.permitted
        client.pid, client.namespaces, client.root = server.pid, server.namespaces, server.root
        client.rooted, client.failure, client.cgroup_folders = server.rooted, server.failure, []
        client.sock, client.lock = channel, threading.RLock()
        client.pending, client.spare = deque(), None
        client.server_pidfd = os.pidfd_open(server.pid)
        return client


    # ---- requests and replies
    def post(self, msg: dict[str, Any], fds: Iterable[int] = (),
             on_reply: Callable[[dict[str, Any], list[int]], None] | None = None) -> None:
        """Send a request; its reply goes to ``on_reply`` (default: dropped) when a later read gets to it."""
        with self.lock:
            try:
                socket.send_fds(self.sock, [json.dumps(msg).encode()], list(fds))
            except OSError as exc:
                self._failed(exc)
            self.pending.append((msg["cmd"], on_reply or _drop_reply))

    def call(self, msg: dict[str, Any], fds: Iterable[int] = (), timeout: float = CONTROL_TIMEOUT
             ) -> tuple[dict[str, Any], list[int]]:
        got: list[tuple[dict[str, Any], list[int]]] = []
        with self.lock:
            self.post(msg, fds, lambda reply, fds: got.append((reply, fds)))
            self.read_until(lambda: bool(got), timeout)
        return got[0]

    def read_until(self, done: Callable[[], bool], timeout: float = CONTROL_TIMEOUT) -> None:
        """Read replies (each waited for at most ``timeout`` s) until ``done()``."""
        with self.lock:
            try:
                while not done():
                    cmd, on_reply = self.pending[0]
                    if not select.select([self.sock], [], [], timeout)[0]:
                        raise TimeoutError(f"fork server did not answer {cmd!r} within {timeout:g} s")
                    data, fds, _, _ = socket.recv_fds(self.sock, 1 << 16, 4)
                    if not data:
                        raise ConnectionError("fork server closed its control socket")
                    self.pending.popleft()
                    on_reply(json.loads(data), fds)
            except (OSError, ValueError) as exc:
                self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        self.terminate()
        raise StudentCrashed(f"the grader's sandbox fork server failed: {exc}") from None

    # ---- student processes
    def student(self, config: dict[str, Any], scratch_root: str, prefix: str) -> Forked:
        """A confined student process for ``config`` (plus a scratch dir under ``scratch_root``): the
        spare if it has this configuration, else a new one; then fork the next spare."""
        key = json.dumps([config, scratch_root], sort_keys=True)
        with self.lock:
            taken = self.spare
            if taken is not None:
                if taken.key == key:
                    self.read_until(lambda: taken.pid is not None)  # on failure terminate() releases the spare
                self.spare = None
                if taken.key != key or not _answers_ping(taken):
                    self.discard(taken)
                    taken = None
            if taken is None:
                taken = self._fork(key, config, scratch_root, prefix)
                try:
                    self.read_until(lambda: taken.pid is not None)
                except StudentCrashed:
                    _release(taken)
                    raise
            try:
                self.spare = self._fork(key, config, scratch_root, "student")
                with contextlib.suppress(OSError):  # it died already: found out when it is taken
                    send_frame(self.spare.sock, _warm_up())
            except StudentCrashed:
                _release(taken)
                raise
        return taken

    def _fork(self, key: str, config: dict[str, Any], scratch_root: str, prefix: str) -> Forked:
        """Ask for a student process; where the fork server has no allow-list root it gets a scratch
        folder on the host (in the root, its working folder is a private tmpfs)."""
        scratch = "" if self.rooted else tempfile.mkdtemp(prefix=f"{prefix}-", dir=scratch_root or default_scratch_root())
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        forked = Forked(key, scratch, ours)

        def spawned(reply: dict[str, Any], fds: list[int]) -> None:
            forked.pid, forked.pidfd, forked.init = reply["pid"], fds[0], bool(reply.get("init"))

        try:
            self.post({"cmd": "spawn", "config": dict(config, scratch=scratch)}, [theirs.fileno()], spawned)
        except StudentCrashed:
            ours.close()
            if scratch:
                shutil.rmtree(scratch, ignore_errors=True)
            raise
        finally:
            theirs.close()
        return forked

    def discard(self, forked: Forked) -> None:
        """Kill a student process and delete its scratch dir, without waiting for the fork server."""
        try:
            if forked.pid is None and self.alive():
                self.read_until(lambda: forked.pid is not None)
            if forked.pid is not None and forked.pidfd is not None:
                self.kill(forked.pid, forked.pidfd)
        finally:
            _release(forked)

    def kill(self, pid: int, pidfd: int) -> None:
        """SIGKILL a student process at once; the fork server kills the rest of its tree, reaps it and
        deletes its scratch dir in the background (the wait status is not needed)."""
        try:
            signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        except OSError:
            pass
        if self.alive():
            self.post({"cmd": "reap", "pid": pid, "kill": True})

    def reap(self, pid: int, kill: bool, grace: float = 1.0) -> int | None:
        reply, _ = self.call({"cmd": "reap", "pid": pid, "kill": kill, "grace": grace})
        return reply["status"]

    def alive(self) -> bool:
        if self.proc is None:  # a shared server (``joined``): alive until its pidfd turns readable
            return self.sock.fileno() >= 0 and not select.select([self.server_pidfd], [], [], 0)[0]
        return self.proc.poll() is None

    def terminate(self) -> None:
        """Stop the server; its student processes (the spare too) die with it (PR_SET_PDEATHSIG). A shared
        server (``joined``) is left running: closing this client's channel ends this client's student processes."""
        spare, self.spare = self.spare, None
        if self.proc is None:
            self.sock.close()
            self.pending.clear()
            if self.server_pidfd >= 0:
                os.close(self.server_pidfd)
                self.server_pidfd = -1
            if spare is not None:
                _release(spare)
            return
        if self.alive():
            try:
                socket.send_fds(self.sock, [json.dumps({"cmd": "shutdown"}).encode()], [])
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.sock.close()
        self.pending.clear()
        if spare is not None:
            _release(spare)
        from grader.sandbox.cgroups import remove_folders

        remove_folders(self.cgroup_folders)

    def spare_pids(self) -> set[int]:
        """The spare student process and its child (PID 1 of its namespace): not a submission's."""
        spare = self.spare
        if spare is None:
            return set()
        with contextlib.suppress(StudentCrashed):
            self.read_until(lambda: spare.pid is not None)
        if spare.pid is None:
            return set()
        pids = {spare.pid}
        try:
            for task in os.listdir(f"/proc/{spare.pid}/task"):
                with open(f"/proc/{spare.pid}/task/{task}/children", "rb") as fh:
                    pids.update(int(pid) for pid in fh.read().split())
        except (OSError, ValueError):
            pass
        return pids


_WARM_UP: list[bytes] = []


def _warm_up() -> bytes:
    """The request a spare is sent when forked: a call of a trusted test function on a small array, through the
    code every call of a check takes (decoding, seeding, the call, encoding, the comparison of its arguments), so
    that a fresh fork's copy-on-write faults and cold caches are paid while the judge grades the submission
    before, not in the next submission's first calls (they were 2-4 times slower than the later ones)."""
    if not _WARM_UP:
        import numpy as np

        encoder = Encoder()
        args = encoder.encode([np.linspace(-1.0, 1.0, 12).reshape(3, 4)])
        _WARM_UP.append(encode_message({"op": "call", "seed": 0, "target": {"$testfn": "quadratic"}, "args": args,
                                        "kwargs": {"$dict": {}}, "return_args": True}, encoder))
    return _WARM_UP[0]


def _answers_ping(forked: Forked, timeout: float = 30.0) -> bool:
    """Read a spare's reply to its warm-up request: False if it died (its set-up failed) or hung."""

    def wait(remaining: float | None) -> None:
        ready = select.select([forked.sock, forked.pidfd], [], [], remaining)[0]
        if not ready:
            raise protocol.Timeout("timed out")
        if forked.sock not in ready:
            raise protocol.PeerClosed("the student process exited")

    try:
        answered = recv_frame(forked.sock, time.monotonic() + timeout, wait)[0].get("ok") is True
    except (protocol.ProtocolError, OSError):
        return False
    # the reply may have been waiting in the socket since before the spare died: is it still alive?
    return answered and not select.select([forked.pidfd], [], [], 0)[0]


def _release(forked: Forked) -> None:
    """Forget a student process: close our ends, delete its scratch dir (it is dead or being killed)."""
    forked.sock.close()
    if forked.pidfd is not None:
        os.close(forked.pidfd)
    forked.pidfd = None
    if forked.scratch:
        shutil.rmtree(forked.scratch, ignore_errors=True)


def _drop_reply(reply: dict[str, Any], fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)


_SERVER: ForkServerClient | None = None
_SERVER_LOCK = threading.Lock()


def default_scratch_root() -> str:
    root = Path(tempfile.gettempdir()) / f"dlfs-sandbox-{os.getuid()}"  # shared; each process gets a subdir
    root.mkdir(mode=0o755, exist_ok=True)
    os.chmod(root, 0o755)
    return str(root)


def fork_server(launch: Launch | None = None) -> ForkServerClient:
    """This judge process's fork server, started on first use (from ``launch`` if given) and restarted if it
    died."""
    global _SERVER
    with _SERVER_LOCK:
        if _SERVER is None or not _SERVER.alive() or _SERVER.permitted != _permitted():
            if _SERVER is not None:
                _SERVER.terminate()  # closes its socket, deletes its spare's scratch dir
            _SERVER = ForkServerClient(launch=launch)
        elif launch is not None:  # one is running already: this one is not needed
            launch.discard()
        return _SERVER


def _permitted() -> tuple[str, ...]:
    from grader.sandbox import rootfs

    return rootfs.permitted()


_BOOTED: threading.Event | None = None


def boot_sandbox(packages: Sequence[str] = ()) -> threading.Event | None:
    """:func:`boot_fork_server` with ``packages`` (an assignment's ``packages``) permitted in its root, as the
    pytest plugin permits them for the run's student processes."""
    from grader.sandbox import rootfs

    rootfs.permit(tuple(packages))
    return boot_fork_server()


def boot_fork_server() -> threading.Event | None:
    """Start this process's fork server in the background (while the judge loads submissions and collects the
    checks); the returned event is set when it is up (or failed: the first student process then says why). Once
    per process (later calls return the same event), from the main thread only (None elsewhere: a Dask worker's
    task thread lives across tasks, and its fork server is started by the first student process, in that thread).

    The process is started, and its configuration computed, here in the main thread (about 25 ms: see
    :class:`Launch`): a fork server dies with the *thread* that started it (PR_SET_PDEATHSIG), and the main
    thread lives as long as this process. A background thread then only hands over the configuration and waits
    for the server's hello; it parks for good afterwards, since where the launch failed here it started the
    server itself."""
    global _BOOTED
    if _BOOTED is not None or threading.current_thread() is not threading.main_thread():
        return _BOOTED
    ready = _BOOTED = threading.Event()
    try:
        launch: Launch | None = Launch()
    except Exception:  # noqa: BLE001 - the first student process will start one and say what is wrong
        launch = None

    def keep() -> None:
        try:
            fork_server(launch)
        except Exception:  # noqa: BLE001 - as above
            pass
        ready.set()
        threading.Event().wait()

    threading.Thread(target=keep, name="fork-server-keeper", daemon=True).start()
    return ready


def fork_server_channel() -> socket.socket | None:
    """A control channel of its own to this judge's fork server, for a judge worker about to be forked from this
    process (hand it to :func:`use_fork_server_channel` in the worker; close this process's copy after the
    fork). None when no fork server of this process is running: the worker then starts its own."""
    server = _SERVER
    if server is None or server.proc is None or not server.alive():
        return None
    try:
        _, fds = server.call({"cmd": "channel"})
    except StudentCrashed:
        return None
    return socket.socket(fileno=fds[0]) if fds else None


def use_fork_server_channel(channel: socket.socket | None) -> None:
    """In a judge worker just forked from the judge: forget the judge's student processes (not this process's to
    close) and use its fork server through ``channel`` (:func:`fork_server_channel`); with None, this process
    starts a fork server of its own when it first needs one."""
    global _SERVER
    inherited, _SERVER = _SERVER, None
    _LIVE.clear()
    if inherited is not None:
        inherited.sock.close()  # this process's copies only; the judge keeps its own
        if inherited.spare is not None:
            inherited.spare.sock.close()
        if channel is not None:
            _SERVER = ForkServerClient.joined(inherited, channel)
            return
    if channel is not None:
        channel.close()


def keep_fork_server_off(seat: Any) -> None:
    """``seat.keep_off`` (grader/sandbox/affinity.py) for this judge's fork server, if it runs."""
    server = _SERVER
    if server is not None and server.pid:
        seat.keep_off(server.pid)


def stop_sandbox() -> None:
    """Close this process's student processes and stop its fork server (or leave a shared one): for a process
    that ends with ``os._exit`` (which skips ``atexit``)."""
    _shutdown()


def isolation_available() -> bool:
    """Do student processes get the allow-list root and their own namespaces on this machine?"""
    return bool(fork_server().namespaces)


def weak_isolation_reason() -> str:
    """Why student code would run with rlimits only on this machine, or "" when it gets the allow-list
    root and namespaces."""
    server = fork_server()
    if server.namespaces:
        return ""
    who = "root" if os.getuid() == 0 else f"uid {os.getuid()}"
    why = f" ({server.failure})" if server.failure else " (unprivileged user namespaces disabled?)"
    return f"student code would run with rlimits only: this kernel gives {who} no user, mount and PID namespaces{why}"


# --------------------------------------------------------------------------- exit statuses


def describe_exit(status: int | None, cpu_seconds: int) -> str:
    """What a wait status means, in words for a student."""
    if status is None:
        return "the student process ended unexpectedly"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        if sig in (signal.SIGSEGV, signal.SIGBUS):
            return f"the student process crashed with a segmentation fault ({name})"
        if sig == signal.SIGXCPU:
            return f"the student process used more than its {cpu_seconds} s of CPU time"
        if sig == signal.SIGKILL:
            return "the student process was killed (SIGKILL), e.g. for exceeding its memory limit"
        return f"the student process was killed by signal {name}"
    code = os.waitstatus_to_exitcode(status)
    return f"the student process exited with status {code} (os._exit() or a call that ends the process)"


# --------------------------------------------------------------------------- student process


@dataclass
class LoadResult:
    """What loading a submission in a student process gave."""

    names: dict[str, str]  # top-level name -> "callable" | "class" | "data"
    notes: list[LoadNote] = field(default_factory=list)
    isolation: str = ""
    seconds: float = 0.0

    @property
    def defined(self) -> list[str]:
        return sorted(self.names)


_LIVE: "weakref.WeakSet[StudentProcess]" = weakref.WeakSet()
_GENERATIONS = itertools.count(1)  # unique across processes: a handle from one never passes for another's


class StudentProcess:
    """One submission's student process (restarted transparently after a crash or timeout)."""

    def __init__(self, loaded: LoadedSubmission, *, memory_mb: int = 2048, scratch_root: str | None = None,
                 hide_paths: Iterable[str] = (), cpu_seconds: int = 600, load_budget: float = 10.0,
                 statement_timeout: float = 3.0, namespaces: bool = True, disk_mb: int = 256) -> None:
        """``hide_paths`` is accepted for compatibility and not needed: the allow-list root holds only what
        it names. ``scratch_root`` is used only where namespaces are not available."""
        self.loaded = loaded
        self.options = dict(memory_mb=memory_mb, scratch_root=scratch_root, cpu_seconds=cpu_seconds,
                            load_budget=load_budget, statement_timeout=statement_timeout, namespaces=namespaces,
                            disk_mb=disk_mb)
        self.memory_mb, self.cpu_seconds, self.load_budget = memory_mb, cpu_seconds, load_budget
        self.statement_timeout, self.disk_mb = statement_timeout, disk_mb
        self.scratch_root = scratch_root
        self.hide_paths = [str(p) for p in hide_paths]
        self.namespaces = namespaces
        self.standins: dict[str, str] = {}  # the submission's name -> trusted helper, re-applied after a restart
        self.generation = next(_GENERATIONS)
        self.restarts = 0
        self.load_result: LoadResult | None = None
        self.scratch: str | None = None
        self.pid: int | None = None
        self.isolation = ""
        self._sock: socket.socket | None = None
        self._pidfd: int | None = None
        self._server: ForkServerClient | None = None  # the fork server that forked the current process
        self._poller: Any = None
        self._follower: affinity.Follower | None = None  # keeps the student process on this judge's CPU
        self._bad: dict[int, LoadNote] = {}  # statements skipped because they hung or crashed the process
        self._requests = 0  # requests sent to this submission's processes (replies carry the number)
        self._clock = 0  # CPU clock of the process running the student's code (grader/sandbox/cpulimit.py)
        self._limit: CpuLimit | None = None  # the time limit of the request waiting for its reply
        _LIVE.add(self)

    @property
    def alive(self) -> bool:
        return self._sock is not None

    # ---- life cycle
    def start(self) -> LoadResult:
        """Start the process and run the submission's statements (idempotent)."""
        if self.load_result is None:
            t0 = time.monotonic()
            self._spawn()
            names, notes = self._load()
            isolation = self.isolation
            self.load_result = LoadResult(names, notes, isolation, time.monotonic() - t0)
            self._apply_standins(self.standins)
        elif not self.alive:
            self._restart()
        return self.load_result

    def _restart(self) -> None:
        if self.restarts >= MAX_RESTARTS:
            raise StudentCrashed(f"the student process crashed or timed out {self.restarts} times; giving up")
        self.restarts += 1
        self._spawn()
        self._load()
        self._apply_standins(self.standins)

    def fresh(self) -> "StudentProcess":
        """A new, separate student process for the same submission with the same limits (not started)."""
        return StudentProcess(self.loaded, hide_paths=self.hide_paths, **self.options)

    def stand_in(self, name: str, trusted_name: str | None) -> None:
        """From now on (and after any restart) the submission's ``name`` is the trusted helper
        ``trusted_name`` (None: the student's own again): its source is sent to this process only
        (see ``grader/sandbox/standins.py``)."""
        if trusted_name is None:
            self.standins.pop(name, None)
        else:
            self.standins[name] = trusted_name
        if self.load_result is not None and self.alive:
            self._apply_standins({name: trusted_name})

    def _apply_standins(self, standins: dict[str, str | None]) -> None:
        self._exchange_all([standin_request(name, trusted_name) for name, trusted_name in standins.items()])

    def _exchange_all(self, headers: list[dict[str, Any]]) -> None:
        for header in headers:
            self._exchange(header, None, 30.0, f"putting a trusted {header.get('binding')} in place")

    def _spawn(self) -> None:
        """Take a confined process from the fork server (usually its spare) and give it the submission. ``init``
        is a request of its own, answered before any of the student's code runs in the process: its reply says
        what confinement is in force, and only a reply the student's code cannot have touched may say that."""
        self._server = server = fork_server()
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", self.loaded.id)[:40] or "student"
        config = {"memory_mb": self.memory_mb, "cpu_seconds": self.cpu_seconds, "disk_mb": self.disk_mb,
                  "namespaces": self.namespaces}
        forked = server.student(config, self.scratch_root or "", safe)
        self.pid, self._pidfd, self._sock, self.scratch = forked.pid, forked.pidfd, forked.sock, forked.scratch
        self._poller = select.poll()
        self._poller.register(self._sock, select.POLLIN)
        self._poller.register(self._pidfd, select.POLLIN)

        def answering() -> int:  # the process of the student's code: the one forked, or a keeper's child
            return self.pid if forked.init else student_pid(self.pid)

        student = answering()
        if student == self.pid and server.namespaces and not forked.init:  # a keeper that has not forked PID 1 yet:
            self._clock = cpu_clock(student)  # time the keeper until it answers
        else:  # init runs on the judge's CPU
            self._follow(student)
        self.isolation = str(self._exchange({"op": "init", "loaded": self.loaded.to_json()}, None, 30.0,
                                            "starting the student process")[0].get("isolation", ""))
        self._follow(answering())  # it answered: the student's process is up

    def _follow(self, student: int) -> None:
        """Time ``student``'s CPU and keep it on this judge's CPU: the process that answers, PID 1 of its
        namespace (without namespaces, the process the fork server forked)."""
        if self._follower is None or self._follower.pid != student:
            self._clock = cpu_clock(student)
            self._follower = affinity.Follower(student)

    def _load(self) -> tuple[dict[str, str], list[LoadNote]]:
        """Run the statements: all in one request when that works (the usual case), else one by one."""
        at_once = self._load_at_once()
        if at_once is not None:
            return at_once
        self._spawn()  # something hung or crashed the process: find it statement by statement
        return self._load_one_by_one()

    def _load_at_once(self) -> tuple[dict[str, str], list[LoadNote]] | None:
        """One round trip for the whole load, within one statement's time limit; None if it did not finish."""
        indices = [i for i in range(len(self.loaded.statements)) if i not in self._bad]
        try:
            reply, _ = self._exchange({"op": "exec_many", "indices": indices}, None,
                                      min(self.statement_timeout, self.load_budget), "loading")
        except (StudentTimeout, StudentCrashed, StudentBadValue):
            return None
        try:
            notes = {int(i): LoadNote(**note) for i, note in reply["notes"].items()}
            return _names(reply), [n for _, n in sorted({**notes, **self._bad}.items())]
        except (KeyError, TypeError, ValueError, AttributeError, StudentBadValue):
            return None  # not what the runtime sends: load statement by statement

    def _load_one_by_one(self) -> tuple[dict[str, str], list[LoadNote]]:
        """Run the statements; one that hangs or kills the process is skipped and the process restarted.

        Each statement gets at most ``statement_timeout`` s and all first runs together ``load_budget`` s;
        replaying statements that already ran (after a restart) is not charged to the budget."""
        spent = 0.0  # CPU seconds of first runs (cpulimit.py: the machine's load does not count)
        notes: dict[int, LoadNote] = {}
        statements, index, furthest = self.loaded.statements, 0, 0
        while index < len(statements):
            if index in self._bad:
                index += 1
                continue
            first_run = index >= furthest
            limit = min(self.statement_timeout, self.load_budget - spent) if first_run else self.statement_timeout
            if limit <= 0:
                for i in range(index, len(statements)):
                    self._bad[i] = _note(statements[i], f"not run: loading took more than {self.load_budget:g} s")
                break
            try:
                reply, _ = self._exchange({"op": "exec", "index": index}, None, limit, "this statement")
            except (StudentTimeout, StudentCrashed, StudentBadValue) as exc:
                spent += self._cpu_of_last_request(limit) if first_run else 0.0
                self._bad[index] = _note(statements[index], f"{exc} (this statement was skipped)")
                self._spawn()
                furthest, index = max(furthest, index + 1), 0
                continue
            spent += self._cpu_of_last_request(limit) if first_run else 0.0
            if reply.get("note") and first_run:
                try:
                    notes[index] = LoadNote(**reply["note"])
                except (TypeError, ValueError):
                    notes[index] = _note(statements[index], f"{UNREADABLE} while running this statement")
            index += 1
            furthest = max(furthest, index)
        reply, _ = self._exchange({"op": "names"}, None, 10.0, "listing names")
        merged = sorted({**notes, **self._bad}.items())
        return _names(reply), [n for _, n in merged]

    def _cpu_of_last_request(self, limit: float) -> float:
        """The CPU seconds the last request used, at most its ``limit`` (all of it once it timed out)."""
        return self._limit.charged if self._limit is not None else limit

    def exchange(self, header: dict[str, Any], encoder: Encoder | None = None, timeout: float = 10.0,
                 what: str = "call") -> tuple[dict[str, Any], list[bytes]]:
        """Send one request and return (reply header, blobs); restarts a dead process first."""
        self.start()
        return self._exchange(header, encoder, timeout, what)

    request = exchange  # the name the task brief uses

    def _exchange(self, header: dict[str, Any], encoder: Encoder | None, timeout: float,
                  what: str) -> tuple[dict[str, Any], list[bytes]]:
        assert self._sock is not None
        self._requests += 1
        frame = encode_message(dict(header, id=self._requests), encoder)
        if self._follower is not None:
            self._follower.follow()
        self._limit = limit = CpuLimit(self._clock, timeout)  # the student's CPU time, not the wall clock
        try:
            send_frame(self._sock, frame, limit.backstop)
            return self._reply_to(self._requests, None)
        except protocol.Timeout:
            limit.timed_out = True
            self._die(kill=True)
            raise StudentTimeout(timeout, what) from None
        except protocol.PeerClosed:
            raise StudentCrashed(describe_exit(self._die(kill=False), self.cpu_seconds)) from None
        except protocol.ProtocolError as exc:
            self._die(kill=True)
            raise StudentBadValue(f"{UNREADABLE} ({exc}; did it write to a file descriptor it did not open?)") \
                from None
        finally:
            limit.finish()  # charged to the submission's budget (grader/plugin.py)

    def _reply_to(self, request: int, deadline: float) -> tuple[dict[str, Any], list[bytes]]:
        """The reply to request number ``request``, each frame refused from its prefix if over
        ``MAX_REPLY``; replies to earlier requests (extra frames that student code wrote) are skipped."""
        assert self._sock is not None
        for _ in range(STALE_REPLIES):
            header, blobs = recv_frame(self._sock, deadline, self._wait, max_bytes=protocol.MAX_REPLY)
            if protocol.check_reply(header)["id"] == request:
                return header, blobs
            if not 0 < header["id"] < request:
                raise protocol.ProtocolError(f"a reply to request {header['id']}, not {request}")
        raise protocol.ProtocolError("too many replies to earlier requests")

    def _wait(self, remaining: float | None) -> None:
        """Block until the socket is readable; PeerClosed if only the process's pidfd fired (it died)."""
        assert self._sock is not None and self._poller is not None
        while True:  # until a reply, the process's death, or the call's limit (of CPU time: see cpulimit.py)
            if self._limit is not None:
                remaining = max(0.0, self._limit.seconds_left())
            events = self._poller.poll(None if remaining is None else int(remaining * 1000) + (remaining > 0))
            if events:
                break
            if self._limit is None or remaining == 0:
                raise protocol.Timeout("timed out")
        if not any(fd == self._sock.fileno() for fd, _ in events):
            raise protocol.PeerClosed("the student process exited")

    def _die(self, kill: bool) -> int | None:
        """Kill (or wait for) the process tree, reap it, forget the channel. Returns the wait status
        (None after a kill: the fork server reaps in the background, the status is not needed)."""
        status, server = None, self._server
        if self.pid is not None and self._pidfd is not None and server is not None and server.alive():
            try:
                if kill:
                    if self._follower is not None:
                        self._follower.let_go(*{self.pid} - {self._follower.pid})  # and its keeper
                    server.kill(self.pid, self._pidfd)
                else:
                    status = server.reap(self.pid, kill=False, grace=1.0)
            except StudentCrashed:
                pass
        if self._sock is not None:
            self._sock.close()
        if self._pidfd is not None:
            os.close(self._pidfd)
        if self.scratch:
            shutil.rmtree(self.scratch, ignore_errors=True)
        self._sock = self._pidfd = self.pid = self.scratch = self._poller = self._server = self._follower = None
        self.generation = next(_GENERATIONS)
        return status

    def close(self) -> None:
        """Kill the process (and everything it started) and delete its scratch dir."""
        if self._sock is not None:
            self._die(kill=True)
        _LIVE.discard(self)

    def __enter__(self) -> "StudentProcess":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _names(reply: dict[str, Any]) -> dict[str, str]:
    names = reply.get("names")
    if type(names) is not dict or not all(type(k) is str and type(v) is str for k, v in names.items()):
        raise StudentBadValue(f"{UNREADABLE} (the list of names it defines)")
    return names


def standin_request(name: str, trusted_name: str | None) -> dict[str, Any]:
    """The request that makes the submission's ``name`` the trusted helper ``trusted_name`` (None: undo)."""
    from grader.sandbox.standins import source_of

    if trusted_name is None:
        return {"op": "standin", "name": name, "source": None}
    return {"op": "standin", "name": name, "binding": trusted_name, "source": source_of(trusted_name)}


def _note(stmt: Any, message: str) -> LoadNote:
    return LoadNote(message, stmt.lineno, stmt.cell, "warning")


def sandbox_processes(token: str | None = None) -> list[int]:
    """Pids of processes started by this judge's fork server (by its environment marker),
    the server itself and its spare student process excluded: for tests that check nothing is
    left behind."""
    token = token or (_SERVER.token if _SERVER else "")
    marker, found = f"DLFS_SANDBOX={token}".encode(), []
    ours = _SERVER is not None and token == _SERVER.token
    skip = ({_SERVER.pid} | _SERVER.spare_pids()) if ours and _SERVER is not None else set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in skip:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if marker in fh.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:
            continue
    return found


@atexit.register
def _shutdown() -> None:
    for proc in list(_LIVE):
        try:
            proc.close()
        except Exception:
            pass
    if _SERVER is not None:
        _SERVER.terminate()

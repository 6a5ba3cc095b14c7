"""``start_map_forked``: a judge-side function over many items, in forked processes (loading a class), while
this process does something else (collects the checks); ``.result()`` then waits for them.

The function runs in children forked from this process (milliseconds to start, nothing to import);
results come back as JSON (``to_json`` in the child, ``from_json`` here), never pickled. A child
that fails or dies leaves its items to this process, so the result is the same as a plain ``map``.
"""
from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
from typing import Any, Callable, Generic, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")
MIN_ITEMS_PER_CHILD = 8  # below this, forking costs more than it saves


class ForkedMap(Generic[T, R]):
    """A map whose children are running: this process may do other work until :meth:`result`."""

    def __init__(self, fn: Callable[[T], R], items: Sequence[T], jobs: int, to_json: Callable[[R], Any],
                 from_json: Callable[[Any], R]) -> None:
        self.fn, self.items, self.from_json = fn, items, from_json
        children = min(jobs, len(items) // MIN_ITEMS_PER_CHILD)
        self.shares = [list(range(i, len(items), children)) for i in range(children)] if children >= 2 else []
        self.running = [_fork(fn, [items[i] for i in share], to_json) for share in self.shares]

    def result(self) -> list[R]:
        """The results in order (a share whose child failed is done here)."""
        if not self.shares:
            return [self.fn(x) for x in self.items]
        results: list[Any] = [None] * len(self.items)
        for share, (pid, fd) in zip(self.shares, self.running):
            with os.fdopen(fd, "rb") as pipe:
                data = pipe.read()
            os.waitpid(pid, 0)
            try:
                values = [self.from_json(v) for v in json.loads(data)]
            except ValueError:  # the child failed: do its share here
                values = [self.fn(self.items[i]) for i in share]
            for i, value in zip(share, values):
                results[i] = value
        self.running = []
        return results

    def cancel(self) -> None:
        """Stop the children (the results are no longer wanted)."""
        for pid, fd in self.running:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            os.close(fd)
            os.waitpid(pid, 0)
        self.running = []


def start_map_forked(fn: Callable[[T], R], items: Sequence[T], jobs: int, *, to_json: Callable[[R], Any],
                     from_json: Callable[[Any], R]) -> ForkedMap[T, R]:
    """``[fn(x) for x in items]`` in up to ``jobs`` children forked now (none for few items: ``result()`` then
    maps in this process)."""
    return ForkedMap(fn, items, jobs, to_json, from_json)


def _fork(fn: Callable[[T], R], items: list[T], to_json: Callable[[R], Any]) -> tuple[int, int]:
    read, write = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        code = 1
        try:
            os.close(read)
            data = json.dumps([to_json(fn(x)) for x in items]).encode()
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    return pid, read

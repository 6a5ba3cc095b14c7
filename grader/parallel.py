"""``map_forked``: a judge-side function over many items, in forked processes (loading a class).

The function runs in children forked from this process (milliseconds to start, nothing to import);
results come back as JSON (``to_json`` in the child, ``from_json`` here), never pickled. A child
that fails or dies leaves its items to this process, so the result is the same as a plain ``map``.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")
MIN_ITEMS_PER_CHILD = 8  # below this, forking costs more than it saves


def map_forked(fn: Callable[[T], R], items: Sequence[T], jobs: int, *, to_json: Callable[[R], Any],
               from_json: Callable[[Any], R]) -> list[R]:
    """``[fn(x) for x in items]``, in up to ``jobs`` forked children."""
    children = min(jobs, len(items) // MIN_ITEMS_PER_CHILD)
    if children < 2:
        return [fn(x) for x in items]
    shares = [list(range(i, len(items), children)) for i in range(children)]
    running = [_fork(fn, [items[i] for i in share], to_json) for share in shares]
    results: list[Any] = [None] * len(items)
    for share, (pid, fd) in zip(shares, running):
        with os.fdopen(fd, "rb") as pipe:
            data = pipe.read()
        os.waitpid(pid, 0)
        try:
            values = [from_json(v) for v in json.loads(data)]
        except ValueError:  # the child failed: do its share here
            values = [fn(items[i]) for i in share]
        for i, value in zip(share, values):
            results[i] = value
    return results


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

"""The sandbox: student code runs only in isolated student processes forked by a fork server.

``Student`` is what checks receive (see docs/ARCHITECTURE.md, "The student proxy");
``StudentProcess`` is the judge's side of one student process; ``InProcessStudent`` runs a
submission in this process without isolation (benchmarks only).

The names below are imported on first use, so that ``grader.sandbox.process`` alone (the fork server's
start, which the CLI begins before its own imports: grader/entry.py) does not pull in the proxy and pytest.
"""
from __future__ import annotations

from typing import Any

_WHERE = {"LoadResult": "process", "StudentProcess": "process", "isolation_available": "process",
          "InProcessStudent": "proxy", "RemoteObject": "proxy", "Student": "proxy"}

__all__ = ["Student", "InProcessStudent", "StudentProcess", "RemoteObject", "LoadResult", "isolation_available"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'grader.sandbox' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"grader.sandbox.{_WHERE[name]}"), name)
    globals()[name] = value
    return value

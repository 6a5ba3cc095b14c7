"""The sandbox: student code runs only in isolated student processes forked by a fork server.

``Student`` is what checks receive (see docs/ARCHITECTURE.md, "The student proxy");
``StudentProcess`` is the judge's side of one student process; ``InProcessStudent`` runs a
submission in this process without isolation (benchmarks only).
"""
from grader.sandbox.process import LoadResult, StudentProcess, isolation_available
from grader.sandbox.proxy import InProcessStudent, RemoteObject, Student

__all__ = ["Student", "InProcessStudent", "StudentProcess", "RemoteObject", "LoadResult", "isolation_available"]

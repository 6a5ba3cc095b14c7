"""Controller-side pytest plugins: gather the verdicts and the catalog of checks.

These run in the process that called ``pytest.main`` (with forked judge workers: that process, which
receives every worker's reports); they read JSON strings from reports, nothing else.
"""
from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from grader.checks import CheckInfo, info_of
from grader.plugin import VERDICT_PROPERTY


class VerdictCollector:
    """Keeps the verdict record of every (submission, check) as reports arrive."""

    def __init__(self, on_verdict: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.records: dict[tuple[str, str], dict[str, Any]] = {}
        self.on_verdict = on_verdict

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name != VERDICT_PROPERTY:
                continue
            record = json.loads(value)
            self.records[(record["submission"], record["id"])] = record
            if self.on_verdict:
                self.on_verdict(record)


class CatalogCollector:
    """Collect-only: the assignment's checks in collection order, once each."""

    def __init__(self) -> None:
        self.checks: list[CheckInfo] = []
        self.problems: list[str] = []

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        seen: dict[str, str] = {}
        for item in items:
            info = info_of(item)
            if info is None:
                continue
            where = item.nodeid.split("[")[0]
            if info.id not in seen:
                seen[info.id] = where
                self.checks.append(info)
            elif seen[info.id] != where:
                self.problems.append(f"check id {info.id!r} is declared twice ({seen[info.id]} and {where})")
            else:  # one submission is collected here: the same id twice means two cases that look alike
                self.problems.append(f"{where}: two parametrised cases get the same check id {info.id!r}; "
                                     "make the parameter values distinct")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.problems.append(f"{report.nodeid or 'collection'}: {report.longreprtext.strip()}")

"""Which passed checks earn their points: code that computes nothing right earns nothing.

A mutation check ("x is left unchanged") or a static check ("no literal 10e-8") passes for a function
that returns zeros, a constant or a lying object just as well as for a correct one. Such checks are
*conditional*: they are credited only when at least one result check of the same component (golden,
gradcheck, property, shape, convergence) passed too. Otherwise the check is turned into a failure
that says why, so a stub or a cheat collects no points from the behaviour it trivially has.
"""
from __future__ import annotations

from typing import Any

CONDITIONAL_KINDS = frozenset({"mutation", "static"})


def _uncredited(check: dict[str, Any]) -> dict[str, Any]:
    component = check["component"]
    return {**check, "status": "failed", "score": 0.0,
            "message": f"not credited: none of {component}'s result checks passed, and a {check['kind']} check "
                       f"earns points only alongside a right result. Fix {component}'s results first "
                       "(see its other checks)."}


def apply_credit_rule(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``checks`` of one submission (verdict dicts) with unearned conditional passes turned into failures."""
    right = {c["component"] for c in checks if c["kind"] not in CONDITIONAL_KINDS and c["status"] == "passed"}
    has_values = {c["component"] for c in checks if c["kind"] not in CONDITIONAL_KINDS}
    return [_uncredited(c) if (c["kind"] in CONDITIONAL_KINDS and c["status"] == "passed"
                                and c["component"] in has_values and c["component"] not in right) else c
            for c in checks]

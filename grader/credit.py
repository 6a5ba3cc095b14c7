"""Which passed checks earn their points: code that computes nothing right earns nothing.

Two rules, applied in this order:

* **Twins.** A public case (inputs from the course notes or the golden store, whose expected values the
  messages show) can be passed by a table of its answers. So a check that passed on public inputs only is
  run again as its *twin*, on keyed inputs of the same kind (grader/inputs.py), and is credited only if the
  twin passed too. Otherwise it is turned into a failure that says so, without the twin's numbers.
* **Conditional kinds.** A mutation check ("x is left unchanged") or a static check ("no literal 10e-8")
  passes for a function that returns zeros, a constant or a lying object just as well as for a correct one.
  Such checks are credited only when at least one result check of the same component (golden, gradcheck,
  property, shape, convergence) earned its points too. Otherwise the check is turned into a failure that
  says why, so a stub or a cheat collects no points from the behaviour it trivially has.
"""
from __future__ import annotations

from typing import Any

CONDITIONAL_KINDS = frozenset({"mutation", "static"})
HARD_CODED = ("your function returns the right answer for the example but not for other values of the same "
              "shape: hard-coded? The same check on other values of the same shape and kind")


def _uncredited(check: dict[str, Any]) -> dict[str, Any]:
    component = check["component"]
    return {**check, "status": "failed", "score": 0.0,
            "message": f"not credited: none of {component}'s result checks passed, and a {check['kind']} check "
                       f"earns points only alongside a right result. Fix {component}'s results first "
                       "(see its other checks)."}


def _twin_failed(check: dict[str, Any]) -> dict[str, Any]:
    twin = check["twin"]
    said = {"timeout": "did not finish in time", "missing": "found a name missing",
            "error": "raised an error"}.get(twin.get("status"), "failed")
    why = twin.get("message") or ""
    return {**check, "status": "failed", "score": 0.0,
            "message": f"{HARD_CODED} {said}{': ' + why if why else ''}"}


def apply_twin_rule(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``checks`` with each passed public case whose twin did not pass turned into a failure."""
    return [_twin_failed(c) if c["status"] == "passed" and c.get("twin", {}).get("status") not in (None, "passed",
                                                                                                  "none")
            else c for c in checks]


def apply_credit_rule(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``checks`` of one submission (verdict dicts) with unearned passes turned into failures: public cases
    without their twin, then conditional checks without a passed result check of their component."""
    checks = apply_twin_rule(checks)
    right = {c["component"] for c in checks if c["kind"] not in CONDITIONAL_KINDS and c["status"] == "passed"}
    has_values = {c["component"] for c in checks if c["kind"] not in CONDITIONAL_KINDS}
    return [_uncredited(c) if (c["kind"] in CONDITIONAL_KINDS and c["status"] == "passed"
                                and c["component"] in has_values and c["component"] not in right) else c
            for c in checks]

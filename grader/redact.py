"""What the verdict of a hidden check may show: what is wrong, never the expected numbers.

A hidden check (one that drew inputs with grader.inputs.hidden_rng) fails with the same sentence as a public
one ("Affine.db ... differs from the expected value at index 2: expected 1.25, got 0.3125 ... Likely cause:
the mean instead of the sum"), but a student who saw the expected values of a hidden case could paste them
into the next submission. Here the expected numbers, the errors (expected = got +- error) and the
expected columns of the details are replaced by "hidden"; the student's own values, the shapes, the
counts, the index of the worst element and the likely cause stay.
"""
from __future__ import annotations

import re
from typing import Any

HIDDEN = "[hidden]"
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?%?|[-+]?inf|NaN|nan"
# "expected 0.25", "expected about 0.6", "expected exactly 42", "numeric 1.5" (gradient checks' expected label),
# "abs error 0.1", "max abs error 2", "the reference reaches 0.97"
_SHOWS_EXPECTED = re.compile(
    rf"\b(expected(?: about| exactly| only)?|numeric|reference(?: reaches| gives)?|abs error|max abs error)"
    rf"(\s*[:=]?\s*)({_NUMBER})", re.IGNORECASE)
_EXPECTED_LIST = re.compile(r"\b(expected(?: values?)?\s*[:=]?\s*)(\[[^\]]*\])", re.IGNORECASE)
_HIDDEN_KEYS = ("expected", "max_abs_err", "reference")


def redact_message(message: str) -> str:
    """``message`` with every expected number replaced by ``[hidden]``."""
    message = _EXPECTED_LIST.sub(lambda m: m[1] + HIDDEN, message)
    return _SHOWS_EXPECTED.sub(lambda m: m[1] + m[2] + HIDDEN, message)


def redact_details(details: dict[str, Any]) -> dict[str, Any]:
    """``details`` without expected values: table rows keep index and got; curves keep the student's curve."""
    out: dict[str, Any] = {}
    for key, value in details.items():
        if key in _HIDDEN_KEYS:
            out[key] = HIDDEN if not isinstance(value, list) else []
        elif key == "rows" and isinstance(value, list):
            out[key] = [{k: (HIDDEN if k in _HIDDEN_KEYS else v) for k, v in row.items()} if isinstance(row, dict)
                        else row for row in value]
        elif key == "inputs":
            continue  # hidden inputs are not shown either: they are the case itself
        else:
            out[key] = value
    return out


def redact_verdict(record: dict[str, Any]) -> dict[str, Any]:
    """A verdict record of a hidden check, safe to show: message and details redacted."""
    return {**record, "message": redact_message(record.get("message", "")),
            "details": redact_details(record.get("details") or {})}

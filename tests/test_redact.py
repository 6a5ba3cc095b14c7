"""What a hidden check may show: no expected number, however it is nested, and no counterexample cut from its inputs."""
from __future__ import annotations

from grader.redact import HIDDEN, redact_details, redact_message


def test_nested_expected_lists_are_hidden_whole():
    message = "W2 differs: expected [[0.5, 1.003], [0, -1]], got [[1, 2], [3, 4]]; expected values: [[7], [8]]"
    redacted = redact_message(message)
    assert "1.003" not in redacted and "-1]" not in redacted and "[7]" not in redacted
    assert redacted.count(HIDDEN) == 2
    assert "got [[1, 2], [3, 4]]" in redacted  # the student's own values stay


def test_expected_numbers_are_hidden_and_the_cause_stays():
    redacted = redact_message("db differs at index 2: expected 1.25, got 0.3125. Likely cause: the mean instead of the sum.")
    assert "1.25" not in redacted and "got 0.3125" in redacted and "mean instead of the sum" in redacted


def test_a_counterexample_from_hidden_inputs_is_dropped():
    message = ("Sigmoid.backward differs: expected 0.2, got 0.1. Likely cause: missing (1 - out). "
               "The smallest failing input found: x = [[3.8]], dout = [[0.5]]: expected [[0.0107]], got [[0.02]].")
    redacted = redact_message(message)
    assert "3.8" not in redacted and "0.0107" not in redacted and "missing (1 - out)" in redacted


def test_details_lose_expected_columns_and_inputs():
    details = redact_details({"rows": [{"index": 0, "expected": 1.0, "got": 2.0}], "inputs": {"x": [1.0]},
                              "expected": [1.0]})
    assert details["rows"] == [{"index": 0, "expected": HIDDEN, "got": 2.0}]
    assert "inputs" not in details and details["expected"] == []

"""Syntax-error recovery is bounded: a 1.6 MB file full of syntax errors costs only its own submission.

Recovery compiles the text once, every top-level chunk once, and then the whole text again per error that
only shows in context; the compile work is bounded per submission (grader.loader.RecoveryBudget), and the
notes stop at MAX_SYNTAX_NOTES plus one that counts the rest. (Measured before the bound: 3 min 54 s for
such a file in the judge.)
"""
from __future__ import annotations

import builtins
import json
from pathlib import Path

import pytest

from grader.cli import main as cli_main
from grader.loader import MAX_SYNTAX_NOTES, RECOVERY_COMPILE_FACTOR, load_source
from reference.submission import as_submission

SIZE = 1_600_000


def _many(block: str) -> str:
    """``block`` (with {i}) repeated until the text is SIZE characters long."""
    parts, size, i = [], 0, 0
    while size < SIZE:
        parts.append(block.format(i=i))
        size += len(parts[-1])
        i += 1
    return "".join(parts)


# Every chunk fails on its own: found in one linear pass.
CHUNK_ERRORS = _many("def broken{i}(x):\n    return (x + 1\n\n")
# Each error shows only in the context of the whole file (a late __future__ import): one whole-file
# compile per error, the case that was quadratic.
CONTEXT_ERRORS = _many("def f{i}(x):\n    return x\nfrom __future__ import annotations\n")


def _compiled_chars(text: str) -> tuple[int, object]:
    """(characters passed to compile() while loading ``text``, the LoadedSubmission)."""
    real, total = builtins.compile, [0]

    def counting(source, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003 - builtins.compile's signature
        total[0] += len(source) if isinstance(source, str) else 0
        return real(source, *args, **kwargs)

    builtins.compile = counting
    try:
        loaded = load_source(text, "big", "big.py")
    finally:
        builtins.compile = real
    return total[0], loaded


@pytest.mark.slow
def test_context_errors_stop_within_the_compile_budget():
    chars, loaded = _compiled_chars(CONTEXT_ERRORS)
    assert chars <= RECOVERY_COMPILE_FACTOR * len(CONTEXT_ERRORS) + 2_000_000 + 2 * len(CONTEXT_ERRORS)
    assert loaded.statements == []
    assert "too many syntax errors for the grader to recover from" in loaded.notes[-1].message
    assert "line 3" in loaded.notes[-1].message


@pytest.mark.slow
def test_chunk_errors_keep_the_good_code_and_count_the_rest():
    good = as_submission("numerical")
    chars, loaded = _compiled_chars(good + CHUNK_ERRORS)
    assert chars <= RECOVERY_COMPILE_FACTOR * len(good + CHUNK_ERRORS) + 2_000_000
    assert {"softmax", "sigmoid", "numerical_gradient"} <= set(loaded.defined)
    syntax = [n for n in loaded.notes if "SyntaxError" in n.message or n.message.startswith("... and")]
    assert len(syntax) == MAX_SYNTAX_NOTES + 1
    assert syntax[-1].message.startswith("... and ") and "more syntax errors" in syntax[-1].message


def test_a_huge_broken_file_costs_only_its_own_submission(tmp_path: Path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "correct.py").write_text(as_submission("numerical"), encoding="utf-8")
    (subs / "context_errors.py").write_text(CONTEXT_ERRORS, encoding="utf-8")
    (subs / "chunk_errors.py").write_text(as_submission("numerical") + CHUNK_ERRORS, encoding="utf-8")
    out = tmp_path / "out"
    assert cli_main(["grade", "numerical", str(subs), "--out", str(out), "--jobs", "2"]) == 0
    results = {s["id"]: s for s in json.loads((out / "results.json").read_text())["submissions"]}
    assert results["correct"]["score"] == results["correct"]["max_score"]
    assert results["chunk_errors"]["score"] == results["correct"]["max_score"]
    assert results["context_errors"]["score"] == 0
    assert results["context_errors"]["status"] == "load_error"

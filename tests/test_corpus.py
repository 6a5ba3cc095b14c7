"""The corpus of real code (tests/corpus/, see tests/corpus/harness.py) graded through the CLI, one run per
assignment: no correct component loses a point, and the grader names the cause of at least 90% of the real
bugs. The default run grades the `backprop` part (the quickest); `-m slow` grades all five assignments.
`python tests/corpus/harness.py` prints the per-source table."""
from __future__ import annotations

import pytest

from tests.corpus import harness

NAMED_AT_LEAST = 0.9
QUICK = ("backprop",)


def test_every_corpus_file_has_provenance_and_labels():
    for assignment in harness.ASSIGNMENTS:
        for path in sorted((harness.corpus_dir() / assignment).glob("*.py")):
            head = path.read_text(encoding="utf-8").splitlines()[:40]
            assert any(line.startswith("# provenance: ") for line in head), path
            assert any(line.startswith("# adapted: ") for line in head), path
            assert any(line.startswith("# label ") for line in head), path
    labels = [lab for a in harness.ASSIGNMENTS for lab in harness.labels(a)]
    assert all(lab.correct or lab.cause_pattern for lab in labels), "every bug label needs its cause pattern"


def _assert_corpus(outcomes: list[harness.Outcome], named_at_least: float) -> None:
    lost = [o for o in outcomes if o.label.correct and o.lost > 0]
    assert not lost, harness.misses(lost)
    bugs = [o for o in outcomes if not o.label.correct]
    named = sum(o.named for o in bugs)
    print("\n" + harness.table(outcomes) + ("\nnot built: " + ", ".join(harness.skipped()) if harness.skipped() else ""))
    assert bugs and named / len(bugs) >= named_at_least, harness.table(outcomes) + "\n" + harness.misses(bugs)


def test_quick_part_of_the_corpus():
    """backprop: the delta rule's fixed loop count, the deep net's broadcast and the dropout indices are named."""
    outcomes = harness.run(QUICK)
    named = {(o.label.file, o.label.component) for o in outcomes if o.named}
    assert {("seed000_delta", "delta_sgd"), ("seed000_deep_relu", "deep_relu"), ("seed000_xor", "dropout_mask")} <= named
    lost = [o for o in outcomes if o.label.correct and o.lost > 0]
    assert not lost, harness.misses(lost)


@pytest.mark.slow
def test_whole_corpus():
    _assert_corpus(harness.run(), NAMED_AT_LEAST)

"""The corpus of real code (tests/corpus/, see tests/corpus/harness.py) graded through the CLI, one run per
assignment. Per source (the course notes, the textbook and its Korean edition, six CS231n solutions, five students'
repositories): no correct component loses a point, and the grader names the cause of at least 90% of the real bugs.
The public sources are built from local mirrors (tests/corpus/public.py); without one they are skipped, with the
reason. The default run grades the `backprop` part (the quickest) and builds every public file; `-m slow` grades all
five assignments. `python tests/corpus/harness.py` prints the per-source table."""
from __future__ import annotations

import pytest

from tests.corpus import harness, public

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


def test_public_recipes_build_from_their_mirrors():
    """Every public recipe finds its commit, its definitions and its renaming edits (render raises otherwise), and
    labels exactly the components its file defines or its adapter maps."""
    built = [r for r in public.RECIPES if public.available(r)]
    if not built:
        pytest.skip(f"no mirror of any public repository under {public.MIRRORS} (tests/corpus/public.py says how)")
    for recipe in built:
        text = public.render(recipe)
        for label in recipe.labels:
            component = label.split(":")[0]
            assert f"class {component}" in text or f"def {component}(" in text, (recipe.name, component)
    missing = sorted({r.repo[0] for r in public.RECIPES if not public.available(r)})
    if missing:
        pytest.skip("built the recipes of the mirrors here; no mirror of " + ", ".join(missing))


def _assert_per_source(outcomes: list[harness.Outcome], named_at_least: float) -> None:
    print("\n" + harness.table(outcomes) + ("\nnot built: " + ", ".join(harness.skipped()) if harness.skipped() else ""))
    lost = [o for o in outcomes if o.label.correct and o.lost > 0]
    assert not lost, harness.misses(lost)
    for source in sorted({o.label.source for o in outcomes}):
        bugs = [o for o in outcomes if o.label.source == source and not o.label.correct]
        named = sum(o.named for o in bugs)
        assert not bugs or named / len(bugs) >= named_at_least, (
            f"{source}: {named} of {len(bugs)} real bugs named\n" + harness.table(outcomes) + "\n" + harness.misses(bugs))


def test_quick_part_of_the_corpus():
    """backprop: the delta rule's fixed loop count, the deep net's broadcast and the dropout indices are named."""
    outcomes = harness.run(QUICK)
    named = {(o.label.file, o.label.component) for o in outcomes if o.named}
    assert {("seed000_delta", "delta_sgd"), ("seed000_deep_relu", "deep_relu"), ("seed000_xor", "dropout_mask")} <= named
    lost = [o for o in outcomes if o.label.correct and o.lost > 0]
    assert not lost, harness.misses(lost)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", harness.ASSIGNMENTS)
def test_corpus_assignment(assignment):
    """One assignment's corpus, every source: per source, no correct component loses a point and >= 90% of the
    real bugs are named (what holds per assignment and source holds per source over all five)."""
    _assert_per_source(harness.run((assignment,)), NAMED_AT_LEAST)


"""The bundled demo class, graded end to end by the README's main command, gets what its README promises."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from grader.cli import main

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo_class"

# Per submission id: the checks that do not pass, with their status (every other check passes).
EXPECTED = {
    "parkjiwoo": {}, "leeseoyeon": {}, "dupont_marie": {},
    "kimminji": {"numerical_diff/matches-central-difference": "failed", "numerical_diff/is-exact-on-quadratics": "failed"},
    "choi_junho": {"numerical_gradient/2d": "error", "numerical_gradient/4d": "error",
                   "numerical_gradient/restores-x": "error"},
    "jung_hayoon": {"numerical_gradient/2d": "failed", "numerical_gradient/4d": "failed",
                    "numerical_gradient/restores-x": "failed"},
    "kang_dohyun": {"softmax/stable-for-large-inputs": "failed"},
    "yoonseojin": {"cross_entropy_error/golden-seed": "failed", "cross_entropy_error/golden-batch": "failed",
                   "cross_entropy_error/golden-labels": "failed", "cross_entropy_error/leaves-inputs-alone": "failed"},
    "Han Yerin": {"sum_squared_error/golden-seed": "failed", "sum_squared_error/golden-batch": "failed",
                  "sum_squared_error/leaves-inputs-alone": "failed"},
    "song_minho": {"gradient_descent/golden-seed": "failed", "gradient_descent/fresh": "failed",
                   "gradient_descent/leaves-init-x-alone": "failed"},
    "lim_jiwon": {"gradient_descent/golden-seed": "failed", "gradient_descent/fresh": "failed",
                  "gradient_descent/leaves-init-x-alone": "failed"},
    "oh_sungmin_colab": {"gradient_descent/golden-seed": "missing", "gradient_descent/fresh": "missing",
                         "gradient_descent/leaves-init-x-alone": "missing"},
    "shin_eunji": {"softmax/golden-vector": "timeout", "softmax/golden-batch": "timeout",
                   "softmax/leaves-input-alone": "timeout"},
    "baek_taeyang": {"gradient_descent/golden-seed": "error", "gradient_descent/fresh": "error",
                     "gradient_descent/leaves-init-x-alone": "error"},
}
# Likely causes the messages must name (submission, check, words).
CAUSES = [
    ("kimminji", "numerical_diff/matches-central-difference", "/ (2*h)"),
    ("choi_junho", "numerical_gradient/2d", "IndexError"),
    ("jung_hayoon", "numerical_gradient/2d", "never restored"),
    ("kang_dohyun", "softmax/stable-for-large-inputs", "Subtract the maximum"),
    ("yoonseojin", "cross_entropy_error/golden-batch", "not divided by the batch size"),
    ("Han Yerin", "sum_squared_error/golden-seed", "0.5"),
    ("song_minho", "gradient_descent/fresh", "init_x is returned unchanged"),
    ("lim_jiwon", "gradient_descent/fresh", "`return` inside the loop"),
    ("oh_sungmin_colab", "gradient_descent/fresh", "SyntaxError"),
    ("shin_eunji", "softmax/golden-vector", "did not finish"),
    ("baek_taeyang", "gradient_descent/fresh", "sys.exit()"),
    ("nam_gyuri", "softmax/golden-vector", "may not import 'reference'"),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("demo") / "out"
    assert main(["grade", "numerical", str(DEMO), "--out", str(out), "--jobs", "2", "--quiet"]) == 0
    assert (out / "index.html").exists() and (out / "grades.csv").exists()
    return json.loads((out / "results.json").read_text(encoding="utf-8"))


def _by_id(results: dict) -> dict[str, dict]:
    return {s["id"]: s for s in results["submissions"]}


def test_every_demo_submission_is_graded(results: dict) -> None:
    subs = _by_id(results)
    assert set(subs) == set(EXPECTED) | {"nam_gyuri", "seo_dahye"}
    assert subs["seo_dahye"]["status"] == "load_error"
    assert all(c["status"] == "error" for c in subs["seo_dahye"]["checks"])
    assert "not a readable Jupyter notebook" in subs["seo_dahye"]["checks"][0]["message"]


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_demo_submission_outcome(results: dict, student: str) -> None:
    sub = _by_id(results)[student]
    not_passed = {c["id"]: c["status"] for c in sub["checks"] if c["status"] != "passed"}
    assert not_passed == EXPECTED[student]
    assert sub["score"] == pytest.approx(results["max_score"] - sum(
        c["max_score"] for c in sub["checks"] if c["id"] in EXPECTED[student]))


@pytest.mark.parametrize(("student", "check_id", "words"), CAUSES)
def test_demo_messages_name_the_cause(results: dict, student: str, check_id: str, words: str) -> None:
    check = next(c for c in _by_id(results)[student]["checks"] if c["id"] == check_id)
    assert words in check["message"]


def test_cheater_earns_nothing_from_cheating(results: dict) -> None:
    """Patching np.allclose and printing ALL TESTS PASSED changes nothing; importing reference fails."""
    cheat = _by_id(results)["nam_gyuri"]
    passed = {c["id"] for c in cheat["checks"] if c["status"] == "passed"}
    honest = {"sigmoid/golden", "sigmoid/any-shape-and-large-inputs", "sigmoid/leaves-input-alone",
              "relu/golden", "relu/leaves-input-alone"}
    # Hard-coded zeros no longer match the lecture's descent: its check also takes 10 steps, still on the way to
    # [0, 0] (it used to pass by luck, and credit leaving init_x alone with it).
    assert passed == honest
    assert results["isolation"]

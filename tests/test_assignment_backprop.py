"""The `backprop` checks catch the seeds' bug classes, name their likely causes, and charge only the
component at fault. Each planted submission is the reference with one textual change."""
from __future__ import annotations

import pytest

from grader.credit import HARD_CODED
from reference.submission import as_submission
from tests.helpers_planted import Planted, assert_planted, grade_planted

REFERENCE = as_submission("backprop")

# name -> (old text, new text) applied to the reference, and the checks that must not pass with the
# words their message must contain (None: any message). Every other check must pass.
PLANTED = {
    "delta_return_in_loop": (
        ("        W = W + alpha * np.outer(delta, x)\n    return W",
         "        W = W + alpha * np.outer(delta, x)\n        return W"),
        {"delta_sgd/golden-epoch": "only the first sample was used",
         "delta_sgd/flat-targets": None, "delta_sgd/leaves-inputs-alone": "not credited"},
    ),
    "backward_sign": (
        ("delta_o = (o - t) * o * (1.0 - o)", "delta_o = (t - o) * o * (1.0 - o)"),
        # mlp_update calls this mlp_backward: it is right for the gradients it is given, so it keeps its points.
        {"mlp_backward/golden-seed[dW1]": "wrong sign", "mlp_backward/golden-seed[dW2]": "wrong sign",
         "mlp_backward/gradcheck[dW1]": "wrong sign", "mlp_backward/gradcheck[dW2]": "wrong sign",
         "mlp_backward/leaves-inputs-alone": "not credited"},
    ),
    "backward_hidden_delta_without_sigmoid_slope": (
        ("delta_h = (W2.T @ delta_o) * h * (1.0 - h)", "delta_h = W2.T @ delta_o"),
        # fair parts: only dW1 is wrong, so dW2 keeps its share (and mlp_update, graded alone, all of its points)
        {"mlp_backward/golden-seed[dW1]": None, "mlp_backward/gradcheck[dW1]": None},
    ),
    "forward_hidden_without_sigmoid": (
        ("h = sigmoid(np.asarray(W1, dtype=np.float64) @ np.asarray(x, dtype=np.float64))",
         "h = np.asarray(W1, dtype=np.float64) @ np.asarray(x, dtype=np.float64)"),
        # fair parts: o = sigmoid(W2 @ h) is right for the h it was given, so only h's share is lost
        {"mlp_forward/golden-seed[h]": "h is W1 @ x without the sigmoid", "mlp_forward/fresh[h]": None},
    ),
    "loss_no_half": (
        ("return float(0.5 * np.sum(e * e))", "return float(np.sum(e * e))"),
        {"mlp_loss/golden-seed": "0.5", "mlp_loss/fresh": "0.5", "mlp_loss/leaves-inputs-alone": "not credited"},
    ),
    "ce_with_squared_error_delta": (
        ("return _two_layer_epoch(W1, W2, X, D, alpha, _cross_entropy_delta)",
         "return _two_layer_epoch(W1, W2, X, D, alpha, _squared_error_delta)"),
        {"backprop_ce/golden-epoch": "backprop_xor's rule", "backprop_ce/other-sizes": "backprop_xor's rule",
         "backprop_ce/trajectory": None},
    ),
    "deep_return_in_loop": (
        ("        W1 += alpha * np.outer(delta1, x)\n    return W1, W2, W3, W4",
         "        W1 += alpha * np.outer(delta1, x)\n        return W1, W2, W3, W4"),
        {"deep_relu/golden-epoch": "only the first sample was used",
         "deep_relu/other-sizes": "only the first sample was used", "deep_relu/trajectory": None,
         "deep_relu/learns-digits": "did not learn", "deep_relu/leaves-data-alone": "not credited"},
    ),
    "epoch_fixed_range4": (
        # seed 000's real bug: the XOR epoch loops over range(4), the lecture's sample count, whatever X holds.
        ("    for x, d in zip(X, _targets(D)):\n        y1 = sigmoid(W1 @ x)",
         "    for k in range(4):\n        x, d = X[k], _targets(D)[k]\n        y1 = sigmoid(W1 @ x)"),
        {"backprop_xor/other-sizes": "only the first 4 of the 6 samples were used: the sample loop has a fixed "
                                     "count (range(4)) where range(len(X)) belongs",
         "backprop_ce/other-sizes": "fixed count (range(4))"},
    ),
    "epoch_fixed_reshape": (
        # seed 000's other hard-coded sizes: 4 hidden units and 3 inputs in the outer product.
        ("        W1 += alpha * np.outer(delta1, x)\n        W2 += alpha * np.outer(delta, y1)\n",
         "        W1 += alpha * delta1.reshape(4, 1) * x.reshape(1, 3)\n        W2 += alpha * np.outer(delta, y1)\n"),
        {"backprop_xor/other-sizes": "reshape(4, 1) hard-codes sizes that fit one input only",
         "backprop_ce/other-sizes": "reshape(4, 1) hard-codes sizes"},
    ),
    "deep_fixed_range5": (
        ("    for x, d in zip(X, _targets(D)):\n        v1 = W1 @ x",
         "    for k in range(5):\n        x, d = X[k], _targets(D)[k]\n        v1 = W1 @ x"),
        {"deep_relu/other-sizes": "only the first 5 of the 7 samples were used"},
    ),
    "dropout_with_replacement": (
        ("round(size * (1.0 - ratio)), replace=False)", "round(size * (1.0 - ratio)), replace=True)"),
        {"dropout_mask/keeps-exact-count": "with replacement",
         # drawn with replacement, a position is kept 46 % of the time instead of 60 %: whether one position's rate
         # over 200 calls leaves the 6-standard-error band depends on the draws (keyed by this file's code)
         "dropout_mask/is-random-and-uniform": (("passed", "failed"), None)},
    ),
    "dropout_not_inverted": (
        ("mask[kept] = 1.0 / (1.0 - ratio)", "mask[kept] = 1.0"),
        {"dropout_mask/values": "1 / (1 - ratio)"},
    ),
    "backward_subtracts_in_place": (
        ("    x, t, W2 = _f64(x, t, W2)\n    h, o = mlp_forward(x, W1, W2)\n    delta_o = (o - t) * o * (1.0 - o)\n",
         "    (W2,) = _f64(W2)\n    h, o = mlp_forward(x, W1, W2)\n    t -= o\n    delta_o = -t * o * (1.0 - o)\n"),
        # the values are right; only the caller's t is spoiled
        {"mlp_backward/leaves-inputs-alone": "modified t in place"},
    ),
    "forward_column_vectors": (
        ("    return h, o\n", "    return h.reshape(-1, 1), o.reshape(-1, 1)\n"),
        # a MATLAB habit: column vectors. The callers are graded with a trusted mlp_forward and keep their points.
        {"mlp_forward/golden-seed[h]": "a column (N, 1) was returned where a 1-D array (N,) was expected",
         "mlp_forward/golden-seed[o]": "a column (N, 1)",
         "mlp_forward/fresh[h]": "a column (N, 1)", "mlp_forward/fresh[o]": "a column (N, 1)",
         "mlp_forward/leaves-inputs-alone": "not credited"},
    ),
    "forward_x_at_W": (
        ("h = sigmoid(np.asarray(W1, dtype=np.float64) @ np.asarray(x, dtype=np.float64))",
         "h = sigmoid(np.asarray(x, dtype=np.float64) @ np.asarray(W1, dtype=np.float64))"),
        # mlp_backward and mlp_update call this mlp_forward: graded with a trusted one, they keep their points.
        # o = sigmoid(W2 @ h) of its own h keeps o's share on the lecture's square matrices; with W1 (4, 3)
        # x @ W1 raises, so the fresh check and the mutation check (fresh shapes too) fail whole
        {"mlp_forward/golden-seed[h]": "x @ W1 instead of W1 @ x", "mlp_forward/fresh[h]": None,
         "mlp_forward/fresh[o]": None, "mlp_forward/leaves-inputs-alone": None},
    ),
}
GLOBAL_W = '''
W1 = np.array([[0.3, 0.25], [0.4, 0.35]])
W2 = np.array([[0.45, 0.4], [0.7, 0.6]])


def mlp_forward(x, W1_, W2_):
    h = sigmoid(W1 @ x)
    return h, sigmoid(W2 @ h)
'''


def _planted(name: str) -> str:
    (old, new), _ = PLANTED[name]
    assert REFERENCE.count(old) == 1, f"{name}: the reference no longer contains {old!r}"
    return REFERENCE.replace(old, new)


NOT_PASSED = ("failed", "error", "timeout", "missing")
SOURCES: Planted = {"reference": (REFERENCE, {}), **{
    name: (_planted(name), {check: words if isinstance(words, tuple) else (NOT_PASSED, words)
                            for check, words in expected.items()})
    for name, (_, expected) in PLANTED.items()}}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return grade_planted(tmp_path_factory.mktemp("planted"), "backprop", SOURCES, 30,
                         extra={"global_w": REFERENCE + GLOBAL_W})


def _not_passed(sub: dict) -> dict[str, dict]:
    return {c["id"]: c for c in sub["checks"] if c["status"] != "passed"}


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_planted_bug_costs_only_its_component_and_is_named(graded: dict[str, dict], name: str) -> None:
    assert_planted(graded[name], SOURCES[name][1])


def test_forward_reading_globals_is_named(graded: dict[str, dict]) -> None:
    """The lecture's numbers come out right, but not other numbers of the same shapes (the public case's twin,
    grader/inputs.py): no points for it; fresh inputs fail, and the message names the globals."""
    failing = _not_passed(graded["global_w"])
    assert failing["mlp_forward/golden-seed[h]"]["message"].startswith(HARD_CODED)
    message = failing["mlp_forward/fresh[h]"]["message"]
    assert "reads the global `W1`" in message and "`W2`" in message
    notes = " ".join(n["message"] for n in graded["global_w"]["notes"])
    assert "`mlp_forward` reads the global variable `W1`" in notes

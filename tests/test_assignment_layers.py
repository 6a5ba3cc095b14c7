"""The `layers` assignment end to end: the reference scores full marks; each planted bug fails exactly its
component's expected checks with the expected likely cause, and costs nothing elsewhere. All submissions are
graded in ONE CLI run with --jobs 2.

Planted submissions are the reference's source with classes appended (a later class of the same name replaces
the reference's). In ISOLATED, TwoLayerNet builds on private aliases of the reference's layers, bound before
the planted classes are appended, so a planted layer bug stays in its own component; one submission keeps
TwoLayerNet on the student's (buggy) Affine to check that its messages say so.
"""
from __future__ import annotations

import pytest

import assignments.layers.test_layers as checks
from reference.submission import as_submission
from tests.helpers_planted import Planted, assert_planted, grade_planted

REFERENCE = as_submission("layers")
ISOLATED = (REFERENCE
            .replace('return [Affine(p["W1"], p["b1"]), Sigmoid(), Affine(p["W2"], p["b2"])]',
                     'return [_Affine(p["W1"], p["b1"]), _Sigmoid(), _Affine(p["W2"], p["b2"])]')
            .replace("last = SoftmaxWithLoss()", "last = _SoftmaxWithLoss()")
            + "\n_Affine, _Sigmoid, _SoftmaxWithLoss = Affine, Sigmoid, SoftmaxWithLoss\n")

AFFINE_DB_MEAN = '''
class Affine(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = dout.mean(axis=0)
        return dx
'''
AFFINE_DW_TRANSPOSED = '''
class Affine(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = dout.T @ self.x
        return dx
'''
AFFINE_FLAT_DX = '''
class Affine(Affine):
    def backward(self, dout):
        super().backward(dout)
        return dout @ self.W.T
'''
RELU_ZEROES_X = '''
class Relu:
    def forward(self, x):
        self.mask = x <= 0
        x[self.mask] = 0
        return x

    def backward(self, dout):
        return np.where(self.mask, 0.0, dout)
'''
RELU_TEXTBOOK = '''
class Relu:
    def __init__(self):
        self.mask = None

    def forward(self, x):
        self.mask = (x <= 0)
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dout[self.mask] = 0
        dx = dout
        return dx
'''
SIGMOID_MUTATES_CACHE = '''
class Sigmoid:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out.copy()

    def backward(self, dout):
        out = self.out
        out *= 1.0 - out
        return dout * out
'''
LEAKY_ALPHA_IGNORED = '''
class LeakyRelu:
    def __init__(self, alpha=0.01):
        self.mask = None

    def forward(self, x):
        self.mask = x > 0
        return np.where(self.mask, x, 0.01 * x)

    def backward(self, dout):
        return np.where(self.mask, dout, 0.01 * dout)
'''
SOFTMAX_LOSS_NOT_DIVIDED = '''
class SoftmaxWithLoss(SoftmaxWithLoss):
    def backward(self, dout=1):
        return dout * (self.y - self.t)
'''
SOFTMAX_LOSS_NO_MAX = '''
class SoftmaxWithLoss(SoftmaxWithLoss):
    def forward(self, x, t):
        e = np.exp(x)
        self.y = e / e.sum(axis=-1, keepdims=True)
        self.t = _one_hot(t, self.y.shape)
        return -np.sum(self.t * np.log(self.y + 1e-7)) / self.y.shape[0]
'''
DROPOUT_NEW_MASK_UNSCALED = '''
class Dropout(Dropout):
    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        return x

    def backward(self, dout):
        return dout * (np.random.rand(*dout.shape) > self.dropout_ratio)
'''
TWO_LAYER_NO_SIGMOID_GRAD = '''
class TwoLayerNet(TwoLayerNet):
    def gradient(self, x, t):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        z1 = sigmoid(x @ W1 + b1)
        dy = (softmax(z1 @ W2 + b2) - t) / x.shape[0]
        dz1 = dy @ W2.T
        return {"W1": x.T @ dz1, "b1": dz1.sum(axis=0), "W2": z1.T @ dy, "b2": dy.sum(axis=0)}
'''
# The textbook's layer-based network: its layers keep the arrays created in __init__.
TWO_LAYER_TEXTBOOK = '''
class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        self.params = {"W1": weight_init_std * np.random.randn(input_size, hidden_size),
                       "b1": np.zeros(hidden_size),
                       "W2": weight_init_std * np.random.randn(hidden_size, output_size),
                       "b2": np.zeros(output_size)}
        self.layers = [_Affine(self.params["W1"], self.params["b1"]), _Sigmoid(),
                       _Affine(self.params["W2"], self.params["b2"])]
        self.last_layer = _SoftmaxWithLoss()

    def _scores(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def predict(self, x):
        return softmax(self._scores(x))

    def loss(self, x, t):
        return self.last_layer.forward(self._scores(x), t)

    def accuracy(self, x, t):
        return float(np.mean(np.argmax(self.predict(x), axis=1) == np.argmax(t, axis=1)))

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return {"W1": self.layers[0].dW, "b1": self.layers[0].db, "W2": self.layers[2].dW, "b2": self.layers[2].db}
'''
TWO_LAYER_FROZEN = '''
class TwoLayerNet(TwoLayerNet):
    def gradient(self, x, t):
        return {k: np.zeros_like(v) for k, v in self.params.items()}
'''
TWO_LAYER_ZERO_INIT = '''
class TwoLayerNet(TwoLayerNet):
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01):
        super().__init__(input_size, hidden_size, output_size, weight_init_std)
        self.params["W1"] = np.zeros((input_size, hidden_size))
        self.params["W2"] = np.zeros((hidden_size, output_size))
'''
# An Affine whose backward also takes an SGD step on W (the network's own array), and a Flatten that never records
# the input's shape.
AFFINE_STEPS = '''
class Affine(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.W -= 0.1 * self.dW
        return dx
'''
FLATTEN_NO_SHAPE = '''
class Flatten:
    def forward(self, x):
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout
'''

FAILED, ANY = ("failed",), ("passed", "failed")
ALSO_FIX_AFFINE = "TwoLayerNet fails even with correct layers in place of yours; your Affine fails its own checks too"

# id -> (source, {check id: (allowed statuses, substring of the message or None)}); every other check passes.
PLANTED: Planted = {
    "reference": (REFERENCE, {}),
    "dbmean_relu_leaky_sigmoid": (ISOLATED + AFFINE_DB_MEAN + RELU_ZEROES_X + LEAKY_ALPHA_IGNORED
                                  + SIGMOID_MUTATES_CACHE, {
        "Affine/golden-2d[db]": (FAILED, "(mean instead of sum over the batch?)"),
        "Affine/golden-4d[db]": (FAILED, "(mean instead of sum over the batch?)"),
        "Affine/fresh[db]": (FAILED, "(mean instead of sum over the batch?)"),
        "Affine/params-gradcheck[db]": (FAILED, "`self.db = np.mean(dout, axis=0)` gives where `self.db = np.sum(dout, axis=0)`"),
        "Relu/forward-leaves-x": (FAILED, "Relu.forward(x) modified its input x in place"),
        "LeakyRelu/alpha": (FAILED, "alpha = 0.2 is ignored"),
        # consistent with its own forward (alpha 0.01), wrong against LeakyRelu(0.1)'s true derivative
        "LeakyRelu/backward-gradcheck": (FAILED, None),
        "Sigmoid/mutation": (FAILED, "backward changed what forward cached"),
    }),
    "dwT_textbookrelu_dropout_softmaxN": (ISOLATED + AFFINE_DW_TRANSPOSED + RELU_TEXTBOOK + DROPOUT_NEW_MASK_UNSCALED
                                          + SOFTMAX_LOSS_NOT_DIVIDED, {
        "Affine/golden-2d[dW]": (FAILED, "dW is transposed: use x.T @ dout"),
        "Affine/golden-4d[dW]": (FAILED, "dW is transposed: use x.T @ dout"),
        "Affine/fresh[dW]": (FAILED, "dW is transposed: use x.T @ dout"),
        "Affine/params-gradcheck[dW]": (FAILED, "the shape is the transpose"),
        "Relu/backward-leaves-dout": (FAILED, "Relu.backward(dout) modified dout in place"),
        "Dropout/backward-uses-mask": (FAILED, "must reuse the mask drawn in forward"),
        "Dropout/test-mode": (FAILED, "test mode returns x unscaled"),
        # fair parts: the loss (forward) is right and keeps its points
        "SoftmaxWithLoss/golden-onehot[backward]": (FAILED, checks.NOT_DIVIDED_BY_N),
        "SoftmaxWithLoss/golden-labels[backward]": (FAILED, checks.NOT_DIVIDED_BY_N),
        "SoftmaxWithLoss/large-logits[backward]": (FAILED, checks.NOT_DIVIDED_BY_N),
        "SoftmaxWithLoss/gradcheck": (FAILED, "the division by `batch_size` is missing"),
    }),
    "flatdx_nomax_no_sigmoid_grad": (ISOLATED + AFFINE_FLAT_DX + SOFTMAX_LOSS_NO_MAX + TWO_LAYER_NO_SIGMOID_GRAD, {
        "Affine/golden-4d[dx]": (FAILED, "dx is returned flattened to (N, D)"),
        "Affine/fresh[dx]": (FAILED, "dx is returned flattened to (N, D)"),
        "Affine/backward-gradcheck": (FAILED, "still flattened to (N, D)"),
        "SoftmaxWithLoss/large-logits[forward]": (FAILED, "subtract the max before exponentiating?"),
        "SoftmaxWithLoss/large-logits[backward]": (FAILED, None),
        "TwoLayerNet/gradient": (FAILED, "the gradients of W1, b1 are wrong (W2, b2 are right)"),
        "TwoLayerNet/gradcheck": (FAILED, "the gradients of W1, b1 are wrong (W2, b2 are right)"),
        "TwoLayerNet/learns-digits": (ANY, None),
    }),
    "textbook_net": (ISOLATED + TWO_LAYER_TEXTBOOK, {
        "TwoLayerNet/params-honoured": (FAILED, checks.IGNORED_PARAMS),
        "TwoLayerNet/gradcheck": (FAILED, checks.IGNORED_PARAMS),
    }),
    # convergence is judged from initial parameters the grader draws, so a zero initialisation costs only
    # TwoLayerNet/params (it used to fail learns-digits too)
    "zero_init": (ISOLATED + TWO_LAYER_ZERO_INIT, {
        "TwoLayerNet/params": (FAILED, "standard deviation 0"),
    }),
    "frozen_net": (ISOLATED + TWO_LAYER_FROZEN, {
        "TwoLayerNet/gradient": (FAILED, None),
        "TwoLayerNet/gradcheck": (FAILED, None),
        "TwoLayerNet/learns-digits": (FAILED, "did not learn the digits"),
    }),
    # TwoLayerNet built on a broken Affine: graded again with a trusted Affine, it keeps every point.
    "dbmean_seen_by_net": (REFERENCE + AFFINE_DB_MEAN, {
        "Affine/golden-2d[db]": (FAILED, "(mean instead of sum over the batch?)"),
        "Affine/golden-4d[db]": (FAILED, "(mean instead of sum over the batch?)"),
        "Affine/fresh[db]": (FAILED, "(mean instead of sum over the batch?)"),
        "Affine/params-gradcheck[db]": (FAILED, None),
    }),
    # Fair parts: Flatten keeps its forward's points; TwoLayerNet (on the student's Affine, which writes into W)
    # is graded with trusted layers, so params it did not write itself stay Affine's fault only.
    "affine_steps_flatten_noshape": (REFERENCE + AFFINE_STEPS + FLATTEN_NO_SHAPE, {
        "Affine/mutation": (FAILED, None),
        "Flatten/golden[backward]": (FAILED, "still flattened to (N, D)"),
        "Flatten/fresh[backward]": (FAILED, "still flattened to (N, D)"),
    }),
    # Issue 9's leak: a transposed dW used to cost TwoLayerNet/params-honoured too; with trusted layers it does not.
    "dwT_seen_by_net": (REFERENCE + AFFINE_DW_TRANSPOSED, {
        "Affine/golden-2d[dW]": (FAILED, "dW is transposed: use x.T @ dout"),
        "Affine/golden-4d[dW]": (FAILED, "dW is transposed: use x.T @ dout"),
        "Affine/fresh[dW]": (FAILED, "dW is transposed: use x.T @ dout"),
        "Affine/params-gradcheck[dW]": (FAILED, "the shape is the transpose"),
    }),
    # ... unless its own gradient is wrong too: then the message says both.
    "dbmean_and_net_gradient": (REFERENCE + AFFINE_DB_MEAN + TWO_LAYER_NO_SIGMOID_GRAD, {
        "Affine/golden-2d[db]": (FAILED, "(mean instead of sum over the batch?)"),
        "Affine/golden-4d[db]": (FAILED, "(mean instead of sum over the batch?)"),
        "Affine/fresh[db]": (FAILED, "(mean instead of sum over the batch?)"),
        "Affine/params-gradcheck[db]": (FAILED, None),
        "TwoLayerNet/gradient": (FAILED, ALSO_FIX_AFFINE),
        "TwoLayerNet/gradcheck": (FAILED, ALSO_FIX_AFFINE),
        "TwoLayerNet/learns-digits": (ANY, None),
    }),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict]:
    return grade_planted(tmp_path_factory.mktemp("layers"), "layers", PLANTED, 40)


@pytest.mark.parametrize("name", list(PLANTED))
def test_planted_bug_fails_exactly_its_checks(results, name):
    assert_planted(results[name], PLANTED[name][1])


def test_reference_scores_full_marks(results):
    assert results["reference"]["score"] == 40


def test_convergence_failure_carries_both_loss_curves(results):
    check = next(c for c in results["frozen_net"]["checks"] if c["id"] == "TwoLayerNet/learns-digits")
    details = check["details"]
    assert details["type"] == "curves"
    steps = checks.DIGITS_STEPS // checks.CURVE_EVERY
    assert len(details["student"]) == len(details["reference"]) == steps
    assert all(isinstance(v, float) for v in details["student"] + details["reference"])


def test_a_flatten_without_the_shape_keeps_its_forward_points(results):
    sub = results["affine_steps_flatten_noshape"]
    flatten = [c for c in sub["checks"] if c["component"] == "Flatten"]
    assert sum(c["score"] for c in flatten) == pytest.approx(0.375 + 0.375 + 0.5)
    assert sub["score"] == pytest.approx(40 - 0.5 - 2 * 0.375)


def test_isolated_layers_keep_twolayernet_on_the_reference_layers():
    assert ISOLATED.count("_Affine(p[") == 2 and ISOLATED.count("_SoftmaxWithLoss()") == 1

"""The `conv` assignment end to end: the reference scores full marks; each planted bug fails exactly its
component's expected checks with the expected likely cause, and costs nothing elsewhere.

Planted submissions are the reference's source with a few definitions overridden (appended or renamed),
so several independent bugs share one submission. Callers (Convolution and Pooling call im2col/col2im;
the reference's conv1d_train calls conv1d_backward) are re-run with trusted helpers when they fail, so a
helper's bug stays in its own component. All of them are graded in ONE CLI run with --jobs 2.
"""
from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import assignments.conv.test_conv as checks
import reference.conv
from grader.grade import grade
from tests.helpers_planted import assert_planted, grade_planted

REFERENCE = inspect.getsource(reference.conv)
TEMPLATE = Path(__file__).resolve().parent.parent / "student_template" / "conv.py"

TRAIN_LOOP = '''
def conv1d_train(x, w, b, target, lr, epochs):
    w = np.array(w, dtype=float)
    b = np.array(b, dtype=float)
    K = len(w)
    n_out = len(x) - K + 1
    for _ in range(epochs):
        y = np.array([np.dot(x[i:i + K], w) for i in range(n_out)]) + b
        dy = 2 * (y - target) / n_out
        dw = np.array([np.dot(dy, x[j:j + n_out]) for j in range(K)])
        w = w - lr * dw
        b = b - lr * np.sum(dy)
    return w, b
'''


def textbook_im2col(pad_expr: str = "[(0, 0), (0, 0), (pad, pad), (pad, pad)]", stride: str = "stride",
                    order: str = "0, 4, 5, 1, 2, 3") -> str:
    """A textbook im2col whose padding, stride and transpose order can be planted wrong."""
    return f'''
def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    img = np.pad(input_data, {pad_expr})
    N, C, H, W = img.shape
    out_h = (H - filter_h) // {stride} + 1
    out_w = (W - filter_w) // {stride} + 1
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))
    for y in range(filter_h):
        for x in range(filter_w):
            col[:, :, y, x] = img[:, :, y:y + {stride} * out_h:{stride}, x:x + {stride} * out_w:{stride}]
    return col.transpose({order}).reshape(N * out_h * out_w, -1)
'''


def renamed(name: str) -> str:
    """The reference with ``name`` renamed to ``_<name>_ok``, so an appended wrapper can call it."""
    return REFERENCE.replace(f"def {name}(", f"def _{name}_ok(", 1)


CONV1D_FLIPPED = '''
def conv1d(x, w, b):
    return np.convolve(x, w, mode="valid") + b
'''
MSE_SUMMED = '''
def mse_loss(pred, target):
    return float(np.sum((np.asarray(pred) - np.asarray(target)) ** 2))
'''
POOL_AVERAGE = '''
class Pooling(Pooling):
    def forward(self, x):
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1
        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad).reshape(-1, self.pool_h * self.pool_w)
        self.x_shape = x.shape
        return col.mean(axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        size = self.pool_h * self.pool_w
        rows = dout.transpose(0, 2, 3, 1).reshape(-1, 1) / size
        dcol = np.repeat(rows, size, axis=1).reshape(dout.shape[0] * dout.shape[2] * dout.shape[3], -1)
        return col2im(dcol, self.x_shape, self.pool_h, self.pool_w, self.stride, self.pad)
'''
POOL_EVERY_POSITION = '''
class Pooling(Pooling):
    def backward(self, dout):
        size = self.pool_h * self.pool_w
        rows = dout.transpose(0, 2, 3, 1).reshape(-1, 1)
        dcol = np.repeat(rows, size, axis=1).reshape(dout.shape[0] * dout.shape[2] * dout.shape[3], -1)
        return col2im(dcol, self.x_shape, self.pool_h, self.pool_w, self.stride, self.pad)
'''
CONV1D_GLOBAL = '''
W = np.array([1.0, 1.0, 1.0])
B = np.array([0.5])

def conv1d(x, w, b):
    out = np.zeros(len(x) - len(w) + 1)
    for i in range(len(out)):
        for j in range(len(w)):
            out[i] += x[i + j] * W[j]
    return out + B
'''
DB_MEAN_1D = '''
def conv1d_backward(x, w, dout):
    dx, dw, db = _conv1d_backward_ok(x, w, dout)
    return dx, dw, float(np.mean(dout))
'''
CONV1D_SHORT = '''
def conv1d(x, w, b):
    return np.array([np.dot(x[i:i + len(w)], w) for i in range(len(x) - len(w))]) + b
'''
PER_OUTPUT_SUMS = '''
def conv1d_backward(x, w, dout):
    K = len(w)
    sums = np.array([np.sum(x[i:i + K]) for i in range(len(dout))])
    return np.convolve(dout, w, mode="full"), dout * sums, float(np.sum(dout))
'''
SEED_TRAIN = '''
def conv1d_train(x, w, b, target, lr, epochs):
    K = len(w)
    n_out = len(x) - K + 1
    for _ in range(epochs):
        y = np.array([np.dot(x[i:i + K], w) for i in range(n_out)]) + b
        dL_dy = 2 * (y - target)
        dy_dw = np.array([np.sum(x[i:i + K]) for i in range(n_out)])
        w = w - lr * dL_dy * dy_dw
        b = b - lr * np.sum(dL_dy)
    return w, b
'''
DW_SIGN = '''
def conv1d_backward(x, w, dout):
    dx, dw, db = _conv1d_backward_ok(x, w, dout)
    return dx, -dw, db
'''
IM2COL_KKC = '''
def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    col = _im2col_ok(input_data, filter_h, filter_w, stride, pad)
    C = input_data.shape[1]
    return col.reshape(len(col), C, filter_h, filter_w).transpose(0, 2, 3, 1).reshape(len(col), -1)
'''


LOOPS = '''
import numpy as np


def conv1d(x, w, b):
    n = len(x) - len(w) + 1
    return np.array([sum(x[i + j] * w[j] for j in range(len(w))) for i in range(n)]) + np.ravel(b)[0]


def mse_loss(pred, target):
    return ((pred - target) ** 2).mean()


def conv1d_backward(x, w, dout):
    dx, dw = np.zeros(len(x)), np.zeros(len(w))
    for i in range(len(dout)):
        dx[i:i + len(w)] += dout[i] * w
        dw += dout[i] * x[i:i + len(w)]
    return dx, dw, dout.sum()


def conv1d_train(x, w, b, target, lr, epochs):
    for epoch in range(epochs):
        pred = conv1d(x, w, b)
        _, dw, db = conv1d_backward(x, w, 2 * (pred - target) / len(pred))
        w, b = w - lr * dw, b - lr * db
    return w, b


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_data.shape
    img = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out_h, out_w = (H + 2 * pad - filter_h) // stride + 1, (W + 2 * pad - filter_w) // stride + 1
    rows = []
    for n in range(N):
        for oy in range(out_h):
            for ox in range(out_w):
                rows.append(img[n, :, oy * stride:oy * stride + filter_h, ox * stride:ox * stride + filter_w].ravel())
    return np.array(rows)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h, out_w = (H + 2 * pad - filter_h) // stride + 1, (W + 2 * pad - filter_w) // stride + 1
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    r = 0
    for n in range(N):
        for oy in range(out_h):
            for ox in range(out_w):
                window = col[r].reshape(C, filter_h, filter_w)
                img[n, :, oy * stride:oy * stride + filter_h, ox * stride:ox * stride + filter_w] += window
                r += 1
    return img[:, :, pad:pad + H, pad:pad + W]


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, _, H, W = x.shape
        s, p = self.stride, self.pad
        oh, ow = (H + 2 * p - FH) // s + 1, (W + 2 * p - FW) // s + 1
        self.xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        self.x_shape = x.shape
        out = np.zeros((N, FN, oh, ow))
        for n in range(N):
            for f in range(FN):
                for i in range(oh):
                    for j in range(ow):
                        out[n, f, i, j] = np.sum(self.xp[n, :, i * s:i * s + FH, j * s:j * s + FW] * self.W[f]) + self.b[f]
        return out

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        s, p = self.stride, self.pad
        N, _, oh, ow = dout.shape
        dxp = np.zeros_like(self.xp)
        self.dW = np.zeros_like(self.W)
        self.db = dout.sum(axis=(0, 2, 3))
        for n in range(N):
            for f in range(FN):
                for i in range(oh):
                    for j in range(ow):
                        self.dW[f] += dout[n, f, i, j] * self.xp[n, :, i * s:i * s + FH, j * s:j * s + FW]
                        dxp[n, :, i * s:i * s + FH, j * s:j * s + FW] += dout[n, f, i, j] * self.W[f]
        H, W = self.x_shape[2:]
        return dxp[:, :, p:p + H, p:p + W]


class Pooling:
    def __init__(self, pool_h, pool_w, stride=2, pad=0):
        self.ph, self.pw, self.s, self.p = pool_h, pool_w, stride, pad

    def forward(self, x):
        N, C, H, W = x.shape
        p, s = self.p, self.s
        self.xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        self.x_shape = x.shape
        oh, ow = (H + 2 * p - self.ph) // s + 1, (W + 2 * p - self.pw) // s + 1
        out = np.zeros((N, C, oh, ow))
        for i in range(oh):
            for j in range(ow):
                out[:, :, i, j] = self.xp[:, :, i * s:i * s + self.ph, j * s:j * s + self.pw].max(axis=(2, 3))
        return out

    def backward(self, dout):
        N, C, oh, ow = dout.shape
        s, p = self.s, self.p
        dxp = np.zeros_like(self.xp)
        for n in range(N):
            for c in range(C):
                for i in range(oh):
                    for j in range(ow):
                        window = self.xp[n, c, i * s:i * s + self.ph, j * s:j * s + self.pw]
                        k = np.unravel_index(np.argmax(window), window.shape)
                        dxp[n, c, i * s + k[0], j * s + k[1]] += dout[n, c, i, j]
        H, W = self.x_shape[2:]
        return dxp[:, :, p:p + H, p:p + W]
'''


def convolution_with(kernel: str, db: str) -> str:
    """A Convolution whose forward uses ``kernel`` (an expression of W) and whose db is ``db`` (of dout, self.db)."""
    return f'''
class Convolution(Convolution):
    def forward(self, x):
        W = self.W
        self.W = {kernel}
        try:
            return super().forward(x)
        finally:
            self.W = W

    def backward(self, dout):
        dx = super().backward(dout)
        self.db = {db}
        return dx
'''


CONV_FLIPPED_DB_MEAN = convolution_with("W[:, :, ::-1, ::-1]", "self.db / (dout.shape[0] * dout.shape[2] * dout.shape[3])")
CONV_TRANSPOSED_DB_BATCH = convolution_with("W.transpose(0, 1, 3, 2)", "dout.sum(axis=0)")
CONV_DB_MEAN_ONLY = convolution_with("W", "self.db / (dout.shape[0] * dout.shape[2] * dout.shape[3])")


def _first_epoch(loop: str) -> str:
    return loop.replace("        b = b - lr * np.sum(dy)\n", "        b = b - lr * np.sum(dy)\n        return w, b\n")


def _uphill(loop: str) -> str:
    return loop.replace("w = w - lr * dw", "w = w + lr * dw").replace("b = b - lr * np.sum(dy)", "b = b + lr * np.sum(dy)")


FAILED, ERROR, FAILED_OR_ERROR = ("failed",), ("error",), ("failed", "error")
USES_BROKEN_IM2COL = "Convolution uses your im2col, which fails its own checks: fix im2col first. What this check saw:"

# id -> (source, {check id: (allowed statuses, substring of the message or None)}); every other check passes.
PLANTED: dict[str, tuple[str, dict[str, tuple[tuple[str, ...], str | None]]]] = {
    "reference": (REFERENCE, {}),
    "loops": (LOOPS, {}),
    "flip1d_msesum_avgpool": (REFERENCE + CONV1D_FLIPPED + MSE_SUMMED + POOL_AVERAGE, {
        # the notes' kernel [1, 1, 1] reads the same flipped: its twin (other values, grader/inputs.py) does not
        "conv1d/golden-seed": (FAILED, checks.FLIPPED_1D),
        "conv1d/golden-fresh": (FAILED, checks.FLIPPED_1D),
        "conv1d/output-lengths": (FAILED, checks.FLIPPED_1D),
        "mse_loss/golden-seed": (FAILED, "the squared errors are summed"),
        "mse_loss/golden-fresh": (FAILED, "the squared errors are summed"),
        "Pooling/golden-forward": (FAILED, checks.AVERAGE_POOL),
        "Pooling/golden-backward": (FAILED, checks.AVERAGE_BACKWARD),
        "Pooling/golden-fresh[forward]": (FAILED, checks.AVERAGE_POOL),
        "Pooling/golden-fresh[backward]": (FAILED, checks.AVERAGE_BACKWARD),
        # average pooling's backward is consistent with its own forward: against max pooling it fails
        "Pooling/gradcheck": (FAILED, None),
    }),
    "global_dbmean": (renamed("conv1d_backward") + CONV1D_GLOBAL + DB_MEAN_1D, {
        "conv1d/golden-seed": (FAILED, checks.SEED_GLOBALS_1D),  # right on the notes' W, B only: its twin fails
        "conv1d/golden-fresh": (ERROR, "conv1d reads the global `B` (line"),
        "conv1d/output-lengths": (FAILED_OR_ERROR, None),
        "conv1d/uses-its-parameters": (FAILED, "reads the module-level variable(s) B, W"),
        # fair parts: dx and dw are right and keep their points
        "conv1d_backward/golden-seed[db]": (FAILED, checks.DB_MEAN_1D),
        "conv1d_backward/golden-fresh[db]": (FAILED, checks.DB_MEAN_1D),
        "conv1d_backward/gradcheck[db]": (FAILED, "1/N of the expected value (N = 6"),
    }),
    "short_seedgrad": (REFERENCE + SEED_TRAIN + CONV1D_SHORT + PER_OUTPUT_SUMS, {
        "conv1d/golden-seed": (FAILED, checks.SHORT_1D),
        "conv1d/golden-fresh": (FAILED, checks.SHORT_1D),
        "conv1d/output-lengths": (FAILED, checks.SHORT_1D),
        "conv1d_backward/golden-seed[dw]": (FAILED, checks.PER_OUTPUT_SUMS),
        "conv1d_backward/golden-fresh[dw]": (FAILED_OR_ERROR, None),
        "conv1d_backward/gradcheck[dw]": (FAILED, None),
        "conv1d_train/golden-seed": (FAILED, "the course notes' gradient [7.48, 6, 2.52]"),
        "conv1d_train/golden-fresh": (FAILED_OR_ERROR, None),
        "conv1d_train/gradient": (FAILED, "per-output sums in place of the chain rule"),
        # the notes' gradient lowers the notes' loss, not that of other numbers of the same sizes (its twin)
        "conv1d_train/lowers-the-loss": (FAILED, "does not keep lowering the loss"),
        "conv1d_train/leaves-inputs-alone": (FAILED_OR_ERROR, None),
    }),
    "dwsign_firstepoch": (renamed("conv1d_backward") + _first_epoch(TRAIN_LOOP) + DW_SIGN, {
        "conv1d_backward/golden-seed[dw]": (FAILED, "dw has the wrong sign"),
        "conv1d_backward/golden-fresh[dw]": (FAILED, "dw has the wrong sign"),
        "conv1d_backward/gradcheck[dw]": (FAILED, "the sign is flipped"),
        "conv1d_train/golden-seed": (FAILED, checks.FIRST_EPOCH),
        "conv1d_train/golden-fresh": (FAILED, checks.FIRST_EPOCH),
        "conv1d_train/lowers-the-loss": (FAILED, checks.FIRST_EPOCH),
    }),
    "uphill_im2col_padaxes": (REFERENCE + _uphill(TRAIN_LOOP) + textbook_im2col(pad_expr="pad"), {
        "conv1d_train/golden-seed": (FAILED, checks.UPHILL),
        "conv1d_train/golden-fresh": (FAILED, checks.UPHILL),
        "conv1d_train/gradient": (FAILED, "wrong sign"),
        "conv1d_train/lowers-the-loss": (FAILED, "does not keep lowering the loss"),
        "im2col/golden-stride-pad": (FAILED, checks.PAD_ALL_AXES),
        "im2col/golden-fresh": (FAILED, checks.PAD_ALL_AXES),
    }),
    "im2col_stride_rows": (REFERENCE + textbook_im2col(stride="1", order="4, 5, 0, 1, 2, 3"), {
        "im2col/golden-basic": (FAILED, checks.ROWS_YXN),
        "im2col/golden-stride-pad": (FAILED, None),
        "im2col/golden-fresh": (FAILED, None),
    }),
    "im2col_columns": (renamed("im2col") + IM2COL_KKC, {
        "im2col/golden-basic": (FAILED, checks.COLUMNS_KKC),
        "im2col/golden-stride-pad": (FAILED, checks.COLUMNS_KKC),
        "im2col/golden-fresh": (FAILED, checks.COLUMNS_KKC),
    }),
    "im2col_columns_conv_flipped": (renamed("im2col") + IM2COL_KKC + CONV_FLIPPED_DB_MEAN, {
        "im2col/golden-basic": (FAILED, checks.COLUMNS_KKC),
        "im2col/golden-stride-pad": (FAILED, checks.COLUMNS_KKC),
        "im2col/golden-fresh": (FAILED, checks.COLUMNS_KKC),
        "Convolution/golden-forward": (FAILED, USES_BROKEN_IM2COL),
        # the flipped kernel is cached for backward too, so dx is wrong; dW (from x and dout only) is right
        "Convolution/golden-backward[dx]": (FAILED, USES_BROKEN_IM2COL),
        "Convolution/golden-backward[db]": (FAILED, USES_BROKEN_IM2COL),
        "Convolution/equals-nested-loops": (FAILED, USES_BROKEN_IM2COL),
        "Convolution/gradcheck[dx]": (FAILED, USES_BROKEN_IM2COL),
        "Convolution/gradcheck[db]": (FAILED, USES_BROKEN_IM2COL),
    }),
    "col2im_overwrite": (REFERENCE.replace("] += col[:, :, ky, kx]", "] = col[:, :, ky, kx]"), {
        "col2im/golden-basic": (FAILED, checks.OVERWRITES),
        "col2im/golden-stride-pad": (FAILED, checks.OVERWRITES),
        "col2im/is-the-adjoint-of-im2col": (FAILED, checks.OVERWRITES),
    }),
    "conv_flipped_dbmean_poolspread": (REFERENCE + CONV_FLIPPED_DB_MEAN + POOL_EVERY_POSITION, {
        "Convolution/golden-forward": (FAILED, checks.FLIPPED_2D),
        "Convolution/golden-backward[dx]": (FAILED, None),  # backward uses the flipped kernel forward cached
        "Convolution/golden-backward[db]": (FAILED, "db is averaged"),
        "Convolution/equals-nested-loops": (FAILED, checks.FLIPPED_2D),
        "Convolution/gradcheck[dx]": (FAILED, None),
        "Convolution/gradcheck[db]": (FAILED, None),
        # fair parts: a right forward keeps Pooling's forward checks
        "Pooling/golden-backward": (FAILED, checks.EVERY_POSITION),
        "Pooling/golden-fresh[backward]": (FAILED, checks.EVERY_POSITION),
        "Pooling/gradcheck": (FAILED, None),
    }),
    "conv_transposed_dbbatch": (REFERENCE + CONV_TRANSPOSED_DB_BATCH, {
        "Convolution/golden-forward": (FAILED, checks.TRANSPOSED_2D),
        "Convolution/golden-backward[dx]": (FAILED, None),
        # the transposed kernel cached for a 3x2 filter makes backward raise on the second case
        "Convolution/golden-backward[dW]": (ERROR, None),
        "Convolution/golden-backward[db]": (FAILED, "db sums over the batch only"),
        "Convolution/equals-nested-loops": (FAILED, None),
        "Convolution/gradcheck[dx]": (FAILED, None),
        "Convolution/gradcheck[db]": (FAILED, None),
    }),
    # fair parts, one bug each: only db's share of Convolution is lost; Pooling keeps its forward's points
    "conv_db_mean_only": (REFERENCE + CONV_DB_MEAN_ONLY, {
        "Convolution/golden-backward[db]": (FAILED, "db is averaged"),
        "Convolution/gradcheck[db]": (FAILED, None),
    }),
    "pool_spread_only": (REFERENCE + POOL_EVERY_POSITION, {
        "Pooling/golden-backward": (FAILED, checks.EVERY_POSITION),
        "Pooling/golden-fresh[backward]": (FAILED, checks.EVERY_POSITION),
        "Pooling/gradcheck": (FAILED, None),
    }),
}


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict]:
    return grade_planted(tmp_path_factory.mktemp("conv"), "conv", PLANTED, 40,
                         extra={"skeleton": TEMPLATE.read_text(encoding="utf-8")})


@pytest.mark.parametrize("name", list(PLANTED))
def test_planted_bug_fails_exactly_its_checks(results, name):
    assert_planted(results[name], PLANTED[name][1])


def test_callers_are_graded_with_trusted_helpers_when_only_the_helper_is_broken(results):
    """A wrong im2col or col2im costs only its own checks: Convolution and Pooling, which call it, pass
    (their checks are re-run with the trusted helpers when they fail with the student's own)."""
    for name in ("im2col_columns", "im2col_stride_rows", "col2im_overwrite", "uphill_im2col_padaxes"):
        callers = [c for c in results[name]["checks"] if c["component"] in ("Convolution", "Pooling")]
        assert callers and all(c["status"] == "passed" for c in callers), name


def test_conv1d_train_that_calls_broken_helpers_keeps_its_points(results):
    """The reference's conv1d_train calls conv1d, conv1d_backward and mse_loss; planted bugs in those cost
    conv1d_train nothing."""
    for name in ("flip1d_msesum_avgpool", "global_dbmean"):
        train = [c for c in results[name]["checks"] if c["component"] == "conv1d_train"]
        assert train and all(c["status"] == "passed" for c in train), name


def test_a_broken_caller_with_a_broken_helper_names_the_helper_first(results):
    checks_by_id = {c["id"]: c for c in results["im2col_columns_conv_flipped"]["checks"]}
    assert checks_by_id["Convolution/golden-forward"]["message"].startswith(USES_BROKEN_IM2COL)
    assert checks_by_id["Pooling/golden-forward"]["status"] == "passed"


def _component_score(sub: dict, component: str) -> tuple[float, float]:
    checks_of = [c for c in sub["checks"] if c["component"] == component]
    return sum(c["score"] for c in checks_of), sum(c["max_score"] for c in checks_of)


def test_convolution_with_only_db_wrong_loses_only_the_db_parts(results):
    """Fair parts: a mean where db's sum belongs costs the [db] cases of the backward checks, nothing of dx, dW
    or forward."""
    sub = results["conv_db_mean_only"]
    score, full = _component_score(sub, "Convolution")
    db_parts = [c for c in sub["checks"] if c["component"] == "Convolution" and c["id"].endswith("[db]")]
    assert len(db_parts) == 2 and all(c["status"] == "failed" for c in db_parts)
    assert score == pytest.approx(full - sum(c["max_score"] for c in db_parts))
    assert score == pytest.approx(7.5 - 0.5 - 2 / 3)
    assert sub["score"] == pytest.approx(40 - 0.5 - 2 / 3)


def test_pooling_with_a_right_forward_keeps_the_forward_points(results):
    """Fair parts: Pooling whose backward spreads the gradient over the window keeps forward's checks (golden
    forward, the forward case of the fresh check) and its mutation check; it loses only the backward checks."""
    sub = results["pool_spread_only"]
    score, full = _component_score(sub, "Pooling")
    by_id = {c["id"]: c for c in sub["checks"]}
    assert by_id["Pooling/golden-forward"]["status"] == "passed"
    assert by_id["Pooling/golden-fresh[forward]"]["status"] == "passed"
    assert by_id["Pooling/leaves-inputs-alone"]["score"] == 0.5
    assert (score, full) == (pytest.approx(1.5 + 0.5 + 0.5), 5.5)


def test_the_unfinished_skeleton_scores_nothing(results):
    sub = results["skeleton"]
    assert sub["score"] == 0
    assert all(c["status"] == "error" and "internal grader error" not in c["message"] for c in sub["checks"]), \
        [(c["id"], c["status"], c["message"]) for c in sub["checks"] if c["status"] != "error"]


def test_reference_scores_full_marks_through_grade(tmp_path):
    (tmp_path / "ref.py").write_text(REFERENCE, encoding="utf-8")
    run = grade("conv", [str(tmp_path / "ref.py")], None, jobs=1)
    sub = run.results["submissions"][0]
    assert sub["score"] == 40 and all(c["status"] == "passed" for c in sub["checks"]), \
        [(c["id"], c["message"]) for c in sub["checks"] if c["status"] != "passed"]

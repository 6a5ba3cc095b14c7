"""Every bug listed in issue 9 is graded through the CLI (one run per assignment) and its message names the cause.

Each planted submission is the reference with one component replaced by the real student code (or a faithful
reduction of it); the test asserts that the component loses points and that a failing message of that component
contains the words of the cause.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reference.submission import as_submission

# assignment -> {name: (appended source, component, words the message must contain)}
BUGS: dict[str, dict[str, tuple[str, str, tuple[str, ...]]]] = {
    "layers": {
        "sigmoid_no_one_minus_out": ('''
class Sigmoid(Sigmoid):
    def backward(self, dout):
        return dout * self.out
''', "Sigmoid", ("`1.0 - self.out` is missing",)),
        "affine_db_mean": ('''
class Affine(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = dout.mean()
        return dx
''', "Affine", ("np.mean(dout)", "np.sum(dout, axis=0)")),
        "leaky_slope_hard_coded": ('''
class LeakyRelu(LeakyRelu):
    def forward(self, x):
        self.mask = x > 0
        return np.where(self.mask, x, 0.01 * x)

    def backward(self, dout):
        return np.where(self.mask, dout, 0.01 * dout)
''', "LeakyRelu", ("alpha",)),
        "tanh_sech2_of_dout": ('''
class Tanh(Tanh):
    def backward(self, dout):
        return 1.0 - np.tanh(dout) ** 2
''', "Tanh", ("tanh(dout)",)),
        "dropout_mask_shared": ('''
class Dropout(Dropout):
    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape[1:]) > self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)
''', "Dropout", ("shared by every sample",)),
        "dropout_keep_probability": ('''
class Dropout(Dropout):
    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) < self.dropout_ratio
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)
''', "Dropout", ("fraction DROPPED",)),
        "flatten_never_records_shape": ('''
class Flatten:
    def __init__(self):
        self.shape = None
        self.activation = True

    def forward(self, x):
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(-1, *self.shape)
''', "Flatten", ("Flatten().backward(dout)", "forward did not store")),
        # causes found on the public corpus (tests/corpus/public.py): CS231n solutions, students' repositories
        "affine_not_flattened": ('''
class Affine(Affine):
    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b
''', "Affine", ('is not flattened before the product',)),
        "affine_not_flattened_matmul": ('''
class Affine(Affine):
    def forward(self, x):
        self.x = x
        return x @ self.W + self.b
''', "Affine", ('is not flattened before the product',)),
        "relu_backward_typo": ('''
class Relu(Relu):
    def backward(self, dout):
        return np.where(self.mask, sout, 0.0)
''', "Relu", ('a typo for dout',)),
        "softmax_loss_one_hot_only": ('''
class SoftmaxWithLoss(SoftmaxWithLoss):
    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        return -np.sum(t * np.log(self.y + 1e-7)) / x.shape[0]
''', "SoftmaxWithLoss", ('holds integer labels', 'one-hot')),
        "sigmoid_division_before_plus": ('''
class Sigmoid(Sigmoid):
    def forward(self, x):
        self.out = 1 / 1 + np.exp(-x)
        return self.out
''', "Sigmoid", ('/ binds before +',)),
        "softmax_loss_whole_batch_softmax": ('''
class SoftmaxWithLoss(SoftmaxWithLoss):
    def forward(self, x, t):
        self.t = t
        e = np.exp(x - np.max(x))
        self.y = e / np.sum(e)
        return cross_entropy_error(self.y, t)
''', "SoftmaxWithLoss", ('whole batch as one vector',)),
    },
    "conv": {
        "pooling_init_misspelt": ('''
_Pooling = Pooling


class Pooling:
    def __init(self, pool_h, pool_w, stride=2, pad=0):
        self.inner = _Pooling(pool_h, pool_w, stride, pad)

    def forward(self, x):
        return self.inner.forward(x)

    def backward(self, dout):
        return self.inner.backward(dout)
''', "Pooling", ('spelt __init__',)),
        "conv_init_parameter_case": ('''
class Convolution(Convolution):
    def __init__(self, w, b, stride=1, pad=0):
        super().__init__(W, b, stride, pad)
''', "Convolution", ('W is not defined: a typo for w?',)),
        "conv_python2_reduce": ('''
class Convolution(Convolution):
    def forward(self, x):
        self.size = reduce(lambda a, b: a * b, x.shape[1:])
        return super().forward(x)
''', "Convolution", ('reduce is Python 2', 'functools')),
        "conv_backward_pad_slice_empty": ('''
class Convolution(Convolution):
    def backward(self, dout):
        p = self.pad
        dx = np.pad(super().backward(dout), ((0, 0), (0, 0), (p, p), (p, p)))
        return dx[:, :, p:-p, p:-p]
''', "Convolution", ('came out empty', 'pad = 0')),
        "conv_backward_without_dout": ('''
class Convolution(Convolution):
    def backward(self):
        pass
''', "Convolution", ('is defined with 0 argument(s) besides self but is called with 1',)),
        "pooling_size_ignores_pad": ('''
class Pooling(Pooling):
    def forward(self, x):
        N, C, H, W = x.shape
        out_h = int(1 + (H - self.pool_h) / self.stride)
        out_w = int(1 + (W - self.pool_w) / self.stride)
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h*self.pool_w)
        self.x_shape = x.shape
        self.arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        return out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
''', "Pooling", ("in the call Pooling(", "pad = 1", "ignores pad")),
        "pool_backward_overwrites_overlaps": ('''
class Pooling(Pooling):
    def backward(self, dout):
        N, C, H, W = self.x_shape
        p, s, ph, pw = self.pad, self.stride, self.pool_h, self.pool_w
        dx = np.zeros((N, C, H + 2 * p, W + 2 * p))
        oh, ow = dout.shape[2:]
        am = self.arg_max.reshape(N, oh, ow, C)
        for n in range(N):
            for c in range(C):
                for i in range(oh):
                    for j in range(ow):
                        w = np.zeros(ph * pw)
                        w[am[n, i, j, c]] = dout[n, c, i, j]
                        dx[n, c, i * s:i * s + ph, j * s:j * s + pw] = w.reshape(ph, pw)
        return dx[:, :, p:p + H, p:p + W]
''', "Pooling", ("overwrite",)),
    },
    "numerical": {
        "numerical_gradient_1d_only": ('''
def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    for idx in range(x.size):
        tmp_val = x[idx]
        x[idx] = tmp_val + h
        fxh1 = f(x)
        x[idx] = tmp_val - h
        fxh2 = f(x)
        grad[idx] = (fxh1 - fxh2) / (2*h)
        x[idx] = tmp_val
    return grad
''', "numerical_gradient", ("range(x.size)", "np.nditer")),
        # gradient_descent, which calls it, keeps its points (no other component may lose any)
        "numerical_gradient_np_float": ('''
_numerical_gradient = numerical_gradient


def numerical_gradient(f, x):
    x = x.astype(np.float, copy=False)
    return _numerical_gradient(f, x)
''', "numerical_gradient", ('np.float was removed',)),
        "sum_squared_error_power_before_minus": ('''
def sum_squared_error(y, t):
    return 0.5 * np.sum(y - t ** 2)
''', "sum_squared_error", ('** binds before -',)),
        "numerical_gradient_used_before_assigned": ('''
_numerical_gradient = numerical_gradient


def numerical_gradient(f, x):
    if x.ndim == 1:
        return _numerical_gradient(f, X)
    X = x
    return _numerical_gradient(f, X)
''', "numerical_gradient", ('X is used before your function assigns it: a typo for x?',)),
        "numerical_diff_tiny_h": ('''
def numerical_diff(f, x):
    h = 1e-50
    return (f(x+h) - f(x)) / h
''', "numerical_diff", ("rounds to x",)),
    },
    "backprop": {
        "delta_rule_range_4": ('''
def delta_sgd(W, X, D, alpha):
    for k in range(4):
        x = X[k, :].T
        d = D[k]
        y = sigmoid(np.matmul(W, x))
        delta = y * (1 - y) * (d - y)
        W = W + alpha * delta * x
    return W
''', "delta_sgd", ("stops after 4 iterations",)),
    },
    "optim": {
        "momentum_without_defaults": ('''
class Momentum(Momentum):
    def __init__(self, lr, momentum):
        super().__init__(lr, momentum)
''', "Momentum", ('__init__ has parameters without defaults',)),
        "adagrad_np_zeros_dot_like": ('''
class AdaGrad(AdaGrad):
    def update(self, params, grads):
        self.h = {key: np.zeros.like(val) for key, val in params.items()}
''', "AdaGrad", ('did you mean np.zeros_like?',)),
        "momentum_step_times_gradient": ('''
class Momentum(Momentum):
    def update(self, params, grads):
        v = self._state(params)["v"]
        for key in params:
            v[key] = self.momentum * v[key] - self.lr * grads[key]
            params[key] += grads[key] * v[key]
''', "Momentum", ('p += g * v',)),
        "adam_own_defaults": ('''
class Adam(Adam):
    def __init__(self, lr=0.01, beta1=0.9, beta2=0.99):
        super().__init__(lr, beta1, beta2)
''', "Adam", ('defaults differ', 'lr=0.01 where the curriculum has lr=0.001', 'beta2=0.99 where')),
        "adam_beta1_squared_first_moment": ('''
class Adam(Adam):
    def update(self, params, grads):
        state = self._state(params)
        m, v = state["m"], state["v"]
        self.t += 1
        for key in params:
            g = grads[key]
            m[key] = self.beta1 * m[key] + (1.0 - self.beta1) * g
            v[key] = self.beta2 * v[key] + (1.0 - self.beta2) * g * g
            m_hat = m[key] / (1.0 - self.beta1 * self.beta1)
            v_hat = v[key] / (1.0 - self.beta2**self.t)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)
''', "Adam", ("first moment", "beta1*beta1")),
    },
}


# Fair parts: a right forward keeps its points when backward is wrong; a wrong db costs only db's share.
KEEPS = {"sigmoid_no_one_minus_out": ("Sigmoid", 1.625, ("golden[forward]", "fresh[forward]", "mutation")),
         "affine_db_mean": ("Affine", 4.5, ("golden-2d[dW]", "golden-2d[dx]", "golden-2d[out]", "params-gradcheck[dW]"))}


def _grade(tmp_path: Path, assignment: str) -> dict[str, dict]:
    subs = tmp_path / "subs"
    subs.mkdir()
    reference = as_submission(assignment)
    for name, (source, _, _) in BUGS[assignment].items():
        (subs / f"{name}.py").write_text(reference + "\n" + source, encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", assignment, str(subs), "--out", str(out),
                           "--jobs", "2", "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return {s["id"]: s for s in json.loads((out / "results.json").read_text(encoding="utf-8"))["submissions"]}


@pytest.mark.parametrize("assignment", sorted(BUGS))
def test_listed_bugs_are_named(tmp_path, assignment):
    subs = _grade(tmp_path, assignment)
    problems = []
    for name, (_, component, words) in BUGS[assignment].items():
        checks = [c for c in subs[name]["checks"] if c["component"] == component]
        messages = [c["message"] for c in checks if c["status"] != "passed"]
        if not messages:
            problems.append(f"{name}: {component} lost nothing")
        elif not any(all(w in m for w in words) for m in messages):
            problems.append(f"{name}: no message of {component} has {words}:\n  " + "\n  ".join(messages))
        if name in KEEPS:
            cls, score, passing = KEEPS[name]
            kept = sum(c["score"] for c in checks)
            not_passed = [c["id"] for c in checks if c["id"].split("/", 1)[1] in passing and c["status"] != "passed"]
            if kept != score or not_passed:
                problems.append(f"{name}: {cls} keeps {kept} (expected {score}); not passed: {not_passed}")
        others = [c["id"] for c in subs[name]["checks"] if c["component"] != component and c["status"] != "passed"]
        if others:
            problems.append(f"{name}: other components lost points too: {others}")
    assert not problems, "\n".join(problems)


def test_check_shows_a_shared_cause_once_and_ends_with_fix_these_first(tmp_path):
    source = as_submission("layers") + BUGS["layers"]["sigmoid_no_one_minus_out"][0] + BUGS["layers"]["affine_db_mean"][0]
    path = tmp_path / "mine.py"
    path.write_text(source, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "grader", "check", "layers", str(path)], capture_output=True, text=True)
    out = proc.stdout
    cause = "the factor `1.0 - self.out` is missing"
    sigmoid = out[out.index("\nSigmoid "):out.index("\nLeakyRelu ")]
    assert " ".join(sigmoid.split()).count(cause) == 1 and "same likely cause as golden[backward]" in " ".join(sigmoid.split()), sigmoid
    fix = out[out.index("Fix these first"):]
    lines = [line.strip() for line in fix.splitlines()[1:] if line.strip()]
    assert lines[0].startswith("1. Affine (-") and any(line.startswith("2. Sigmoid (-") for line in lines), fix
    assert cause in " ".join(fix.split()), fix

"""The public-repository part of the corpus, as a recipe: which definitions of which file at which commit, what
was renamed, and how each component is labelled. The code itself is not committed: ``build(dest)`` extracts it,
verbatim, from local git mirrors of the repositories (``$CORPUS_MIRRORS/<owner>+<name>/repo``, default
/work/.mirror; any clone works: ``git clone https://github.com/<owner>/<name> <root>/<owner>+<name>/repo``).
Without a mirror those files are skipped, and the harness says so.

Sources: the textbook (DLFS, oreilly-japan) and its Korean edition (WegraLee); CS231n assignment-2 solutions
(six student repositories; their function API is mapped onto the curriculum's classes by the adapters in
tests/corpus/adapters/, appended after the verbatim bodies); and four students' "lab-dl" repositories from a Korean
course that works through DLFS (their own ch05-ch07 exercises; class and keyword names adapted by regex edits).
A repository without a licence is only read at test time, never committed (its recipe says so).
"""
from __future__ import annotations

import ast
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

MIRRORS = Path(os.environ.get("CORPUS_MIRRORS", "/work/.mirror"))
JA = ("oreilly-japan/deep-learning-from-scratch", "07b11618cdb5d5f78ad45464de0730efc07b0a4a")
KO = ("WegraLee/deep-learning-from-scratch", "4fafa7151783f31c9ebc8fb24a4193dfb0e0a2ec")
MIT = "MIT License, (c) 2016 Koki Saitoh"
IN_PLACE_INIT_X = 'gradient_descent: bug r"modified init_x in place" -- x = init_x does not copy: x -= lr * grad moves the caller\'s array'
POOLING_PAD = ('Pooling: bug r"ignores pad" -- out_h = int(1 + (H - self.pool_h) / self.stride) ignores pad: the reshape '
               'fails when pad > 0')
RELU_DOUT = ('Relu: bug r"dout.*in place|in place.*dout" -- backward writes into dout (dout[self.mask] = 0), the '
             "caller's array")
NESTEROV_KO = ('Nesterov: bug r"new velocity" -- the Korean edition updates v before using it: params += '
               'momentum**2 * v_new where the old v belongs')

NO_LICENCE = "no licence: pulled at test time, not committed"
ADAPTERS = Path(__file__).resolve().parent / "adapters"

Piece = tuple  # (path, definition name, [(old, new) edits]); an ``old`` starting "re:" is a regular expression


@dataclass(frozen=True)
class Recipe:
    """One corpus file: ``assignment/name.py`` built from ``pieces`` of ``repo`` at ``commit``."""

    assignment: str
    name: str
    source: str
    repo: tuple[str, str]
    adapted: str
    labels: tuple[str, ...]
    pieces: tuple[Piece, ...]
    license: str = MIT
    prelude: str = "import numpy as np\n"
    adapter: str = ""  # a file of tests/corpus/adapters/, appended after the bodies
    extra: dict = field(default_factory=dict)


def _dlfs(source: str, repo: tuple[str, str]) -> list[Recipe]:
    ko = repo == KO
    return [
        Recipe("numerical", f"{source}_functions", source, repo,
               "gradient_descent returns x only (the repository's also returns the history for its plot)"
               + ("; mean_squared_error renamed sum_squared_error (same body)" if ko else ""),
               ("sigmoid: correct", "relu: correct", "softmax: correct", "sum_squared_error: correct",
                "cross_entropy_error: correct", "numerical_diff: correct", "numerical_gradient: correct",
                IN_PLACE_INIT_X),
               tuple([("common/functions.py", n, ()) for n in ("sigmoid", "relu", "softmax")]
                     + [("common/functions.py", "mean_squared_error" if ko else "sum_squared_error",
                         (("def mean_squared_error", "def sum_squared_error"),) if ko else ())]
                     + [("common/functions.py", "cross_entropy_error", ()), ("ch04/gradient_1d.py", "numerical_diff", ()),
                        ("common/gradient.py", "numerical_gradient", ()),
                        ("ch04/gradient_method.py", "gradient_descent", (("return x, np.array(x_history)", "return x"),))])),
        Recipe("layers", f"{source}_layers", source, repo, "nothing (the layers and the functions they call)",
               (RELU_DOUT, "Sigmoid: correct", "Affine: correct", "SoftmaxWithLoss: correct", "Dropout: correct"),
               tuple([("common/functions.py", n, ()) for n in ("sigmoid", "softmax", "cross_entropy_error")]
                     + [("common/layers.py", n, ()) for n in ("Relu", "Sigmoid", "Affine", "SoftmaxWithLoss", "Dropout")])),
        Recipe("layers", f"{source}_two_layer_net_ch04", source, repo, "nothing (ch04's TwoLayerNet and what it imports)",
               ("TwoLayerNet: correct",),
               tuple([("common/functions.py", n, ()) for n in ("sigmoid", "sigmoid_grad", "softmax", "cross_entropy_error")]
                     + [("common/gradient.py", "numerical_gradient", ()), ("ch04/two_layer_net.py", "TwoLayerNet", ())])),
        Recipe("optim", f"{source}_optimizer", source, repo, "nothing",
               ("SGD: correct", "Momentum: correct", NESTEROV_KO if ko else "Nesterov: correct", "AdaGrad: correct",
                "RMSprop: correct", "Adam: correct"),
               tuple(("common/optimizer.py", n, ()) for n in ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam"))),
        Recipe("conv", f"{source}_conv", source, repo, "nothing",
               ("im2col: correct", "col2im: correct", "Convolution: correct", POOLING_PAD),
               (("common/util.py", "im2col", ()), ("common/util.py", "col2im", ()),
                ("common/layers.py", "Convolution", ()), ("common/layers.py", "Pooling", ()))),
    ]


# ------------------------------------------------------------------ CS231n assignment-2 solutions
# Each: (repository, commit), licence, then one label per component (layers: Affine, Relu; optim: Momentum, RMSprop,
# Adam; conv: Convolution, Pooling). Only functions the students wrote are taken (not softmax_loss, sgd or dropout,
# which the course hands out, nor its inverted dropout, which is not the curriculum's Dropout).
PY2_DIV = r'"`/`.*`//`|//"'
CS231N: dict[str, tuple[tuple[str, str], str, dict[str, str]]] = {
    "cs231n-kaiweihuang": (("kaiweihuang/CS231n", "f5088b9ccaaac83e2c05efb3b00c8453b9e33270"),
                           "MIT License, (c) 2018 Kiwi", {
        "Affine": "correct", "Relu": "correct", "Momentum": "correct", "RMSprop": "correct", "Adam": "correct",
        "Convolution": "correct", "Pooling": "correct"}),
    "cs231n-mantasu": (("mantasu/cs231n", "3055b1c54e4fcb5b7a00ea381922a2dd1437a30a"), NO_LICENCE, {
        "Affine": "correct", "Relu": "correct", "Momentum": "correct", "RMSprop": "correct", "Adam": "correct",
        "Convolution": 'bug r"empty.*pad" -- conv_backward_naive cuts the pad off dx with [..., P1:-P3, P2:-P4]: with pad 0 '
                       "that slice is empty",
        "Pooling": "correct"}),
    "cs231n-jariasf": (("jariasf/CS231n", "306a3ac834b9a9501c36a63a568370084c167efe"), NO_LICENCE, {
        "Affine": "correct", "Relu": "correct", "Momentum": "correct", "RMSprop": "correct", "Adam": "correct",
        "Convolution": f"bug r{PY2_DIV} -- Python 2: outH = 1 + (H - FH + 2 * pad) / stride is a float in Python 3, "
                       "np.zeros((N, F, outH, outW)) fails",
        "Pooling": f"bug r{PY2_DIV} -- Python 2: outH = 1 + (H - PH) / stride is a float, np.zeros fails"}),
    "cs231n-halfish": (("Halfish/cs231n", "d355c0c61296d80c7709907271c548d2994e9990"), NO_LICENCE, {
        "Affine": f"bug r{PY2_DIV} -- Python 2: D = x.size / x.shape[0] is a float, x.reshape(N, D) fails",
        "Relu": "correct", "Momentum": "correct", "RMSprop": "correct",
        "Adam": 'bug r"bias correction" -- no bias correction: m and v are used without dividing by 1 - beta**t',
        "Convolution": f"bug r{PY2_DIV} -- Python 2: output_height = 1 + (H + 2 * pad - HH) / stride is a float",
        "Pooling": f"bug r{PY2_DIV} -- Python 2: out_height = H / pool_height is a float (and ignores the stride)"}),
    "cs231n-lightaime": (("lightaime/cs231n", "ebeb3ef9c24d8be1f741fc24b3b63a3a543f3bb0"), NO_LICENCE, {
        "Affine": "correct", "Relu": "correct", "Momentum": "correct", "RMSprop": "correct", "Adam": "correct",
        "Convolution": f"bug r{PY2_DIV} -- Python 2: H_out = 1 + (H + 2 * pad - HH) / stride is a float",
        "Pooling": f'bug r"xrange|{PY2_DIV[1:-1]}" -- Python 2: H_out = (H-HH)/stride+1 is a float, and xrange is '
                   "gone"}),
    "cs231n-ethan": (("ethan-mgallagher/cs231n-Assignment-2", "b48f6e5917f8ab6bb209230ddea3e06e0621c4cb"), NO_LICENCE, {
        "Affine": 'bug r"reduce.*functools|functools.*reduce" -- Python 2: reduce is not a builtin in Python 3 '
                  "(from functools import reduce)",
        "Relu": 'bug r"dout.*in place|in place.*dout" -- relu_backward writes into dout (dout[x <= 0] = 0)',
        "Momentum": 'bug r"g \\* v" -- next_w += dw * v where next_w += v '
                    "belongs",
        "RMSprop": "correct", "Adam": "correct",
        "Convolution": f"bug r{PY2_DIV} -- Python 2: W_prime = (W-WW+2*P)/S+1 is a float (and dx[:,:,1:-1,1:-1] "
                       "hard-codes pad 1)",
        "Pooling": f"bug r{PY2_DIV} -- Python 2: vert = (H - pool_height) / stride + 1 is a float (and backward "
                   "overwrites overlapping windows)"}),
}
_CS231N_PARTS = {
    "layers": ("assignment2/cs231n/layers.py", ("affine_forward", "affine_backward", "relu_forward", "relu_backward"),
               "cs231n_layers.py", ("Affine", "Relu")),
    "optim": ("assignment2/cs231n/optim.py", ("sgd_momentum", "rmsprop", "adam"), "cs231n_optim.py",
              ("Momentum", "RMSprop", "Adam")),
    "conv": ("assignment2/cs231n/layers.py", ("conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive",
                                              "max_pool_backward_naive"), "cs231n_conv.py", ("Convolution", "Pooling")),
}


def _cs231n(source: str, repo: tuple[str, str], license: str, labels: dict[str, str]) -> list[Recipe]:
    return [Recipe(assignment, f"{source}_{assignment}", source, repo,
                   f"nothing in the bodies; the adapter tests/corpus/adapters/{adapter} (appended) maps "
                   f"{', '.join(names)} onto {', '.join(components)}",
                   tuple(f"{c}: {labels[c]}" for c in components),
                   tuple((path, n, ()) for n in names), license=license, adapter=adapter)
            for assignment, (path, names, adapter, components) in _CS231N_PARTS.items()]


# ------------------------------------------------------------------ lab-dl: students' own DLFS exercises
# Four students of one Korean course that works through DLFS chapter by chapter (ch05 layers, ch06 optimizers, ch07
# conv), each in a repository named lab-dl; their common/ folder is the textbook's, their chN/ files their own.
# Files per component: (layers helpers, layers, optimizers, conv); renames: class and keyword names only.
LABDL_FILES = {
    "gykk16/lab-dl": dict(
        softmax="ch03/e11_teacher.py", cross_entropy="ch04/e03_cross_entropy.py", Sigmoid="ch05/e04_sigmoid.py",
        Relu="ch05/e05_relu.py", Affine="ch05/e07_affine.py", SoftmaxWithLoss="ch05/e08_softmaxwithloss.py",
        Sgd="ch06/e02_sgd.py", Momentum="ch06/e03_momentum.py", Nesterov="ch06/e07_nesterov.py",
        AdaGrad="ch06/e04_AdaGrad.py", RMSProp="ch06/e06_RMSProp.py", Adam="ch06/e05_Adam.py",
        Convolution="ch07_CNN/ex10_Convolution.py", Pooling="ch07_CNN/ex12_Pooling.py"),
    "lee-saint/lab-dl": dict(
        softmax="ch03/ex11.py", cross_entropy="ch04/ex03.py", Sigmoid="ch05/ex04_sigmoid.py", Relu="ch05/ex05_relu.py",
        Affine="ch05/ex07_affine.py", SoftmaxWithLoss="ch05/ex08_softmax_loss.py", Sgd="ch06/ex02_sgd.py",
        Momentum="ch06/ex03_momentum.py", Nesterov="ch06/ex07_nesterov.py", AdaGrad="ch06/ex04_adagrad.py",
        RMSProp="ch06/ex06_rmsprop.py", Adam="ch06/ex05_adam.py", Convolution="ch07/ex10_Convolution.py",
        Pooling="ch07/ex12_Pooling.py"),
    "andoyeon/lab-dl": dict(
        softmax="ch03/ex11.py", cross_entropy="ch04/ex03.py", Sigmoid="ch05/ex04_sigmoid.py", Relu="ch05/ex05_relu.py",
        Affine="ch05/ex07_affine.py", SoftmaxWithLoss="ch05/ex08_softmax_loss.py", Sgd="ch06/ex02_sgd.py",
        Momentum="ch06/ex03_momentum.py", Nesterov="ch06/ex07_nesterov.py", AdaGrad="ch06/ex04_adagrad.py",
        RMSProp="ch06/ex06_rmsprop.py", Adam="ch06/ex05_adam.py", Convolution="ch07/ex10_Convolution.py",
        Pooling="ch07/ex12_Pooling.py"),
    "hyelim-kim1028/lab-dl3": dict(
        sigmoid="ch03/ex01.py", softmax="ch03/ex11.py", cross_entropy="ch04/ex03.py", Sigmoid="ch05/ex04.py",
        Relu="ch05/ex05_ReLU.py", Affine="ch05/ex07.py", SoftmaxWithLoss="ch05/ex08_softmax_loss.py",
        Sgd="ch06/ex02_sgd.py", Momentum="ch06/ex03_momentum.py", Nesterov="ch06/ex07_nesterov.py",
        AdaGrad="ch06/ex04_adagrad.py", RMSProp="ch06/ex06_rmsprop.py", Adam="ch06/ex05_ADAM.py",
        Convolution="ch07/ex10_Convolution.py", Pooling="ch07/ex12_pooling.py"),
}
LABDL_COMMITS = {"gykk16/lab-dl": "4c1df423431996e5b53a82b48498e11d48e2a333",
                 "lee-saint/lab-dl": "d79db3e94ae5e81fabeac80133a38a9cf61ab009",
                 "andoyeon/lab-dl": "6100f36e67f82429f7eddce11b1c52fffc5e72fd",
                 "hyelim-kim1028/lab-dl3": "f335cc3253a783b5f8dfc5539a7eb8df35312ef4"}
_RENAME = {  # the curriculum's names: class Sgd -> SGD, RMSProp -> RMSprop, and their keyword names
    "Sgd": (("class Sgd", "class SGD"), (r"re:learning_rate\s*=\s*(\.?\d)", r"lr=\1"),
            ("self.learning_rate = learning_rate", "self.learning_rate = lr")),
    "Momentum": ((r"re:, m\s*=\s*0\.9", ", momentum=0.9"), (r"re:self\.m = m\b", "self.m = momentum")),
    "Nesterov": ((r"re:, m\s*=\s*0\.9", ", momentum=0.9"), (r"re:self\.m = m\b", "self.m = momentum")),
    "RMSProp": (("class RMSProp", "class RMSprop"), (r"re:rho\s*=\s*0\.99", "decay_rate=0.99"),
                (r"re:self\.rho = rho", "self.rho = decay_rate")),
}
RELU_DOUT_LAB = ('Relu: bug r"dout.*in place|in place.*dout" -- backward writes into dout (dout[self.mask] = 0), '
                 "the caller's array")
AFFINE_4D = ('Affine: bug r"not flattened" -- forward does not flatten x: a 4-D x (N, C, H, W) '
             "never becomes (N, D)")
SOFTMAX_LABELS = ('SoftmaxWithLoss: bug r"integer labels.*one-hot" -- integer labels are not handled: y_true * log(y) and '
                  "y_pred - y_true assume one-hot t")
NESTEROV_LAB = ('Nesterov: bug r"new velocity" -- the textbook\'s (Korean edition) form: params += m**2 * v_new where '
                "the old v belongs")
NO_POOL_BACKWARD = 'Pooling: bug r"no attribute .backward." -- Pooling has no backward method'
ADAM_DEFAULTS = ('Adam: bug r"default" -- the defaults are lr=0.01, beta2=0.99 where the curriculum (and the textbook) '
                 "has lr=0.001, beta2=0.999")
LABDL_LABELS = {
    "gykk16/lab-dl": (("Sigmoid: correct", RELU_DOUT_LAB, AFFINE_4D, SOFTMAX_LABELS),
                      ("SGD: correct", "Momentum: correct", NESTEROV_LAB, "AdaGrad: correct", "RMSprop: correct",
                       'Adam: bug r"no attribute .update." -- the method is named mupdate (a typo): Adam has no update'),
                      ('Convolution: bug r"backward is defined with 0 argument" -- backward(self) takes no dout and returns None '
                       '(pass)', NO_POOL_BACKWARD)),
    "lee-saint/lab-dl": (("Sigmoid: correct", RELU_DOUT_LAB, AFFINE_4D, SOFTMAX_LABELS),
                         ("SGD: correct", "Momentum: correct", NESTEROV_LAB, "AdaGrad: correct", "RMSprop: correct",
                          ADAM_DEFAULTS),
                         ('Convolution: bug r"bias|\bb\b" -- forward never adds the bias b (out = x_col.dot(w_col.T))',
                          "Pooling: correct")),
    "andoyeon/lab-dl": (("Sigmoid: correct", RELU_DOUT_LAB, AFFINE_4D, SOFTMAX_LABELS),
                        ("SGD: correct", "Momentum: correct", NESTEROV_LAB, "AdaGrad: correct", "RMSprop: correct",
                         ADAM_DEFAULTS),
                        ('Convolution: bug r"no attribute .backward." -- Convolution has no backward method', NO_POOL_BACKWARD)),
    "hyelim-kim1028/lab-dl3": (("Sigmoid: correct", RELU_DOUT_LAB, AFFINE_4D, SOFTMAX_LABELS),
                               ("SGD: correct", "Momentum: correct", NESTEROV_LAB, "AdaGrad: correct",
                                "RMSprop: correct", ADAM_DEFAULTS),
                               ('Convolution: bug r"is None.*return" -- backward(self, x) is pass: it returns None',
                                NO_POOL_BACKWARD)),
}


LABDL_NUMERICAL = {  # (sigmoid+relu file, numerical_diff+numerical_gradient file, gradient_method file); softmax and
    # cross_entropy come from LABDL_FILES. gykk16's ch04 has no numerical_gradient or gradient_method of its own.
    "gykk16/lab-dl": ("ch03/e01_Perceptron.py", None, None),
    "lee-saint/lab-dl": ("ch03/ex01.py", "ch04/ex05.py", "ch04/ex07.py"),
    "andoyeon/lab-dl": ("ch03/ex01.py", "ch04/ex05.py", "ch04/ex07.py"),
    "hyelim-kim1028/lab-dl3": ("ch03/ex01.py", "ch04/ex05.py", "ch04/ex07.py"),
}
CEE_LABELS = ('cross_entropy_error: bug r"integer labels" -- integer labels are not handled: '
              "-sum(y_true * log(y_pred + delta)) assumes one-hot t")
NUMGRAD_LAB = ('numerical_gradient: bug r"np\\.float.*removed|1-D|row" -- x.astype(np.float) (gone from NumPy 1.24), and '
               "a 2-D x is differentiated row by row (fn(x_i)) instead of as one argument")
GD_LAB = ('gradient_descent: bug r"init_x.*in place|in place.*init_x" -- x = x_init does not copy: x -= lr * grad '
          "moves the caller's array")
_NUMERICAL_RENAME = {
    "cross_entropy": (("def cross_entropy(", "def cross_entropy_error("),),
    "gradient_method": (("def gradient_method(", "def gradient_descent("), (r"re:\bx_init\b", "init_x"),
                        (r"re:\bstep\b", "step_num"), ("return x, np.array(x_history)", "return x")),
}


def _labdl_numerical(repo: str, source: str, at: tuple[str, str]) -> Recipe:
    activations, numgrad, method = LABDL_NUMERICAL[repo]
    files = LABDL_FILES[repo]
    pieces = [(activations, "sigmoid", ()), (activations, "relu", ()), (files["softmax"], "softmax", ()),
              (files["cross_entropy"], "_cross_entropy", ()),
              (files["cross_entropy"], "cross_entropy", _NUMERICAL_RENAME["cross_entropy"])]
    labels = ["sigmoid: correct", "relu: correct", "softmax: correct", CEE_LABELS]
    if numgrad:
        pieces += [(numgrad, "numerical_diff", ()), (numgrad, "_numerical_gradient", ()),
                   (numgrad, "numerical_gradient", ()), (method, "gradient_method", _NUMERICAL_RENAME["gradient_method"])]
        labels += ["numerical_diff: correct", NUMGRAD_LAB, GD_LAB]
    return Recipe("numerical", f"{source}_numerical", source, at,
                  "cross_entropy -> cross_entropy_error; gradient_method(fn, x_init, lr, step) -> gradient_descent(fn, "
                  "init_x, lr, step_num), returning x only (the repository's also returns the history for its plot)",
                  tuple(labels), tuple(pieces), license=NO_LICENCE)


def _labdl(repo: str) -> list[Recipe]:
    files, (layers, optim, conv) = LABDL_FILES[repo], LABDL_LABELS[repo]
    source = "labdl-" + repo.split("/")[0]
    at = (repo, LABDL_COMMITS[repo])

    def pieces(names: tuple[str, ...]) -> tuple[Piece, ...]:
        return tuple((files[n], n, _RENAME.get(n, ())) for n in names if n in files)

    helpers = ("sigmoid", "softmax")
    return [
        _labdl_numerical(repo, source, at),
        Recipe("layers", f"{source}_layers", source, at, "nothing (the layers and the helpers they import)",
               layers, pieces(helpers) + ((files["cross_entropy"], "_cross_entropy", ()),) + pieces(("cross_entropy", "Sigmoid", "Relu", "Affine", "SoftmaxWithLoss")), license=NO_LICENCE),
        Recipe("optim", f"{source}_optim", source, at,
               "class Sgd -> SGD, RMSProp -> RMSprop; keywords learning_rate -> lr, m -> momentum, rho -> decay_rate",
               optim, pieces(("Sgd", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "Adam")), license=NO_LICENCE),
        Recipe("conv", f"{source}_conv", source, at,
               "nothing (im2col and col2im are the textbook's, from the repository's common/util.py)",
               conv, (("common/util.py", "im2col", ()), ("common/util.py", "col2im", ()))
               + pieces(("Convolution", "Pooling")), license=NO_LICENCE),
    ]


# ------------------------------------------------------------------ sff1019: a Japanese student's DLFS work
# sff1019/b4_startup_program: the functions of chapters 3-4 (deeplearning_from_scratch/, each named *_function), a first
# layers.py, and a later CNN for MNIST (scratch/mnist_cnn/, one class per file). Renames: the *_function suffix,
# Softmax -> SoftmaxWithLoss, the keyword padding -> pad.
SFF = ("sff1019/b4_startup_program", "91416b06b40855cecf47ef38eac4b2db84ee779e")
_DS = "deeplearning_from_scratch/"
_MC = "scratch/mnist_cnn/"


def _drop_suffix(name: str) -> tuple[tuple[str, str], ...]:
    return ((f"re:\\b{name}_function\\b", name),)


def _sff1019() -> list[Recipe]:
    source, padding = "sff1019", ((r"re:\bpadding\b", "pad"),)
    return [
        Recipe("numerical", f"{source}_functions", source, SFF, "the suffix _function dropped from every name "
               "(sigmoid_function -> sigmoid, ...; mean_squared_error_function -> sum_squared_error, same body)",
               ("sigmoid: correct", "relu: correct",
                'softmax: bug r"normalised as one vector" -- np.max(x) and np.sum(exp_x) run over the whole array: a 2-D x (N, C) is '
                "not normalised row by row",
                "sum_squared_error: correct", CEE_LABELS.replace("y_true * log(y_pred + delta)", "t * np.log(y + delta)"),
                "numerical_diff: correct", "numerical_gradient: correct", GD_LAB.replace("x = x_init", "x = init_x")),
               ((_DS + "activation_functions/sigmoid.py", "sigmoid_function", _drop_suffix("sigmoid")),
                (_DS + "activation_functions/relu.py", "relu_function", _drop_suffix("relu")),
                (_DS + "activation_functions/softmax.py", "softmax_function", _drop_suffix("softmax")),
                (_DS + "loss_functions/mean_squared_error.py", "mean_squared_error_function",
                 (("def mean_squared_error_function", "def sum_squared_error"),)),
                (_DS + "loss_functions/cross_entropy_error.py", "cross_entropy_error_function",
                 _drop_suffix("cross_entropy_error")),
                (_DS + "differentiation_functions/numerical_diff.py", "numerical_diff_function",
                 _drop_suffix("numerical_diff")),
                (_DS + "differentiation_functions/gradient.py", "numerical_gradient_function",
                 _drop_suffix("numerical_gradient")),
                (_DS + "differentiation_functions/gradient.py", "gradient_descent_function",
                 _drop_suffix("gradient_descent") + _drop_suffix("numerical_gradient"))), license=NO_LICENCE),
        Recipe("layers", f"{source}_layers", source, SFF, "nothing (the first layers.py)",
               (RELU_DOUT_LAB, "Sigmoid: correct",
                'Affine: bug r"typo for dout|not flattened" -- backward reads sout (a typo for dout), and forward never '
                "flattens a 4-D x"),
               tuple((_DS + "layers/layers.py", n, ()) for n in ("Relu", "Sigmoid", "Affine")), license=NO_LICENCE),
        Recipe("layers", f"{source}_mnist_cnn_layers", source, SFF, "class Softmax -> SoftmaxWithLoss",
               (RELU_DOUT_LAB, "Affine: correct", "SoftmaxWithLoss: correct"),
               ((_MC + "relu.py", "Relu", ()), (_MC + "affine.py", "Affine", ()),
                (_MC + "softmax.py", "Softmax", (("class Softmax:", "class SoftmaxWithLoss:"),))), license=NO_LICENCE),
        Recipe("conv", f"{source}_mnist_cnn_conv", source, SFF, "the keyword padding -> pad",
               ("im2col: correct", "col2im: correct", "Convolution: correct",
                'Pooling: bug r"ignores pad" -- out_height = int(1 + (height - self.pool_h) / self.stride) ignores pad'),
               ((_MC + "im2col.py", "im2col", ()), (_MC + "col2im.py", "col2im", ()),
                (_MC + "convolution.py", "Convolution", padding), (_MC + "pooling.py", "Pooling", padding)),
               license=NO_LICENCE),
        Recipe("optim", f"{source}_mnist_cnn_optim", source, SFF, "nothing", ("Adam: correct",),
               ((_MC + "adam.py", "Adam", ()),), license=NO_LICENCE),
    ]


# ------------------------------------------------------------------ three more students' DLFS repositories
# KyoyaTokikawa (Japanese): the textbook's repository with the student's own chapters 3-4 (mine/NeuralNetwork.py) and
# layers, conv and optimizers (mine_2/). The repository's LICENSE.md is the textbook's; the student's files carry none.
KYOYA = ("KyoyaTokikawa/deep-learning-from-scratch", "30ccb997bc78af1c4d2580bf577283b30975bf18")
# wuyuanhang94 (Chinese): a numpy framework of the book's layers and optimizers (utils/).
WUYH = ("wuyuanhang94/impl-dl-with-numpy", "f1ebb914bb0a2953c1a79357ca7bbc372d775b5a")
# TaeSanKIM (Korean): the book's exercises, one file each, in a folder of the textbook's repository (taesan/).
TAESAN = ("TaeSanKIM/python", "e90e811787332a6b2157c2387ec59070ddaa4b38")
_TS = "deep_learning/deep-learning-from-scratch-8ca57dea36b05ffe6bc4486069e5ffb9bd444285/"
UNLICENSED_IN_TEXTBOOK_FORK = "no licence for the student's files (LICENSE.md is the textbook's): pulled at test time"
RELU_DOUT = RELU_DOUT_LAB
NO_BACKWARD = 'Convolution: bug r"no attribute .backward." -- Convolution has no backward method'


def _renamed(old: str, new: str) -> tuple[tuple[str, str], ...]:
    return ((f"re:\\b{old}\\b", new),)


def _three_more() -> list[Recipe]:
    nn = "mine/NeuralNetwork.py"
    kyoya = [
        Recipe("numerical", "kyoya_functions", "kyoya", KYOYA, "nothing (mine/NeuralNetwork.py, the student's chapters 3-4)",
               ("sigmoid: correct", "relu: correct",
                'softmax: bug r"Subtract the maximum" -- exp_a = np.exp(a) is never shifted and the max is subtracted inside '
                "the sum (np.sum(exp_a - c)): overflows, and not a distribution",
                'sum_squared_error: bug r"binds before -" -- 0.5 * np.sum(y-t ** 2): ** binds before -, so t is squared, '
                "not the difference",
                'cross_entropy_error: bug r"not divided by the batch size" -- no division by the batch size (and one-hot t only)',
                "numerical_diff: correct",
                'numerical_gradient: bug r"range\\(x.size\\)" -- x[idx] for idx in range(x.size): 1-D input only',
                GD_LAB.replace("x = x_init", "x = init_x")),
               tuple((nn, n, ()) for n in ("sigmoid", "relu", "softmax", "sum_squared_error", "cross_entropy_error",
                                           "numerical_diff", "numerical_gradient", "gradient_descent")),
               license=UNLICENSED_IN_TEXTBOOK_FORK),
        Recipe("layers", "kyoya_layers", "kyoya", KYOYA, "class sigmoid -> Sigmoid (mine_2/SigmoidLalyer.py); "
               "SoftmaxWithLoss's softmax and cross_entropy_error are the ones it imports, from mine/NeuralNetwork.py",
               ('Sigmoid: bug r"binds before \\+" -- out = 1 / 1 + np.exp(-x): / binds before +, so this is 1 + exp(-x)',
                RELU_DOUT, AFFINE_4D,
                'SoftmaxWithLoss: bug r"subtract the max" -- its softmax (np.sum(exp_a - c), exp unshifted) is wrong, and '
                "the loss is not divided by the batch size"),
               ((nn, "softmax", ()), (nn, "cross_entropy_error", ()),
                ("mine_2/SigmoidLalyer.py", "sigmoid", (("class sigmoid:", "class Sigmoid:"),)),
                ("mine_2/ReluLayer.py", "Relu", ()), ("mine_2/AffineLayer.py", "Affine", ()),
                ("mine_2/SoftmaxWithLossLayer.py", "SoftmaxWithLoss", ())), license=UNLICENSED_IN_TEXTBOOK_FORK),
        Recipe("conv", "kyoya_conv", "kyoya", KYOYA, "nothing (im2col is the textbook's, from common/util.py)",
               (NO_BACKWARD, 'Pooling: bug r"spelt __init__" -- def __init(self, ...) (the trailing __ missing): Pooling '
                "has no constructor taking pool_h, pool_w, stride, pad (and no backward)"),
               (("common/util.py", "im2col", ()), ("mine_2/ConvolutionClass.py", "Convolution", ()),
                ("mine_2/PoolingClass.py", "Pooling", ())), license=UNLICENSED_IN_TEXTBOOK_FORK),
        Recipe("optim", "kyoya_optim", "kyoya", KYOYA, "class momentumSGD -> Momentum, nefterovmomentumSGD -> Nesterov, "
               "adagrad -> AdaGrad, rmsrop -> RMSprop (mine_2/OptimizationAlgorithm/); SGD is mine_2/SGDClass.py",
               ("SGD: correct",
                'Momentum: bug r"np\\.zeros_like" -- np.zeros.like (np.zeros_like meant), then self.v = [] (a list) indexed '
                'by key, params.key(); and no defaults in __init__',
                'Nesterov: bug r"np\\.zeros_like" -- np.zeros.like (np.zeros_like meant), then self.v = [] indexed by key '
                '(and the rule is not Nesterov\'s)',
                'AdaGrad: bug r"np\\.zeros_like" -- np.zeros.like (np.zeros_like meant); for key, param in params unpacks '
                'the keys\' letters; self.h = [] indexed by key',
                'RMSprop: bug r"spelt __init__" -- def __init(self, ...): RMSprop(lr=...) has no constructor, h never set'),
               (("mine_2/SGDClass.py", "SGD", ()),
                ("mine_2/OptimizationAlgorithm/MomentumSGD.py", "momentumSGD", _renamed("momentumSGD", "Momentum")),
                ("mine_2/OptimizationAlgorithm/NefterovMomentum.py", "nefterovmomentumSGD",
                 _renamed("nefterovmomentumSGD", "Nesterov")),
                ("mine_2/OptimizationAlgorithm/AdaGrad.py", "adagrad", _renamed("adagrad", "AdaGrad")),
                ("mine_2/OptimizationAlgorithm/RMSprop.py", "rmsrop", _renamed("rmsrop", "RMSprop"))),
               license=UNLICENSED_IN_TEXTBOOK_FORK),
    ]
    wuyh = [
        Recipe("layers", "wuyuanhang94_layers", "wuyuanhang94", WUYH, "class ReLU -> Relu",
               (RELU_DOUT, "Affine: correct",
                'SoftmaxWithLoss: bug r"not divided by the batch size" -- softmax subtracts the max from x in place (x -= ...), the '
                "caller's array; backward returns y - t without dividing by the batch size"),
               (("utils/common.py", "softmax", ()), ("utils/common.py", "crossEntropyLoss", ()),
                ("utils/layers.py", "ReLU", (("class ReLU:", "class Relu:"),)), ("utils/layers.py", "Affine", ()),
                ("utils/layers.py", "SoftmaxWithLoss", ())), license=NO_LICENCE),
        Recipe("conv", "wuyuanhang94_conv", "wuyuanhang94", WUYH, "nothing",
               ("im2col: correct", "col2im: correct", "Convolution: correct",
                'Pooling: bug r"ignores pad" -- out_h = int(1 + (H - self.pool_h) / self.stride) ignores pad'),
               tuple(("utils/common.py", n, ()) for n in ("im2col", "col2im"))
               + tuple(("utils/layers.py", n, ()) for n in ("Convolution", "Pooling")), license=NO_LICENCE),
        Recipe("optim", "wuyuanhang94_optim", "wuyuanhang94", WUYH, "class Momemtum -> Momentum",
               ("SGD: correct", "Momentum: correct", "AdaGrad: correct"),
               (("utils/optimizer.py", "SGD", ()),
                ("utils/optimizer.py", "Momemtum", (("class Momemtum:", "class Momentum:"),)),
                ("utils/optimizer.py", "AdaGrad", ())), license=NO_LICENCE),
    ]
    cce = (_TS + "taesan/CCE.py", "cross_entopy_error", ())
    taesan = [
        Recipe("numerical", "taesan_functions", "taesan", TAESAN, "mean_squared_error -> sum_squared_error (same body), "
               "cross_entopy_error -> cross_entropy_error",
               ('softmax: bug r"normalised as one vector" -- np.max(a) and np.sum(exp_a) over the whole array: a 2-D '
                "batch is not normalised row by row",
                "sum_squared_error: correct", CEE_LABELS.replace("y_true * log(y_pred + delta)", "t * np.log(y + delta)"),
                "numerical_diff: correct",
                'numerical_gradient: bug r"typo for x" -- the 1-D branch calls numerical_gradient_1d(f, X): X is not '
                "defined there (x is); a 2-D x is differentiated row by row",
                GD_LAB.replace("x = x_init", "x = init_x")),
               (("deep_learning/softmax_function.py", "softmax", ()),
                (_TS + "taesan/MSE.py", "mean_squared_error", _renamed("mean_squared_error", "sum_squared_error")),
                (_TS + "taesan/CCE.py", "cross_entopy_error", _renamed("cross_entopy_error", "cross_entropy_error")),
                (_TS + "taesan/numerical_diff.py", "numerical_diff", ()),
                (_TS + "taesan/numerical_gradient.py", "numerical_gradient_1d", ()),
                (_TS + "taesan/numerical_gradient.py", "numerical_gradient", ()),
                (_TS + "taesan/gradient_descent.py", "gradient_descent", ())), license=UNLICENSED_IN_TEXTBOOK_FORK),
        Recipe("layers", "taesan_layers", "taesan", TAESAN, "nothing (SoftmaxWithLoss's softmax and "
               "cross_entopy_error are the student's own, from deep_learning/softmax_function.py and taesan/CCE.py)",
               (RELU_DOUT, 'Affine: bug r"must store the gradient as self\\.dW" -- backward computes dw and db as locals: self.dW and self.db '
                "are never set (and a 4-D x is never flattened)",
                'SoftmaxWithLoss: bug r"whole batch as one vector" -- its softmax normalises the whole batch as one vector'),
               (("deep_learning/softmax_function.py", "softmax", ()), cce, (_TS + "taesan/Relu.py", "Relu", ()),
                (_TS + "taesan/Affine.py", "Affine", ()), (_TS + "taesan/SoftmaxWithLoss.py", "SoftmaxWithLoss", ())),
               license=UNLICENSED_IN_TEXTBOOK_FORK),
        Recipe("conv", "taesan_conv", "taesan", TAESAN, "nothing (im2col is the textbook's, from common/util.py)",
               ('Convolution: bug r"typo for w" -- __init__(self, w, b, ...) then self.W = W: W is not defined (w is); '
                "and no backward",),
               ((_TS + "common/util.py", "im2col", ()), (_TS + "taesan/Convolution.py", "Convolution", ())),
               license=UNLICENSED_IN_TEXTBOOK_FORK),
        Recipe("optim", "taesan_optim", "taesan", TAESAN, "nothing", ("AdaGrad: correct",),
               ((_TS + "taesan/AdaGrad.py", "AdaGrad", ()),), license=UNLICENSED_IN_TEXTBOOK_FORK),
    ]
    return kyoya + wuyh + taesan


RECIPES: tuple[Recipe, ...] = tuple(_dlfs("dlfs-ja", JA) + _dlfs("dlfs-ko", KO)
                                    + [r for source, spec in CS231N.items() for r in _cs231n(source, *spec)]
                                    + [r for repo in LABDL_FILES for r in _labdl(repo)] + _sff1019()
                                    + _three_more())


def mirror(repo: str) -> Path:
    owner, name = repo.split("/")
    return MIRRORS / f"{owner}+{name}" / "repo"


def available(recipe: Recipe) -> bool:
    path = mirror(recipe.repo[0])
    if not path.exists():
        return False
    probe = subprocess.run(["git", "-C", str(path), "cat-file", "-e", f"{recipe.repo[1]}^{{commit}}"],
                           capture_output=True)
    return probe.returncode == 0


def _definition(recipe: Recipe, path: str, name: str) -> str:
    text = subprocess.run(["git", "-C", str(mirror(recipe.repo[0])), "show", f"{recipe.repo[1]}:{path}"],
                          capture_output=True, text=True, check=True).stdout
    for node in ast.parse(text).body:
        if getattr(node, "name", None) == name:
            return ast.get_source_segment(text, node)
    raise KeyError(f"{recipe.repo[0]}@{recipe.repo[1][:8]}:{path} defines no {name}")


def render(recipe: Recipe) -> str:
    """The corpus file's text: provenance, labels, then the definitions verbatim (but for the listed edits)."""
    repo, commit = recipe.repo
    head = [f"# corpus-source: {recipe.source}"]
    head += [f"# provenance: https://github.com/{repo}/blob/{commit}/{p} ({recipe.license})"
             for p in dict.fromkeys(piece[0] for piece in recipe.pieces)]
    head += [f"# adapted: {recipe.adapted}"] + [f"# label {label}" for label in recipe.labels]
    body = []
    for path, name, edits in recipe.pieces:
        text = _definition(recipe, path, name)
        for old, new in edits:
            text = _edit(text, old, new, f"{recipe.name}: {name}")
        body.append(text)
    if recipe.adapter:
        body.append((ADAPTERS / recipe.adapter).read_text(encoding="utf-8").rstrip())
    return "\n".join(head) + "\n" + recipe.prelude + "\n\n" + "\n\n\n".join(body) + "\n"


def _edit(text: str, old: str, new: str, where: str) -> str:
    """One renaming edit: literal, or a regular expression when ``old`` starts with "re:"; it must match."""
    if old.startswith("re:"):
        text, count = re.subn(old[3:], new, text)
    else:
        count = text.count(old)
        text = text.replace(old, new)
    if not count:
        raise ValueError(f"{where}: {old!r} matches nothing")
    return text


def build(dest: Path) -> list[Recipe]:
    """Write every recipe whose mirror is here into ``dest/<assignment>/<name>.py``; the recipes skipped."""
    skipped = []
    for recipe in RECIPES:
        if not available(recipe):
            skipped.append(recipe)
            continue
        folder = dest / recipe.assignment
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{recipe.name}.py").write_text(render(recipe), encoding="utf-8")
    return skipped

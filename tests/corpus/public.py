"""The public-repository part of the corpus, as a recipe: which definitions of which file at which commit, what
was renamed, and how each component is labelled. The code itself is not committed: ``build(dest)`` extracts it,
verbatim, from local git mirrors of the repositories (``$CORPUS_MIRRORS/<owner>+<name>/repo``, default
/work/.mirror; any clone works: ``git clone https://github.com/<owner>/<name> <root>/<owner>+<name>/repo``).
Without a mirror those files are skipped, and the harness says so.
"""
from __future__ import annotations

import ast
import os
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

Piece = tuple  # (path, definition name, [(old, new) edits])


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


RECIPES: tuple[Recipe, ...] = tuple(_dlfs("dlfs-ja", JA) + _dlfs("dlfs-ko", KO))


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
            if old not in text:
                raise ValueError(f"{recipe.name}: {old!r} not in {name}")
            text = text.replace(old, new)
        body.append(text)
    return "\n".join(head) + "\n" + recipe.prelude + "\n\n" + "\n\n\n".join(body) + "\n"


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

"""Write the generated files of the demo class in examples/demo_class/.

    python examples/make_demo_class.py           # (re)write them
    python examples/make_demo_class.py --check   # exit 1 if a committed file differs

Most demo submissions are plain `.py` files committed as they are. The ones whose exact
bytes matter are generated here: a Latin-1 file with a PEP 263 header and CRLF line
endings, and the notebooks (written with nbformat, deterministically), one of them cut
short so that it is not valid JSON.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make student_template importable
    sys.path.insert(0, str(ROOT))

from student_template.notebooks import Cell, notebook_text  # noqa: E402

DEMO_DIR = Path(__file__).resolve().parent / "demo_class"

# --- dupont_marie.py: correct, Latin-1 with a coding header, CRLF line endings -------------
LATIN1_SOURCE = '''\
# -*- coding: latin-1 -*-
# Devoir n° 1 : activations, coûts et dérivées numériques
# Marie Dupont (étudiante en échange) - écrit sous Windows
import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def relu(x):
    return np.clip(x, 0, None)  # max(0, x) élément par élément


def softmax(x):
    # on soustrait le maximum : sinon exp(1000) déborde
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)


def sum_squared_error(y, t):
    d = (y - t).ravel()
    return 0.5 * float(d @ d)


def cross_entropy_error(y, t):
    """Entropie croisée moyenne ; t : « one-hot » ou étiquettes entières."""
    y = np.atleast_2d(y)
    if np.size(t) == y.size:
        t = np.argmax(np.reshape(t, y.shape), axis=1)
    t = np.reshape(t, -1).astype(int)
    return -np.mean(np.log(y[np.arange(y.shape[0]), t] + 1e-7))


def numerical_diff(f, x):
    h = 1e-4  # pas de 10^-4 (µ-différence centrée)
    return (f(x + h) - f(x - h)) / (2 * h)


def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros(x.shape)
    for i in range(x.size):
        ancien = x.flat[i]
        x.flat[i] = ancien + h
        f1 = f(x)
        x.flat[i] = ancien - h
        f2 = f(x)
        x.flat[i] = ancien  # on remet la valeur d'origine
        grad.flat[i] = (f1 - f2) / (2 * h)
    return grad


def gradient_descent(f, init_x, lr=0.01, step_num=100):
    x = np.array(init_x, dtype=float)
    for _ in range(step_num):
        x = x - lr * numerical_gradient(f, x)
    return x


print("Résultat : ", gradient_descent(lambda v: np.sum(v ** 2), np.array([-3.0, 4.0]), 0.1))
'''

# --- leeseoyeon.ipynb: correct, vectorised, a tidy notebook ---------------------------------
TIDY_CELLS: list[Cell] = [
    ("markdown", "# 과제 1. 손실 함수와 수치 미분\n이서연"),
    ("code", "import numpy as np"),
    ("code", "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n\n\ndef relu(x):\n    return np.maximum(0, x)"),
    ("code", "def softmax(x):\n    c = np.max(x, axis=-1, keepdims=True)  # 오버플로 방지\n"
             "    exp_x = np.exp(x - c)\n    return exp_x / np.sum(exp_x, axis=-1, keepdims=True)"),
    ("code", "softmax(np.array([1000.0, 1001.0, 1002.0]))"),
    ("markdown", "## 손실 함수"),
    ("code", "def sum_squared_error(y, t):\n    return 0.5 * np.sum((y - t) ** 2)\n\n\n"
             "def cross_entropy_error(y, t):\n    if y.ndim == 1:\n        t = t.reshape(1, t.size)\n"
             "        y = y.reshape(1, y.size)\n    if t.size == y.size:  # 원-핫이면 정답 인덱스로\n"
             "        t = t.argmax(axis=1)\n    batch_size = y.shape[0]\n"
             "    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size"),
    ("code", "y = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])\n"
             "t = np.array([0, 0, 1, 0, 0, 0, 0, 0, 0, 0])\n"
             "print(sum_squared_error(y, t), cross_entropy_error(y, t))"),
    ("markdown", "## 수치 미분과 경사 하강법"),
    ("code", "def numerical_diff(f, x):\n    h = 1e-4\n    return (f(x + h) - f(x - h)) / (2 * h)\n\n\n"
             "def numerical_gradient(f, x):\n    h = 1e-4\n    grad = np.zeros_like(x)\n"
             "    for idx in np.ndindex(x.shape):  # 몇 차원이든 OK\n        tmp_val = x[idx]\n"
             "        x[idx] = tmp_val + h\n        fxh1 = f(x)\n        x[idx] = tmp_val - h\n"
             "        fxh2 = f(x)\n        x[idx] = tmp_val\n        grad[idx] = (fxh1 - fxh2) / (2 * h)\n"
             "    return grad\n\n\ndef gradient_descent(f, init_x, lr=0.01, step_num=100):\n"
             "    x = init_x.copy()\n    for i in range(step_num):\n"
             "        x -= lr * numerical_gradient(f, x)\n    return x"),
    ("code", "gradient_descent(lambda x: x[0] ** 2 + x[1] ** 2, np.array([-3.0, 4.0]), lr=0.1)"),
]

# --- oh_sungmin_colab.ipynb: a Colab notebook full of junk, one cell that does not parse ----
COLAB_CELLS: list[Cell] = [
    ("markdown", "# 딥러닝 1주차 과제 (오성민)\nColab에서 작성"),
    ("code", "from google.colab import drive\ndrive.mount('/content/drive')"),
    ("code", "!pip install mnist\n%matplotlib inline\nimport numpy as np\nimport matplotlib.pyplot as plt"),
    ("code", "from google.colab import files\nuploaded = files.upload()"),
    ("code", "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n\ndef relu(x):\n    return np.maximum(0, x)\n\n"
             "x = np.arange(-5.0, 5.0, 0.1)\nplt.plot(x, sigmoid(x))\nplt.plot(x, relu(x))\nplt.ylim(-0.1, 1.1)\n"
             "plt.show()"),
    ("code", "def softmax(x):\n    x = x - np.max(x, axis=-1, keepdims=True)\n"
             "    return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)"),
    ("code", "def sum_squared_error(y, t):\n    return 0.5 * np.sum((y-t)**2)\n\n"
             "def cross_entropy_error(y, t):\n    if y.ndim == 1:\n        t = t.reshape(1, t.size)\n"
             "        y = y.reshape(1, y.size)\n    if t.size == y.size:\n        t = t.argmax(axis=1)\n"
             "    batch_size = y.shape[0]\n"
             "    return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size"),
    ("code", "def numerical_diff(f, x):\n    h = 1e-4\n    return (f(x+h) - f(x-h)) / (2*h)\n\n"
             "def numerical_gradient(f, x):\n    h = 1e-4\n    grad = np.zeros_like(x)\n"
             "    it = np.nditer(x, flags=['multi_index'], op_flags=['readwrite'])\n    while not it.finished:\n"
             "        idx = it.multi_index\n        tmp_val = x[idx]\n        x[idx] = tmp_val + h\n"
             "        fxh1 = f(x)\n        x[idx] = tmp_val - h\n        fxh2 = f(x)\n"
             "        grad[idx] = (fxh1 - fxh2) / (2*h)\n        x[idx] = tmp_val\n        it.iternext()\n"
             "    return grad"),
    ("code", "# 경사 하강법\ndef gradient_descent(f, init_x, lr=0.01, step_num=100)\n    x = init_x.copy()\n"
             "    for i in range(step_num):\n        x -= lr * numerical_gradient(f, x)\n    return x"),
    ("code", "# 학습 경로 그려보기 (10000번)\nx = np.array([-3.0, 4.0])\nhistory = []\nfor i in range(10000):\n"
             "    x -= 0.01 * numerical_gradient(lambda v: v[0]**2 + v[1]**2, x)\n    history.append(x.copy())\n"
             "history = np.array(history)\nplt.plot(history[:, 0], history[:, 1], 'o')\nplt.xlabel('x0')\n"
             "plt.ylabel('x1')\nplt.show()"),
    ("code", "print('끝!')"),
]

# --- seo_dahye.ipynb: the download was cut off, the JSON ends mid-way ------------------------
TRUNCATED_FRACTION = 0.6


def truncated(text: str, fraction: float = TRUNCATED_FRACTION) -> str:
    """The first `fraction` of `text`: what an interrupted download leaves."""
    return text[: int(len(text) * fraction)]


def generated_files() -> dict[str, bytes]:
    """File name in demo_class/ -> the exact bytes the generator writes."""
    return {
        "dupont_marie.py": LATIN1_SOURCE.replace("\n", "\r\n").encode("latin-1"),
        "leeseoyeon.ipynb": notebook_text(TIDY_CELLS).encode("utf-8"),
        "oh_sungmin_colab.ipynb": notebook_text(COLAB_CELLS).encode("utf-8"),
        "seo_dahye.ipynb": truncated(notebook_text(TIDY_CELLS[:4])).encode("utf-8"),
    }


def stale_files(demo_dir: Path = DEMO_DIR) -> list[Path]:
    """The generated files that are missing or differ from what the generator writes."""
    return [demo_dir / name for name, data in generated_files().items()
            if not (demo_dir / name).exists() or (demo_dir / name).read_bytes() != data]


def main(argv: list[str] | None = None) -> int:
    """Command line: write the generated files, or with --check report stale ones (exit 1)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="do not write; exit 1 if a file is stale")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"{path} is out of date: regenerate with `python examples/make_demo_class.py`", file=sys.stderr)
        return 1 if stale else 0
    DEMO_DIR.mkdir(parents=True, exist_ok=True)
    for name, data in generated_files().items():
        (DEMO_DIR / name).write_bytes(data)
        print(f"wrote {DEMO_DIR / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

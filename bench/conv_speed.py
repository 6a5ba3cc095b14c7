"""How much faster the im2col ``Convolution`` is than direct loops, forward + backward, on a class-sized batch.

    python bench/conv_speed.py [--batch 100] [--repeat 3]

Input 100 x 3 x 28 x 28, 16 filters 3 x 3, stride 1, no padding. Two loop baselines, both checked
to agree with the reference before timing:

- "naive loops": one iteration per (image, filter, output pixel), NumPy only inside the 3 x 3 x C
  window: the direct definition, as most students first write it;
- "pixel loops": one iteration per output pixel, vectorised over images, channels and filters.

Prints the best-of-``repeat`` time of each (the naive loops run once) and the ratios, measured in this run.
"""
from __future__ import annotations

import argparse

import numpy as np

from reference.conv import Convolution
from timing import best_time


def naive_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    out = np.empty((N, FN, H - FH + 1, Wd - FW + 1))
    for n in range(N):
        for f in range(FN):
            for i in range(H - FH + 1):
                for j in range(Wd - FW + 1):
                    out[n, f, i, j] = np.sum(x[n, :, i:i + FH, j:j + FW] * W[f]) + b[f]
    return out


def naive_backward(x: np.ndarray, W: np.ndarray, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    _, _, FH, FW = W.shape
    dx, dW = np.zeros_like(x), np.zeros_like(W)
    N, FN, OH, OW = dout.shape
    for n in range(N):
        for f in range(FN):
            for i in range(OH):
                for j in range(OW):
                    g = dout[n, f, i, j]
                    dx[n, :, i:i + FH, j:j + FW] += g * W[f]
                    dW[f] += g * x[n, :, i:i + FH, j:j + FW]
    return dx, dW, dout.sum(axis=(0, 2, 3))


def direct_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    N, C, H, Wd = x.shape
    FN, _, FH, FW = W.shape
    out = np.empty((N, FN, H - FH + 1, Wd - FW + 1))
    for i in range(H - FH + 1):
        for j in range(Wd - FW + 1):
            window = x[:, :, i:i + FH, j:j + FW]  # (N, C, FH, FW)
            out[:, :, i, j] = np.tensordot(window, W, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


def direct_backward(x: np.ndarray, W: np.ndarray, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    _, _, FH, FW = W.shape
    dx, dW = np.zeros_like(x), np.zeros_like(W)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            g = dout[:, :, i, j]  # (N, FN)
            dx[:, :, i:i + FH, j:j + FW] += np.tensordot(g, W, axes=([1], [0]))
            dW += np.tensordot(g, x[:, :, i:i + FH, j:j + FW], axes=([0], [0]))
    return dx, dW, dout.sum(axis=(0, 2, 3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, 3, 28, 28))
    W, b = rng.standard_normal((16, 3, 3, 3)), rng.standard_normal(16)
    dout = rng.standard_normal((args.batch, 16, 26, 26))

    layer = Convolution(W, b)
    out = layer.forward(x)
    dx = layer.backward(dout)
    reference = {"out": out, "dx": dx, "dW": layer.dW, "db": layer.db}
    baselines = {"pixel loops": (direct_forward, direct_backward), "naive loops": (naive_forward, naive_backward)}
    for label, (forward, backward) in baselines.items():
        got = dict(zip(("out", "dx", "dW", "db"), (forward(x, W, b), *backward(x, W, dout))))
        for name, value in got.items():
            assert np.allclose(value, reference[name], rtol=1e-10, atol=1e-9), f"{label}: {name} differs from im2col"

    def im2col_version() -> None:
        layer.forward(x)
        layer.backward(dout)

    fast = best_time(im2col_version, args.repeat)
    print(f"batch {x.shape}, filters {W.shape}, forward + backward")
    print(f"  im2col Convolution (best of {args.repeat}): {fast * 1e3:9.1f} ms")
    for label, (forward, backward) in baselines.items():
        repeat = args.repeat if label == "pixel loops" else 1
        slow = best_time(lambda: (forward(x, W, b), backward(x, W, dout)), repeat)
        print(f"  {label} (best of {repeat}): {slow * 1e3:9.1f} ms   speed-up of im2col: {slow / fast:.1f}x")


if __name__ == "__main__":
    main()

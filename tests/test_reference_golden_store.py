"""The golden store agrees with the reference (CI's check), is reproducible, and loads as documented."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from reference import golden
from reference.golden_cases import REGISTRY

CURRICULUM_COMPONENTS = {
    "numerical": ["sigmoid", "relu", "softmax", "sum_squared_error", "cross_entropy_error", "numerical_diff",
                  "numerical_gradient", "gradient_descent"],
    "backprop": ["mlp_forward", "mlp_loss", "mlp_backward", "mlp_update", "delta_sgd", "backprop_xor", "backprop_ce",
                 "deep_relu", "dropout_mask"],
    "layers": ["Relu", "Sigmoid", "LeakyRelu", "Elu", "Tanh", "Affine", "SoftmaxWithLoss", "Dropout", "Flatten",
               "TwoLayerNet"],
    "optim": ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "AdaDelta", "Adam", "xavier_init", "he_init",
              "l2_penalty", "l2_grad"],
    "conv": ["conv1d", "mse_loss", "conv1d_backward", "conv1d_train", "im2col", "col2im", "Convolution", "Pooling"],
}


def test_store_agrees_with_reference():
    """CI's guard: `python -m reference.golden --check` must pass."""
    problems = golden.disagreements()
    assert not problems, "\n".join(problems + [golden.REGENERATE])


def test_check_command_names_the_entry_and_how_to_regenerate(tmp_path):
    golden.generate(tmp_path)
    entries = dict(np.load(tmp_path / "conv.npz", allow_pickle=False))
    entries["conv1d/seed::out::y"] = entries["conv1d/seed::out::y"] + 1e-6
    golden.write_npz(tmp_path / "conv.npz", entries)
    run = subprocess.run([sys.executable, "-m", "reference.golden", "--check", "--store", str(tmp_path)],
                         capture_output=True, text=True)
    assert run.returncode != 0
    assert "conv1d/seed::out::y" in run.stderr
    assert "regenerate with: python -m reference.golden" in run.stderr


def test_generation_is_byte_for_byte_deterministic(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for path_a, path_b in zip(golden.generate(first), golden.generate(second)):
        assert path_a.read_bytes() == path_b.read_bytes(), path_a.name


@pytest.mark.parametrize("assignment", CURRICULUM_COMPONENTS)
def test_every_component_has_a_fresh_case_besides_the_seed(assignment):
    names = list(REGISTRY[assignment])
    for component in CURRICULUM_COMPONENTS[assignment]:
        mine = [n for n in names if n.split("/")[0] == component]
        assert any(not n.endswith("/seed") for n in mine), f"{component}: no case on fresh inputs"


@pytest.mark.parametrize("name", ["mlp_update/seed", "conv1d/seed", "conv1d_backward/seed", "sum_squared_error/seed",
                                  "cross_entropy_error/seed", "gradient_descent/seed", "mlp_forward/seed"])
def test_seed_cases_hold_the_curriculum_numbers(name):
    expected = {
        "mlp_update/seed": ("W2", [[0.43703857, 0.38685205], [0.69629578, 0.59624247]]),
        "conv1d/seed": ("y", [2.7, 2.0, 1.4]),
        "conv1d_backward/seed": ("dw", [2.5333333, 1.74, 1.06]),
        "sum_squared_error/seed": ("loss", 0.0975),
        "cross_entropy_error/seed": ("loss", 0.510825457099338),
        "gradient_descent/seed": ("x", [0.0, 0.0]),
        "mlp_forward/seed": ("o", [0.60944600, 0.66384491]),
    }[name]
    np.testing.assert_allclose(golden.case(name).outputs[expected[0]], expected[1], rtol=0, atol=5e-8)


def test_loader_gives_read_only_arrays_and_python_scalars():
    cases = golden.load("backprop")
    assert golden.load("backprop") is cases  # cached
    update = cases["mlp_update/seed"]
    assert update.name == "mlp_update/seed" and update.assignment == "backprop"
    assert isinstance(update.inputs["lr"], float) and update.inputs["lr"] == 0.5
    assert isinstance(update.outputs["loss_after"], float)
    with pytest.raises(ValueError):
        update.inputs["W1"][0, 0] = 1.0
    assert golden.case("numerical_diff/seed").inputs["f"] == "function_1"


def test_layer_cases_carry_forward_and_backward():
    case = golden.case("Convolution/stride_pad")
    assert set(case.outputs) == {"out", "dx", "dW", "db"}
    assert case.outputs["dx"].shape == case.inputs["x"].shape
    assert case.outputs["out"].shape == case.inputs["dout"].shape


def test_relu_like_inputs_are_off_their_kinks_and_pool_windows_tie_free():
    for name in ("Relu/matrix", "Relu/4d", "LeakyRelu/alpha", "Elu/4d", "relu/matrix"):
        assert np.abs(golden.case(name).inputs["x"]).min() > 1e-3, name
    for name in ("Pooling/basic", "Pooling/overlap_pad"):
        x = golden.case(name).inputs["x"]
        gaps = np.diff(np.sort(x.ravel()))
        assert gaps.min() > 1e-3, name

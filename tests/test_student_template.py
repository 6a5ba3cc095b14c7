"""The student templates: skeletons match CURRICULUM.md exactly, give nothing away, and the
generated notebooks are valid and in sync with the skeletons."""
from __future__ import annotations

import ast
import importlib.util
import inspect
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

from student_template import build

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "student_template"

# Written from ../shared/CURRICULUM.md, not from the skeletons. A function maps to its
# signature; a class maps to {"__init__": constructor signature, method: signature}
# (signatures without `self`).
LAYER = {"forward": "(x)", "backward": "(dout)"}
OPTIMIZER = {"update": "(params, grads)"}
CURRICULUM: dict[str, dict[str, object]] = {
    "numerical": {
        "sigmoid": "(x)",
        "relu": "(x)",
        "softmax": "(x)",
        "sum_squared_error": "(y, t)",
        "cross_entropy_error": "(y, t)",
        "numerical_diff": "(f, x)",
        "numerical_gradient": "(f, x)",
        "gradient_descent": "(f, init_x, lr=0.01, step_num=100)",
    },
    "backprop": {
        "mlp_forward": "(x, W1, W2)",
        "mlp_loss": "(o, t)",
        "mlp_backward": "(x, t, W1, W2)",
        "mlp_update": "(x, t, W1, W2, lr)",
        "delta_sgd": "(W, X, D, alpha)",
        "backprop_xor": "(W1, W2, X, D, alpha)",
        "backprop_ce": "(W1, W2, X, D, alpha)",
        "deep_relu": "(W1, W2, W3, W4, X, D, alpha)",
        "dropout_mask": "(y, ratio)",
    },
    "layers": {
        "Relu": {"__init__": "()", **LAYER},
        "Sigmoid": {"__init__": "()", **LAYER},
        "LeakyRelu": {"__init__": "(alpha=0.01)", **LAYER},
        "Elu": {"__init__": "(alpha=1.0)", **LAYER},
        "Tanh": {"__init__": "()", **LAYER},
        "Affine": {"__init__": "(W, b)", **LAYER},
        "SoftmaxWithLoss": {"__init__": "()", "forward": "(x, t)", "backward": "(dout=1)"},
        "Dropout": {"__init__": "(dropout_ratio=0.5)", "forward": "(x, train_flg=True)", "backward": "(dout)"},
        "Flatten": {"__init__": "()", **LAYER},
        "TwoLayerNet": {
            "__init__": "(input_size, hidden_size, output_size, weight_init_std=0.01)",
            "predict": "(x)",
            "loss": "(x, t)",
            "accuracy": "(x, t)",
            "gradient": "(x, t)",
        },
    },
    "optim": {
        "SGD": {"__init__": "(lr=0.01)", **OPTIMIZER},
        "Momentum": {"__init__": "(lr=0.01, momentum=0.9)", **OPTIMIZER},
        "Nesterov": {"__init__": "(lr=0.01, momentum=0.9)", **OPTIMIZER},
        "AdaGrad": {"__init__": "(lr=0.01)", **OPTIMIZER},
        "RMSprop": {"__init__": "(lr=0.01, decay_rate=0.99)", **OPTIMIZER},
        "AdaDelta": {"__init__": "(rho=0.95, eps=1e-06)", **OPTIMIZER},
        "Adam": {"__init__": "(lr=0.001, beta1=0.9, beta2=0.999)", **OPTIMIZER},
        "xavier_init": "(fan_in, fan_out, rng=None)",
        "he_init": "(fan_in, fan_out, rng=None)",
        "l2_penalty": "(weights, weight_decay_lambda)",
        "l2_grad": "(W, weight_decay_lambda)",
    },
    "conv": {
        "conv1d": "(x, w, b)",
        "mse_loss": "(pred, target)",
        "conv1d_backward": "(x, w, dout)",
        "conv1d_train": "(x, w, b, target, lr, epochs)",
        "im2col": "(input_data, filter_h, filter_w, stride=1, pad=0)",
        "col2im": "(col, input_shape, filter_h, filter_w, stride=1, pad=0)",
        "Convolution": {"__init__": "(W, b, stride=1, pad=0)", **LAYER},
        "Pooling": {"__init__": "(pool_h, pool_w, stride=2, pad=0)", **LAYER},
    },
}
# Attributes the curriculum names on an instance right after construction.
ATTRIBUTES = {("layers", "Affine"): ("W", "b", "dW", "db"), ("conv", "Convolution"): ("W", "b", "dW", "db")}
# Constructor arguments that must be real values (TwoLayerNet builds its params); others get None.
CONSTRUCTOR_ARGS = {"input_size": 4, "hidden_size": 3, "output_size": 2}

CASES = [(a, name) for a, components in CURRICULUM.items() for name in components]


def load_skeleton(assignment: str) -> ModuleType:
    """Import student_template/<assignment>.py from its file, under a private module name."""
    spec = importlib.util.spec_from_file_location(f"_skeleton_{assignment}", TEMPLATES / f"{assignment}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def skeletons() -> dict[str, ModuleType]:
    return {assignment: load_skeleton(assignment) for assignment in CURRICULUM}


def plain_signature(obj: object) -> str:
    """inspect.signature of obj as text, without annotations."""
    sig = inspect.signature(obj)
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    return str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty))


# Classes whose constructor is part of the exercise (it raises NotImplementedError in the template).
CONSTRUCTOR_TODO = {"TwoLayerNet"}


def _bound(cls: type, method: str):
    """``cls.method`` with ``self`` bound to a bare instance (no constructor call)."""
    return getattr(object.__new__(cls), method)


def construct(cls: type) -> object:
    """An instance of a skeleton class, with placeholder constructor arguments."""
    names = inspect.signature(cls).parameters
    return cls(**{name: CONSTRUCTOR_ARGS.get(name) for name, p in names.items() if p.default is p.empty})


def call_with_placeholders(fn) -> None:
    """Call fn with None for every parameter without a default."""
    params = inspect.signature(fn).parameters.values()
    fn(*[None for p in params if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD])


@pytest.mark.parametrize("assignment", CURRICULUM)
def test_skeleton_parses_and_starts_with_self_check_and_numpy(assignment):
    source = (TEMPLATES / f"{assignment}.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    header = source[: source.index("import numpy as np")]
    assert all(line.startswith("#") or not line.strip() for line in header.splitlines())
    assert f"grader check {assignment} {assignment}.py" in header
    first = tree.body[0]
    assert isinstance(first, ast.Import) and [(a.name, a.asname) for a in first.names] == [("numpy", "np")]


@pytest.mark.parametrize("assignment", CURRICULUM)
def test_skeleton_defines_exactly_the_curriculum_components(assignment, skeletons):
    module = skeletons[assignment]
    defined = {
        name
        for name, obj in vars(module).items()
        if (inspect.isfunction(obj) or inspect.isclass(obj)) and obj.__module__ == module.__name__
    }
    assert defined == set(CURRICULUM[assignment])


@pytest.mark.parametrize(("assignment", "name"), CASES)
def test_component_has_the_curriculum_signature(assignment, name, skeletons):
    obj = getattr(skeletons[assignment], name)
    expected = CURRICULUM[assignment][name]
    if isinstance(expected, str):
        assert inspect.isfunction(obj) and plain_signature(obj) == expected
        return
    assert inspect.isclass(obj)
    assert plain_signature(obj) == expected["__init__"]
    methods = {m for m, v in vars(obj).items() if inspect.isfunction(v) and m != "__init__"}
    assert methods == set(expected) - {"__init__"}
    for method in methods:
        assert plain_signature(_bound(obj, method)) == expected[method], f"{name}.{method}"
    if name in CONSTRUCTOR_TODO:
        return
    instance = construct(obj)
    for attribute in ATTRIBUTES.get((assignment, name), ()):
        assert hasattr(instance, attribute), f"{name}.{attribute}"


@pytest.mark.parametrize(("assignment", "name"), CASES)
def test_every_body_raises_not_implemented(assignment, name, skeletons):
    obj = getattr(skeletons[assignment], name)
    if name in CONSTRUCTOR_TODO:  # building params is part of the exercise
        with pytest.raises(NotImplementedError, match="not implemented yet"):
            construct(obj)
        return
    if inspect.isclass(obj):
        instance = construct(obj)  # constructors only store their arguments
        callables = [getattr(instance, m) for m, v in vars(obj).items() if inspect.isfunction(v) and m != "__init__"]
    else:
        callables = [obj]
    for fn in callables:
        with pytest.raises(NotImplementedError, match="not implemented yet"):
            call_with_placeholders(fn)


def _function_bodies(tree: ast.Module):
    """Every function defined in the module except constructors, with its qualified name."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name != "__init__":
                    yield f"{node.name}.{item.name}", item


@pytest.mark.parametrize("assignment", CURRICULUM)
def test_bodies_hold_only_a_docstring_and_the_raise(assignment):
    tree = ast.parse((TEMPLATES / f"{assignment}.py").read_text(encoding="utf-8"))
    for qualname, fn in _function_bodies(tree):
        docstring, *rest = fn.body
        assert isinstance(docstring, ast.Expr) and isinstance(docstring.value, ast.Constant), qualname
        assert len(docstring.value.value.strip()) > 20, f"{qualname}: the docstring should state shapes"
        assert len(rest) == 1 and isinstance(rest[0], ast.Raise), f"{qualname}: only `raise NotImplementedError`"
        assert rest[0].exc.func.id == "NotImplementedError", qualname


def test_two_layer_net_constructor_is_left_to_the_student(skeletons):
    """Building params is graded (TwoLayerNet/params): the template must not give those points away."""
    with pytest.raises(NotImplementedError, match="TwoLayerNet.__init__ is not implemented yet"):
        skeletons["layers"].TwoLayerNet(4, 3, 2)


def test_notebooks_are_in_sync_with_the_skeletons():
    result = subprocess.run(
        [sys.executable, "-m", "student_template.build", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_check_reports_a_stale_notebook_and_how_to_regenerate(tmp_path):
    for name in build.ASSIGNMENTS:
        shutil.copy(TEMPLATES / f"{name}.py", tmp_path)
    build.write_notebooks(template_dir=tmp_path)
    assert build.stale_notebooks(template_dir=tmp_path) == []
    with (tmp_path / "optim.py").open("a", encoding="utf-8") as f:
        f.write("\n\ndef extra():\n    raise NotImplementedError\n")
    (tmp_path / "conv.ipynb").unlink()
    assert build.stale_notebooks(template_dir=tmp_path) == [tmp_path / "optim.ipynb", tmp_path / "conv.ipynb"]
    result = subprocess.run(
        [sys.executable, str(TEMPLATES / "build.py"), "--check", "nosuch"], capture_output=True, text=True
    )
    assert result.returncode != 0 and "unknown assignment" in result.stderr


def test_build_is_byte_identical_when_run_twice(tmp_path):
    shutil.copy(TEMPLATES / "layers.py", tmp_path)
    first = build.write_notebooks(("layers",), tmp_path)[0].read_bytes()
    second = build.write_notebooks(("layers",), tmp_path)[0].read_bytes()
    assert first == second == (TEMPLATES / "layers.ipynb").read_bytes()


@pytest.mark.parametrize("assignment", CURRICULUM)
def test_notebook_is_valid_and_holds_the_whole_skeleton(assignment):
    nb = nbformat.read(TEMPLATES / f"{assignment}.ipynb", as_version=4)
    nbformat.validate(nb)
    first, install, imports, *rest = nb.cells
    assert first.cell_type == "markdown" and f"grader check {assignment} {assignment}.ipynb" in first.source
    assert f"%pip install -q dlfs_kit_{assignment}-" in install.source and "from grader_kit import check" in install.source
    assert imports.source == "import numpy as np"
    assert [c.id for c in nb.cells] == [f"cell-{n}" for n in range(1, len(nb.cells) + 1)]
    components, checks = rest[0::2], rest[1::2]
    assert [ast.parse(c.source).body[0].name for c in components] == list(CURRICULUM[assignment])
    assert [c.source for c in checks] == [f'check("{name}")' for name in CURRICULUM[assignment]]
    code = "\n\n".join(c.source for c in [imports, *components])
    skeleton = (TEMPLATES / f"{assignment}.py").read_text(encoding="utf-8")
    assert ast.dump(ast.parse(code)) == ast.dump(ast.parse(skeleton))


def test_split_skeleton_rejects_top_level_code():
    with pytest.raises(ValueError, match="only imports and definitions"):
        build.split_skeleton("import numpy as np\n\nprint('hello')\n")


# ---------------------------------------------------------------- the demo class (examples/)
def test_demo_class_generated_files_are_up_to_date_and_exact():
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "make_demo_class.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    demo = ROOT / "examples" / "demo_class"
    latin1 = (demo / "dupont_marie.py").read_bytes()
    assert latin1.startswith(b"# -*- coding: latin-1 -*-\r\n") and b"\n" not in latin1.replace(b"\r\n", b"")
    assert "é".encode("latin-1") in latin1
    with pytest.raises(UnicodeDecodeError):
        latin1.decode("utf-8")
    nbformat.validate(nbformat.read(demo / "oh_sungmin_colab.ipynb", as_version=4))
    with pytest.raises(nbformat.reader.NotJSONError):
        nbformat.reads((demo / "seo_dahye.ipynb").read_text(encoding="utf-8"), as_version=4)

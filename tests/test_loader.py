"""The loader: one file -> LoadedSubmission (data only). Exact kept statements and exact notes."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.loaded import GlobalRead, LoadedSubmission
from grader.loader import decode_python, load_source, load_submission, scan_lines, strip_ipython, top_level_chunks

FIXTURES = Path(__file__).parent / "fixtures" / "submissions"


def py(source: str) -> LoadedSubmission:
    return load_source(textwrap.dedent(source).lstrip("\n"), "s", "s.py")


def notebook(*cells: str, metadata: dict | None = None) -> LoadedSubmission:
    nb = new_notebook(metadata=metadata or {})
    nb.cells = [new_markdown_cell(c[3:]) if c.startswith("md:") else new_code_cell(c) for c in cells]
    return load_source(nbformat.writes(nb), "s", "s.ipynb", kind="ipynb")


def kept(loaded: LoadedSubmission) -> list[tuple[str, str]]:
    return [(s.where, s.source) for s in loaded.statements]


def notes(loaded: LoadedSubmission, severity: str | None = None) -> list[tuple[str, str]]:
    return [(n.where, n.message) for n in loaded.notes if severity is None or n.severity == severity]


def warnings(loaded: LoadedSubmission) -> list[tuple[str, str]]:
    return notes(loaded, "warning")


# --- decoding ------------------------------------------------------------------------------------

def test_latin1_with_cookie_and_crlf(tmp_path: Path) -> None:
    source = "# -*- coding: latin-1 -*-\r\nimport numpy as np\r\n\r\ndef greet():\r\n    return 'café'\r\n"
    path = tmp_path / "latin.py"
    path.write_bytes(source.encode("latin-1"))
    loaded = load_submission(path, "latin")
    assert kept(loaded) == [("line 2", "import numpy as np"), ("line 4", "def greet():\n    return 'café'")]
    assert notes(loaded) == []
    assert loaded.path == str(path) and loaded.kind == "py" and loaded.error is None


def test_utf8_bom_and_cr_only_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "bom.py"
    path.write_bytes("\ufeffimport math\rdef half(x):\r    return x / 2  # 절반\r".encode("utf-8"))
    loaded = load_submission(path, "bom")
    assert kept(loaded) == [("line 1", "import math"), ("line 2", "def half(x):\n    return x / 2  # 절반")]
    assert loaded.notes == []


@pytest.mark.parametrize(
    "data, text, note",
    [
        ("x = 'é'\n".encode("latin-1"), "x = 'é'\n", "the file is not valid UTF-8; it was read as Latin-1: save it as UTF-8"),
        ("s = '한글'\n".encode("cp949"), "s = '한글'\n",
         "the file is not valid UTF-8; it was read as cp949 (Korean Windows): save it as UTF-8"),
        ("# coding: ascii\ns = 'ü'\n".encode("utf-8"), "# coding: ascii\ns = 'ü'\n",
         "the file declares encoding `ascii` but is not valid ascii; it was read as UTF-8: save it as UTF-8"),
        (b"# coding: klingon\nx = 1\n", "# coding: klingon\nx = 1\n", "the file is not valid UTF-8; it was read as UTF-8: save it as UTF-8"),
        ("\ufeffx = 1\n".encode("utf-8"), "x = 1\n", None),
    ],
)
def test_decode_fallbacks(data: bytes, text: str, note: str | None) -> None:
    decoded, said = decode_python(data)
    assert decoded.lstrip("\ufeff") == text
    assert said == note


def test_tabs_are_fine() -> None:
    loaded = py("def f(x):\n\tif x:\n\t\treturn 1\n\treturn 0\n")
    assert kept(loaded) == [("line 1", "def f(x):\n\tif x:\n\t\treturn 1\n\treturn 0")]


# --- notebooks -----------------------------------------------------------------------------------

def test_colab_notebook_fixture_keeps_only_definitions() -> None:
    loaded = load_submission(FIXTURES / "colab_numerical.ipynb", "colab", "class/colab_numerical.ipynb")
    assert loaded.kind == "ipynb" and loaded.error is None and loaded.path == "class/colab_numerical.ipynb"
    assert kept(loaded) == [
        ("cell 2, line 1", "import numpy as np"),
        ("cell 2, line 2", "import matplotlib.pyplot as plt"),
        ("cell 3, line 1", "def numerical_diff(f, x):\n    h = 1e-4\n    return (f(x + h) - f(x - h)) / (2 * h)"),
        ("cell 4, line 1", "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))"),
        ("cell 4, line 4", "xs = np.arange(-5.0, 5.0, 0.1)"),
        ("cell 5, line 1", "w = np.zeros(2)"),
    ]
    # !pip, %matplotlib, the google.colab import and plt.show() go silently; the upload and the loop are listed once
    assert notes(loaded) == [
        ("", "not run (only imports, definitions and simple constants are): 2 top-level statements, "
             "at cell 1, line 4; cell 5, line 2"),
    ]
    assert loaded.defined == ["np", "plt", "numerical_diff", "sigmoid", "xs", "w"]


def test_nbformat_v3_notebook_is_converted() -> None:
    loaded = load_submission(FIXTURES / "old_v3.ipynb", "old")
    assert json.loads((FIXTURES / "old_v3.ipynb").read_text())["nbformat"] == 3
    assert kept(loaded) == [("cell 1, line 1", "import numpy as np"),
                            ("cell 2, line 1", "def relu(x):\n    return np.maximum(0, x)")]
    assert loaded.error is None


def test_notebook_that_is_not_json_is_a_load_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text('{"cells": [ {"cell_type": "code", "source": "def f(')
    loaded = load_submission(path, "broken")
    assert loaded.error == ("not a readable Jupyter notebook (it is not JSON); download it again "
                            "from Jupyter or Colab (File > Download > .ipynb)")
    assert loaded.statements == []


def test_json_that_is_not_a_notebook_is_a_load_error() -> None:
    loaded = load_source('{"hello": 1}', "x", "x.ipynb", kind="ipynb")
    assert loaded.error is not None and loaded.error.startswith("not a readable Jupyter notebook (")


def test_broken_cell_is_dropped_with_its_cell_and_line() -> None:
    loaded = notebook(
        "import numpy as np",
        "md:some text",
        "def relu(x):\n    return np.maximum(0, x)",
        "def softmax(x):\n    e = np.exp(x - x.max()\n    return e / e.sum()",
        "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))",
    )
    assert [s.source.split("(")[0] for s in loaded.statements] == ["import numpy as np", "def relu", "def sigmoid"]
    assert [s.cell for s in loaded.statements] == [1, 2, 4]
    assert warnings(loaded) == [
        ("cell 3, line 2", "SyntaxError: '(' was never closed: the definition(s) `softmax` on lines 1..3 were skipped"),
    ]
    assert loaded.error is None


def test_notebook_with_no_code_cells_is_not_an_error() -> None:
    loaded = notebook("md:only prose")
    assert loaded.error is None and loaded.statements == []
    assert warnings(loaded) == [("", "no code found: every check will report `missing`")]


# --- IPython syntax ------------------------------------------------------------------------------

def test_magics_shell_and_help_lines() -> None:
    loaded = notebook(
        "%load_ext autoreload\n%autoreload 2\nimport numpy as np\nnp.sum?\n??np.mean\nfiles = !ls\n"
        "%time table = np.zeros((2, 2))\n%timeit -n 3 -r 2 np.ones(3)\n%time result = train()",
        "%run helpers.py\n%pylab inline",
        "def f():\n    !echo hi\n    return len(files)",
    )
    assert kept(loaded) == [
        ("cell 1, line 3", "import numpy as np"),
        ("cell 1, line 7", "table = np.zeros((2, 2))"),
        ("cell 3, line 1", "def f():\n    pass\n    return len(files)"),
    ]
    assert notes(loaded) == [
        ("cell 1, line 6", "`files = !ls` was not run; your function `f` reads `files`"),
        ("cell 2, line 1", "`%run helpers.py` was not run: put the definitions you need in this file"),
        ("cell 2, line 2", "`%pylab` was removed: import what you use (`import numpy as np`)"),
        ("", "not run (only imports, definitions and simple constants are): 1 top-level statement, at cell 1, line 9"),
    ]
    assert [n.severity for n in loaded.notes] == ["warning", "warning", "info", "info"]


def test_cell_magics() -> None:
    loaded = notebook(
        "%%time\ndef f(x):\n    return x\nf(1)",
        "%%capture\nimport numpy as np",
        "%%bash\npip install torch",
        "%%writefile layers.py\nclass Relu:\n    pass",
        "%%html\n<b>hi</b>",
    )
    assert kept(loaded) == [("cell 1, line 2", "def f(x):\n    return x"), ("cell 2, line 2", "import numpy as np")]
    assert notes(loaded, "info") == [
        ("cell 4, line 1", "a `%%writefile` cell is not Python and was not run"),
        ("", "not run (only imports, definitions and simple constants are): 1 top-level statement, at cell 1, line 4"),
    ]


def test_percent_and_bang_inside_strings_and_brackets_are_python() -> None:
    source = 'x = (10\n% 3)\ns = """\n!not a shell line\n%not a magic\n"""\ny = 5 != 3\n'
    cleaned = strip_ipython(source)
    assert cleaned.text == source and cleaned.notes == []
    assert kept(py(source)) == [("line 1", "x = (10\n% 3)"), ("line 3", 's = """\n!not a shell line\n%not a magic\n"""'),
                                ("line 7", "y = 5 != 3")]


def test_scan_lines_tracks_strings_brackets_and_continuations() -> None:
    lines = ["a = [1,", "  2]  # ] [", "b = '#' + \\", "  'x'", 's = """', "(", '"""', "c = 1"]
    starts, ends = scan_lines(lines)
    assert starts == [True, False, True, False, True, False, False, True]
    assert ends[1] == 6 and ends[2] == len(lines[2])


# --- what is kept --------------------------------------------------------------------------------

def test_definitions_imports_and_cheap_constants_are_kept_the_rest_is_not() -> None:
    loaded = py("""
        import numpy as np
        from numpy.random import randn as rn
        from collections import OrderedDict
        lr = 0.1
        W = np.array([[0.1, 0.2], [0.3, 0.4]])
        X = np.random.randn(4, 3)
        A = rn(2, 2).astype(np.float32).T
        layers = OrderedDict()
        act = lambda x: np.maximum(0, x)
        sizes = [n * 2 for n in range(3)]

        class TwoLayerNet:
            def __init__(self, n):
                self.n = n

        def train(net):
            return net

        net = TwoLayerNet(3)
        loss = train(net)
        data = load_mnist(normalize=True)
        grid = np.zeros(3) + train(1)
        plt_obj = open("x.txt")
        print(lr)
        train(net)
        with open("f") as fh:
            text = fh.read()
        while True:
            break
        assert lr > 0
        if __name__ == "__main__":
            train(net)
        """)
    assert [s.lineno for s in loaded.statements] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16]
    assert loaded.defined == ["np", "rn", "OrderedDict", "lr", "W", "X", "A", "layers", "act", "sizes", "TwoLayerNet", "train"]
    assert notes(loaded) == [
        ("", "not run (only imports, definitions and simple constants are): 9 top-level statements, "
             "at line 19; line 20; line 21; line 22; line 23; line 25; ..."),
    ]


def test_names_the_student_defines_are_not_mistaken_for_cheap_callees() -> None:
    loaded = py("""
        import numpy as np
        def zeros(n):
            return [0] * n
        def array(x):
            while True:
                pass
        a = zeros(3)
        b = np.zeros(3)
        c = array([1])
        d = list(range(3))
        """)
    assert [s.source for s in loaded.statements][3:] == ["b = np.zeros(3)", "d = list(range(3))"]


def test_subscript_assignment_to_kept_dict_is_kept() -> None:
    loaded = py("""
        import numpy as np
        network = {}
        network["W1"] = np.array([[0.1, 0.3], [0.2, 0.4]])
        result = {}
        result["y"] = forward(network)
        """)
    assert [s.lineno for s in loaded.statements] == [1, 2, 3, 4]


def test_assignment_from_a_dropped_name_is_dropped_too() -> None:
    loaded = py("""
        x_train = load_mnist()
        first = x_train[0]
        def predict(x):
            return first + x
        """)
    assert kept(loaded) == [("line 3", "def predict(x):\n    return first + x")]
    assert warnings(loaded) == [("line 2", "`first = x_train[0]` was not run; your function `predict` reads `first`")]


def test_if_and_try_blocks_are_filtered_recursively() -> None:
    loaded = py("""
        try:
            import cupy as np
        except ImportError:
            import numpy as np
            print("no GPU")
        if np.__name__ == "numpy":
            EPS = 1e-7
            run_experiment()
        else:
            EPS = 1e-8
        if check_gpu():
            import torch
        x = np.zeros(2)
        """)
    assert kept(loaded) == [
        ("line 1", 'try:\n    import cupy as np\nexcept ImportError:\n    import numpy as np\n    pass'),
        ("line 6", 'if np.__name__ == "numpy":\n    EPS = 1e-7\n    pass\nelse:\n    EPS = 1e-8'),
        ("line 13", "x = np.zeros(2)"),
    ]
    assert loaded.defined == ["np", "EPS", "x"]


def test_one_line_block_with_a_dropped_part_is_rewritten() -> None:
    loaded = py("if True: y = 1; print(y)\n")
    assert kept(loaded) == [("line 1", "if True:\n    y = 1\n    pass")]


def test_semicolons_keep_each_statement_apart() -> None:
    loaded = py("import numpy as np; W = np.ones(2); train(W)\n")
    assert kept(loaded) == [("line 1", "import numpy as np"), ("line 1", "W = np.ones(2)")]


def test_decorated_definitions_keep_their_decorators() -> None:
    loaded = py("""
        import functools

        @functools.lru_cache(maxsize=None)
        @staticmethod
        def fib(n):
            return n
        """)
    assert kept(loaded)[1] == ("line 3", "@functools.lru_cache(maxsize=None)\n@staticmethod\ndef fib(n):\n    return n")


def test_empty_file_and_file_without_definitions() -> None:
    empty = py("# just a comment\n\n")
    assert empty.error is None and empty.statements == []
    assert warnings(empty) == [("", "no code found: every check will report `missing`")]
    only_data = py("import numpy as np\nx = 1\n")
    assert only_data.error is None
    assert warnings(only_data) == [("", "no function or class definitions found: every check will report `missing`")]


# --- syntax errors in .py files ------------------------------------------------------------------

def test_syntax_error_in_the_middle_loses_only_that_definition() -> None:
    loaded = py("""
        import numpy as np

        def relu(x):
            return np.maximum(0, x)

        # softmax, work in progress
        def softmax(x)
            e = np.exp(x)
            return e / e.sum()

        def sigmoid(x):
            return 1 / (1 + np.exp(-x))
        """)
    assert [s.source.split("(")[0] for s in loaded.statements] == ["import numpy as np", "def relu", "def sigmoid"]
    assert warnings(loaded) == [("line 7", "SyntaxError: expected ':': the definition(s) `softmax` on lines 7..9 were skipped")]


def test_several_syntax_errors_and_a_decorator_chain() -> None:
    loaded = py("""
        import numpy as np
        x = = 1
        @decorate
        def broken(:
            pass
        def good():
            return 1
        class Bad
            pass
        try:
            import scipy
        except ImportError:
            pass
        """)
    assert [s.lineno for s in loaded.statements] == [1, 6, 10]
    assert warnings(loaded) == [
        ("line 2", "SyntaxError: invalid syntax: the definition(s) `x` on line 2 were skipped"),
        ("line 4", "SyntaxError: invalid syntax: the definition(s) `broken` on lines 3..5 were skipped"),
        ("line 8", "SyntaxError: expected ':': the definition(s) `Bad` on lines 8..9 were skipped"),
    ]


def test_missing_indented_block_blames_the_header() -> None:
    loaded = py("def f():\nx = 1\n")
    assert kept(loaded) == [("line 2", "x = 1")]
    assert warnings(loaded)[0] == (
        "line 1", "IndentationError: expected an indented block after function definition on line 1: "
                  "the definition(s) `f` on line 1 were skipped")


def test_compile_time_errors_are_caught_too() -> None:
    loaded = py("def f():\n    return 1\nreturn 2\n")
    assert kept(loaded) == [("line 1", "def f():\n    return 1")]
    assert warnings(loaded) == [("line 3", "SyntaxError: 'return' outside function: line 3 was skipped")]


def test_nothing_parses_is_a_load_error() -> None:
    loaded = py("def f(:\n    pass\nclass C(\n")
    assert loaded.error is not None
    assert loaded.error.startswith("no part of the code could be parsed: line ")
    assert loaded.statements == []


def test_chunks_keep_decorators_and_else_branches_together() -> None:
    lines = ["import a", "@d", "@e(1,", "   2)", "def f():", "    pass", "try:", "    x", "except E:", "    y",
             "# comment", "z = (", "1)"]
    assert top_level_chunks(lines) == [(1, 1), (2, 6), (7, 11), (12, 13)]


# --- global reads --------------------------------------------------------------------------------

def test_seed_001_global_w_bug_fixture() -> None:
    loaded = load_submission(FIXTURES / "seed001_global_w.py", "seed001")
    assert loaded.global_reads == [GlobalRead("forward", "W", 16)]  # EPS (ALL_CAPS literal) is not reported
    assert [s.lineno for s in loaded.statements] == [2, 4, 5, 6, 7, 8, 11, 21, 25]
    assert notes(loaded) == [("", "not run (only imports, definitions and simple constants are): "
                                  "1 top-level statement, at line 26")]


def test_global_reads_in_methods_nested_scopes_and_global_statements() -> None:
    loaded = py("""
        import numpy as np
        W = np.ones((2, 2))
        lr = 0.01
        counter = 0
        cache = None
        N_CLASSES = 10

        class Affine:
            def __init__(self, W, b):
                self.W, self.b = W, b
            def backward(self, dout):
                self.dW = x.T @ dout
                return dout @ W.T
            scale = lr

        def step(params):
            global counter
            counter += 1
            return [p - lr * g for p, g in params] + [N_CLASSES]

        def reset():
            global cache
            cache = {}

        def outer():
            def inner():
                return W
            return inner

        def uses_builtins_and_params(x, np=np):
            return len(x) + np.sum(x)

        for x in range(3):
            pass
        """)
    assert [(g.function, g.name, g.lineno) for g in loaded.global_reads] == [
        ("Affine.backward", "x", 12), ("Affine.backward", "W", 13),
        ("step", "counter", 18), ("step", "lr", 19),
        ("outer", "W", 27),
    ]


def test_global_reads_in_notebooks_carry_the_cell() -> None:
    loaded = notebook("import numpy as np\nW = np.ones(3)", "def forward(x):\n    return x @ W")
    assert loaded.global_reads == [GlobalRead("forward", "W", 2, cell=2)]


def test_round_trip_through_json() -> None:
    loaded = notebook("import numpy as np\nW = np.ones(3)", "def forward(x):\n    return x @ W\nforward(W)")
    again = LoadedSubmission.from_json(json.loads(loaded.dumps()))
    assert again == loaded


def test_aliases_of_code_are_not_global_data_reads() -> None:
    """`_Affine = Affine` or `act = np.tanh` name code, not data: only `W` is reported."""
    source = (
        "import numpy as np\n"
        "class Affine:\n"
        "    def forward(self, x):\n"
        "        return x\n"
        "_Affine = Affine\n"
        "act = np.tanh\n"
        "W = np.ones(3)\n"
        "def f(x):\n"
        "    return act(_Affine().forward(x)) + W\n"
    )
    loaded = load_source(source, "a", "a.py")
    assert [(g.function, g.name, g.lineno) for g in loaded.global_reads] == [("f", "W", 9)]

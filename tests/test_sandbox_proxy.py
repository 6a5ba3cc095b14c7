"""The Student proxy as checks use it, in a real student process and in-process (same behaviour)."""
from __future__ import annotations

import numpy as np
import pytest

from grader.errors import StudentBadValue, StudentMissing, StudentRaised
from grader.sandbox import InProcessStudent, RemoteObject, Student
from grader.sandbox.testfns import GRADIENTS, TEST_FUNCTIONS
from grader.sandbox.testing import notebook_submission, submission

SOURCE = '''
import numpy as np
from google.colab import files

LR = 0.1
TABLE = {"a": 1}

def sigmoid(x):
    return 1 / (1 + np.exp(-x))

def relu_inplace(x):
    x[x < 0] = 0
    return x

def numerical_gradient(f, x):
    h = 1e-4
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        tmp = x[i]
        x[i] = tmp + h
        fxh1 = f(x)
        x[i] = tmp - h
        fxh2 = f(x)
        grad[i] = (fxh1 - fxh2) / (2 * h)
        x[i] = tmp
        it.iternext()
    return grad

def pair(x):
    return x, x * 2

def broken(x):
    return helper(x)

def helper(x):
    return x.nope

class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.params = {"W": W, "b": b}
        self.dW = None

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        return dout @ self.W.T

class Net:
    def __init__(self):
        self.params = {"W": np.array([[1.0, -1.0]])}

    def loss(self, x, t):
        return 0.5 * np.sum((x @ self.params["W"] - t) ** 2)

    def gradient(self, x, t):
        return {"W": x.T @ (x @ self.params["W"] - t)}

def make_object():
    return object()

def talk(x):
    print("ALL TESTS PASSED")
    return x
'''


def line_of(text: str) -> int:
    return next(i for i, line in enumerate(SOURCE.splitlines(), 1) if text in line)


@pytest.fixture(scope="module", params=["process", "in-process"])
def student(request):
    loaded = submission(SOURCE)
    proxy = Student(loaded) if request.param == "process" else InProcessStudent(loaded)
    proxy.set_context("proxy-tests", 5.0)
    yield proxy
    proxy.close()


def test_functions_return_data(student):
    got = student.sigmoid(np.array([0.0, 2.0]))
    assert type(got) is np.ndarray and np.allclose(got, 1 / (1 + np.exp(-np.array([0.0, 2.0]))))
    h, o = student.pair(np.ones(2))
    assert np.array_equal(o, 2 * np.ones(2)) and np.array_equal(h, np.ones(2))


def test_top_level_data_and_has(student):
    assert student.LR == 0.1
    assert student.has("sigmoid") and not student.has("softmax")
    assert isinstance(student.TABLE, RemoteObject) and student.TABLE.value() == {"a": 1}


def test_undefined_names_raise_missing(student):
    with pytest.raises(StudentMissing, match="softmax"):
        student.softmax(np.ones(3))


def test_failed_import_is_a_load_note_not_fatal(student):
    notes = student.load_notes
    assert any("google" in n.message and n.lineno == line_of("google.colab") for n in notes)
    assert student.isolation_level


def test_student_exceptions_carry_trimmed_traceback_with_true_lines(student):
    with pytest.raises(StudentRaised) as info:
        student.broken(np.ones(2))
    err = info.value
    assert err.exc_type == "AttributeError" and "nope" in err.message
    assert err.where == f"alice.py, line {line_of('return x.nope')}"
    assert f"alice.py, line {line_of('return helper(x)')}, in broken" in err.traceback
    assert "return x.nope" in err.traceback
    assert "runtime.py" not in err.traceback and "grader" not in err.traceback


def test_objects_live_remotely_and_writes_go_through(student):
    W, b = np.arange(6.0).reshape(2, 3), np.ones(3)
    layer = student.Affine(W, b)
    assert isinstance(layer, RemoteObject)
    x = np.ones((4, 2))
    assert np.allclose(layer.forward(x), x @ W + b)
    assert layer.dW is None
    layer.backward(np.ones((4, 3)))
    assert np.allclose(layer.dW, x.T @ np.ones((4, 3)))
    params = layer.params
    assert isinstance(params, RemoteObject)
    params["W"] = np.zeros((2, 3))
    layer.b = np.full(3, 7.0)
    assert np.allclose(params.value()["W"], 0)
    assert np.allclose(layer.forward(x), x @ W + 7.0)  # self.W is still the old array
    layer.W = np.zeros((2, 3))
    assert np.allclose(layer.forward(x), 7.0)


def test_put_creates_data_in_the_student_process(student):
    params = student.put({"W": np.ones(2)})
    assert isinstance(params, RemoteObject) and np.array_equal(params.value()["W"], np.ones(2))
    params["W"] = np.zeros(2)
    assert np.array_equal(params["W"], np.zeros(2))


def test_non_data_results_are_handles_that_refuse_to_be_data(student):
    obj = student.make_object()
    assert isinstance(obj, RemoteObject)
    for convert in (np.asarray, float, bool, len, lambda o: o.value()):
        with pytest.raises(StudentBadValue):
            convert(obj)


def test_testfn_runs_inside_the_student_process(student):
    x = np.array([[0.3, -1.2], [2.0, 0.5]])
    got = student.numerical_gradient(student.testfn("weighted_sin"), x)
    assert np.allclose(got, GRADIENTS["weighted_sin"](x), atol=1e-6)


def test_call_returning_args_shows_mutation(student):
    x = np.array([-1.0, 2.0])
    result, (after,), kwargs = student.call_returning_args("relu_inplace", x)
    assert np.array_equal(after, [0.0, 2.0]) and np.array_equal(x, [-1.0, 2.0]) and kwargs == {}
    _, (_, x_after), _ = student.call_returning_args("numerical_gradient", student.testfn("quadratic"), x)
    assert np.array_equal(x_after, x)


def test_run_driver_trains_a_student_object(student):
    net = student.Net()
    x, t = np.array([[1.0], [2.0]]), np.array([[2.0, 0.0], [4.0, 0.0]])
    out = student.run_driver("sgd_loop", net, x, t, lr=0.1, steps=30)
    assert len(out["losses"]) == 30 and out["losses"][-1] < out["losses"][0]
    assert np.allclose(net.params.value()["W"], out["params"]["W"])


def test_printing_is_captured_and_changes_nothing(student, capfd):
    assert student.talk(3) == 3
    assert student.last_output[0] == "ALL TESTS PASSED\n"
    out, err = capfd.readouterr()
    assert "ALL TESTS PASSED" not in out + err


def test_same_context_same_random_numbers(student):
    src = submission("import numpy as np\nimport random\n"
                     "def draw():\n    return np.random.rand(3), np.random.default_rng().random(2), random.random()\n")
    with Student(src) as a:
        a.set_context("check-1", 5.0)
        first = a.draw()
    b = InProcessStudent(src)
    b.set_context("check-1", 5.0)
    second = b.draw()
    b.set_context("check-2", 5.0)
    other = b.draw()
    assert all(np.array_equal(u, v) for u, v in zip(first, second))
    assert not np.array_equal(first[0], other[0]) and not np.array_equal(first[1], other[1])


def test_notebook_tracebacks_name_the_cell():
    loaded = notebook_submission(["import numpy as np", "x = 1\n\ndef f(v):\n    y = v + 1\n    return y / 0\n"])
    with Student(loaded) as proxy:
        with pytest.raises(StudentRaised) as info:
            proxy.f(1)
    assert info.value.where == "alice.ipynb, cell 2, line 5"


def test_test_functions_are_consistent_with_their_gradients():
    rng = np.random.default_rng(0)
    for name, fn in TEST_FUNCTIONS.items():
        x = rng.uniform(-1, 1) if name.endswith("_1d") else rng.uniform(-1, 1, size=(2, 3))
        h, grad = 1e-6, np.asarray(GRADIENTS[name](x), dtype=float)
        flat = np.atleast_1d(np.array(x, dtype=float))
        num = np.zeros(flat.size)
        for i in range(flat.size):
            up, down = flat.copy(), flat.copy()
            up.flat[i] += h
            down.flat[i] -= h
            shape = np.shape(x)
            num[i] = (fn(up.reshape(shape)) - fn(down.reshape(shape))) / (2 * h)
        assert np.allclose(num, grad.reshape(-1), rtol=1e-5, atol=1e-5), name
        before = np.array(x, copy=True)
        fn(x)
        assert np.array_equal(before, x), name

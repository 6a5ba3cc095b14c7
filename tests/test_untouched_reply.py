"""Every call's array arguments are compared after the call (grader/untouched.py), and the student process sends
back only the ones the call changed in any byte, shape or dtype: the judge weighs those by value, exactly as when
every argument came back. Real student processes and the in-process path, through the proxy's call ledger."""
from __future__ import annotations

import numpy as np
import pytest

from grader.sandbox import InProcessStudent, Student
from grader.sandbox.protocol import Encoder, encode_message, split_frame
from grader.sandbox.runtime import Runtime
from grader.sandbox.testing import submission

SOURCE = '''
import numpy as np

def clean(x, w=None):
    return x * 2

def negate(x, w=None):
    x *= -1
    return x

def zero_signs(x):
    x += 0.0          # -0.0 becomes 0.0: other bytes, the same values
    return 1.0

def flatten_in_place(x):
    x.shape = (x.size,)
    return 1.0

def scale_w(x, w=None):
    w *= 3
    return x.sum()
'''


@pytest.fixture(params=["isolated", "in-process"], scope="module")
def student(request):
    proxy = (Student if request.param == "isolated" else InProcessStudent)(submission(SOURCE))
    yield proxy
    proxy.close()


def touched(student, callee):
    return [(t.position, t.check_id) for t in student.call_ledger.changed(callee, {0: "x", "w": "w", 1: "w"})]


def test_an_argument_left_alone_is_not_counted_and_comes_back_as_a_copy(student):
    x = np.arange(6.0).reshape(2, 3)
    result, (after,), _ = student.call_returning_args("clean", x)
    assert np.array_equal(result, 2 * x)
    assert np.array_equal(after, x) and after is not x
    assert touched(student, "clean") == []


def test_a_changed_argument_is_counted_with_what_the_call_left(student):
    student.set_context("negate-check")
    x = np.arange(1.0, 4.0)
    _, (after,), _ = student.call_returning_args("negate", x)
    assert np.array_equal(after, -x)
    assert touched(student, "negate") == [(0, "negate-check")]


def test_a_changed_keyword_argument_is_counted(student):
    x, w = np.ones(3), np.ones(2)
    student.scale_w(x, w=w)
    assert [p for p, _ in touched(student, "scale_w")] == ["w"]
    assert touched(student, "clean") == []


def test_other_bytes_with_the_same_values_are_not_a_change(student):
    student.zero_signs(np.array([-0.0, 1.0, -2.0]))
    assert touched(student, "zero_signs") == []


def test_a_shape_changed_in_place_is_a_change(student):
    student.flatten_in_place(np.ones((2, 2)))
    assert [p for p, _ in touched(student, "flatten_in_place")] == [0]


def test_call_many_counts_each_call_as_its_own(student):
    xs = [(np.ones(2),), (np.full(2, 5.0),)]
    student.call_many("negate", xs)
    student.call_many("clean", xs)
    assert len(touched(student, "negate")) >= 2  # and the earlier single call
    assert touched(student, "clean") == []


def test_the_reply_carries_only_the_arrays_that_changed():
    runtime = Runtime(patch_random=False)

    def call(name, *args):
        enc = Encoder()
        header = {"op": "call", "target": {"$global": name}, "args": enc.encode(list(args)),
                  "kwargs": {"$dict": {}}, "return_args": True}
        reply, blobs = split_frame(runtime.handle(*split_frame(encode_message(header, enc))))
        return reply, blobs

    loaded = submission(SOURCE)
    runtime.handle({"op": "init", "loaded": loaded.to_json()}, [])
    for index in range(len(loaded.statements)):
        runtime.handle({"op": "exec", "index": index}, [])
    reply, blobs = call("clean", np.ones(3), 2)
    assert reply["ok"] and reply["args"] == {"$tuple": [None, None]} and len(blobs) == 1  # the result only
    reply, blobs = call("negate", np.ones(3))
    assert reply["args"]["$tuple"][0] == {"$nd": 1} and len(blobs) == 2

"""A student object's handle lists the functions its class defines, so ``layer.forward(x)`` is one request, not
a ``getattr`` round trip and then the call (grader/sandbox/protocol.py ``Handle.methods``); listing them runs
none of the student's code, and whatever is not listed is still found by asking. Real student processes."""
from __future__ import annotations

import numpy as np
import pytest

from grader.sandbox import InProcessStudent, RemoteObject, Student
from grader.sandbox.protocol import Decoder
from grader.sandbox.testing import submission

SOURCE = '''
import numpy as np

LOOKS = []

class Base:
    def backward(self, dout):
        return dout * self.scale

class Layer(Base):
    def __init__(self, scale):
        self.scale = scale

    def forward(self, x):
        return x * self.scale

    @property
    def watched(self):
        LOOKS.append("watched")
        return 1.0

    def __getattr__(self, name):
        LOOKS.append(name)
        raise AttributeError(name)

class Shadowed:
    def __init__(self):
        self.forward = np.arange(3.0)

    def forward(self, x):
        return x

def looks():
    return list(LOOKS)
'''


@pytest.fixture(params=["isolated", "in-process"])
def student(request):
    made = Student(submission(SOURCE)) if request.param == "isolated" else InProcessStudent(submission(SOURCE))
    yield made
    made.close()


def _requests(student) -> int:
    return student._backend._requests if hasattr(student._backend, "_requests") else -1


def test_a_method_call_is_one_request_and_runs_no_student_code_to_list_them(student) -> None:
    layer = student.Layer(2.0)
    assert isinstance(layer, RemoteObject)
    before = _requests(student)
    assert np.array_equal(layer.forward(np.ones(3)), 2.0 * np.ones(3))
    assert np.array_equal(layer.backward(np.ones(2)), 2.0 * np.ones(2))  # an inherited method too
    if before >= 0:
        assert _requests(student) == before + 2
    assert student.looks() == []  # no property, no __getattr__ ran for the listing


def test_what_is_not_listed_is_still_asked_for(student) -> None:
    layer = student.Layer(3.0)
    assert layer.watched == 1.0  # a property: asked, and run, when read
    assert student.looks() == ["watched"]
    shadowed = student.Shadowed()
    assert np.array_equal(shadowed.forward, np.arange(3.0))  # an instance attribute hides the class's function


def test_a_listing_the_judge_cannot_use_is_ignored() -> None:
    decode = Decoder([]).decode
    assert decode({"$handle": 3, "type": "Layer", "methods": ["forward", "backward"]}).methods == ("forward",
                                                                                                    "backward")
    for bad in (["x" * 101], [1, 2], "forward", ["m"] * 65):
        assert decode({"$handle": 3, "type": "Layer", "methods": bad}).methods == ()

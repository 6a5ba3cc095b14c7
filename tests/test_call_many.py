"""``student.call_many``: many small calls in one round trip give exactly what the calls one by one give
(each is seeded as its own request), in a real student process and in-process."""
from __future__ import annotations

import numpy as np
import pytest

from grader.errors import StudentMissing, StudentRaised
from grader.sandbox import InProcessStudent, RemoteObject, Student
from grader.sandbox.testing import submission

SOURCE = '''
import numpy as np

class Box:
    pass

def mask(y, ratio):
    keep = np.random.rand(*y.shape) > ratio          # the legacy global generator
    noise = np.random.default_rng().normal(size=1)   # an unseeded Generator
    return keep / (1 - ratio) + 0 * noise

def scaled(x, *, factor=1.0):
    return x * factor

def boxed(x):
    return Box()

def picky(x):
    if x == 3:
        raise ValueError("three is not allowed")
    return x
'''


@pytest.fixture(params=["isolated", "in-process"], scope="module")
def make(request):
    made = []

    def new():
        proxy = Student(submission(SOURCE)) if request.param == "isolated" else InProcessStudent(submission(SOURCE))
        made.append(proxy)
        return proxy

    yield new
    for proxy in made:
        proxy.close()


def test_batched_calls_see_the_seeds_of_single_calls(make) -> None:
    one_by_one, batched = make(), make()
    y = np.ones((4, 5))
    one_by_one.set_context("dropout/random", 5)
    singles = [one_by_one.mask(y, 0.4) for _ in range(30)]
    batched.set_context("dropout/random", 5)
    many = batched.call_many("mask", [(y, 0.4)] * 30)
    assert len(many) == 30 and all(np.array_equal(a, b) for a, b in zip(singles, many))
    assert not all(np.array_equal(many[0], m) for m in many)  # the calls differ from each other
    assert np.array_equal(batched.mask(y, 0.4), one_by_one.mask(y, 0.4))  # and the next call too


def test_keyword_arguments_and_objects(make) -> None:
    student = make()
    assert student.call_many("scaled", [(1.0,), (2.0,)], factor=3.0) == [3.0, 6.0]
    boxes = student.call_many("boxed", [(1,), (2,)])
    assert all(isinstance(b, RemoteObject) for b in boxes)
    assert student.call_many("scaled", []) == []


def test_the_first_exception_ends_the_batch_as_a_single_call_would(make) -> None:
    student = make()
    with pytest.raises(StudentRaised, match="three is not allowed"):
        student.call_many("picky", [(1,), (3,), (4,)])
    with pytest.raises(StudentMissing):
        student.call_many("nosuch", [(1,)])

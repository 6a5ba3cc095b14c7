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
    results = student.call_many("picky", [(1,), (3,), (4,)])
    assert len(results) == 3 and results[0] == 1  # the call before it answered
    for index in (1, 2, -1):
        with pytest.raises(StudentRaised, match="three is not allowed"):
            results[index]
    with pytest.raises(StudentRaised, match="three is not allowed"):
        list(results)
    with pytest.raises(StudentMissing):
        student.call_many("nosuch", [(1,)])


def test_a_raise_names_its_own_call_and_cause_as_a_single_call_does(make) -> None:
    one_by_one, batched = make(), make()
    for student in (one_by_one, batched):
        student.set_context("picky/golden", 5)
    with pytest.raises(StudentRaised) as single:
        one_by_one.picky(3)
    with pytest.raises(StudentRaised) as many:
        batched.call_many("picky", [(1,), (3,), (4,)])[1]
    assert many.value.call == single.value.call and "3" in many.value.call
    assert many.value.cause == single.value.cause and str(many.value) == str(single.value)


def test_every_call_of_a_batch_is_logged_with_its_input_seed_and_result(make) -> None:
    from grader import calllog

    one_by_one, batched = make(), make()
    logged = []
    for student, run in ((one_by_one, lambda s: [s.scaled(x, factor=2.0) for x in (1.0, 2.0)]),
                         (batched, lambda s: list(s.call_many("scaled", [(1.0,), (2.0,)], factor=2.0)))):
        student.set_context("scaled/golden", 5)
        assert run(student) == [2.0, 4.0]
        logged.append([(c.kind, c.name, c.args, c.kwargs, c.result, c.seed) for c in calllog.LOG.calls])
    assert logged[0] == logged[1] and len(logged[1]) == 2

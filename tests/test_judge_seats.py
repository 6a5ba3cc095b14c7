"""Each judge of a run sits on a CPU of its own for a submission, and its student process answers there
(grader/sandbox/affinity.py ``Seats``/``JudgeSeat``, used by grader/workers.py): real processes, real affinity."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from grader.sandbox import Student, process
from grader.sandbox.affinity import JudgeSeat, Seats
from grader.sandbox.cpulimit import student_pid
from grader.sandbox.testing import submission

SOURCE = "def double(x):\n    return 2 * x\n"
CPUS = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []

pytestmark = pytest.mark.skipif(len(CPUS) < 2, reason="needs a machine with two CPUs or more to choose from")


def _judge(seats: Seats, judge: int, placed_on: int | None) -> dict:
    """In a forked judge: sit (after the scheduler put it on ``placed_on``), grade one call, stand."""
    read_fd, write_fd = os.pipe()
    channel = process.fork_server_channel()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 1
        try:
            os.close(read_fd)
            process.use_fork_server_channel(channel)
            seat = JudgeSeat(seats, judge)
            if placed_on is not None:
                os.sched_setaffinity(0, {placed_on})
            cpu = seat.sit()
            with Student(submission(SOURCE)) as student:
                value = float(student.double(np.float64(1.5)))
                answered_on = sorted(os.sched_getaffinity(student_pid(student._backend.pid)))
            seat.stand()
            report = {"cpu": cpu, "value": value, "student": answered_on, "after": sorted(os.sched_getaffinity(0))}
            os.write(write_fd, json.dumps(report).encode())
            process.stop_sandbox()
            code = 0
        finally:
            os._exit(code)
    os.close(write_fd)
    if channel is not None:
        channel.close()
    with os.fdopen(read_fd, "rb") as fh:
        report = json.loads(fh.read())
    assert os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
    return report


def test_two_judges_of_a_run_sit_apart_and_their_students_answer_on_their_cpu() -> None:
    process.fork_server()  # the judges share it, as in a run
    seats = Seats(2)
    seats.set(0, CPUS[0])  # the session sits on the first CPU
    report = _judge(seats, 1, placed_on=CPUS[0])  # the scheduler put the worker on the same one
    assert report["value"] == 3.0
    assert report["cpu"] != CPUS[0] and report["cpu"] in CPUS, "the worker sat on the session's CPU"
    assert report["student"] == [report["cpu"]], "its student process answered on another CPU"
    assert report["after"] == CPUS, "standing up did not give the judge its CPUs back"


def test_a_judge_keeps_the_cpu_the_scheduler_gave_it_when_no_other_judge_holds_it() -> None:
    seats = Seats(2)
    report = _judge(seats, 0, placed_on=CPUS[-1])
    assert report["cpu"] == CPUS[-1]
    assert report["student"] == [CPUS[-1]]
    assert report["after"] == CPUS


def test_sitting_again_lets_the_scheduler_choose_and_standing_frees_the_seat() -> None:
    seats = Seats(2)
    seat = JudgeSeat(seats, 0)
    try:
        first = seat.sit()
        assert os.sched_getaffinity(0) == {first}
        assert seats.held_by_others(1) == {first}  # what the other judge of the run sees
        second = seat.sit()  # the next submission: opened up, slept, placed again
        assert second in CPUS and os.sched_getaffinity(0) == {second}
        assert seats.held_by_others(1) == {second}
    finally:
        seat.stand()
    assert sorted(os.sched_getaffinity(0)) == CPUS
    assert seats.held_by_others(1) == {-1}


def _sleeper() -> int:
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.sched_setaffinity(0, set(CPUS))
            import time
            time.sleep(60)
        finally:
            os._exit(0)
    return pid


def _end(pid: int) -> None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)


def test_the_fork_server_is_kept_off_the_judges_cpus_while_there_are_cpus_to_spare() -> None:
    seats, helper = Seats(2), _sleeper()
    seat = JudgeSeat(seats, 0)
    try:
        cpu = seat.sit()
        seat.keep_off(helper)
        assert os.sched_getaffinity(helper) == set(CPUS) - {cpu}, "the fork server may run in the judge's turn"
        seats.set(1, min(set(CPUS) - {cpu}))  # a second judge sits down: on two CPUs, none are left to spare
        seat.keep_off(helper)
        expected = (set(CPUS) - {cpu} - {min(set(CPUS) - {cpu})}) or set(CPUS)
        assert os.sched_getaffinity(helper) == expected
    finally:
        seat.stand()
        _end(helper)


def test_a_student_process_and_its_keeper_leave_the_judges_cpu_before_they_are_killed() -> None:
    seat = JudgeSeat(Seats(1), 0)
    try:
        cpu = seat.sit()
        with Student(submission(SOURCE)) as student:
            assert float(student.double(np.float64(2.0))) == 4.0
            backend = student._backend
            keeper, inner = backend.pid, student_pid(backend.pid)
            assert os.sched_getaffinity(inner) == {cpu}, "the follower did not bring the student to its judge"
            backend._follower.let_go(keeper)
            for pid in {keeper, inner}:
                assert cpu not in os.sched_getaffinity(pid), "a dying student process would exit in the judge's turn"
    finally:
        seat.stand()


def test_a_judge_taking_a_submission_moves_its_fork_server_off_its_cpu() -> None:
    from grader.workers import _seated

    server = process.fork_server()
    seat = JudgeSeat(Seats(1), 0)
    try:
        assert _seated(lambda: 0, seat)() == 0
        assert os.sched_getaffinity(server.pid) == set(CPUS) - {seat.cpu}
    finally:
        seat.stand()
        os.sched_setaffinity(server.pid, set(CPUS))


def test_a_judge_keeps_the_fork_server_off_its_cpu_again_after_another_judge_moved_it() -> None:
    seats, helper = Seats(2), _sleeper()
    first, second = JudgeSeat(seats, 0), JudgeSeat(seats, 1)
    try:
        cpu = first.sit()
        first.keep_off(helper)
        seats.set(1, min(set(CPUS) - {cpu}))  # the other judge sits down and moves the server (all CPUs: none spare)
        second.keep_off(helper)
        seats.set(1, -1)  # ... and stands up at the end of its part of the run
        first.keep_off(helper)
        assert os.sched_getaffinity(helper) == set(CPUS) - {cpu}, "the server stayed where the other judge put it"
    finally:
        first.stand()
        _end(helper)

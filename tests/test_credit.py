"""Mutation and static checks earn their points only alongside a right result of the same component."""
from grader.credit import apply_credit_rule


def _check(component: str, kind: str, status: str, points: float = 1.0) -> dict:
    return {"id": f"{component}/{kind}", "component": component, "kind": kind, "status": status,
            "score": points if status == "passed" else 0.0, "max_score": points, "message": "", "details": {}}


def test_a_stub_that_leaves_its_input_alone_earns_nothing() -> None:
    checks = [_check("relu", "golden", "failed"), _check("relu", "mutation", "passed", 0.5)]
    golden, mutation = apply_credit_rule(checks)
    assert golden == checks[0]
    assert mutation["status"] == "failed" and mutation["score"] == 0.0 and mutation["max_score"] == 0.5
    assert "not credited" in mutation["message"] and "relu" in mutation["message"]


def test_one_right_value_check_credits_the_component_mutation_and_static_checks() -> None:
    checks = [_check("Adam", "golden", "failed"), _check("Adam", "property", "passed"),
              _check("Adam", "static", "passed"), _check("Adam", "mutation", "passed")]
    assert apply_credit_rule(checks) == checks


def test_only_the_component_at_fault_is_affected() -> None:
    checks = [_check("relu", "golden", "passed"), _check("relu", "mutation", "passed"),
              _check("softmax", "golden", "timeout"), _check("softmax", "mutation", "passed")]
    out = apply_credit_rule(checks)
    assert out[:3] == checks[:3]
    assert out[3]["status"] == "failed"


def test_failures_keep_their_own_message_and_components_without_value_checks_are_left_alone() -> None:
    checks = [_check("relu", "golden", "failed"), _check("relu", "mutation", "failed"),
              _check("style", "static", "passed")]
    assert apply_credit_rule(checks) == checks


def _public(component: str, status: str, twin: str, message: str = "") -> dict:
    return {**_check(component, "golden", status), "twin": {"status": twin, "message": message}}


def test_a_public_case_earns_its_points_only_alongside_its_twin() -> None:
    checks = [_public("softmax", "passed", "failed", "softmax(x) for x of shape (6,) differs at index 2: "
                                                     "expected [hidden], got 0.1")]
    (out,) = apply_credit_rule(checks)
    assert out["status"] == "failed" and out["score"] == 0.0 and out["max_score"] == 1.0
    assert out["message"].startswith("your function returns the right answer for the example but not for other "
                                     "values of the same shape: hard-coded?")
    assert "expected [hidden], got 0.1" in out["message"]


def test_a_twin_that_passed_or_does_not_exist_changes_nothing() -> None:
    checks = [_public("relu", "passed", "passed"), _public("sigmoid", "passed", "none"),
              _check("tanh", "golden", "passed")]
    assert apply_credit_rule(checks) == checks


def test_a_failed_public_case_keeps_its_own_message() -> None:
    checks = [_public("relu", "failed", "failed", "other")]
    assert apply_credit_rule(checks) == checks


def test_a_mutation_check_is_not_credited_by_a_public_case_whose_twin_failed() -> None:
    """The table of public answers also leaves its inputs alone: that earns nothing once the table is found out."""
    checks = [_public("relu", "passed", "timeout"), _check("relu", "mutation", "passed", 0.5)]
    golden, mutation = apply_credit_rule(checks)
    assert golden["status"] == "failed" and "did not finish in time" in golden["message"]
    assert mutation["status"] == "failed" and "not credited" in mutation["message"]

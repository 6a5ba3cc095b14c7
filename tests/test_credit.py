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

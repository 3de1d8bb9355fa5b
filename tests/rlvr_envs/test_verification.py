import json
import pickle

import pytest

from rlvr_envs import Status, Verification


@pytest.mark.parametrize(
    ("status", "response_fault", "infrastructure_failure"),
    [
        (Status.CORRECT, False, False),
        (Status.WRONG, True, False),
        (Status.UNPARSABLE, True, False),
        (Status.FORMAT_ERROR, True, False),
        (Status.TIMEOUT, False, True),
        (Status.VERIFIER_ERROR, False, True),
    ],
)
def test_status_says_whose_fault_it_is(status, response_fault, infrastructure_failure):
    assert status.is_response_fault is response_fault
    assert status.is_infrastructure_failure is infrastructure_failure


def test_every_status_is_in_the_fault_table():
    assert {s.value for s in Status} == {
        "correct",
        "wrong",
        "unparsable",
        "format_error",
        "timeout",
        "verifier_error",
    }


def test_status_is_a_string():
    assert Status.FORMAT_ERROR == "format_error"
    assert json.dumps({"status": Status.WRONG}) == '{"status": "wrong"}'


def test_verification_coerces_its_status_from_text():
    verdict = Verification(status="correct", score=1.0)  # type: ignore[arg-type]
    assert verdict.status is Status.CORRECT
    assert verdict.is_correct
    assert not Verification(status=Status.WRONG, score=0.0).is_correct


def test_verification_rejects_an_unknown_status():
    with pytest.raises(ValueError, match="'nearly'"):
        Verification(status="nearly", score=0.5)  # type: ignore[arg-type]


def test_verifications_compare_equal_regardless_of_time_taken():
    a = Verification(Status.WRONG, 0.0, "3", "the answer 3 is wrong", {"expected": "4"}, 0.1)
    b = Verification(Status.WRONG, 0.0, "3", "the answer 3 is wrong", {"expected": "4"}, 9.0)
    assert a == b
    assert a != Verification(Status.WRONG, 0.0, "3", "the answer 3 is wrong", {"expected": "5"})


def test_details_are_copied_from_the_callers_mapping():
    details = {"expected": "4"}
    verdict = Verification(Status.WRONG, 0.0, details=details)
    details["expected"] = "5"
    assert verdict.details == {"expected": "4"}


def test_to_dict_is_json_ready_and_round_trips():
    verdict = Verification(
        status=Status.WRONG,
        score=0.0,
        answer="3",
        reason="the answer 3 is wrong",
        details={"expected": "4"},
        seconds=0.001234567,
    )
    data = json.loads(json.dumps(verdict.to_dict()))
    assert data == {
        "status": "wrong",
        "score": 0.0,
        "answer": "3",
        "reason": "the answer 3 is wrong",
        "details": {"expected": "4"},
        "seconds": 0.001235,
    }
    back = Verification.from_dict(data)
    assert back == verdict
    assert back.status is Status.WRONG


def test_from_dict_fills_in_defaults():
    verdict = Verification.from_dict({"status": "unparsable", "score": 0})
    assert verdict == Verification(Status.UNPARSABLE, 0.0)
    assert verdict.answer is None
    assert verdict.reason == ""
    assert dict(verdict.details) == {}


def test_verification_pickles():
    verdict = Verification(Status.CORRECT, 1.0, "4", "correct", {"expected": "4"}, 0.5)
    back = pickle.loads(pickle.dumps(verdict))
    assert back == verdict
    assert back.seconds == 0.5

import re

import pytest

from rlvr_envs import Problem, Status, Verifier, VerifierConfigError
from rlvr_envs.verifiers import (
    BUILTIN_VERIFIERS,
    DEFAULT_MAX_RESPONSE_CHARS,
    IntegerVerifier,
    find_verifier,
    screen_response,
)
from rlvr_envs.verifiers.integer import IntegerOptions

C, W, U, F, E = (
    Status.CORRECT,
    Status.WRONG,
    Status.UNPARSABLE,
    Status.FORMAT_ERROR,
    Status.VERIFIER_ERROR,
)


def verify(response, reference, extract="last_number", **kwargs):
    verifier = IntegerVerifier(IntegerOptions(extract=extract))
    return verifier.verify(response, Problem(id="test/0", fields={}, reference=reference), **kwargs)


LAST_NUMBER = [
    # (response, reference, status, parsed answer)
    ("42", 42, C, "42"),
    ("The answer is 42.", 42, C, "42"),
    ("The answer is 42.", 43, W, "42"),
    ("-42", -42, C, "-42"),
    ("-42", 42, W, "-42"),
    ("\u221242", -42, C, "-42"),  # U+2212 MINUS SIGN
    ("the result is \u221242", 42, W, "-42"),
    ("1,234", 1234, C, "1234"),
    ("It comes to 1,234,567 in total", 1234567, C, "1234567"),
    ("007", 7, C, "7"),
    ("7", "007", C, "7"),
    ("-0", 0, C, "0"),
    ("42.0", 42, W, "42.0"),  # not an integer
    ("3.5", 3, W, "3.5"),
    ("\uff14\uff12", 42, C, "42"),  # full-width digits
    ("10 - 3 = 7", 7, C, "7"),
    ("2 + 2 = 4, not 5", 4, W, "5"),  # the last number counts
    ("x = 12abc", 12, C, "12"),
    ("answer: 99", "99", C, "99"),
    ("answer: 99", " 99 ", C, "99"),  # references are stripped
    ("It is 42", "-0042", W, "42"),
]


@pytest.mark.parametrize(("response", "reference", "status", "answer"), LAST_NUMBER)
def test_last_number(response, reference, status, answer):
    verdict = verify(response, reference)
    assert verdict.status is status, verdict
    assert verdict.answer == answer
    assert verdict.score == (1.0 if status is C else 0.0)


@pytest.mark.parametrize("response", ["no digits here", "forty-two", "?", "一二三"])
def test_last_number_without_a_number_is_unparsable(response):
    verdict = verify(response, 42)
    assert verdict.status is U
    assert verdict.answer is None
    assert verdict.reason == "no number found in the response"


def test_a_non_integer_answer_says_so():
    verdict = verify("about 42.0", 42)
    assert verdict.reason == "the answer '42.0' is not an integer"
    assert dict(verdict.details) == {"expected": "42"}


def test_a_wrong_answer_names_the_answer_but_not_the_reference():
    verdict = verify("I think 41", 1234)
    assert verdict.status is W
    assert verdict.reason == "the answer 41 is wrong"
    assert "1234" not in verdict.reason
    assert dict(verdict.details) == {"expected": "1234"}


def test_correct_reason():
    assert verify("42", 42).reason == "correct"


BOXED = [
    ("so \\boxed{42}", 42, C, "42"),
    ("\\boxed{ 42 }", 42, C, "42"),
    ("\\boxed{$42$}", 42, C, "42"),
    ("\\boxed {-7}", -7, C, "-7"),
    ("\\fbox{42}", 42, C, "42"),
    ("first \\boxed{41}, finally \\boxed{42}", 42, C, "42"),
    ("\\boxed{42} and then 43", 42, C, "42"),  # text after the box does not count
    ("\\boxed{41}", 42, W, "41"),
    ("\\boxed{\\mathbf{42}}", 42, W, "\\mathbf{42}"),  # nested braces: the whole box
    ("\\boxed{{42}}", 42, W, "{42}"),
    ("\\boxed{\\frac{84}{2}}", 42, W, "\\frac{84}{2}"),
    ("\\boxed{1,234}", 1234, C, "1234"),
]


@pytest.mark.parametrize(("response", "reference", "status", "answer"), BOXED)
def test_boxed(response, reference, status, answer):
    verdict = verify(response, reference, extract="boxed")
    assert verdict.status is status, verdict
    assert verdict.answer == answer


@pytest.mark.parametrize("response", ["The answer is 42", "\\boxed{42", "boxed{42}", "\\box{42}"])
def test_boxed_missing_is_a_format_error(response):
    verdict = verify(response, 42, extract="boxed")
    assert verdict.status is F
    assert verdict.reason == "no \\boxed{...} answer found; this task requires one"
    assert verdict.answer is None


@pytest.mark.parametrize("response", ["\\boxed{}", "\\boxed{  }", "\\boxed{$ $}"])
def test_empty_box_is_unparsable(response):
    verdict = verify(response, 42, extract="boxed")
    assert verdict.status is U
    assert verdict.reason == "the answer is empty"


WHOLE = [
    ("42", 42, C),
    ("  42\n", 42, C),
    ("+42", 42, C),
    ("-1,234", -1234, C),
    ("\uff14\uff12", 42, C),
    ("43", 42, W),
    ("The answer is 42", 42, W),
    ("42.", 42, W),
    ("4 2", 42, W),
]


@pytest.mark.parametrize(("response", "reference", "status"), WHOLE)
def test_whole(response, reference, status):
    assert verify(response, reference, extract="whole").status is status


def test_whole_reports_text_that_is_not_an_integer():
    verdict = verify("The answer is 42", 42, extract="whole")
    assert verdict.reason == "the answer 'The answer is 42' is not an integer"


@pytest.mark.parametrize("reference", ["forty-two", "4.2", 4.2, None, "", "1 2", [42]])
def test_a_reference_that_is_not_an_integer_is_a_verifier_error(reference):
    verdict = verify("42", reference)
    assert verdict.status is E
    assert verdict.status.is_infrastructure_failure
    assert verdict.score == 0.0
    assert verdict.reason == f"the reference answer {reference!r} is not an integer"


def test_huge_integers_compare_as_digit_strings():
    digits = "9" * 100_000  # far beyond int()'s 4300-digit limit
    assert len(digits) == DEFAULT_MAX_RESPONSE_CHARS
    verdict = verify(digits, digits)
    assert verdict.status is C
    assert verdict.answer == f"{'9' * 25}...{'9' * 25} (100000 chars)"
    one_off = verify(digits, "9" * 99_999 + "8")
    assert one_off.status is W
    assert len(one_off.reason) < 200


def test_huge_response_with_a_huge_number_at_the_end():
    response = "x" * 50_000 + "1" * 49_999
    verdict = verify(response, "1" * 49_999)
    assert verdict.status is C


SCREENED = [
    (None, F, "response must be text, got NoneType"),
    (42, F, "response must be text, got int"),
    (b"42", F, "response must be text, got bytes"),
    ({"answer": 42}, F, "response must be text, got dict"),
    (["42"], F, "response must be text, got list"),
    ("", U, "response is empty"),
    (" \n\t ", U, "response is empty"),
    ("4\x002", F, "response contains NUL characters: binary data, not text"),
    ("42\ud800", F, "response is not valid Unicode: lone surrogate U+D800 at position 2"),
    ("\udfff", F, "response is not valid Unicode: lone surrogate U+DFFF at position 0"),
    ("4" * 11, F, "response is 11 characters; this task accepts at most 10"),
]


@pytest.mark.parametrize(("response", "status", "reason"), SCREENED)
def test_screening(response, status, reason):
    verdict = screen_response(response, max_chars=10)
    assert verdict is not None
    assert verdict.status is status
    assert verdict.reason == reason
    assert verdict.score == 0.0
    # verify() applies the same screening before any check
    assert verify(response, 42, max_chars=10) == verdict


def test_screening_passes_ordinary_text():
    assert screen_response("42", max_chars=10) is None
    assert screen_response("4" * 10, max_chars=10) is None


def test_too_long_uses_thousands_separators():
    verdict = verify("4" * 100_001, 4)
    assert verdict.status is F
    assert verdict.reason == "response is 100,001 characters; this task accepts at most 100,000"


def test_verify_times_the_check():
    assert verify("42", 42).seconds > 0


def test_verify_batch_keeps_the_order():
    verifier = IntegerVerifier()
    problems = [Problem(id=f"test/{i}", fields={}, reference=i) for i in range(3)]
    verdicts = verifier.verify_batch([("0", problems[0]), ("5", problems[1]), (None, problems[2])])
    assert [v.status for v in verdicts] == [C, W, F]


def test_default_options():
    assert IntegerVerifier().options == IntegerOptions(extract="last_number")


def test_options_are_validated():
    with pytest.raises(ValueError, match="'last_number', 'boxed' or 'whole'"):
        IntegerOptions(extract="first")  # type: ignore[arg-type]


def test_find_verifier():
    assert find_verifier("integer") is IntegerVerifier
    assert BUILTIN_VERIFIERS["integer"] is IntegerVerifier
    assert issubclass(IntegerVerifier, Verifier)


def test_find_verifier_suggests_a_known_name():
    with pytest.raises(
        VerifierConfigError,
        match=re.escape(
            "unknown verifier 'intger'; known: code, integer, math, proof. Did you mean 'integer'?"
        ),
    ):
        find_verifier("intger")

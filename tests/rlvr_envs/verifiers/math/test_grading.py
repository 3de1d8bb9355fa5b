"""The grading entry point: statuses, reasons, options, pickling, and hostile input."""

import pickle
import time

import pytest

from rlvr_envs import Status
from rlvr_envs.verifiers.math import (
    GradeResult,
    MathOptions,
    grade,
    grade_fast,
    parse_gold,
    symbolic,
)

C, W, U, F = Status.CORRECT, Status.WRONG, Status.UNPARSABLE, Status.FORMAT_ERROR


@pytest.fixture
def no_sympy(monkeypatch):
    """Fail the test if the SymPy stage is reached: the case must be decided cheaply."""

    def refuse(*args, **kwargs):
        raise AssertionError("the SymPy stage was reached")

    for name in ("to_sympy", "scalars_equal", "proportional"):
        monkeypatch.setattr(symbolic, name, refuse)


STATUSES = [
    # (response, gold, status)
    (r"so \boxed{42}", "42", C),
    (r"so \boxed{41}", "42", W),
    (r"\boxed{3} first, then \boxed{4}", "3", W),  # two different final answers
    (r"\boxed{3} first, then \boxed{3}", "3", C),  # the same one twice
    (r"\boxed{\frac12}, that is \boxed{0.5}", "0.5", C),  # the same value written twice
    ("The answer is 3. No wait, the answer is 4.", "4", W),
    ("Thus the roots are $x=2$ and $x=3$.", "2, 3", C),
    ("Thus the roots are $x=2$ and $x=3$.", "3", W),
    ("<think>the answer is 5</think>The answer is 6", "5", W),  # reasoning does not count
    ("<think>the answer is 5</think>The answer is 6", "6", C),
    ("<think>the answer is 5", "5", U),  # never left its reasoning
    ("", "5", U),
    ("   \n ", "5", U),
    (r"\boxed{}", "5", U),
    ("I do not know", "5", U),  # a few words, no mathematics
    ("Maybe", r"\text{no}", W),  # but a word is an answer to a text question
    ("no digits at all in this rather long sentence about nothing much", "5", U),
    ("42\x00", "42", F),
    ("".join(f"\\boxed{{{i}}}" for i in range(6)), "1", W),  # hedging
]


@pytest.mark.parametrize(("response", "gold", "status"), STATUSES)
def test_statuses(response, gold, status):
    assert grade(response, gold).status == status


def test_boxed_option_makes_a_box_mandatory():
    boxed = MathOptions(extract="boxed")
    assert grade("The answer is 5", "5", boxed).status == F
    assert grade(r"The answer is \boxed{5}", "5", boxed).status == C
    assert grade(r"<think>\boxed{5}</think>so 5", "5", boxed).status == F


def test_the_reason_never_reveals_the_gold():
    for response in (r"\boxed{123455}", "The answer is 3. The answer is 4.", r"\boxed{9^{9^{9}}}"):
        result = grade(response, "123456")
        assert result.status == W
        assert "123456" not in result.reason


def test_result_fields():
    result = grade(r"so \boxed{\dfrac{3}{20}}", "0.15")
    assert result == GradeResult(
        status=C,
        extracted=r"\dfrac{3}{20}",
        gold_parsed="3/20",
        reason="the answer is correct",
        details={"kind": "scalar", "source": "boxed", "path": "exact"},
    )
    assert grade(r"\boxed{0.15}", "0.15").details["path"] == "string"
    assert grade(r"\boxed{\sin(\pi/6)}", "0.5").details["path"] == "sympy"
    several = grade(r"\boxed{1} \boxed{2}", "1")
    assert several.details["answers"] == ["1", "2"]
    assert several.extracted == "2"
    assert "2 different final answers" in several.reason


def test_results_and_parsed_golds_pickle():
    gold = parse_gold(r"(-\infty, 0) \cup (1, \infty)")
    result = grade(r"\boxed{(1, \infty) \cup (-\infty, 0)}", pickle.loads(pickle.dumps(gold)))
    assert result.status == C
    assert pickle.loads(pickle.dumps(result)) == result
    assert pickle.loads(pickle.dumps(grade)) is grade


def test_an_empty_gold_is_an_error():
    with pytest.raises(ValueError, match="empty"):
        parse_gold("  $ $ ")


def test_options_are_validated():
    with pytest.raises(ValueError):
        MathOptions(extract="last")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        MathOptions(rel_tol=-1.0)


FAST = [
    # decided by string, exact rational, radical or polynomial arithmetic: no SymPy
    (r"\boxed{1,234}", "1234", C),
    (r"\boxed{\sqrt{112}}", r"4\sqrt{7}", C),
    (r"\boxed{\sqrt{35}}", r"5\sqrt{7}", W),
    (r"\boxed{\frac{3\pi}{4}}", r"\frac{3}{4}\pi", C),
    (r"\boxed{x^2+2x+1}", "(x+1)^2", C),
    (r"\boxed{y = 2 + 8x}", "y=8x+2", C),
    (r"\boxed{y = 8x - 2}", "y=8x+2", W),
    (r"\boxed{\{3, 1, 2\}}", r"\{1,2,3\}", C),
    (r"\boxed{(0, 1]}", "(0,1)", W),
    (r"\boxed{50\%}", "0.5", C),
    (r"\boxed{1.5\times10^{3}}", "1500", C),
    (r"\boxed{\text{(B)}}", "B", C),
    (r"\boxed{9^{9^{9^{9}}}}", "42", W),
    (r"\boxed{10^{10^{10}}}", r"10^{10^{10}}", C),
    (r"\boxed{(10^{100})!}", "42", W),
    (r"\boxed{\binom{10^{9}}{5 \cdot 10^8}}", "42", W),
    (r"\boxed{1e999999999}", "1", W),
    (r"\boxed{x^{9^{9^{9}}}}", "x", W),
]


@pytest.mark.parametrize(("response", "gold", "status"), FAST)
def test_common_cases_never_reach_sympy(no_sympy, response, gold, status):
    assert grade(response, gold).status == status


@pytest.mark.parametrize(("response", "gold", "status"), FAST)
def test_grade_fast_agrees_where_it_decides(no_sympy, response, gold, status):
    assert grade_fast(response, gold) == grade(response, gold)


def test_grade_fast_leaves_sympy_cases_undecided(no_sympy):
    assert grade_fast(r"\boxed{\sin(\pi/6)}", "0.5") is None
    assert grade_fast(r"\boxed{\frac{x^2-1}{x-1}}", "x+1") is None
    assert grade_fast("no answer here at all", "0.5").status == U


def test_huge_values_are_refused_not_computed():
    result = grade(r"\boxed{9^{9^{9^9}}}", "42")
    assert result.details["undecided"] == ["too large to compare"]


MEGABYTE = 1_000_000
HOSTILE = {
    "digits": "1" * MEGABYTE,
    "boxes": "\\boxed{1}" * (MEGABYTE // 9),
    "different boxes": "".join(f"\\boxed{{{i}}}" for i in range(MEGABYTE // 12)),
    "open braces": "\\boxed{" + "{" * MEGABYTE,
    "answer phrases": "the answer is 5 " * (MEGABYTE // 16),
    "nested braces": "\\boxed{" + "{" * 1900 + "1" + "}" * 1900 + "}",
    "nested parentheses": "\\boxed{" + "(" * 1900 + "1" + ")" * 1900 + "}",
    "nested fractions": "\\boxed{" + "\\frac{1}{" * 300 + "2" + "}" * 300 + "}",
    "long answer": "\\boxed{" + "1+" * 5000 + "1}",
    "unclosed box": "\\boxed{\\frac{1}{2}" + " and so on" * 100_000,
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_responses_are_graded_quickly(no_sympy, name):
    started = time.perf_counter()
    result = grade(HOSTILE[name], "42")
    assert time.perf_counter() - started < 2.0
    assert result.status in (W, U)


@pytest.mark.parametrize(
    "response",
    [
        r"\boxed{\frac{1}{}}",
        r"\boxed{\frac{1}{} \sqrt \left( \right] }{",
        r"\boxed{__import__('os').system('echo hi')}",
        r"\boxed{\operatorname{eval}(1)}",
        r"\boxed{lambda: 1}",
    ],
)
def test_malformed_latex_and_code_are_only_wrong(response):
    assert grade(response, "1").status == W

"""The math verifier end to end: the fast path here, SymPy in the pool, the time bound."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from rlvr_envs import Problem, Status
from rlvr_envs.verifiers import find_verifier
from rlvr_envs.verifiers.math import MathOptions, MathVerifier, grade_fast


def problem(gold: str) -> Problem:
    return Problem(id="p", fields={}, reference=gold)


@pytest.fixture(scope="module")
def verifier():
    with MathVerifier(workers=2) as verifier:
        yield verifier


# (response, gold, status): a few of each path; the grader's own tables test the breadth.
ROWS = [
    ("The answer is $\\frac{3}{4}$.", "0.75", Status.CORRECT),
    ("\\boxed{2\\sqrt{2}}", "\\sqrt{8}", Status.CORRECT),
    ("So $x \\in (0, 1]$.", "(0,1]", Status.CORRECT),
    ("The answer is 7.", "8", Status.WRONG),
    ("\\boxed{3} or maybe \\boxed{4}", "3", Status.WRONG),
    ("I am not sure.", "3", Status.UNPARSABLE),
    ("", "3", Status.UNPARSABLE),
    ("a\x00b", "3", Status.FORMAT_ERROR),
    # decided by SymPy in a worker: the fast path cannot evaluate these
    ("\\boxed{3}", "\\log_2 8", Status.CORRECT),
    ("The answer is $\\frac{1}{2}$", "\\sin(\\pi/6)", Status.CORRECT),
    ("After simplifying, the answer is \\frac{\\sqrt{3}}{2}.", "\\sin(\\pi/6)", Status.WRONG),
]


@pytest.mark.parametrize(("response", "gold", "status"), ROWS)
def test_verdicts(verifier, response, gold, status):
    verdict = verifier.verify(response, problem(gold))
    assert verdict.status is status, verdict.reason
    assert verdict.score == (1.0 if status is Status.CORRECT else 0.0)
    assert verdict.seconds > 0


def test_the_sympy_rows_really_leave_the_fast_path():
    assert grade_fast("\\boxed{3}", "\\log_2 8") is None
    assert grade_fast("The answer is 7.", "8") is not None


def test_verdict_carries_answer_and_gold_reading_but_reason_hides_the_gold(verifier):
    verdict = verifier.verify("The answer is $\\frac{5}{7}$.", problem("\\frac{3}{7}"))
    assert verdict.status is Status.WRONG
    assert verdict.answer == "\\frac{5}{7}"
    assert verdict.details["gold_parsed"]
    assert "3" not in verdict.reason


def test_batch_equals_one_by_one(verifier):
    items = [(response, problem(gold)) for response, gold, _ in ROWS]
    batch = verifier.verify_batch(items)
    assert [v.status for v in batch] == [status for _, _, status in ROWS]
    assert batch == [verifier.verify(response, p) for response, p in items]


def test_symbolic_comparison_past_the_limit_is_a_timeout_and_the_pool_recovers():
    with MathVerifier(MathOptions(timeout=1e-4), workers=1) as hasty:
        started = time.monotonic()
        verdict = hasty.verify("\\boxed{3}", problem("\\log_2 8"))
        assert time.monotonic() - started < 5
        assert verdict.status is Status.TIMEOUT
        assert verdict.status.is_infrastructure_failure
        assert verdict.score == 0.0
        assert "limit" in verdict.reason
        # the fast path is unaffected, and a killed worker is replaced
        assert hasty.verify("7", problem("7")).status is Status.CORRECT
        assert hasty.verify("\\boxed{3}", problem("\\log_2 8")).status is Status.TIMEOUT


def test_an_unreadable_reference_is_the_verifiers_fault(verifier):
    verdict = verifier.verify("The answer is 3.", problem("   "))
    assert verdict.status is Status.VERIFIER_ERROR
    assert "reference" in verdict.reason


HOSTILE = [
    "9^{9^{9^{9}}}",
    "\\boxed{" + "{" * 5000 + "1" + "}" * 5000 + "}",
    "\\boxed{" + "(" * 3000 + "x" + ")" * 3000 + "}",
    "\\frac{\\frac{\\frac{1}{2}{3}",
    "x" * 1_000_000,
    "The answer is 2^{2^{2^{2^{2^{2^{2}}}}}}",
    "\\boxed{10^{10^{10^{10}}}}",
    "\\sqrt{\\sqrt{\\sqrt{" * 200 + "2" + "}}}" * 200,
    "$" * 50_000,
    "\\begin{pmatrix}" + "1 & " * 5000 + "\\end{pmatrix}",
]


@pytest.mark.parametrize("response", HOSTILE, ids=lambda r: repr(r[:20]))
def test_hostile_responses_get_a_verdict_within_the_bound(verifier, response):
    started = time.monotonic()
    verdict = verifier.verify(response, problem("e^{2}"), max_chars=2_000_000)
    elapsed = time.monotonic() - started
    assert elapsed < verifier.options.timeout + 1.0, (elapsed, verdict)
    assert verdict.status is not Status.CORRECT
    assert verdict.status is not Status.VERIFIER_ERROR, verdict.reason


def test_concurrent_callers_from_threads_share_the_pool(verifier):
    items = [(response, problem(gold)) for response, gold, _ in ROWS] * 4
    expected = [v.status for v in verifier.verify_batch(items)]
    with ThreadPoolExecutor(max_workers=6) as threads:
        results = list(threads.map(lambda _: verifier.verify_batch(items), range(6)))
    assert all([v.status for v in result] == expected for result in results)
    assert threading.active_count() < 20


def test_registered_under_its_name_and_closing_leaves_no_worker():
    assert find_verifier("math") is MathVerifier
    verifier = MathVerifier(workers=1)
    verifier.verify("\\boxed{3}", problem("\\log_2 8"))
    pids = [worker.pid for worker in verifier.pool._live]
    zygote = verifier.pool._zygote.process.pid
    verifier.close()
    for pid in [*pids, zygote]:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _alive(pid):
            time.sleep(0.01)
        assert not _alive(pid), pid


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False

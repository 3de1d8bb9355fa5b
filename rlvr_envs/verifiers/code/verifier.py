"""The ``code`` verifier: the response's program, run against the problem's tests in a sandbox.

The code is taken from the response (`extract_code`: the last fenced block of the
problem's language, else the whole response) and run against the test spec in
``Problem.reference`` (`parse_spec`): function tests through a trusted harness that
keeps the verdict out of the candidate's reach (`rlvr_envs.verifiers.code.harness`),
stdin/stdout tests one run per test, judged here (`rlvr_envs.verifiers.code.io_runs`).

=====================================================  ==================  ==============
outcome                                                status              score
=====================================================  ==================  ==============
every test passes                                      ``correct``         1.0
some test fails (a wrong value, an exception, a        ``wrong``           0.0, or the
timeout, a crash, a syntax error, no entry point,                          fraction passed
the whole verification out of time)                                        (``fraction``)
no code (an empty response or fenced block)            ``unparsable``      0.0
the spec is invalid; the sandbox or harness failed     ``verifier_error``  0.0
=====================================================  ==================  ==============

``reason`` is one sentence, and multi-turn tasks show it to the policy: it names the
first failing test, and for function tests that is the assert's source text with the
values compared (``assert candidate([1, 2]) == 3``: ``4 == 3 is false``), for stdin/stdout
tests the stdin and the first differing line, expected and actual. Test code and expected
outputs are therefore not secret from a policy that gets feedback; that is the point of it.

``details``: ``passed``, ``failed``, ``total``, ``tests`` (``{"name", "passed", "reason"}``
each, at most 200 for a function test: failures first), ``kind``, and for function tests
the candidate's ``stdout`` and ``stderr`` (first 2 KB each, with byte counts), ``calls``
and ``processes``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from rlvr_envs.sources.base import Problem
from rlvr_envs.verification import Status, Verification
from rlvr_envs.verifiers.base import DEFAULT_MAX_RESPONSE_CHARS, BatchVerifier, screen_response
from rlvr_envs.verifiers.code.extract import extract_code
from rlvr_envs.verifiers.code.function_job import FunctionWork, code_executor
from rlvr_envs.verifiers.code.io_runs import IoWork
from rlvr_envs.verifiers.code.options import CodeOptions
from rlvr_envs.verifiers.code.spec import FunctionTests, parse_spec
from rlvr_envs.verifiers.code.work import Outcome, Work, run_waves
from rlvr_envs.verifiers.owned import MadeOnUse
from sandboxes.base import Executor

__all__ = ["CodeVerifier"]


class CodeVerifier(BatchVerifier):
    """Runs the response's program against the problem's tests in a sandbox.

    Args:
        options: see `CodeOptions`.
        executor: the sandbox to run in; default `function_job.code_executor` (Python in a
            warm bubblewrap sandbox whose service is the harness, where it runs), created on
            first use and closed by `close`.
    """

    name = "code"
    Options = CodeOptions
    options: CodeOptions

    def __init__(
        self, options: CodeOptions | None = None, *, executor: Executor | None = None
    ) -> None:
        super().__init__(options)
        self._executor = MadeOnUse(code_executor, executor)

    @property
    def executor(self) -> Executor:
        return self._executor.get()

    def verify_batch(
        self,
        items: Iterable[tuple[object, Problem]],
        *,
        max_chars: int = DEFAULT_MAX_RESPONSE_CHARS,
    ) -> list[Verification]:
        """Verify many responses, their sandbox jobs run concurrently (`run_waves`)."""
        items = list(items)
        verdicts: list[Verification | None] = [None] * len(items)
        works: list[tuple[int, Work, str, float]] = []
        for index, (response, problem) in enumerate(items):
            started = time.perf_counter()
            prepared = screen_response(response, max_chars=max_chars)
            if prepared is None:
                try:
                    prepared = self._prepare(response, problem)  # type: ignore[arg-type]
                except Exception as exc:  # our bug, never the response's fault
                    reason = f"verifier 'code' failed: {type(exc).__name__}: {exc}"
                    prepared = _failure(Status.VERIFIER_ERROR, reason)
            if isinstance(prepared, Verification):
                verdicts[index] = replace(prepared, seconds=time.perf_counter() - started)
            else:
                work, code = prepared
                works.append((index, work, code, time.perf_counter() - started))
        if works:
            try:
                run_waves(self.executor, [work for _, work, _, _ in works])
            except Exception as exc:  # no sandbox at all (SandboxUnavailable), or our bug
                reason = f"the sandbox failed: {type(exc).__name__}: {exc}"
                for index, _, code, _ in works:
                    verdicts[index] = _failure(Status.VERIFIER_ERROR, reason, answer=code)
                works = []
        for index, work, code, seconds in works:
            started = time.perf_counter()
            try:
                outcome = work.outcome()
                verdict = _verdict(outcome, self.options, code)
            except Exception as exc:  # our bug, never the response's fault
                reason = f"verifier 'code' failed: {type(exc).__name__}: {exc}"
                verdict = _failure(Status.VERIFIER_ERROR, reason, answer=code)
                outcome = Outcome()
            total = seconds + outcome.seconds + time.perf_counter() - started
            verdicts[index] = replace(verdict, seconds=total)
        return verdicts  # type: ignore[return-value] - every index was filled above

    def _prepare(self, response: str, problem: Problem) -> Verification | tuple[Work, str]:
        """The work of verifying one screened response, or the verdict without running."""
        try:
            spec = parse_spec(problem.reference)
        except Exception as exc:
            return _failure(Status.VERIFIER_ERROR, str(exc))
        language = "python" if isinstance(spec, FunctionTests) else spec.language
        code = extract_code(response, language, self.options.extract)
        if not code.strip():
            return _failure(Status.UNPARSABLE, "no code found in the response")
        if isinstance(spec, FunctionTests):
            return FunctionWork(spec, code, self.options, secrets.token_hex(16)), code
        return IoWork(spec, code, self.options), code

    def close(self) -> None:
        """Close the executor if this verifier created it."""
        self._executor.close()


def _verdict(outcome: Outcome, options: CodeOptions, code: str) -> Verification:
    if outcome.error is not None:
        return _failure(Status.VERIFIER_ERROR, outcome.error, answer=code, **outcome.details)
    if outcome.total == 0:
        return _failure(Status.VERIFIER_ERROR, "the problem has no tests", answer=code)
    passed, total = outcome.passed, outcome.total
    details = {
        "passed": passed,
        "failed": total - passed,
        "total": total,
        "tests": outcome.tests,
        **outcome.details,
    }
    if passed == total:
        reason = f"all {total} tests passed" if total > 1 else "the test passed"
        return Verification(
            status=Status.CORRECT, score=1.0, answer=code, reason=reason, details=details
        )
    failures = [test for test in outcome.tests if not test["passed"]]
    if outcome.headline is not None:
        reason = f"{outcome.headline}; {total - passed} of {total} tests failed"
    else:
        first = failures[0] if failures else {"name": "a test", "reason": ""}
        why = f": {first['reason']}" if first["reason"] else ""
        reason = f"{total - passed} of {total} tests failed; first `{first['name']}`{why}"
    score = passed / total if options.reward == "fraction" else 0.0
    return Verification(
        status=Status.WRONG, score=score, answer=code, reason=reason, details=details
    )


def _failure(status: Status, reason: str, *, answer: str | None = None, **details: Any):
    return Verification(status=status, score=0.0, answer=answer, reason=reason, details=details)

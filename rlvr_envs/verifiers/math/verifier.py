"""The ``math`` verifier: `grade` behind a hard time bound, fanned out over all cores.

Each response goes first through `grade_fast` in the caller's process: extraction,
normalisation and exact arithmetic, linear in the response length, deciding nearly every
case (98% of the labelled yardstick) in well under a millisecond without SymPy. Only what
it cannot decide goes to a `DeadlinePool` worker running the full `grade`; a worker that
passes ``timeout`` is killed, and the verdict is ``timeout`` with score 0. This works from
any thread and any process (no signals), so trainers, ``rlvr eval`` and Ray workers can
call `verify_batch` concurrently.

=================================================  ==================  =====
outcome                                            status              score
=================================================  ==================  =====
equivalent to the reference                        ``correct``         1.0
not equivalent, or several different answers       ``wrong``           0.0
no final answer                                    ``unparsable``      0.0
no ``\\boxed{}`` with ``extract: boxed``           ``format_error``    0.0
SymPy ran past ``timeout``                         ``timeout``         0.0
the reference cannot be read; a worker crashed     ``verifier_error``  0.0
=================================================  ==================  =====

``details`` holds ``gold_parsed`` (how the reference was read: it may reveal the
answer, so it is never shown to the policy), the answer ``kind``, the deciding ``path``
(``string``, ``exact``, ``sympy``) and the extraction ``source``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, cast

from rlvr_envs.deadline_pool import DeadlinePool, Outcome, OutcomeKind, shared_pool
from rlvr_envs.sources.base import Problem
from rlvr_envs.verification import Status, Verification
from rlvr_envs.verifiers.base import DEFAULT_MAX_RESPONSE_CHARS, Verifier, screen_response
from rlvr_envs.verifiers.math.grading import GradeResult, grade, grade_fast, parse_gold
from rlvr_envs.verifiers.math.options import MathOptions
from rlvr_envs.verifiers.math.values import Answer, describe

__all__ = ["PRELOAD", "MathVerifier"]

PRELOAD = ("rlvr_envs.verifiers.math.symbolic:warm_up",)
"""Run once in the pool's zygote: SymPy and the LaTeX grammar imported and exercised, so
every worker, new ones after a timeout included, starts warm."""


class MathVerifier(Verifier):
    """Mathematical equivalence of the response's final answer and the reference.

    Args:
        options: see `MathOptions`.
        workers: run the SymPy stage in a pool of its own with this many processes
            (closed by `close`); default: the process-wide shared pool, one per core.
    """

    name = "math"
    Options = MathOptions
    options: MathOptions

    def __init__(self, options: MathOptions | None = None, *, workers: int | None = None) -> None:
        super().__init__(options)
        self._own_pool = DeadlinePool(workers, preload=PRELOAD) if workers else None

    @property
    def pool(self) -> DeadlinePool:
        return self._own_pool if self._own_pool is not None else shared_pool(PRELOAD)

    def check(self, response: str, problem: Problem) -> Verification:
        return self.verify_batch([(response, problem)])[0]

    def verify(
        self, response: object, problem: Problem, *, max_chars: int = DEFAULT_MAX_RESPONSE_CHARS
    ) -> Verification:
        return self.verify_batch([(response, problem)], max_chars=max_chars)[0]

    def verify_batch(
        self,
        items: Iterable[tuple[object, Problem]],
        *,
        max_chars: int = DEFAULT_MAX_RESPONSE_CHARS,
    ) -> list[Verification]:
        """Decide what the fast path can here, and the rest in parallel in the pool."""
        items = list(items)
        verdicts: list[Verification | None] = [None] * len(items)
        slow: list[tuple[int, str, Answer, float]] = []
        for index, (response, problem) in enumerate(items):
            started = time.perf_counter()
            verdict = screen_response(response, max_chars=max_chars)
            if verdict is None:
                verdict, gold = self._fast(response, problem)  # type: ignore[arg-type]
                if verdict is None:
                    slow.append((index, response, gold, started))  # type: ignore[arg-type]
                    continue
            verdicts[index] = _timed(verdict, started)
        if slow:
            outcomes = self.pool.map(
                grade,
                [(response, gold, self.options) for _, response, gold, _ in slow],
                timeout=self.options.timeout,
            )
            for (index, _, gold, started), outcome in zip(slow, outcomes, strict=True):
                verdicts[index] = _timed(self._from_outcome(outcome, gold), started)
        return cast("list[Verification]", verdicts)  # every index was filled above

    def close(self) -> None:
        """Stop this verifier's own pool (the shared pool closes at exit)."""
        if self._own_pool is not None:
            self._own_pool.close()

    def __enter__(self) -> MathVerifier:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _fast(self, response: str, problem: Problem) -> tuple[Verification | None, Any]:
        """The fast-path verdict, or None and the parsed reference for the pool."""
        try:
            gold = _parse_reference(str(problem.reference))
        except ValueError as exc:
            reason = f"the reference answer cannot be read: {exc}"
            return _failure(Status.VERIFIER_ERROR, reason), None
        try:
            result = grade_fast(response, gold, self.options)
        except Exception as exc:  # our bug, never the response's fault
            reason = f"math grader failed: {type(exc).__name__}: {exc}"
            return _failure(Status.VERIFIER_ERROR, reason), None
        return (_from_result(result) if result is not None else None), gold

    def _from_outcome(self, outcome: Outcome, gold: Answer) -> Verification:
        if outcome.kind is OutcomeKind.OK:
            return _from_result(outcome.value)
        if outcome.kind is OutcomeKind.TIMEOUT:
            return _failure(
                Status.TIMEOUT,
                f"the symbolic comparison ran past its {self.options.timeout:g} s limit",
                gold_parsed=_describe(gold),
            )
        return _failure(
            Status.VERIFIER_ERROR,
            f"the symbolic comparison failed ({outcome.kind.value}): {outcome.error}",
            gold_parsed=_describe(gold),
        )


@functools.lru_cache(maxsize=4096)
def _parse_reference(reference: str) -> Answer:
    """References repeat across a group of responses: read each once per process."""
    return parse_gold(reference)


def _from_result(result: GradeResult) -> Verification:
    status = Status(result.status)
    return Verification(
        status=status,
        score=1.0 if status is Status.CORRECT else 0.0,
        answer=result.extracted,
        reason=result.reason,
        details={**result.details, "gold_parsed": result.gold_parsed},
    )


def _failure(status: Status, reason: str, **details: Any) -> Verification:
    return Verification(status=status, score=0.0, reason=reason, details=details)


def _describe(gold: Answer) -> str | None:
    return describe(gold.value)


def _timed(verdict: Verification, started: float) -> Verification:
    return replace(verdict, seconds=time.perf_counter() - started)

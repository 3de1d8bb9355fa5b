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
from rlvr_envs.verifiers.base import DEFAULT_MAX_RESPONSE_CHARS, BatchVerifier, screen_response
from rlvr_envs.verifiers.math.grading import GradeResult, grade, grade_fast, parse_gold
from rlvr_envs.verifiers.math.options import MathOptions
from rlvr_envs.verifiers.math.values import Answer, describe

__all__ = ["PARALLEL_FAST_PATH_MIN", "PRELOAD", "MathVerifier", "fast_path_chunk"]

PARALLEL_FAST_PATH_MIN = 128
"""Batches at least this large run the fast path on all the pool's workers too; smaller
ones run it in the calling thread, where shipping the work would cost more than it saves."""

_FAST_PATH_SECONDS_PER_ITEM = 0.5
"""Generous time per item for a fast-path chunk in a worker (it takes well under 0.1 s
even for a response at the length limit), on top of ``timeout``."""

PRELOAD = ("rlvr_envs.verifiers.math.symbolic:warm_up",)
"""Run once in the pool's zygote: SymPy and the LaTeX grammar imported and exercised, so
every worker, new ones after a timeout included, starts warm."""


class MathVerifier(BatchVerifier):
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

    def verify_batch(
        self,
        items: Iterable[tuple[object, Problem]],
        *,
        max_chars: int = DEFAULT_MAX_RESPONSE_CHARS,
    ) -> list[Verification]:
        """Verify many responses: the fast path over all cores for a large batch (in this
        thread for a small one), then what it left undecided in parallel under the bound."""
        items = list(items)
        verdicts: list[Verification | None] = [None] * len(items)
        pending: list[tuple[int, str, Answer]] = []
        for index, (response, problem) in enumerate(items):
            started = time.perf_counter()
            verdict = screen_response(response, max_chars=max_chars)
            if verdict is None:
                gold = self._reference(problem)
                if isinstance(gold, Answer):
                    pending.append((index, response, gold))  # type: ignore[arg-type]
                    continue
                verdict = gold
            verdicts[index] = _timed(verdict, time.perf_counter() - started)
        slow: list[tuple[int, str, Answer, float]] = []
        for (index, response, gold), (decided, seconds) in zip(
            pending, self._fast_path(pending), strict=True
        ):
            if decided is None:
                slow.append((index, response, gold, seconds))
            else:
                verdicts[index] = _timed(decided, seconds)
        if slow:
            outcomes = self.pool.map(
                grade,
                [(response, gold, self.options) for _, response, gold, _ in slow],
                timeout=self.options.timeout,
            )
            for (index, _, gold, seconds), outcome in zip(slow, outcomes, strict=True):
                verdict = self._from_outcome(outcome, gold)
                verdicts[index] = _timed(verdict, seconds + outcome.seconds)
        return cast("list[Verification]", verdicts)  # every index was filled above

    def _fast_path(
        self, pending: list[tuple[int, str, Answer]]
    ) -> list[tuple[Verification | None, float]]:
        """`grade_fast` of each pending item: a verdict (None: SymPy needed) and its time.

        A large batch is cut into chunks that the pool's workers grade in parallel; a
        chunk that fails there (it should not: the fast path is linear) is graded here.
        """
        workers = self.pool.workers if len(pending) >= PARALLEL_FAST_PATH_MIN else 1
        if workers == 1:
            return fast_path_chunk(
                [(response, gold) for _, response, gold in pending], self.options
            )
        size = -(-len(pending) // (workers * 4))  # a few chunks per worker evens out the load
        chunks = [
            [(response, gold) for _, response, gold in pending[start : start + size]]
            for start in range(0, len(pending), size)
        ]
        outcomes = self.pool.map(
            fast_path_chunk,
            [(chunk, self.options) for chunk in chunks],
            timeout=self.options.timeout + _FAST_PATH_SECONDS_PER_ITEM * size,
        )
        results: list[tuple[Verification | None, float]] = []
        for chunk, outcome in zip(chunks, outcomes, strict=True):
            ok = outcome.kind is OutcomeKind.OK
            results.extend(outcome.value if ok else fast_path_chunk(chunk, self.options))
        return results

    def close(self) -> None:
        """Stop this verifier's own pool (the shared pool closes at exit)."""
        if self._own_pool is not None:
            self._own_pool.close()

    def _reference(self, problem: Problem) -> Answer | Verification:
        """The reference read (cached per process), or the verdict saying it cannot be."""
        try:
            return _parse_reference(str(problem.reference))
        except ValueError as exc:
            return _failure(Status.VERIFIER_ERROR, f"the reference answer cannot be read: {exc}")

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


def fast_path_chunk(
    pairs: list[tuple[str, Answer]], options: MathOptions
) -> list[tuple[Verification | None, float]]:
    """`grade_fast` over ``(response, reference)`` pairs: for each, the verdict (None when
    only SymPy can decide) and the seconds it took. Runs here or in a pool worker."""
    results: list[tuple[Verification | None, float]] = []
    for response, gold in pairs:
        started = time.perf_counter()
        try:
            result = grade_fast(response, gold, options)
            verdict = _from_result(result) if result is not None else None
        except Exception as exc:  # our bug, never the response's fault
            reason = f"math grader failed: {type(exc).__name__}: {exc}"
            verdict = _failure(Status.VERIFIER_ERROR, reason)
        results.append((verdict, time.perf_counter() - started))
    return results


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


def _timed(verdict: Verification, seconds: float) -> Verification:
    return replace(verdict, seconds=seconds)

"""``rlvr grade proof``'s lines: ``{"statement", "proof", "preamble"?, "allowed_axioms"?}``.

Each line is its own theorem; the output adds ``reward`` (1 iff the prover accepts the
proof), ``status``, ``stage``, ``reason`` and ``seconds``. A `LineScorer` for
`rlvr_envs.response_files.score_lines`.
"""

from __future__ import annotations

from typing import Any

from rlvr_envs.sources.base import Problem
from rlvr_envs.verification import Verification
from rlvr_envs.verifiers.base import DEFAULT_MAX_RESPONSE_CHARS
from rlvr_envs.verifiers.proof.verifier import ProofVerifier

__all__ = ["ProofLines"]


class ProofLines:
    """Lines that carry a statement and a proof of it, graded by one proof verifier."""

    def __init__(
        self, verifier: ProofVerifier, *, max_chars: int = DEFAULT_MAX_RESPONSE_CHARS
    ) -> None:
        self.verifier = verifier
        self.max_chars = max_chars
        self._count = 0

    def item(self, record: dict[str, Any]) -> tuple[Problem, object] | str:
        missing = [name for name in ("statement", "proof") if name not in record]
        if missing:
            return f"line has no {missing[0]!r} field (it has {sorted(record)[:10]})"
        statement, preamble = record["statement"], record.get("preamble") or ""
        if not isinstance(statement, str) or not statement.strip():
            return "'statement' must be non-empty text"
        if not isinstance(preamble, str):
            return f"'preamble' must be text, got {type(preamble).__name__}"
        allowed = record.get("allowed_axioms") or []
        if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
            return "'allowed_axioms' must be a list of names"
        self._count += 1
        fields = {"preamble": preamble, "allowed_axioms": allowed}
        problem = Problem(id=f"line/{self._count}", fields=fields, reference=statement)
        return problem, record["proof"]

    def verify_batch(self, items: list[tuple[Problem, object]]) -> list[Verification]:
        pairs = [(response, problem) for problem, response in items]
        return self.verifier.verify_batch(pairs, max_chars=self.max_chars)

    def output(self, record: dict[str, Any], verdict: Verification) -> dict[str, Any]:
        return {
            **record,
            "reward": verdict.score,
            "status": verdict.status.value,
            "stage": verdict.details.get("stage"),
            "reason": verdict.reason,
            "seconds": round(verdict.seconds, 6),
        }

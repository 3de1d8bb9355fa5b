"""The ``proof`` verifier: a whole proof, checked by the prover's kernel in a sandbox.

The problem's reference is the statement; its fields may carry ``preamble`` (imports and
definitions) and ``allowed_axioms``. The proof is the response's last ```` ```coq ```` /
```` ```lean ```` block, else the whole response (`extract_proof`).

==========================================================  ==================  =====
outcome                                                     status              score
==========================================================  ==================  =====
the kernel accepts the stated theorem with allowed axioms   ``correct``         1.0
refused before the prover ran (``Admitted``, ``sorry``, a   ``wrong``           0.0
forbidden command), the prover's error, another theorem,
a forbidden axiom, too slow
no proof in the response                                    ``unparsable``      0.0
the prover or sandbox failed; a broken preamble             ``verifier_error``  0.0
==========================================================  ==================  =====

``details``: ``prover``, ``stage`` (where the check stopped: ``screen``, ``prover``,
``statement``, ``assumptions``, ``timeout``, ``accepted``, ``infrastructure``),
``assumptions`` (what the proof depends on, when known) and the prover's ``error``.

`TacticEpisode` is the multi-turn form: each response is one tactic (or a few), the
verdict's reason is the new goals or the error, and the episode is solved when the
goals run out and the whole script passes the same check.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from rlvr_envs.sources.base import Problem
from rlvr_envs.verification import Status, Verification
from rlvr_envs.verifiers.base import DEFAULT_MAX_RESPONSE_CHARS, BatchVerifier, screen_response
from rlvr_envs.verifiers.owned import MadeOnUse
from rlvr_envs.verifiers.proof.backend import (
    CheckStage,
    ProofCheck,
    ProofSession,
    ProverBackend,
    TacticStatus,
    Theorem,
)
from rlvr_envs.verifiers.proof.extract import extract_proof
from rlvr_envs.verifiers.proof.options import ProofOptions

__all__ = ["ProofVerifier", "TacticEpisode", "make_backend", "theorem_of", "verdict_of"]


def make_backend(options: ProofOptions) -> ProverBackend:
    """The backend `options` name, configured by them."""
    if options.prover == "coq":
        from rlvr_envs.verifiers.proof.coq_backend import CoqBackend

        return CoqBackend(
            warm=options.warm,
            workers=options.workers,
            memory_mb=options.memory_mb or 2048,
            timeout=options.timeout,
        )
    from rlvr_envs.verifiers.proof.lean_backend import LeanBackend

    return LeanBackend(
        timeout=options.timeout,
        workers=options.workers,
        memory_mb=options.memory_mb or 8192,
        allow_native=options.allow_native,
    )


def theorem_of(problem: Problem, options: ProofOptions) -> Theorem:
    """The theorem a problem states: its reference, ``preamble`` and ``allowed_axioms``."""
    fields = problem.fields
    allowed = tuple(fields.get("allowed_axioms") or ()) + tuple(options.allowed_axioms)
    return Theorem(
        statement=str(problem.reference),
        preamble=str(fields.get("preamble") or ""),
        allowed_axioms=allowed,
        name=problem.id,
    )


class ProofVerifier(BatchVerifier):
    """Checks whole proofs with the prover `options.prover`; see the module docstring.

    Args:
        options: see `ProofOptions`.
        backend: the prover backend (default: made from the options on first use and
            closed by `close`).
    """

    name = "proof"
    Options = ProofOptions
    options: ProofOptions

    def __init__(
        self, options: ProofOptions | None = None, *, backend: ProverBackend | None = None
    ) -> None:
        super().__init__(options)
        self._backend = MadeOnUse(functools.partial(make_backend, self.options), backend)

    @property
    def backend(self) -> ProverBackend:
        return self._backend.get()

    def verify_batch(
        self,
        items: Iterable[tuple[object, Problem]],
        *,
        max_chars: int = DEFAULT_MAX_RESPONSE_CHARS,
    ) -> list[Verification]:
        items = list(items)
        verdicts: list[Verification | None] = [None] * len(items)
        pending: list[tuple[int, Theorem, str]] = []
        for index, (response, problem) in enumerate(items):
            screened = screen_response(response, max_chars=max_chars)
            if screened is not None:
                verdicts[index] = screened
                continue
            proof = extract_proof(response, self.options.prover)  # type: ignore[arg-type]
            if not proof.strip():
                verdicts[index] = Verification(
                    status=Status.UNPARSABLE, score=0.0, reason="no proof found in the response"
                )
                continue
            pending.append((index, theorem_of(problem, self.options), proof))
        if pending:
            try:
                checks = self.backend.check_many(
                    [(theorem, proof) for _, theorem, proof in pending],
                    timeout=self.options.timeout,
                )
            except Exception as exc:  # the prover cannot start: not the response's fault
                reason = f"the {self.options.prover} prover failed: {type(exc).__name__}: {exc}"
                checks = [ProofCheck(CheckStage.INFRASTRUCTURE, reason) for _ in pending]
            for (index, _, proof), check in zip(pending, checks, strict=True):
                verdicts[index] = verdict_of(check, proof, self.options.prover)
        return verdicts  # type: ignore[return-value] - every index was filled above

    def start_episode(self, problem: Problem) -> TacticEpisode | None:
        """In ``mode: tactic``, a tactic-mode episode on `problem` (see `TacticEpisode`)."""
        if self.options.mode != "tactic":
            return None
        return TacticEpisode(self.backend, theorem_of(problem, self.options), self.options)

    def close(self) -> None:
        """Close the backend if this verifier made it."""
        self._backend.close()


class TacticEpisode:
    """One theorem proved tactic by tactic: `judge` runs a response as tactics.

    The verdict of a step is ``correct`` when the proof is complete and passed the whole
    check, ``wrong`` otherwise, with the reason the policy sees next: the goals after the
    tactic, or the error (the goals unchanged). A prover failure is ``verifier_error``.
    """

    def __init__(self, backend: ProverBackend, theorem: Theorem, options: ProofOptions) -> None:
        self.backend = backend
        self.theorem = theorem
        self.options = options
        self.session: ProofSession | None = None
        self.opening_error: str | None = None
        try:
            self.session = backend.start(theorem, timeout=options.timeout)
        except Exception as exc:
            self.opening_error = f"the {options.prover} prover could not start the proof: {exc}"

    @property
    def goals(self) -> str:
        return self.session.goals if self.session is not None else ""

    def judge(self, response: object) -> Verification:
        screened = screen_response(response, max_chars=DEFAULT_MAX_RESPONSE_CHARS)
        if screened is not None:
            return screened
        tactic = extract_proof(response, self.options.prover)  # type: ignore[arg-type]
        if not tactic.strip():
            return Verification(status=Status.UNPARSABLE, score=0.0, reason="no tactic found")
        refused = self.backend.screen(tactic)  # before any prover runs
        if refused is not None:
            details = {"prover": self.options.prover, "stage": "screen", "goals": self.goals}
            reason = f"{refused}\n\nThe goals are still:\n{self.goals}"
            return Verification(
                status=Status.WRONG, score=0.0, answer=tactic, reason=reason, details=details
            )
        if self.session is None:
            reason = self.opening_error or "the proof session is closed"
            return Verification(status=Status.VERIFIER_ERROR, score=0.0, reason=reason)
        result = self.session.run_tactic(tactic, timeout=self.options.timeout)
        details: dict[str, Any] = {
            "prover": self.options.prover,
            "tactic_status": result.status.value,
            "goals": result.goals,
            "steps": len(self.session.script),
        }
        if result.check is not None:
            details["stage"] = result.check.stage.value
            details["assumptions"] = list(result.check.assumptions)
        if result.status is TacticStatus.COMPLETE:
            return Verification(
                status=Status.CORRECT,
                score=1.0,
                answer=tactic,
                reason=result.message,
                details=details,
            )
        if result.check is not None and result.check.stage is CheckStage.INFRASTRUCTURE:
            return Verification(
                status=Status.VERIFIER_ERROR, score=0.0, reason=result.message, details=details
            )
        if result.status is TacticStatus.ERROR:
            reason = f"{result.message}\n\nThe goals are still:\n{result.goals}"
        else:
            reason = f"Goals:\n{result.goals}"
        return Verification(
            status=Status.WRONG, score=0.0, answer=tactic, reason=reason, details=details
        )

    def close(self) -> None:
        if self.session is not None:
            self.session.close()
            self.session = None


def verdict_of(check: ProofCheck, proof: str, prover: str) -> Verification:
    """The `Verification` of a whole-proof check."""
    details: dict[str, Any] = {
        "prover": prover,
        "stage": check.stage.value,
        "assumptions": list(check.assumptions),
    }
    if "error" in check.details:
        details["error"] = check.details["error"]
    if check.accepted:
        status = Status.CORRECT
    elif check.stage is CheckStage.INFRASTRUCTURE:
        status = Status.VERIFIER_ERROR
    else:
        status = Status.WRONG
    verdict = Verification(
        status=status,
        score=1.0 if check.accepted else 0.0,
        answer=proof,
        reason=check.reason,
        details=details,
    )
    return replace(verdict, seconds=float(check.details.get("seconds", 0.0)))

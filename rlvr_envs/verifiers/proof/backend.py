"""What every prover backend offers the proof environments, whatever the prover.

A `Theorem` is a statement with the preamble it needs (imports, definitions) and the
assumptions a proof may use. A backend checks a whole proof of it (`ProverBackend.check`
→ `ProofCheck`), or opens a `ProofSession` in which tactics run one at a time
(`ProofSession.run_tactic` → `TacticResult`: new goals, an error, or complete). Every
call is bounded in time; sessions come from a warm pool where the prover allows.

=================  ===============================================================
`CheckStage`        where a rejected proof was stopped
=================  ===============================================================
``screen``          before any prover ran: a forbidden command, ``sorry``, bad text
``prover``          the prover rejected the proof (an error, an unfinished proof)
``statement``       the proved theorem is not the stated one
``assumptions``     it depends on an axiom or unsafe declaration it may not use
``timeout``         the proof took longer than allowed
``infrastructure``  the prover or sandbox failed (not the proof's fault)
=================  ===============================================================
"""

from __future__ import annotations

import enum
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rlvr_envs.errors import RlvrError

__all__ = [
    "CheckStage",
    "ProofCheck",
    "ProofSession",
    "ProverBackend",
    "ProverError",
    "TacticResult",
    "TacticStatus",
    "Theorem",
]


class ProverError(RlvrError):
    """The prover cannot start, or a problem's own preamble or statement is broken."""


@dataclass(frozen=True)
class Theorem:
    """A statement to prove.

    Attributes:
        statement: the proposition, in the prover's syntax (Coq: ``forall n : nat, n + 0
            = n``; Lean: ``∀ n : Nat, n + 0 = n``).
        preamble: imports and definitions the statement needs, run before it.
        allowed_axioms: assumptions a proof may depend on, by the name the prover prints
            (Coq: ``Classical_Prop.classic``; Lean: ``propext``).
        name: a name for messages.
    """

    statement: str
    preamble: str = ""
    allowed_axioms: tuple[str, ...] = ()
    name: str = "theorem"

    def __post_init__(self) -> None:
        object.__setattr__(self, "allowed_axioms", tuple(self.allowed_axioms))


class CheckStage(enum.StrEnum):
    """Where a whole-proof check stopped; see the module docstring."""

    ACCEPTED = "accepted"
    SCREEN = "screen"
    PROVER = "prover"
    STATEMENT = "statement"
    ASSUMPTIONS = "assumptions"
    TIMEOUT = "timeout"
    INFRASTRUCTURE = "infrastructure"


@dataclass(frozen=True)
class ProofCheck:
    """The verdict of a whole-proof check."""

    stage: CheckStage
    reason: str
    """One sentence: why it was accepted or rejected (the prover's error, the axiom)."""
    assumptions: tuple[str, ...] = ()
    """What the proof depends on, as the prover printed it (when it got that far)."""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def accepted(self) -> bool:
        return self.stage is CheckStage.ACCEPTED

    def timed(self, started: float) -> ProofCheck:
        """This verdict with ``details["seconds"]`` since `started` (``perf_counter``)."""
        self.details.setdefault("seconds", round(time.perf_counter() - started, 6))
        return self


class TacticStatus(enum.StrEnum):
    PROGRESS = "progress"
    """The tactic ran; goals remain."""
    ERROR = "error"
    """The tactic failed or was refused; the proof state is unchanged."""
    COMPLETE = "complete"
    """No goals remain and the whole proof passed the kernel check."""


@dataclass(frozen=True)
class TacticResult:
    """What one tactic did."""

    status: TacticStatus
    goals: str
    """The goals after the tactic (before it, when it failed), as the prover prints them."""
    message: str = ""
    """The error, or the final check's verdict."""
    check: ProofCheck | None = None
    """The whole-proof check run when the goals ran out."""


class ProofSession(ABC):
    """One theorem being proved tactic by tactic. Close it to return its prover."""

    goals: str
    """The current goals, as the prover prints them."""
    script: list[str]
    """The tactics that ran successfully, in order."""

    @abstractmethod
    def run_tactic(self, tactic: str, *, timeout: float | None = None) -> TacticResult:
        """Run one tactic (or a short script) on the current goals."""

    @abstractmethod
    def close(self) -> None:
        """Give the prover back (to its pool) or end it; idempotent."""

    def __enter__(self) -> ProofSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class ProverBackend(ABC):
    """A prover: whole-proof checks and tactic sessions, each bounded in time."""

    name: str

    @abstractmethod
    def check(self, theorem: Theorem, proof: str, *, timeout: float | None = None) -> ProofCheck:
        """Check a whole proof of `theorem`; never raises because of the proof."""

    @abstractmethod
    def screen(self, proof: str) -> str | None:
        """Why a proof (or a tactic) is refused before the prover runs, or None."""

    def check_many(
        self, items: Sequence[tuple[Theorem, str]], *, timeout: float | None = None
    ) -> list[ProofCheck]:
        """Check many proofs, in order (backends with pools run them concurrently)."""
        return [self.check(theorem, proof, timeout=timeout) for theorem, proof in items]

    @abstractmethod
    def start(self, theorem: Theorem, *, timeout: float | None = None) -> ProofSession:
        """Open a tactic session on `theorem`.

        Raises:
            ProverError: the prover cannot start, or the statement does not elaborate.
        """

    def close(self) -> None:  # noqa: B027 - a backend without warm processes holds nothing
        """End warm processes; idempotent."""

    def __enter__(self) -> ProverBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

"""The verdict of a verifier: what every reward is explained by.

A `Verification` travels in ``info["verification"]`` of every step and in every line that
``rlvr verify`` writes. Its `Status` keeps the response's own faults apart from failures of
the verifier or the infrastructure, so that a trainer can leave the latter out of its
advantages instead of silently counting them as wrong answers.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Status", "Verification"]


class Status(enum.StrEnum):
    """Why a response got the reward it got.

    ====================  ===========================================  =================
    status                meaning                                      whose fault
    ====================  ===========================================  =================
    ``correct``           the verifier accepted the answer             (nobody's)
    ``wrong``             an answer was found and it is wrong          the response
    ``unparsable``        no answer could be found in the response     the response
    ``format_error``      the response breaks a format rule (a         the response
                          required ``\\boxed{}``, too long, not text)
    ``timeout``           the verifier ran out of time                 the verifier
    ``verifier_error``    the verifier or its infrastructure failed    the verifier
    ====================  ===========================================  =================
    """

    CORRECT = "correct"
    WRONG = "wrong"
    UNPARSABLE = "unparsable"
    FORMAT_ERROR = "format_error"
    TIMEOUT = "timeout"
    VERIFIER_ERROR = "verifier_error"

    @property
    def is_response_fault(self) -> bool:
        """True when the response itself earned the low reward."""
        return self in (Status.WRONG, Status.UNPARSABLE, Status.FORMAT_ERROR)

    @property
    def is_infrastructure_failure(self) -> bool:
        """True when the reward says nothing about the response; leave it out of training."""
        return self in (Status.TIMEOUT, Status.VERIFIER_ERROR)


@dataclass(frozen=True)
class Verification:
    """A verifier's verdict on one response.

    Two verifications compare equal when they agree on everything but the time taken, so a
    deterministic environment returns equal infos for equal steps.
    """

    status: Status
    """The verdict; see `Status`."""
    score: float
    """The verifier's score in [0, 1]: 1 for correct, a fraction for partial credit."""
    answer: str | None = None
    """The answer parsed out of the response, as text; None when none was found."""
    reason: str = ""
    """One human-readable sentence. Multi-turn tasks show it to the policy, so it never
    reveals the reference answer."""
    details: Mapping[str, Any] = field(default_factory=dict)
    """Verifier-specific facts (expected answer, tests passed, goals left, ...)."""
    seconds: float = field(default=0.0, compare=False)
    """Wall time the verification took."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))
        # A plain dict copy, not a read-only proxy: verdicts must pickle (vector envs, Ray).
        object.__setattr__(self, "details", dict(self.details))

    @property
    def is_correct(self) -> bool:
        return self.status is Status.CORRECT

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (plain types only)."""
        return {
            "status": self.status.value,
            "score": self.score,
            "answer": self.answer,
            "reason": self.reason,
            "details": dict(self.details),
            "seconds": round(self.seconds, 6),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verification:
        return cls(
            status=Status(data["status"]),
            score=float(data["score"]),
            answer=data.get("answer"),
            reason=data.get("reason", ""),
            details=data.get("details", {}),
            seconds=float(data.get("seconds", 0.0)),
        )

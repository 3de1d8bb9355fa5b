"""The options of the proof verifiers, validated when a task loads.

====================  =========  ==========================================================
option                default    effect
====================  =========  ==========================================================
``prover``            ``coq``    ``coq`` or ``lean``.
``mode``              ``whole``  ``whole``: each response is a whole proof. ``tactic``: in
                                 an episode, each response is the next tactic (or a few)
                                 and the policy sees the goals or the error after it
                                 (responses scored outside an episode, as by ``rlvr
                                 verify``, are whole proofs either way).
``timeout``           ``30.0``   seconds one whole-proof check (or one tactic) may take; a
                                 slower proof is ``wrong`` (the proof's fault, as a slow
                                 program is for code).
``warm``              ``true``   check on a warm pool of prover sessions (Coq: ``coqtop``
                                 sessions that keep the preamble loaded) rather than one
                                 cold sandbox job per check.
``workers``           ``1``      prover sessions kept warm (checks run at once).
``memory_mb``         ``null``   address space of each prover process (default: 2048 MB for
                                 Coq, 8192 MB for Lean, whose REPL with Mathlib needs GBs).
``allowed_axioms``    ``[]``     assumptions every problem of the task may use, by the
                                 name the prover prints (Coq ``Classical_Prop.classic``;
                                 Lean ``propext``), added to a problem's own
                                 ``allowed_axioms``.
``allow_native``      ``false``  Lean: allow ``native_decide`` and other escapes to
                                 compiled code (they add ``Lean.ofReduceBool``).
====================  =========  ==========================================================
"""

from __future__ import annotations

from typing import Literal

import pydantic

from rlvr_envs.schema import STRICT

__all__ = ["ProofOptions"]


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class ProofOptions:
    prover: Literal["coq", "lean"] = "coq"
    """Which prover checks the proofs."""
    mode: Literal["whole", "tactic"] = "whole"
    """Whole proofs, or tactic by tactic in an episode."""
    timeout: float = pydantic.Field(default=30.0, gt=0.0, le=3600.0)
    """Seconds for one whole-proof check or one tactic."""
    warm: bool = True
    """Check on warm prover sessions (True) or one cold sandbox job per check."""
    workers: int = pydantic.Field(default=1, ge=1, le=64)
    """Prover sessions kept warm."""
    memory_mb: int | None = pydantic.Field(default=None, ge=256, le=65536)
    """Address space (MB) of each prover process; None: the prover's default."""
    allowed_axioms: tuple[str, ...] = ()
    """Assumptions every problem may use, as the prover prints their names."""
    allow_native: bool = False
    """Lean: allow native_decide and other escapes to compiled code."""

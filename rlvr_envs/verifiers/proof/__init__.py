"""Formal proofs: Coq and Lean 4 proofs checked by their kernels, whole or tactic by tactic.

======================  ================================================================
module                  holds
======================  ================================================================
`backend`               the interface every prover offers: `Theorem`, `ProverBackend`
                        (whole-proof `check`, tactic `start`), `ProofCheck`, `ProofSession`
`pool`                  `WarmPool`: prover processes reused across problems
`coq_text`              Coq sentences, comments and strings; the early screening
`coq_check`             what a Coq check runs and how ``Print Assumptions`` is judged
`coqtop`                a sandboxed ``coqtop`` session, exchange by exchange
`coq_backend`           `CoqBackend`: warm (coqtop pool) and cold (coqc job) checks
======================  ================================================================
"""

from __future__ import annotations

from rlvr_envs.verifiers.proof.backend import (
    CheckStage,
    ProofCheck,
    ProofSession,
    ProverBackend,
    TacticResult,
    TacticStatus,
    Theorem,
)
from rlvr_envs.verifiers.proof.coq_backend import CoqBackend, CoqSession, ProverError

__all__ = [
    "CheckStage",
    "CoqBackend",
    "CoqSession",
    "ProofCheck",
    "ProofSession",
    "ProverBackend",
    "ProverError",
    "TacticResult",
    "TacticStatus",
    "Theorem",
]

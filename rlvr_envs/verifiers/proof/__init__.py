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
`lean_repl`             the Lean REPL's JSON protocol, framed and typed (`LeanRepl`)
`lean_text`             Lean comments and strings; the early screening
`lean_backend`          `LeanBackend`: checks and tactic sessions through the REPL
`lean_dojo`             tactic sessions on theorems of repositories traced by LeanDojo
`extract`, `options`    the proof in a response; the verifier's options
`verifier`              `ProofVerifier` (whole proofs) and `TacticEpisode` (tactic mode)
`lines`                 ``rlvr grade proof``'s lines
======================  ================================================================
"""

from __future__ import annotations

from rlvr_envs.verifiers.proof.backend import (
    CheckStage,
    ProofCheck,
    ProofSession,
    ProverBackend,
    ProverError,
    TacticResult,
    TacticStatus,
    Theorem,
)
from rlvr_envs.verifiers.proof.coq_backend import CoqBackend, CoqSession
from rlvr_envs.verifiers.proof.lean_backend import LeanBackend, LeanSession

__all__ = [
    "CheckStage",
    "CoqBackend",
    "CoqSession",
    "LeanBackend",
    "LeanSession",
    "ProofCheck",
    "ProofSession",
    "ProverBackend",
    "ProverError",
    "TacticResult",
    "TacticStatus",
    "Theorem",
]

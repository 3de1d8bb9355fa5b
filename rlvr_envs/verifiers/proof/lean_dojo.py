"""Tactic sessions on theorems of repositories traced by LeanDojo (``lean-dojo``, the
optional extra ``rlvr-envs[lean]``; imported only when used).

LeanDojo traces a Lean repository once (building it, recording every theorem) and then
opens any of its theorems for interaction (``Dojo``): a tactic applied to a state gives a
new state, an error, or a finished proof. `LeanDojoSession` offers that through the same
`ProofSession` interface as the REPL sessions, with the same screening of tactics:
LeanDojo itself reports ``sorry`` as a proof given up, which counts as an error here.
"""

from __future__ import annotations

from typing import Any

from rlvr_envs.verifiers.proof.backend import (
    CheckStage,
    ProofCheck,
    ProofSession,
    ProverError,
    TacticResult,
    TacticStatus,
)
from rlvr_envs.verifiers.proof.lean_text import screen_lean

__all__ = ["LeanDojoSession"]


def _lean_dojo() -> Any:
    try:
        import lean_dojo
    except ImportError as exc:
        raise ProverError(
            "LeanDojo is not installed: pip install 'rlvr-envs[lean]' (it needs git and a Lean "
            "toolchain; see the README, 'Lean 4 proofs')"
        ) from exc
    return lean_dojo


class LeanDojoSession(ProofSession):
    """A theorem of a traced repository, proved tactic by tactic with LeanDojo.

    Args:
        url: the repository (``https://github.com/yangky11/lean4-example``).
        commit: the commit that was traced.
        file_path: the theorem's file in the repository.
        full_name: the theorem's full name.
        timeout: seconds per tactic (LeanDojo's own limit).
        allow_native: accept ``native_decide`` in tactics.

    Raises:
        ProverError: LeanDojo is not installed, or cannot open the theorem.
    """

    def __init__(
        self,
        url: str,
        commit: str,
        file_path: str,
        full_name: str,
        *,
        timeout: float = 600.0,
        allow_native: bool = False,
    ) -> None:
        dojo_module = _lean_dojo()
        self._module = dojo_module
        self.allow_native = allow_native
        self.script = []
        repo = dojo_module.LeanGitRepo(url, commit)
        theorem = dojo_module.Theorem(repo, file_path, full_name)
        try:
            self._dojo = dojo_module.Dojo(theorem, timeout=int(timeout))
            self._dojo, self._state = self._dojo.__enter__()
        except Exception as exc:
            raise ProverError(f"LeanDojo cannot open {full_name}: {exc}") from exc
        self.goals = self._state.pp

    def run_tactic(self, tactic: str, *, timeout: float | None = None) -> TacticResult:
        if self._dojo is None:
            return TacticResult(TacticStatus.ERROR, "", "the session is closed")
        refused = screen_lean(tactic, allow_native=self.allow_native)
        if refused is not None:
            return TacticResult(TacticStatus.ERROR, self.goals, refused)
        result = self._dojo.run_tac(self._state, tactic.strip())
        if isinstance(result, self._module.TacticState):
            self._state = result
            self.script.append(tactic.strip())
            self.goals = result.pp
            return TacticResult(TacticStatus.PROGRESS, self.goals)
        if isinstance(result, self._module.ProofFinished):
            self.script.append(tactic.strip())
            self.goals = "no goals"
            check = ProofCheck(CheckStage.ACCEPTED, "LeanDojo reports the proof finished")
            return TacticResult(TacticStatus.COMPLETE, self.goals, check.reason, check=check)
        message = getattr(result, "error", None) or type(result).__name__
        return TacticResult(TacticStatus.ERROR, self.goals, str(message))

    def close(self) -> None:
        dojo, self._dojo = self._dojo, None
        if dojo is not None:
            dojo.__exit__(None, None, None)

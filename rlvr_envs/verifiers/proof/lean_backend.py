"""`LeanBackend`: Lean 4 proofs checked through the Lean REPL, in a sandbox.

Needs a Lean toolchain and the Lean community's ``repl`` (see the README, "Formal
proofs"): the REPL binary (``RLVR_LEAN_REPL``, else ``repl`` on ``PATH``), run through
``lake env`` in a Lake project (`project`, or ``RLVR_LEAN_PROJECT``) when there is one, so
that the project's libraries (Mathlib) can be imported. Everything else works without Lean: the
screening, the environments, and the client, which the tests replay against recorded
REPL transcripts.

A whole-proof check runs, each command in the environment the previous one made:

1. the preamble (imports, definitions), once per REPL session and preamble (Lean's
   environments are immutable, so a session keeps every preamble it has loaded);
2. ``def rlvr_statement_<N> : Prop := ∀ <binders>, <type>``: the statement, elaborated
   before any text of the response;
3. ``namespace Rlvr_candidate_<N>``, the response's helpers, ``theorem rlvr_goal_<N>
   <binders> : <type> := <proof>``, ``end Rlvr_candidate_<N>``: any error, or any
   ``sorry``, rejects;
4. ``example : rlvr_statement_<N> := Rlvr_candidate_<N>.rlvr_goal_<N>`` (the stated
   theorem, unchanged) and ``#print axioms Rlvr_candidate_<N>.rlvr_goal_<N>``: accepted
   only with Lean's three standard axioms (``propext``, ``Classical.choice``,
   ``Quot.sound``) and those the problem allows; never ``sorryAx``, and
   ``Lean.ofReduceBool`` (``native_decide``) only where the task allows it.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from pathlib import Path

from rlvr_envs.errors import RlvrError
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
from rlvr_envs.verifiers.proof.lean_repl import (
    CommandResponse,
    LeanRepl,
    ProofStepResponse,
    ReplError,
    Response,
)
from rlvr_envs.verifiers.proof.lean_text import screen_lean, split_signature
from rlvr_envs.verifiers.proof.pool import PoolLease, WarmPool

__all__ = [
    "STANDARD_AXIOMS",
    "LeanBackend",
    "LeanSession",
    "LeanWorker",
    "judge_lean_axioms",
    "lean_check_commands",
    "lean_repl_command",
    "split_lean_response",
]

STANDARD_AXIOMS = ("propext", "Classical.choice", "Quot.sound")
"""The axioms of Lean's own logic, which every Mathlib proof may use."""
NATIVE_AXIOMS = ("Lean.ofReduceBool", "Lean.ofReduceNat")
PROJECT_VARIABLE = "RLVR_LEAN_PROJECT"
REPL_VARIABLE = "RLVR_LEAN_REPL"
_SETUP_SECONDS = 600.0  # importing Mathlib takes minutes the first time
_AXIOMS = re.compile(r"depends on axioms: \[(?P<names>[^\]]*)\]")


def lean_repl_command(project: str | None = None) -> tuple[list[str], str | None]:
    """``(argv, cwd)`` that start the REPL: ``lake env REPL`` in the project (so its
    libraries, Mathlib say, are importable), else the REPL alone (core Lean only).

    The REPL is ``RLVR_LEAN_REPL`` (the ``repl`` binary built from
    leanprover-community/repl), else ``repl`` on PATH; the project is `project`, else
    ``RLVR_LEAN_PROJECT``.

    Raises:
        ProverError: no Lean REPL (or no ``lake`` for a project); the message says how.
    """
    project = project or os.environ.get(PROJECT_VARIABLE)
    repl = os.environ.get(REPL_VARIABLE) or shutil.which("repl")
    if repl is None:
        raise ProverError(
            "no Lean REPL found: build leanprover-community/repl and set RLVR_LEAN_REPL to its "
            "binary (or put `repl` on PATH), and set RLVR_LEAN_PROJECT to a Lake project for "
            "Mathlib; see the README, 'Formal proofs'"
        )
    if project:
        if shutil.which("lake") is None:
            raise ProverError(
                f"Lean project {project} given but `lake` is not on PATH: install the Lean "
                "toolchain with elan (see the README, 'Formal proofs')"
            )
        return ["lake", "env", str(Path(repl).resolve())], str(Path(project).resolve())
    return [str(Path(repl).resolve())], None


class LeanWorker:
    """One sandboxed Lean REPL, with the environments of the preambles it has loaded."""

    def __init__(self, *, project: str | None, memory_mb: int, sandbox: str | None) -> None:
        from sandboxes.session import SandboxSession

        argv, cwd = lean_repl_command(project)
        visible = [p for p in (cwd, _elan_home(), os.path.dirname(argv[-1])) if p]
        env = {"ELAN_HOME": _elan_home()} if _elan_home() else {}
        self.session = SandboxSession(
            argv, memory_mb=memory_mb, sandbox=sandbox, read_only=visible, cwd=cwd, env=env
        )
        self.repl = LeanRepl(self.session, timeout=_SETUP_SECONDS)
        self.preambles: dict[str, int] = {}

    @property
    def uses(self) -> int:
        return self.repl.uses

    @property
    def alive(self) -> bool:
        return self.session.alive

    def memory_mb_used(self) -> float:
        return self.session.memory_mb_used()

    def close(self) -> None:
        self.session.kill()

    def preamble_env(self, preamble: str) -> int | None:
        """The environment after `preamble` (None: Lean's prelude only, no command)."""
        preamble = preamble.strip()
        if not preamble:
            return None
        if preamble not in self.preambles:
            answer = self.repl.command(preamble)
            if not isinstance(answer, CommandResponse) or answer.errors or answer.env is None:
                raise ProverError(f"the problem's preamble does not compile: {_shown(answer)}")
            self.preambles[preamble] = answer.env
        return self.preambles[preamble]


class LeanBackend(ProverBackend):
    """Lean 4 through the REPL; see the module docstring.

    Args:
        project: a Lake project with the REPL (default: ``RLVR_LEAN_PROJECT``).
        workers: REPL sessions kept warm.
        memory_mb: address-space limit of each REPL (Mathlib needs several GB).
        timeout: default seconds per check or tactic.
        allow_native: accept ``native_decide`` (``Lean.ofReduceBool``).
        screen: reject forbidden words before Lean runs (off: only the kernel checks).
        sandbox: ``"bwrap"``, ``"process"``, None for the best that runs here.
    """

    name = "lean"

    def __init__(
        self,
        *,
        project: str | None = None,
        workers: int = 1,
        memory_mb: int = 8192,
        timeout: float = 60.0,
        allow_native: bool = False,
        screen: bool = True,
        sandbox: str | None = None,
    ) -> None:
        self.project = project
        self.memory_mb = memory_mb
        self.timeout = timeout
        self.allow_native = allow_native
        self.screen_enabled = screen
        self.sandbox = sandbox
        self.pool: WarmPool[LeanWorker] = WarmPool(
            self._start_worker, size=workers, max_memory_mb=memory_mb * 0.9
        )

    def check(self, theorem: Theorem, proof: str, *, timeout: float | None = None) -> ProofCheck:
        started = time.perf_counter()
        timeout = timeout or self.timeout
        refused = self._refuse(proof)
        if refused is None and isinstance(parts := split_lean_response(theorem, proof), str):
            refused = ProofCheck(CheckStage.SCREEN, parts)
        if refused is not None:
            return refused.timed(started)
        try:
            with self.pool.borrow() as lease:
                verdict = _check_on(lease, theorem, proof, timeout, self.allow_native)
        except ProverError as exc:
            verdict = ProofCheck(CheckStage.INFRASTRUCTURE, str(exc))
        except Exception as exc:
            verdict = ProofCheck(
                CheckStage.INFRASTRUCTURE, f"the Lean check failed: {type(exc).__name__}: {exc}"
            )
        return verdict.timed(started)

    def start(self, theorem: Theorem, *, timeout: float | None = None) -> LeanSession:
        return LeanSession(self, theorem, timeout=timeout or self.timeout)

    def close(self) -> None:
        self.pool.close()

    def screen(self, proof: str) -> str | None:
        if not self.screen_enabled:
            return None
        return screen_lean(proof, allow_native=self.allow_native)

    def _refuse(self, proof: str) -> ProofCheck | None:
        if not proof.strip():
            return ProofCheck(CheckStage.SCREEN, "the response has no proof")
        refused = self.screen(proof)
        return None if refused is None else ProofCheck(CheckStage.SCREEN, refused)

    def _start_worker(self) -> LeanWorker:
        try:
            return LeanWorker(project=self.project, memory_mb=self.memory_mb, sandbox=self.sandbox)
        except RlvrError:
            raise
        except Exception as exc:
            raise ProverError(f"cannot start the Lean REPL: {exc}") from exc


class LeanSession(ProofSession):
    """A Lean theorem proved tactic by tactic on the REPL's proof states."""

    def __init__(self, backend: LeanBackend, theorem: Theorem, *, timeout: float) -> None:
        self.backend = backend
        self.theorem = theorem
        self.timeout = timeout
        self.script = []
        self._lease: PoolLease[LeanWorker] | None = backend.pool.acquire(wait=False)
        try:
            worker = self._lease.worker
            env = worker.preamble_env(theorem.preamble)
            binders, type_ = split_signature(theorem.statement)
            opening = f"theorem rlvr_goal {binders} : {type_} := by sorry"
            answer = worker.repl.command(opening, env=env)
            if not isinstance(answer, CommandResponse) or answer.errors or not answer.sorries:
                raise ProverError(f"the problem's statement does not elaborate: {_shown(answer)}")
            self._state = answer.sorries[0].proof_state
            self.goals = answer.sorries[0].goal
        except BaseException:
            self.close(discard=True)
            raise

    def run_tactic(self, tactic: str, *, timeout: float | None = None) -> TacticResult:
        if self._lease is None or self._state is None:
            return TacticResult(TacticStatus.ERROR, "", "the session is closed")
        refused = self.backend._refuse(tactic)
        if refused is not None:
            return TacticResult(TacticStatus.ERROR, self.goals, refused.reason)
        try:
            answer = self._lease.worker.repl.tactic(
                tactic.strip(), self._state, timeout=timeout or self.timeout
            )
        except TimeoutError:
            self.close(discard=True)
            return TacticResult(TacticStatus.ERROR, self.goals, "the tactic took too long")
        if not isinstance(answer, ProofStepResponse) or answer.errors or answer.sorries:
            return TacticResult(TacticStatus.ERROR, self.goals, _shown(answer))
        self._state = answer.proof_state
        self.script.append(tactic.strip())
        self.goals = "\n\n".join(answer.goals) or "no goals"
        if not answer.complete:
            return TacticResult(TacticStatus.PROGRESS, self.goals)
        proof = "by\n" + "\n".join(f"  {line}" for t in self.script for line in t.splitlines())
        native = self.backend.allow_native
        verdict = _check_on(self._lease, self.theorem, proof, self.timeout, native)
        status = TacticStatus.COMPLETE if verdict.accepted else TacticStatus.ERROR
        return TacticResult(status, self.goals, verdict.reason, check=verdict)

    def close(self, *, discard: bool = False) -> None:
        lease, self._lease = self._lease, None
        if lease is None:
            return
        if discard:
            lease.discard()
        self.backend.pool.release(lease)


def lean_check_commands(theorem: Theorem, proof: str, token: str) -> tuple[str, str, str]:
    """The statement, candidate and check commands of one check (module docstring)."""
    binders, type_ = split_signature(theorem.statement)
    quantified = f"∀ {binders}, {type_}" if binders else type_
    parts = split_lean_response(theorem, proof)
    helpers, body = parts if isinstance(parts, tuple) else ("", proof)
    module = f"Rlvr_candidate_{token}"
    statement = f"def rlvr_statement_{token} : Prop := {quantified}"
    candidate = "\n".join(
        [
            f"namespace {module}",
            helpers,
            f"theorem rlvr_goal_{token} {binders} : {type_} := {body}",
            f"end {module}",
        ]
    )
    check = (
        f"example : rlvr_statement_{token} := {module}.rlvr_goal_{token}\n"
        f"#print axioms {module}.rlvr_goal_{token}"
    )
    return statement, candidate, check


def judge_lean_axioms(answer: CommandResponse, theorem: Theorem, allow_native: bool) -> ProofCheck:
    """The verdict from the answer to the check command."""
    if answer.errors:
        return ProofCheck(
            CheckStage.STATEMENT, f"the theorem proved is not the stated one: {_shown(answer)}"
        )
    infos = " ".join(m.data for m in answer.messages)
    if "does not depend on any axioms" in infos:
        return ProofCheck(CheckStage.ACCEPTED, "Lean accepted the proof; it uses no axioms")
    match = _AXIOMS.search(infos)
    if match is None:
        return ProofCheck(CheckStage.INFRASTRUCTURE, f"could not read #print axioms: {infos!r}")
    names = tuple(n.strip() for n in match.group("names").split(",") if n.strip())
    allowed = set(STANDARD_AXIOMS) | set(theorem.allowed_axioms)
    if allow_native:
        allowed |= set(NATIVE_AXIOMS)
    if "sorryAx" in names:
        return ProofCheck(CheckStage.ASSUMPTIONS, "the proof uses sorry (sorryAx)", names)
    extra = [n for n in names if n not in allowed]
    if extra:
        return ProofCheck(
            CheckStage.ASSUMPTIONS,
            f"the proof depends on the axiom {extra[0]}, which this problem does not allow",
            names,
        )
    return ProofCheck(
        CheckStage.ACCEPTED, f"Lean accepted the proof; it uses {', '.join(names)}", names
    )


def _check_on(
    lease: PoolLease[LeanWorker], theorem: Theorem, proof: str, timeout: float, native: bool
) -> ProofCheck:
    worker = lease.worker
    token = secrets.token_hex(6)
    statement, candidate, check = lean_check_commands(theorem, proof, token)
    try:
        env = worker.preamble_env(theorem.preamble)
        answer = worker.repl.command(statement, env=env)
        if not isinstance(answer, CommandResponse) or answer.errors:
            raise ProverError(f"the problem's statement does not elaborate: {_shown(answer)}")
        answer = worker.repl.send(_command(candidate, answer.env), timeout=timeout)
        if not isinstance(answer, CommandResponse) or answer.errors:
            return ProofCheck(CheckStage.PROVER, f"Lean rejected the proof: {_shown(answer)}")
        if answer.sorries or any("sorry" in m.data for m in answer.messages):
            return ProofCheck(CheckStage.ASSUMPTIONS, "the proof uses sorry")
        answer = worker.repl.command(check, env=answer.env)
        if not isinstance(answer, CommandResponse):
            return ProofCheck(CheckStage.INFRASTRUCTURE, f"the REPL refused: {_shown(answer)}")
        return judge_lean_axioms(answer, theorem, native)
    except TimeoutError:
        lease.discard()
        return ProofCheck(CheckStage.TIMEOUT, f"the proof took longer than {timeout:g} s")


def _command(cmd: str, env: int | None) -> dict[str, object]:
    return {"cmd": cmd} if env is None else {"cmd": cmd, "env": env}


def split_lean_response(theorem: Theorem, proof: str) -> tuple[str, str] | str:
    """``(helpers, body)`` of a response, or why it is rejected: a restated ``theorem name
    <statement> :=`` splits it (what precedes is helpers); a response that opens with
    another theorem is rejected; otherwise the whole response is the proof, a tactic
    script unless it starts as a term."""
    text = proof.strip()
    wanted = " ".join(theorem.statement.split())
    pattern = re.compile(r"(?:theorem|lemma)\s+\S+\s+(?P<sig>.*?):=", re.DOTALL)
    matches = list(pattern.finditer(text))
    for match in matches:
        signature = " ".join(match.group("sig").split()).removeprefix(": ").strip()
        if signature == wanted:
            return text[: match.start()].strip(), text[match.end() :].strip()
    if matches and matches[0].start() == 0:
        stated = " ".join(matches[0].group("sig").split()).removeprefix(": ").strip()
        return f"the response states a different theorem than the problem's: {stated!r}"
    if text.startswith(("by", "fun", "λ", "⟨", "(")):
        return "", text
    return "", "by\n" + "\n".join(f"  {line}" for line in text.splitlines())


def _shown(answer: Response | None) -> str:
    if isinstance(answer, ReplError):
        return answer.message
    if answer is None:
        return "no answer"
    errors = answer.errors
    if errors:
        first = errors[0]
        where = f"line {first.pos.line}: " if first.pos is not None else ""
        return f"{where}{first.data}"[:500]
    return str(answer.to_json())[:300]


def _elan_home() -> str:
    home = os.environ.get("ELAN_HOME") or os.path.expanduser("~/.elan")
    return home if os.path.isdir(home) else ""

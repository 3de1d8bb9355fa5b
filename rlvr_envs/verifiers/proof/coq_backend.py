"""`CoqBackend`: Coq proofs checked in a sandbox, cold (``coqc``) or warm (``coqtop``).

Both paths run the same check (`rlvr_envs.verifiers.proof.coq_check`):

* **warm** (the default): a pool of sandboxed ``coqtop`` sessions (`Coqtop`,
  `WarmPool`). A session keeps each preamble it has loaded as a state it can go back to
  (``BackTo``), so a problem whose preamble it has seen costs no library loading; after
  every check it goes back to that state, undoing everything the response did. A session
  that timed out, died, or grew too large is ended and replaced.
* **cold**: one sandbox job per check (`sandboxes.Executor`), which compiles the
  response's file with ``coqc``, then compiles a second file of ours that ``Require``s
  it and asks for the statement check and ``Print Assumptions``: nothing the response's
  file does (options, notations, an unclosed comment) reaches the second file.

Tactic sessions (`CoqSession`) hold one warm ``coqtop`` for their lifetime; when the
goals run out, the whole script is checked on that same session as a whole proof.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from rlvr_envs.verifiers.owned import MadeOnUse
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
from rlvr_envs.verifiers.proof.coq_check import CheckScript, judge_assumptions, split_response
from rlvr_envs.verifiers.proof.coq_text import CoqSyntaxError, screen_coq, split_sentences
from rlvr_envs.verifiers.proof.coqtop import Coqtop
from rlvr_envs.verifiers.proof.pool import PoolLease, WarmPool

if TYPE_CHECKING:
    from sandboxes import Executor

__all__ = ["CoqBackend", "CoqSession"]

DEFAULT_TIMEOUT = 30.0
_SETUP_SECONDS = 30.0  # loading a preamble's libraries; the problem's cost, not the proof's
_TACTIC_ENDINGS = frozenset({"Qed", "Defined", "Proof", "End", "Module", "Section"})


def _default_executor() -> Executor:
    from sandboxes import default_executor  # the sandboxes load only when used

    return default_executor()


class CoqBackend(ProverBackend):
    """Coq 8.x, in a sandbox; see the module docstring.

    Args:
        warm: check whole proofs on the warm pool (True) or one cold job each (False).
        workers: warm ``coqtop`` sessions kept at most (and checks run at once).
        memory_mb: address-space limit of each Coq process.
        max_memory_mb: a warm session using more resident memory is replaced.
        timeout: default seconds for one check (or one tactic).
        executor: the sandbox of cold checks (default `sandboxes.default_executor()`).
        sandbox: where warm sessions run: ``"bwrap"``, ``"process"``, None for the best.
        screen: reject forbidden commands before Coq runs (`screen_coq`). Off, only the
            kernel checks decide: what the tests of the guard itself use.
    """

    name = "coq"

    def __init__(
        self,
        *,
        warm: bool = True,
        workers: int = 1,
        memory_mb: int = 2048,
        max_memory_mb: float = 1536.0,
        timeout: float = DEFAULT_TIMEOUT,
        executor: Executor | None = None,
        sandbox: str | None = None,
        screen: bool = True,
    ) -> None:
        self.warm = warm
        self.screen_enabled = screen
        self.workers = workers
        self.memory_mb = memory_mb
        self.timeout = timeout
        self.sandbox = sandbox
        self.pool: WarmPool[Coqtop] = WarmPool(
            self._start_coqtop, size=workers, max_memory_mb=max_memory_mb
        )
        self._executor = MadeOnUse(_default_executor, executor)

    # -- whole proofs ----------------------------------------------------------------------

    def check(self, theorem: Theorem, proof: str, *, timeout: float | None = None) -> ProofCheck:
        started = time.perf_counter()
        timeout = timeout or self.timeout
        prepared = _prepare(theorem, proof, screen=self.screen_enabled)
        if isinstance(prepared, ProofCheck):
            return prepared.timed(started)
        try:
            if self.warm:
                verdict = self._warm(prepared, theorem, timeout)
            else:
                verdict = self._cold_check(prepared, theorem, timeout)
        except ProverError as exc:
            verdict = ProofCheck(CheckStage.INFRASTRUCTURE, str(exc))
        except Exception as exc:  # the sandbox or our bug: never the proof's fault
            verdict = ProofCheck(
                CheckStage.INFRASTRUCTURE, f"the Coq check failed: {type(exc).__name__}: {exc}"
            )
        return verdict.timed(started)

    def screen(self, proof: str) -> str | None:
        return screen_coq(proof) if self.screen_enabled else None

    def check_many(
        self, items: Sequence[tuple[Theorem, str]], *, timeout: float | None = None
    ) -> list[ProofCheck]:
        if len(items) <= 1 or self.workers <= 1:
            return super().check_many(items, timeout=timeout)
        with ThreadPoolExecutor(max_workers=self.workers) as threads:
            return list(threads.map(lambda item: self.check(*item, timeout=timeout), items))

    def _warm(self, script: CheckScript, theorem: Theorem, timeout: float) -> ProofCheck:
        lost = ""
        for _ in range(2):
            try:
                with self.pool.borrow() as lease:
                    return _warm_check(lease, script, theorem, timeout)
            except _SessionLost as exc:
                lost = str(exc)
        return ProofCheck(
            CheckStage.INFRASTRUCTURE, f"Coq's session failed twice before the proof ran: {lost}"
        )

    def _cold_check(self, script: CheckScript, theorem: Theorem, timeout: float) -> ProofCheck:
        from sandboxes import Job, Limits, RunStatus  # the sandboxes load only when used

        candidate = "\n".join(
            part
            for part in (
                script.preamble,
                script.statement_definition,
                script.module_open,
                script.helpers,
                script.theorem,
                script.proof,
                script.module_close,
            )
            if part
        )
        goal = f"Rlvr.Candidate.{script.module}.rlvr_goal_{script.token}"
        check = "\n".join(
            [
                "Require Rlvr.Candidate.",
                f"Check ({goal} : Rlvr.Candidate.rlvr_statement_{script.token}).",
                f"Print Assumptions {goal}.",
            ]
        )
        token = secrets.token_hex(16)
        job = Job(
            files={
                "main.py": _DRIVER.replace("CHECK_TEXT", repr(check)).replace(
                    "TIMEOUT", repr(timeout)
                ),
                "Candidate.v": candidate,
            },
            stdin=token + "\n",
            limits=Limits(
                wall_seconds=timeout + _SETUP_SECONDS,
                cpu_seconds=timeout + _SETUP_SECONDS,
                memory_mb=self.memory_mb,
                processes=16,
                output_bytes=200_000,
            ),
        )
        execution = self.executor.run(job)
        out = execution.stdout.decode("utf-8", "replace")
        if execution.status is RunStatus.TIMEOUT:
            return ProofCheck(CheckStage.TIMEOUT, f"the proof took longer than {timeout:g} s")
        at = out.rfind(token)
        if not execution.ok or at < 0:
            why = execution.detail or execution.stderr.decode("utf-8", "replace")[-300:]
            return ProofCheck(
                CheckStage.INFRASTRUCTURE,
                f"the Coq sandbox job failed ({execution.status.value}): {why.strip()}",
            )
        result = json.loads(out[at + len(token) :])
        code, output = result["candidate"]
        if code is None:
            return ProofCheck(CheckStage.TIMEOUT, f"the proof took longer than {timeout:g} s")
        if code != 0:
            return ProofCheck(CheckStage.PROVER, _coqc_error(output), details={"output": output})
        code, output = result["check"]
        statement_end = output.rfind(f": Candidate.rlvr_statement_{script.token}")
        if code != 0 or statement_end < 0:
            return ProofCheck(
                CheckStage.STATEMENT,
                "the theorem proved is not the stated one: " + _coqc_error(output),
            )
        assumptions = output[output.find("\n", statement_end) + 1 :]
        return judge_assumptions(
            assumptions,
            module=script.module,
            allowed=theorem.allowed_axioms,
            library_prefix="Candidate.",
        )

    @property
    def executor(self) -> Executor:
        return self._executor.get()

    # -- tactic sessions -------------------------------------------------------------------

    def start(self, theorem: Theorem, *, timeout: float | None = None) -> CoqSession:
        return CoqSession(self, theorem, timeout=timeout or self.timeout)

    def close(self) -> None:
        self.pool.close()
        self._executor.close()

    def _start_coqtop(self) -> Coqtop:
        try:
            return Coqtop(memory_mb=self.memory_mb, sandbox=self.sandbox)
        except Exception as exc:
            raise ProverError(
                f"cannot start coqtop: {exc}. Install Coq (Debian/Ubuntu: apt-get install coq)"
            ) from exc


class CoqSession(ProofSession):
    """A Coq theorem proved tactic by tactic on one warm ``coqtop``.

    Raises:
        ProverError: coqtop cannot start, or the preamble or statement do not elaborate.
    """

    def __init__(self, backend: CoqBackend, theorem: Theorem, *, timeout: float) -> None:
        self.backend = backend
        self.theorem = theorem
        self.timeout = timeout
        self.script = []
        self.finished = False
        self._lease: PoolLease[Coqtop] | None = backend.pool.acquire(wait=False)
        try:
            coqtop = self._lease.worker
            self._base = _load_preamble(coqtop, theorem.preamble)
            goal = f"rlvr_goal_{secrets.token_hex(6)}"
            reply = coqtop.run(f"Theorem {goal} : {theorem.statement.strip()}.", timeout=timeout)
            if reply.error is not None:
                raise ProverError(f"the problem's statement does not elaborate: {reply.error}")
            self._state = reply.state
            self.goals = self._show()
        except BaseException:
            self.close(discard=True)
            raise

    def run_tactic(self, tactic: str, *, timeout: float | None = None) -> TacticResult:
        if self._lease is None or self.finished:
            return TacticResult(TacticStatus.ERROR, "", "the session is closed")
        timeout = timeout or self.timeout
        refused = self.backend.screen(tactic) or _tactic_mode_rule(tactic)
        if refused is not None:
            return TacticResult(TacticStatus.ERROR, self.goals, refused)
        coqtop = self._lease.worker
        try:
            reply = coqtop.run(tactic, timeout=timeout)
            if reply.error is not None or not reply.proof_open:
                coqtop.back_to(self._state, timeout=_SETUP_SECONDS)
                message = reply.error or "the tactic closed the proof session"
                return TacticResult(TacticStatus.ERROR, self.goals, message)
            self._state = reply.state
            self.script.append(tactic.strip())
            self.goals = self._show()
        except TimeoutError:
            self.close(discard=True)
            return TacticResult(
                TacticStatus.ERROR, self.goals, f"the tactic took longer than {timeout:g} s"
            )
        except Exception as exc:
            self.close(discard=True)
            return TacticResult(TacticStatus.ERROR, self.goals, f"Coq failed: {exc}")
        if self.goals.strip() != "No more goals.":
            return TacticResult(TacticStatus.PROGRESS, self.goals)
        self.finished = True
        verdict = self._final_check()
        status = TacticStatus.COMPLETE if verdict.accepted else TacticStatus.ERROR
        return TacticResult(status, self.goals, verdict.reason, check=verdict)

    def proof_text(self) -> str:
        """The tactics so far as a whole proof."""
        return "Proof.\n" + "\n".join(self.script) + "\nQed."

    def close(self, *, discard: bool = False) -> None:
        lease, self._lease = self._lease, None
        if lease is None:
            return
        if discard:
            lease.discard()
        else:
            try:
                lease.worker.back_to(self._base, timeout=_SETUP_SECONDS)
            except Exception:
                lease.discard()
        self.backend.pool.release(lease)

    def _show(self) -> str:
        assert self._lease is not None
        reply = self._lease.worker.run("Show.", timeout=_SETUP_SECONDS)
        return reply.output

    def _final_check(self) -> ProofCheck:
        """The script so far, checked as a whole proof on this session."""
        assert self._lease is not None
        prepared = _prepare(self.theorem, self.proof_text(), screen=self.backend.screen_enabled)
        if isinstance(prepared, ProofCheck):
            return prepared
        try:
            return _warm_check(self._lease, prepared, self.theorem, self.timeout)
        except Exception as exc:
            return ProofCheck(CheckStage.INFRASTRUCTURE, f"the final check failed: {exc}")


def _prepare(theorem: Theorem, proof: str, *, screen: bool = True) -> CheckScript | ProofCheck:
    if not proof.strip():
        return ProofCheck(CheckStage.SCREEN, "the response has no proof")
    refused = screen_coq(proof) if screen else None
    if refused is not None:
        return ProofCheck(CheckStage.SCREEN, refused)
    parts = split_response(theorem, proof)
    if isinstance(parts, str):
        return ProofCheck(CheckStage.SCREEN, parts)
    helpers, body = parts
    if not body.strip():
        return ProofCheck(CheckStage.SCREEN, "the response restates the theorem but has no proof")
    return CheckScript.build(theorem, helpers, body)


class _SessionLost(Exception):
    """The session failed before any text of the response reached it: not the response's
    fault, and worth one more try on a fresh session."""


def _warm_check(
    lease: PoolLease[Coqtop], script: CheckScript, theorem: Theorem, timeout: float
) -> ProofCheck:
    coqtop = lease.worker
    try:
        base = _load_preamble(coqtop, script.preamble)
        reply = coqtop.run(script.statement_definition, timeout=_SETUP_SECONDS)
        if reply.error is not None:
            raise ProverError(f"the problem's statement does not elaborate: {reply.error}")
        coqtop.run(script.module_open, timeout=_SETUP_SECONDS)
    except ProverError:
        lease.discard()
        raise
    except Exception as exc:  # died (a race with the pool's health check), timed out
        lease.discard()
        raise _SessionLost(f"{type(exc).__name__}: {exc}") from exc
    deadline = time.monotonic() + timeout
    steps = [
        (script.helpers, CheckStage.PROVER, "the response's definitions failed"),
        (
            script.theorem,
            CheckStage.STATEMENT,
            "the response's definitions change how the statement reads",
        ),
        (script.proof, CheckStage.PROVER, "the proof failed"),
        (script.module_close, CheckStage.PROVER, "the proof did not end"),
        (script.statement_check, CheckStage.STATEMENT, "the theorem proved is not the stated one"),
    ]
    try:
        for text, stage, what in steps:
            if not text:
                continue
            reply = coqtop.run(text, timeout=max(deadline - time.monotonic(), 0.1))
            if reply.error is not None:
                return ProofCheck(stage, _reason(what, reply.error), details={"error": reply.error})
        reply = coqtop.run(script.assumptions_query, timeout=_SETUP_SECONDS)
        return judge_assumptions(reply.output, module=script.module, allowed=theorem.allowed_axioms)
    except TimeoutError:
        lease.discard()
        return ProofCheck(CheckStage.TIMEOUT, f"the proof took longer than {timeout:g} s")
    except Exception as exc:  # the response's text ended the session (memory, a crash)
        lease.discard()
        return ProofCheck(CheckStage.PROVER, f"Coq's session ended while checking: {exc}")
    finally:
        if not lease.discarded:  # undo everything the response did
            try:
                coqtop.back_to(base, timeout=_SETUP_SECONDS)
            except Exception:
                lease.discard()


def _load_preamble(coqtop: Coqtop, preamble: str) -> int:
    """The state just after `preamble` on this session. The last preamble loaded is kept:
    a problem with the same one goes back to its state; another one goes back to the
    start first (coqtop forgets the states of a branch it left, so only one is kept)."""
    preamble = preamble.strip()
    loaded = coqtop.preamble_state
    if loaded is not None and loaded[0] == preamble:
        coqtop.back_to(loaded[1], timeout=_SETUP_SECONDS)
        return loaded[1]
    coqtop.preamble_state = None
    coqtop.back_to(coqtop.initial_state, timeout=_SETUP_SECONDS)
    state = coqtop.initial_state
    if preamble:
        reply = coqtop.run(preamble, timeout=_SETUP_SECONDS)
        if reply.error is not None:
            coqtop.back_to(coqtop.initial_state, timeout=_SETUP_SECONDS)
            raise ProverError(f"the problem's preamble does not compile: {reply.error}")
        state = reply.state
    coqtop.preamble_state = (preamble, state)
    return state


def _tactic_mode_rule(tactic: str) -> str | None:
    try:
        sentences = split_sentences(tactic)
    except CoqSyntaxError as exc:
        return str(exc)
    for sentence in sentences:
        words = sentence.words
        if words and words[0] in _TACTIC_ENDINGS:
            return f"`{words[0]}` is not a tactic: send tactics only; the proof ends by itself"
    return None


def _reason(what: str, error: str) -> str:
    message = error[error.find("Error:") :] if "Error:" in error else error
    return f"{what}: {' '.join(message.split())[:500]}"


def _coqc_error(output: str) -> str:
    at = output.find("Error")
    text = output[output.rfind("File ", 0, at) if at >= 0 else 0 :]
    return " ".join(text.split())[:500] or "coqc failed without a message"


_DRIVER = """\
import json, subprocess, sys
token = sys.stdin.readline().strip()
def coqc(name, timeout):
    try:
        done = subprocess.run(["coqc", "-q", "-R", ".", "Rlvr", name], stdin=subprocess.DEVNULL,
                              capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return [None, ""]
    return [done.returncode, (done.stdout + done.stderr).decode("utf-8", "replace")[-20000:]]
result = {"candidate": coqc("Candidate.v", TIMEOUT)}
if result["candidate"][0] == 0:
    with open("Check.v", "w") as check:
        check.write(CHECK_TEXT)
    result["check"] = coqc("Check.v", 30)
print(token + json.dumps(result))
"""

"""A client of the Lean community's REPL (``repl``): its JSON protocol, framed and typed.

The REPL reads JSON requests from stdin, each followed by a blank line, and answers each
with one JSON object (printed over several lines) followed by a blank line. Requests:

=================================================  ===========================================
request                                            answer
=================================================  ===========================================
``{"cmd": text, "env"?: n, "allTactics"?: ...}``   `CommandResponse`: the new ``env``, messages,
                                                   sorries (each with a ``proofState``), tactics
``{"path": file, "allTactics"?: ...}``             `CommandResponse` for a whole file
``{"tactic": text, "proofState": n}``              `ProofStepResponse`: the new ``proofState``,
                                                   its goals, ``proofStatus``, messages, sorries
``{"pickleTo": file, "env" | "proofState": n}``    `CommandResponse` / `ProofStepResponse`
``{"unpickleEnvFrom": file}``                      `CommandResponse` (a new ``env``)
``{"unpickleProofStateFrom": file, "env"?: n}``    `ProofStepResponse` (a new ``proofState``)
anything the REPL cannot serve                     `ReplError` (``{"message": ...}``)
=================================================  ===========================================

Environments and proof states are immutable and numbered; any earlier one can be used
again, which is what a warm pool and branching tactic search rely on. `to_json` of every
answer type gives back the exact JSON it was parsed from (unknown fields are kept in
``extra``), which the replay tests of the recorded transcripts check.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = [
    "CommandResponse",
    "LeanMessage",
    "LeanRepl",
    "Pos",
    "ProofStepResponse",
    "ReplError",
    "ReplProtocolError",
    "ReplTransport",
    "Response",
    "Sorry",
    "TacticInfo",
    "frame_request",
    "parse_response",
    "split_frames",
]


class ReplProtocolError(ValueError):
    """An answer that is not the REPL's JSON (a crash message, garbage, a wrong shape)."""


@dataclass(frozen=True)
class Pos:
    line: int
    column: int

    @classmethod
    def from_json(cls, data: Any) -> Pos | None:
        if data is None:
            return None
        return cls(int(data["line"]), int(data["column"]))

    def to_json(self) -> dict[str, int]:
        return {"line": self.line, "column": self.column}


@dataclass(frozen=True)
class LeanMessage:
    """A message Lean reported (``severity``: ``error``, ``warning``, ``info``)."""

    severity: str
    data: str
    pos: Pos | None = None
    end_pos: Pos | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LeanMessage:
        known = {"severity", "data", "pos", "endPos"}
        return cls(
            severity=str(data["severity"]),
            data=str(data["data"]),
            pos=Pos.from_json(data.get("pos")),
            end_pos=Pos.from_json(data.get("endPos")),
            extra={k: v for k, v in data.items() if k not in known},
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"severity": self.severity}
        if self.pos is not None:
            out["pos"] = self.pos.to_json()
        if self.end_pos is not None:
            out["endPos"] = self.end_pos.to_json()
        out["data"] = self.data
        return {**out, **self.extra}


@dataclass(frozen=True)
class Sorry:
    """A ``sorry`` in a command: its goal, and the proof state to continue it from."""

    goal: str
    proof_state: int | None = None
    pos: Pos | None = None
    end_pos: Pos | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Sorry:
        known = {"goal", "proofState", "pos", "endPos"}
        return cls(
            goal=str(data["goal"]),
            proof_state=data.get("proofState"),
            pos=Pos.from_json(data.get("pos")),
            end_pos=Pos.from_json(data.get("endPos")),
            extra={k: v for k, v in data.items() if k not in known},
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.proof_state is not None:
            out["proofState"] = self.proof_state
        if self.pos is not None:
            out["pos"] = self.pos.to_json()
        out["goal"] = self.goal
        if self.end_pos is not None:
            out["endPos"] = self.end_pos.to_json()
        return {**out, **self.extra}


@dataclass(frozen=True)
class TacticInfo:
    """One tactic of a command, reported with ``allTactics``."""

    tactic: str
    goals: str
    proof_state: int | None = None
    pos: Pos | None = None
    end_pos: Pos | None = None
    used_constants: tuple[str, ...] | None = None
    """Constants the tactic's proof term uses; None when the REPL did not say."""
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TacticInfo:
        known = {"tactic", "goals", "proofState", "pos", "endPos", "usedConstants"}
        return cls(
            tactic=str(data["tactic"]),
            goals=str(data["goals"]),
            proof_state=data.get("proofState"),
            pos=Pos.from_json(data.get("pos")),
            end_pos=Pos.from_json(data.get("endPos")),
            used_constants=(tuple(data["usedConstants"]) if "usedConstants" in data else None),
            extra={k: v for k, v in data.items() if k not in known},
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.used_constants is not None:
            out["usedConstants"] = list(self.used_constants)
        out["tactic"] = self.tactic
        if self.proof_state is not None:
            out["proofState"] = self.proof_state
        if self.pos is not None:
            out["pos"] = self.pos.to_json()
        out["goals"] = self.goals
        if self.end_pos is not None:
            out["endPos"] = self.end_pos.to_json()
        return {**out, **self.extra}


@dataclass(frozen=True)
class CommandResponse:
    """The answer to a command (``cmd``, ``path``, environment pickling)."""

    env: int | None
    messages: tuple[LeanMessage, ...] = ()
    sorries: tuple[Sorry, ...] = ()
    tactics: tuple[TacticInfo, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    """Fields this client does not type (``infotree``, ...), as the REPL sent them."""

    @property
    def errors(self) -> list[LeanMessage]:
        return [m for m in self.messages if m.is_error]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.tactics:
            out["tactics"] = [t.to_json() for t in self.tactics]
        if self.sorries:
            out["sorries"] = [s.to_json() for s in self.sorries]
        if self.messages:
            out["messages"] = [m.to_json() for m in self.messages]
        if self.env is not None:
            out["env"] = self.env
        return {**out, **self.extra}


@dataclass(frozen=True)
class ProofStepResponse:
    """The answer to a tactic (or a proof-state pickling): a new proof state."""

    proof_state: int
    goals: tuple[str, ...]
    proof_status: str | None = None
    """``Completed``, ``Incomplete: open goals remain``, ``Incomplete: contains sorry``,
    ``Error: ...`` (the REPL's own words)."""
    messages: tuple[LeanMessage, ...] = ()
    sorries: tuple[Sorry, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[LeanMessage]:
        return [m for m in self.messages if m.is_error]

    @property
    def complete(self) -> bool:
        """No goals left, no error, no sorry."""
        return self.proof_status == "Completed" and not self.goals and not self.errors

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.sorries:
            out["sorries"] = [s.to_json() for s in self.sorries]
        if self.proof_status is not None:
            out["proofStatus"] = self.proof_status
        out["proofState"] = self.proof_state
        if self.messages:
            out["messages"] = [m.to_json() for m in self.messages]
        out["goals"] = list(self.goals)
        return {**out, **self.extra}


@dataclass(frozen=True)
class ReplError:
    """The REPL refused a request (``Unknown environment.``, ``Unknown proof state.``)."""

    message: str

    def to_json(self) -> dict[str, Any]:
        return {"message": self.message}


Response = CommandResponse | ProofStepResponse | ReplError


def parse_response(data: Any) -> Response:
    """The typed answer of one decoded JSON object.

    Raises:
        ReplProtocolError: it is not an answer of the REPL.
    """
    if not isinstance(data, dict):
        raise ReplProtocolError(f"the REPL answered with {type(data).__name__}, not an object")
    try:
        if set(data) == {"message"}:
            return ReplError(str(data["message"]))
        messages = tuple(LeanMessage.from_json(m) for m in data.get("messages", ()))
        sorries = tuple(Sorry.from_json(s) for s in data.get("sorries", ()))
        if "proofState" in data and "goals" in data:
            known = {"proofState", "goals", "proofStatus", "messages", "sorries"}
            return ProofStepResponse(
                proof_state=int(data["proofState"]),
                goals=tuple(str(g) for g in data["goals"]),
                proof_status=data.get("proofStatus"),
                messages=messages,
                sorries=sorries,
                extra={k: v for k, v in data.items() if k not in known},
            )
        known = {"env", "messages", "sorries", "tactics"}
        return CommandResponse(
            env=data.get("env"),
            messages=messages,
            sorries=sorries,
            tactics=tuple(TacticInfo.from_json(t) for t in data.get("tactics", ())),
            extra={k: v for k, v in data.items() if k not in known},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ReplProtocolError(f"unexpected answer shape ({exc!r}): {str(data)[:200]}") from None


def frame_request(request: dict[str, Any]) -> bytes:
    """A request as `LeanRepl.send` writes it: one JSON object on one line (a blank line
    would end it early; JSON strings escape their newlines), then a blank line."""
    return (json.dumps(request, ensure_ascii=False) + "\n\n").encode("utf-8")


def split_frames(buffer: bytes) -> int | None:
    """The end of the first complete answer in `buffer` (after its blank line), or None.

    An answer is a JSON object printed over one or more lines and ended by a blank line;
    JSON strings cannot hold a raw newline, so the first blank line after text ends it."""
    start = len(buffer) - len(buffer.lstrip(b"\n"))
    end = buffer.find(b"\n\n", start)
    return None if end < 0 else end + 2


class ReplTransport(Protocol):
    """Where requests go and answers come from: a sandboxed REPL process, or a recording."""

    def write(self, data: bytes) -> None: ...

    def read_until(self, done: Callable[[bytes], int | None], *, timeout: float) -> bytes: ...


class LeanRepl:
    """Requests to a Lean REPL over a transport, answers typed (see the module docstring).

    Args:
        transport: a `sandboxes.session.SandboxSession` running the REPL, or any object
            with its ``write`` and ``read_until``.
        timeout: default seconds to wait for one answer.
    """

    def __init__(self, transport: ReplTransport, *, timeout: float = 60.0) -> None:
        self.transport = transport
        self.timeout = timeout
        self.uses = 0

    def send(self, request: dict[str, Any], *, timeout: float | None = None) -> Response:
        """Send one request and read its answer.

        Raises:
            TimeoutError: no answer in time (the REPL's state is then unknown).
            ReplProtocolError: the answer is not the REPL's JSON.
        """
        return self.send_text(json.dumps(request, ensure_ascii=False), timeout=timeout)

    def send_text(self, request: str, *, timeout: float | None = None) -> Response:
        """Send one request written by hand (its JSON text as is, on lines of its own)."""
        self.transport.write(request.strip("\n").encode("utf-8") + b"\n\n")
        raw = self.transport.read_until(split_frames, timeout=timeout or self.timeout)
        self.uses += 1
        text = raw.decode("utf-8", "replace").strip()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            shown = text[:200]
            raise ReplProtocolError(f"the REPL's answer is not JSON ({exc}): {shown}") from None
        return parse_response(data)

    def command(
        self, cmd: str, *, env: int | None = None, all_tactics: bool = False, **options: Any
    ) -> Response:
        """Run Lean commands (``{"cmd"}``), in `env` or a fresh environment."""
        request: dict[str, Any] = {"cmd": cmd}
        if env is not None:
            request["env"] = env
        if all_tactics:
            request["allTactics"] = True
        return self.send({**request, **options})

    def tactic(self, tactic: str, proof_state: int, *, timeout: float | None = None) -> Response:
        """Run one tactic on a proof state (``{"tactic", "proofState"}``)."""
        return self.send({"tactic": tactic, "proofState": proof_state}, timeout=timeout)

    def pickle_env(self, path: str, env: int) -> Response:
        return self.send({"pickleTo": path, "env": env})

    def unpickle_env(self, path: str) -> Response:
        return self.send({"unpickleEnvFrom": path})

    def pickle_proof_state(self, path: str, proof_state: int) -> Response:
        return self.send({"pickleTo": path, "proofState": proof_state})

    def unpickle_proof_state(self, path: str, *, env: int | None = None) -> Response:
        request: dict[str, Any] = {"unpickleProofStateFrom": path}
        if env is not None:
            request["env"] = env
        return self.send(request)

"""Talking to ``coqtop -emacs`` in a sandbox: send sentences, read exactly their answer.

``coqtop -emacs`` prints a prompt ``<prompt>NAME < STATE |...| 0 < </prompt>`` before
reading each sentence, and a sentence's output (goals, messages, errors) between its
prompt and the next. Output alone cannot say where an answer ends: a response may print
anything, and a sentence we did not see (an unclosed comment swallowing what follows)
would shift every later answer. So every exchange ends with a *sync* query,
``Locate rlvr_sync_<random>.``, whose answer ``No object of basename rlvr_sync_<random>``
names a random token the response never sees: the answer to our text is everything
before the prompt that precedes it, and the state number in that prompt is the state
after our text (for ``BackTo``). If the sync answer does not come in time, the session
is in an unknown state and is killed.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from sandboxes.session import SandboxSession

__all__ = ["CoqReply", "Coqtop"]

_PROMPT = re.compile(rb"<prompt>(\S+) < (\d+) \|[^|]*\| \d+ < </prompt>")
_PROMPTS = re.compile(r"<prompt>.*?</prompt>", re.DOTALL)
_TAGS = re.compile(r"</?(?:infomsg|warning)>")
_ERROR = re.compile(r"^(?:Error:|Toplevel input, characters)", re.MULTILINE)


@dataclass(frozen=True)
class CoqReply:
    """coqtop's answer to one text."""

    output: str
    """Everything it printed, prompts and tags removed."""
    state: int
    """The state after the text (``BackTo`` it to return here)."""
    proof_open: bool
    """Whether a proof is being edited after the text."""

    @property
    def error(self) -> str | None:
        """The first error message, or None when every sentence succeeded."""
        match = _ERROR.search(self.output)
        if match is None:
            return None
        error = self.output.find("Error:", match.start())
        if error < 0:
            return self.output[match.start() :].strip()
        end = self.output.find("\n\n", error)
        return self.output[match.start() : end if end >= 0 else None].strip()


class Coqtop:
    """A sandboxed ``coqtop -emacs`` (see the module docstring).

    Args:
        memory_mb: address-space limit of the session.
        sandbox: passed to `SandboxSession` (None: bwrap where it runs).
        start_timeout: seconds coqtop may take to start.
    """

    def __init__(
        self, *, memory_mb: int = 2048, sandbox: str | None = None, start_timeout: float = 30.0
    ) -> None:
        self.session = SandboxSession(
            ["coqtop", "-q", "-emacs"], memory_mb=memory_mb, sandbox=sandbox
        )
        try:
            first = self.session.read_until(_after_prompt, timeout=start_timeout)
        except Exception:
            self.session.kill()
            raise
        match = _PROMPT.search(first)
        assert match is not None  # _after_prompt found it
        self.initial_state = int(match.group(2))
        self.uses = 0
        self.preamble_state: tuple[str, int] | None = None
        """The last preamble loaded and the state just after it (see `CoqBackend`)."""

    def run(self, text: str, *, timeout: float) -> CoqReply:
        """Run `text` (complete sentences) and return coqtop's answer to it.

        Raises:
            TimeoutError: no answer in time (kill this session).
            SessionClosed: coqtop exited.
        """
        token = f"rlvr_sync_{secrets.token_hex(8)}"
        marker = f"No object of basename {token}".encode()
        self.session.write(f"{text}\nLocate {token}.\n".encode())

        def done(buffer: bytes) -> int | None:
            at = buffer.find(marker)
            if at < 0:
                return None
            end = buffer.find(b"</prompt>", at)
            return None if end < 0 else end + len(b"</prompt>")

        raw = self.session.read_until(done, timeout=timeout)
        self.uses += 1
        at = raw.find(marker)
        prompts = list(_PROMPT.finditer(raw, 0, at))
        if not prompts:  # cannot happen: coqtop prompts before reading the sync query
            raise RuntimeError(f"coqtop answered without a prompt: {raw[:200]!r}")
        last = prompts[-1]
        output = raw[: last.start()].decode("utf-8", "replace")
        output = _TAGS.sub("", _PROMPTS.sub("\n", output)).strip()
        return CoqReply(
            output=output,
            state=int(last.group(2)),
            proof_open=last.group(1) != b"Coq",
        )

    def back_to(self, state: int, *, timeout: float) -> None:
        """Return to an earlier state (everything after it is undone)."""
        reply = self.run(f"BackTo {state}.", timeout=timeout)
        if reply.error is not None or reply.state != state:
            raise RuntimeError(f"coqtop could not go back to state {state}: {reply.output}")

    @property
    def alive(self) -> bool:
        return self.session.alive

    def memory_mb_used(self) -> float:
        return self.session.memory_mb_used()

    def close(self) -> None:
        self.session.kill()


def _after_prompt(buffer: bytes) -> int | None:
    match = _PROMPT.search(buffer)
    return None if match is None else match.end()

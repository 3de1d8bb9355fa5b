"""What a verifier is: a pure function of (response, problem) to a `Verification`.

`Verifier.verify` is the only entry point callers use. It screens the response (not text,
too long, binary, empty), times the check, and turns an exception inside the verifier
into ``verifier_error`` with the exception named, so a bad response can never raise out
of it and a verifier bug is never mistaken for a wrong answer.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, ClassVar, Protocol, Self

from rlvr_envs.sources.base import Problem
from rlvr_envs.verification import Status, Verification

__all__ = [
    "DEFAULT_MAX_RESPONSE_CHARS",
    "BatchVerifier",
    "Episode",
    "Verifier",
    "screen_response",
]

DEFAULT_MAX_RESPONSE_CHARS = 100_000
"""Longest response verified by default; longer ones are a ``format_error``."""


def screen_response(response: object, *, max_chars: int) -> Verification | None:
    """The verdict on a response that is not fit to verify, or None when it is."""

    def reject(status: Status, reason: str) -> Verification:
        return Verification(status=status, score=0.0, reason=reason)

    if not isinstance(response, str):
        return reject(Status.FORMAT_ERROR, f"response must be text, got {type(response).__name__}")
    if len(response) > max_chars:
        return reject(
            Status.FORMAT_ERROR,
            f"response is {len(response):,} characters; this task accepts at most {max_chars:,}",
        )
    if "\x00" in response:
        return reject(
            Status.FORMAT_ERROR, "response contains NUL characters: binary data, not text"
        )
    try:
        response.encode("utf-8")
    except UnicodeEncodeError as exc:
        return reject(
            Status.FORMAT_ERROR,
            f"response is not valid Unicode: lone surrogate U+{ord(response[exc.start]):04X} "
            f"at position {exc.start}",
        )
    if not response.strip():
        return reject(Status.UNPARSABLE, "response is empty")
    return None


class Episode(Protocol):
    """A verifier's state across the turns of one episode (a proof being built tactic by
    tactic): each response is judged against what the earlier ones did."""

    def judge(self, response: object) -> Verification:
        """The verdict on the next response; never raises because of it."""
        ...

    def close(self) -> None:
        """Release what the episode holds (a prover session); idempotent."""
        ...


class Verifier(ABC):
    """Decides whether a response solves a problem.

    Subclasses set `name` (the key task files use), `Options` (a pydantic dataclass of
    their keyword options, validated when a task loads), and implement `check`, which may
    assume a non-empty `str` response and may raise on its own bugs.
    """

    name: ClassVar[str]
    Options: ClassVar[type]

    def __init__(self, options: Any = None) -> None:
        self.options = options if options is not None else self.Options()

    @abstractmethod
    def check(self, response: str, problem: Problem) -> Verification:
        """The verdict on a screened response; `seconds` is filled in by `verify`."""

    def verify(
        self,
        response: object,
        problem: Problem,
        *,
        max_chars: int = DEFAULT_MAX_RESPONSE_CHARS,
    ) -> Verification:
        """Verify one response. Never raises because of the response."""
        started = time.perf_counter()
        verdict = screen_response(response, max_chars=max_chars)
        if verdict is None:
            try:
                verdict = self.check(response, problem)  # type: ignore[arg-type]
            except Exception as exc:
                verdict = Verification(
                    status=Status.VERIFIER_ERROR,
                    score=0.0,
                    reason=f"verifier {self.name!r} failed: {type(exc).__name__}: {exc}",
                )
        return replace(verdict, seconds=time.perf_counter() - started)

    def start_episode(self, problem: Problem) -> Episode | None:
        """The state of a multi-turn episode on `problem`, for verifiers whose verdict
        depends on the earlier turns; None (the default): every response stands alone."""
        return None

    def verify_batch(
        self,
        items: Iterable[tuple[object, Problem]],
        *,
        max_chars: int = DEFAULT_MAX_RESPONSE_CHARS,
    ) -> list[Verification]:
        """Verify many ``(response, problem)`` pairs, in order.

        Cheap verifiers run them in this thread; verifiers with expensive checks override
        this to fan the work out.
        """
        return [self.verify(response, problem, max_chars=max_chars) for response, problem in items]

    def close(self) -> None:  # noqa: B027 (most verifiers hold nothing: not abstract)
        """Release what this verifier made (pools, sandboxes, provers); idempotent. A
        verifier is also a context manager that closes itself."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class BatchVerifier(Verifier):
    """A verifier whose unit of work is a batch (a process pool, sandbox jobs run together):
    subclasses implement `verify_batch`, screening each response themselves with
    `screen_response`, and one response is a batch of one."""

    def check(self, response: str, problem: Problem) -> Verification:
        return self.verify_batch([(response, problem)])[0]

    def verify(
        self, response: object, problem: Problem, *, max_chars: int = DEFAULT_MAX_RESPONSE_CHARS
    ) -> Verification:
        return self.verify_batch([(response, problem)], max_chars=max_chars)[0]

    @abstractmethod
    def verify_batch(
        self,
        items: Iterable[tuple[object, Problem]],
        *,
        max_chars: int = DEFAULT_MAX_RESPONSE_CHARS,
    ) -> list[Verification]:
        """Verify many ``(response, problem)`` pairs, in order; never raises because of one."""

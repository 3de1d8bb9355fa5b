"""The record of the test code's asserts as they run: one test per assert run.

Part of the harness (`rlvr_envs.verifiers.code.harness`): it runs in the sandbox and
imports only the standard library. The test code's asserts, rewritten (`asserts`), call
`Recorder.record` (bound to `RECORD_NAME`) with each outcome instead of raising; the
recorder turns it into ``{"name", "passed", "reason"}``: the assert's source text, and for
a failure why (both values of a failed comparison, ``5 == 6 is false``; the message too).
"""

from __future__ import annotations

import reprlib

from rlvr_envs.verifiers.code.candidate_process import clip, describe_exception

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

RECORD_NAME = "_rlvr_record_"
"""The global the rewritten code calls (`asserts`' templates name it): bind it to
`Recorder.record`."""
_REPR = reprlib.Repr()  # Python 3.11's Repr takes no keyword arguments
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = 8


class CandidateFailure(Exception):
    """A call of the candidate that did not return a checkable value; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HarnessFault(BaseException):
    """Our own failure. A `BaseException`, so the rewritten asserts (which catch
    `Exception`) never record it as a failed test."""


def shown(value: Any) -> str:
    """A short repr of a value in a failure's reason."""
    try:
        return _REPR.repr(value)
    except Exception:
        if type(value) is int:
            return f"<an int of {value.bit_length()} bits>"
        return f"<a {type(value).__name__}>"


class Recorder:
    """Collects the result of every assert as it runs, in order."""

    def __init__(self, sites: list[str]) -> None:
        self.sites = sites
        self.runs = [0] * len(sites)
        self.tests: list[dict[str, Any]] = []

    def record(
        self,
        site: int,
        passed: bool,
        message: Any,
        error: BaseException | None,
        comparison: tuple[Any, str, Any] | None,
    ) -> None:
        try:
            self.tests.append(self._test(site, passed, message, error, comparison))
        except Exception as exc:  # our bug: never let it pass for a failing test
            raise HarnessFault(f"recording a test failed: {exc!r}") from exc

    def _test(
        self,
        site: int,
        passed: bool,
        message: Any,
        error: BaseException | None,
        comparison: tuple[Any, str, Any] | None,
    ) -> dict[str, Any]:
        self.runs[site] += 1
        name = self.sites[site]
        if self.runs[site] > 1:
            name = f"{name} [run {self.runs[site]}]"
        reason = ""
        if not passed:
            if isinstance(error, CandidateFailure):
                reason = error.reason
            elif error is not None:
                reason = f"the test raised {describe_exception(error)}"
            elif comparison is not None:
                left, operator, right = comparison
                reason = f"{shown(left)} {operator} {shown(right)} is false"
            else:
                reason = "the assertion is false"
            if message is not None:
                reason += f" ({message if isinstance(message, str) else shown(message)})"
        return {"name": name, "passed": passed, "reason": clip(reason)}

    def unreached(self) -> list[dict[str, Any]]:
        """A failed test for each assert that never ran (the test code stopped first)."""
        return [
            {"name": text, "passed": False, "reason": "not run: the test code stopped before it"}
            for text, runs in zip(self.sites, self.runs, strict=True)
            if runs == 0
        ]

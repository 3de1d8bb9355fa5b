"""Strict integer answers.

The answer is taken from the response by one of three rules (option ``extract``):

=================  ==========================================================================
``last_number``    the last number in the response (default). It must be an integer literal:
                   ``42``, ``-42``, ``−42`` (Unicode minus), ``1,234``, ``007``; a last number
                   of ``3.5`` or ``42.0`` is a wrong answer, not an integer.
``boxed``          the content of the last ``\\boxed{...}``; a response without one is a
                   ``format_error``
``whole``          the whole response, stripped, must be the integer literal
=================  ==========================================================================

Text is NFKC-normalised first, so full-width digits count as digits. Integers of any size
are compared as digit strings (no ``int()`` conversion limit).

=============================  ================  =====
outcome                        status            score
=============================  ================  =====
equal to the reference         ``correct``       1.0
an integer, not equal          ``wrong``         0.0
a non-integer last number      ``wrong``         0.0
no number / empty box          ``unparsable``    0.0
no ``\\boxed{}`` (``boxed``)   ``format_error``  0.0
reference not an integer       ``verifier_error``0.0
=============================  ================  =====
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

import pydantic

from rlvr_envs.schema import STRICT
from rlvr_envs.sources.base import Problem
from rlvr_envs.verification import Status, Verification
from rlvr_envs.verifiers.base import Verifier

__all__ = ["IntegerOptions", "IntegerVerifier"]

# A number token: optional sign, digits with optional thousands separators, optional decimals.
_NUMBER = re.compile(r"(?<![0-9.,])([-−]?)([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(\.[0-9]+)?(?![0-9])")
_INTEGER_LITERAL = re.compile(r"[-−+]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)")
_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class IntegerOptions:
    extract: Literal["last_number", "boxed", "whole"] = "last_number"
    """Where the answer is taken from; see the module docstring."""


class IntegerVerifier(Verifier):
    """The response's integer answer equals the reference exactly."""

    name = "integer"
    Options = IntegerOptions
    options: IntegerOptions

    def check(self, response: str, problem: Problem) -> Verification:
        expected = _canonical(str(problem.reference).strip())
        if expected is None:
            return Verification(
                status=Status.VERIFIER_ERROR,
                score=0.0,
                reason=f"the reference answer {problem.reference!r} is not an integer",
            )
        text = unicodedata.normalize("NFKC", response)
        extract = self.options.extract
        if extract == "boxed":
            boxed = _last_boxed(text)
            if boxed is None:
                return Verification(
                    status=Status.FORMAT_ERROR,
                    score=0.0,
                    reason="no \\boxed{...} answer found; this task requires one",
                )
            candidate = boxed.strip().strip("$").strip()
        elif extract == "whole":
            candidate = text.strip()
        else:
            found = _last_number(text)
            if found is None:
                return Verification(
                    status=Status.UNPARSABLE, score=0.0, reason="no number found in the response"
                )
            candidate = found
        if not candidate:
            return Verification(status=Status.UNPARSABLE, score=0.0, reason="the answer is empty")
        answer = _canonical(candidate)
        shown = _abbreviate(candidate)
        if answer is None:
            return Verification(
                status=Status.WRONG,
                score=0.0,
                answer=shown,
                reason=f"the answer {shown!r} is not an integer",
                details={"expected": expected},
            )
        correct = answer == expected
        return Verification(
            status=Status.CORRECT if correct else Status.WRONG,
            score=1.0 if correct else 0.0,
            answer=_abbreviate(answer),
            reason="correct" if correct else f"the answer {_abbreviate(answer)} is wrong",
            details={"expected": expected},
        )


def _last_number(text: str) -> str | None:
    last = None
    for last in _NUMBER.finditer(text):  # noqa: B007 - only the last match matters
        pass
    return last.group(0) if last else None


def _last_boxed(text: str) -> str | None:
    """Content of the last ``\\boxed{...}``; None if there is none or it is never closed."""
    last = None
    for last in _BOXED.finditer(text):  # noqa: B007 - only the last match matters
        pass
    if last is None:
        return None
    depth, start = 1, last.end()
    for position in range(start, len(text)):
        char = text[position]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start:position]
    return None


def _canonical(literal: str) -> str | None:
    """``-1,234`` -> ``-1234``; ``007`` -> ``7``; ``-0`` -> ``0``; not an integer -> None."""
    if not _INTEGER_LITERAL.fullmatch(literal):
        return None
    negative = literal[0] in "-−"
    digits = literal.lstrip("-−+").replace(",", "").lstrip("0") or "0"
    return f"-{digits}" if negative and digits != "0" else digits


def _abbreviate(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[:25]}...{text[-25:]} ({len(text)} chars)"

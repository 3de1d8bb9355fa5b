"""The grading entry point: a response and a gold answer in, a `GradeResult` out.

`grade` is a pure, picklable module-level function meant to run inside worker processes.
It never raises because of the response; it raises `ValueError` for an empty gold answer.

==========================================================  ================  =====================
outcome                                                     status            ``details["path"]``
==========================================================  ================  =====================
every distinct final answer equals the gold                 ``correct``       ``string``, ``exact``
                                                                              or ``sympy``
a final answer differs from the gold, or several            ``wrong``
differ from each other (``\\boxed{3}`` ... ``\\boxed{4}``)
known units differ (``5 cm`` for ``5 m``)                   ``wrong``
more than `MAX_DISTINCT_ANSWERS` different answers,         ``wrong``
or an answer over 2,000 characters
no final answer, an empty box, only reasoning, an           ``unparsable``
unclosed ``<think>``, or a few words and no marker
where a mathematical answer is expected
``extract="boxed"`` and no ``\\boxed{}``                    ``format_error``
a NUL character or a non-string response                    ``format_error``
==========================================================  ================  =====================

Paths: ``string`` = the normalised answers are identical, ``exact`` = decided by exact
rational/radical/polynomial arithmetic, ``sympy`` = SymPy was needed. Only the ``sympy``
path can be slow (see `symbolic`); the others take time linear in the response length.
``reason`` never contains the gold answer (multi-turn tasks show it to the policy);
``gold_parsed`` and ``details`` may, so do not show them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rlvr_envs.verification import Status
from rlvr_envs.verifiers.math.equivalence import Comparison, SymPyNeeded, equivalent
from rlvr_envs.verifiers.math.extract import MAX_ANSWER_CHARS, MAX_ANSWERS, extract_answers
from rlvr_envs.verifiers.math.normalize import plain_text
from rlvr_envs.verifiers.math.options import MathOptions
from rlvr_envs.verifiers.math.parse import read_answer
from rlvr_envs.verifiers.math.units import same_units
from rlvr_envs.verifiers.math.values import Answer, Text, describe

__all__ = ["MAX_DISTINCT_ANSWERS", "GradeResult", "grade", "grade_fast", "parse_gold"]

MAX_DISTINCT_ANSWERS = 4
"""More different final answers than this is hedging: wrong without comparing them."""

_PROBLEMS = {
    "unclosed_think": (Status.UNPARSABLE, "the response ends inside its <think> reasoning"),
    "empty": (Status.UNPARSABLE, "the response has no text outside its reasoning"),
    "empty_box": (Status.UNPARSABLE, "the \\boxed{} answer is empty"),
    "missing_box": (Status.FORMAT_ERROR, "no \\boxed{...} answer found; this task requires one"),
    "no_answer": (Status.UNPARSABLE, "no final answer found in the response"),
}


@dataclass(frozen=True)
class GradeResult:
    status: Status
    """``correct``, ``wrong``, ``unparsable`` or ``format_error`` (a `Status`, so a str)."""
    extracted: str | None
    """The final answer found in the response, as written (the last one if several)."""
    gold_parsed: str | None
    """How the gold answer was read (``3/20``, ``interval(0, 1]``); may reveal it."""
    reason: str
    """One sentence that never contains the gold answer."""
    details: dict[str, Any] = field(default_factory=dict)
    """``kind`` (of the gold), ``path``, ``source`` (extraction rule), and when useful
    ``answers`` (all distinct final answers) and ``undecided`` (why a comparison failed)."""


def parse_gold(gold: str) -> Answer:
    """Read a gold answer once (the result pickles; pass it to `grade` instead of the text).

    Raises:
        ValueError: the gold answer is empty after normalisation.
    """
    answer = read_answer(str(gold))
    if answer.value is None:
        raise ValueError(f"the gold answer {gold!r} is empty")
    return answer


def grade(response: str, gold: str | Answer, options: MathOptions | None = None) -> GradeResult:
    """Grade `response` against `gold`; see the module docstring."""
    return _graded(response, gold, options, allow_sympy=True)


def grade_fast(
    response: str, gold: str | Answer, options: MathOptions | None = None
) -> GradeResult | None:
    """`grade` without the SymPy stage: the same result, or None when only SymPy can decide.

    Its time is linear in the response length, so a caller may run it in its own process
    and send only the None cases (about 2% of the yardstick) to a killable worker.
    """
    try:
        return _graded(response, gold, options, allow_sympy=False)
    except SymPyNeeded:
        return None


def _graded(
    response: str, gold: str | Answer, options: MathOptions | None, *, allow_sympy: bool
) -> GradeResult:
    options = options if options is not None else MathOptions()
    reference = gold if isinstance(gold, Answer) else parse_gold(gold)
    details: dict[str, Any] = {"kind": type(reference.value).__name__.lower()}
    context = Comparison(options, allow_sympy=allow_sympy)
    status, extracted, reason = _grade(response, reference, context, details)
    return GradeResult(status, extracted, describe(reference.value), reason, details)


def _grade(
    response: str, reference: Answer, context: Comparison, details: dict[str, Any]
) -> tuple[Status, str | None, str]:
    """``(status, extracted answer, reason)``; fills in `details` on the way."""
    if not isinstance(response, str):
        return Status.FORMAT_ERROR, None, "the response is not text"
    if "\x00" in response:
        return Status.FORMAT_ERROR, None, "response contains NUL characters: binary data, not text"
    extraction = extract_answers(response, boxed_only=context.options.extract == "boxed")
    details["source"] = extraction.source
    if extraction.problem is not None:
        status, reason = _PROBLEMS[extraction.problem]
        return status, None, reason
    if len(extraction.answers) > MAX_ANSWERS:
        return Status.WRONG, None, f"the response gives more than {MAX_ANSWERS} different answers"
    longest = max(len(raw) for raw in extraction.answers)
    if longest > MAX_ANSWER_CHARS:
        reason = f"the final answer is {longest:,} characters long; at most {MAX_ANSWER_CHARS:,}"
        return Status.WRONG, None, reason + " are read"

    readings = {}
    for raw in extraction.answers:  # distinct after normalisation: \frac12 and \dfrac{1}{2}
        answer = read_answer(raw)
        if answer.value is not None:
            readings.setdefault(answer.key, answer)
    preds = list(readings.values())
    if not preds:
        return Status.UNPARSABLE, None, "the final answer is empty"
    unmarked = extraction.source in ("whole", "last_math")
    if unmarked and isinstance(preds[-1].value, Text) and not isinstance(reference.value, Text):
        # A few plain words and no marker: no mathematical answer was given at all.
        return Status.UNPARSABLE, None, "no mathematical answer found in the response"
    extracted = _abbreviate(preds[-1].raw.strip())
    if len(preds) > 1:
        details["answers"] = [_abbreviate(pred.raw.strip()) for pred in preds]
    if len(preds) > MAX_DISTINCT_ANSWERS:
        return Status.WRONG, extracted, f"the response gives {len(preds)} different final answers"

    wrong = [pred for pred in preds if not _equal(reference, pred, context)]
    identical = all(pred.key == reference.key for pred in preds)
    details["path"] = "string" if identical else "sympy" if context.used_sympy else "exact"
    if context.undecided:
        details["undecided"] = sorted(set(context.undecided))
    if not wrong:
        return Status.CORRECT, extracted, "the answer is correct"
    if len(preds) > 1:
        shown = ", ".join(_abbreviate(pred.raw.strip(), 30) for pred in preds)
        return (
            Status.WRONG,
            extracted,
            f"the response gives {len(preds)} different final answers ({shown})",
        )
    note = f" ({context.undecided[0]})" if context.undecided else ""
    return Status.WRONG, extracted, f"the answer {extracted} is wrong{note}"


def _equal(gold: Answer, pred: Answer, context: Comparison) -> bool:
    if not same_units(gold.units, pred.units):  # 5 cm is not 5 m
        context.undecided.append("the units differ")
        return False
    if gold.key == pred.key:
        return True
    if isinstance(gold.value, Text) and plain_text(pred.text) == gold.value.words:
        return True  # "Romeo and Juliet" is words, even where it reads as a list
    return equivalent(gold.value, pred.value, context)  # type: ignore[arg-type]


def _abbreviate(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else f"{text[: limit // 2 - 2]}...{text[-(limit // 2 - 2) :]}"

"""Record formats of common math datasets, adapted to problems with a final answer.

A file dataset's ``format`` says how to read each record (JSONL line or ``datasets`` row):

===========  ==========================  ==============================================
format       record                      reference (put in the field ``answer``)
===========  ==========================  ==============================================
``records``  any fields                  the ``reference_field`` as it is (the default)
``gsm8k``    ``{"question", "answer"}``  what follows the last ``####`` of ``answer``,
                                         stripped, thousands separators removed
                                         (``#### 1,200`` gives ``1200``); the worked
                                         solution moves to the field ``solution``
``math``     ``{"problem", "solution",   the content of the last ``\\boxed{...}`` (or
             "level", "type"}``          ``\\fbox{...}``) of ``solution``, braces
                                         balanced; ``level`` and ``type`` also go to
                                         the problem's metadata
===========  ==========================  ==============================================

A record without its final answer (no ``####``, no box, an empty one, an unclosed brace)
is a `DatasetError` naming the file and line. The other fields are kept as they are, so a
prompt can use ``{question}`` (GSM8K) or ``{problem}`` (MATH).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, get_args

from rlvr_envs.errors import DatasetError

__all__ = [
    "RECORD_FORMATS",
    "RecordFormat",
    "adapt_record",
    "gsm8k_final_answer",
    "last_boxed",
    "metadata_fields",
]

RecordFormat = Literal["records", "gsm8k", "math"]
RECORD_FORMATS: tuple[str, ...] = get_args(RecordFormat)

_BOXED = re.compile(r"\\(?:boxed|fbox)\s*\{")
# A comma between digit groups: 1,234,567 -> 1234567 (but not 1,2 or a list "3, 4").
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_METADATA_FIELDS: dict[str, tuple[str, ...]] = {"math": ("level", "type")}


def gsm8k_final_answer(solution: str) -> str | None:
    """What follows the last ``####`` of a GSM8K answer, without thousands separators;
    None when there is no ``####`` or nothing follows it."""
    _, marker, tail = solution.rpartition("####")
    if not marker:
        return None
    answer = _THOUSANDS.sub("", tail.strip())
    return answer or None


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` or ``\\fbox{...}`` in `text`, stripped.

    Braces nest (``\\boxed{\\frac{1}{2}}`` gives ``\\frac{1}{2}``); escaped braces ``\\{``
    ``\\}`` do not count. Returns None when there is no box.

    Raises:
        ValueError: the last box is never closed.
    """
    matches = list(_BOXED.finditer(text))
    if not matches:
        return None
    start = matches[-1].end()
    depth = 1
    index = start
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2  # an escaped character, \{ or \} included
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return text[start:index].strip()
        index += 1
    raise ValueError(f"its last {matches[-1].group().rstrip('{').strip()}{{ is never closed")


def metadata_fields(record_format: RecordFormat) -> tuple[str, ...]:
    """The record fields a format also reports in a problem's metadata."""
    return _METADATA_FIELDS.get(record_format, ())


def adapt_record(record_format: RecordFormat, record: Mapping[str, Any], where: str) -> dict:
    """The record as a problem's fields: with the reference in ``answer`` for a format
    that extracts one. Raises `DatasetError` naming `where` for a record without one."""
    if record_format == "records":
        return dict(record)
    if record_format == "gsm8k":
        solution = _text_field(record, "answer", where, "GSM8K")
        final = gsm8k_final_answer(solution)
        if final is None:
            raise DatasetError(
                f"{where}: GSM8K record has no final answer: field 'answer' must end with "
                f"'#### <answer>', got {_excerpt(solution)}"
            )
        return {**record, "answer": final, "solution": solution}
    if record_format == "math":
        solution = _text_field(record, "solution", where, "MATH")
        try:
            boxed = last_boxed(solution)
        except ValueError as exc:
            raise DatasetError(
                f"{where}: MATH record's field 'solution' has no complete final answer: {exc}"
            ) from None
        if not boxed:
            raise DatasetError(
                f"{where}: MATH record has no final answer: field 'solution' needs a non-empty "
                f"\\boxed{{...}}, got {_excerpt(solution)}"
            )
        return {**record, "answer": boxed}
    raise ValueError(f"unknown record format {record_format!r}")  # excluded by the spec


def _text_field(record: Mapping[str, Any], name: str, where: str, kind: str) -> str:
    if name not in record:
        raise DatasetError(
            f"{where}: {kind} record has no field {name!r} (it has {sorted(record)})"
        )
    value = record[name]
    if not isinstance(value, str):
        raise DatasetError(
            f"{where}: {kind} record's field {name!r} must be text, got {type(value).__name__}"
        )
    return value


def _excerpt(text: str, limit: int = 60) -> str:
    shown = text.strip().replace("\n", " ")
    return repr(shown if len(shown) <= limit else "..." + shown[-(limit - 3) :])

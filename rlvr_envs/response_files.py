"""Scoring responses produced elsewhere: JSONL in, one verdict per line out.

Each input line is a JSON object with the ``response`` and the ``problem_id`` it answers
(and optionally the ``split``; otherwise the id's ``<split>/`` prefix, then the task's
default split). Every input line gives exactly one output line, in order: the input's
fields plus ``reward`` and ``verification``, or, for a line that cannot be scored
(not JSON, not UTF-8, no ``response``, an unknown problem), ``reward: null`` and an
``error`` saying why. Bad lines never stop the good ones from being scored.

Because output lines match the non-blank input lines one to one, a run that was killed
resumes from its output file: `resume_point` counts the complete lines there (dropping a
half-written last line) and `score_response_lines(skip=...)` passes over that many.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlvr_envs.errors import DatasetError
from rlvr_envs.sources.base import Problem
from rlvr_envs.task import Task

__all__ = ["ScoredLine", "json_line", "resume_point", "score_response_lines"]

_BATCH = 64  # lines verified together, so batched verifiers can fan out


@dataclass(frozen=True)
class ScoredLine:
    """One output line: `record` is ready to write; `error` is set for a line not scored."""

    number: int
    record: dict[str, Any]
    error: str | None = None


def score_response_lines(
    task: Task, lines: Iterable[bytes], *, split: str | None = None, skip: int = 0
) -> Iterator[ScoredLine]:
    """Score raw JSONL lines (bytes, so that bad encodings are reported, not fatal).

    Args:
        skip: pass over this many non-blank lines first (those a killed run finished).
    """
    pending: list[tuple[int, dict[str, Any], Problem]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        if skip > 0:
            skip -= 1
            continue
        parsed = _parse(task, raw, split)
        if isinstance(parsed, str):
            yield from _flush(task, pending)
            pending = []
            yield ScoredLine(number, {"line": number, "reward": None, "error": parsed}, parsed)
            continue
        pending.append((number, *parsed))
        if len(pending) >= _BATCH:
            yield from _flush(task, pending)
            pending = []
    yield from _flush(task, pending)


def resume_point(out: Path) -> int:
    """How many complete lines an earlier run wrote to `out` (0 if there is no file).

    A last line without its newline was cut off mid-write; it is removed so that it is
    written again, whole.
    """
    if not out.exists():
        return 0
    with out.open("rb+") as handle:
        data = handle.read()
        complete = data.rfind(b"\n") + 1
        if complete < len(data):
            handle.truncate(complete)
            handle.flush()
            os.fsync(handle.fileno())
    return data[:complete].count(b"\n")


def json_line(record: dict[str, Any]) -> str:
    """One JSON line, readable Unicode where possible, escaped where text is not valid UTF-8."""
    text = json.dumps(record, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from the input survive only as escapes
        text = json.dumps(record, ensure_ascii=True)
    return text


def _parse(task: Task, raw: bytes, split: str | None) -> tuple[dict[str, Any], Problem] | str:
    """The record and its problem, or the reason the line cannot be scored."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"line is not UTF-8 text (byte {exc.start})"
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"line is not valid JSON: {exc.msg} (column {exc.colno})"
    except RecursionError:
        return "line is not valid JSON: nested too deeply"
    if not isinstance(record, dict):
        return f"line must be a JSON object, got {type(record).__name__}"
    if "response" not in record:
        return f"line has no 'response' field (it has {sorted(record)[:10]})"
    problem_id = record.get("problem_id")
    if not isinstance(problem_id, str | int) or isinstance(problem_id, bool):
        return "line has no 'problem_id' (a string) saying which problem the response answers"
    problem_id = str(problem_id)
    try:
        problem = task.problem(_split_of(task, record, problem_id, split), problem_id)
    except DatasetError as exc:
        return str(exc)
    return record, problem


def _split_of(task: Task, record: dict[str, Any], problem_id: str, split: str | None) -> str:
    if isinstance(record.get("split"), str):
        return record["split"]
    return split if split is not None else task.split_of(problem_id)


def _flush(task: Task, pending: list[tuple[int, dict[str, Any], Problem]]) -> Iterator[ScoredLine]:
    if not pending:
        return
    verdicts = task.verify_batch((problem, record["response"]) for _, record, problem in pending)
    for (number, record, _), verdict in zip(pending, verdicts, strict=True):
        yield ScoredLine(
            number,
            {**record, "reward": task.reward(verdict), "verification": verdict.to_dict()},
        )

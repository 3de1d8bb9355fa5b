"""Responses produced elsewhere, from a JSONL file, as a model source: the suite scores them
exactly as it scores a model it runs.

One line per answer::

    {"task": "arithmetic-add-v1", "problem_id": "test/0", "response": "84"}
    {"task": "arithmetic-add-v1", "problem_id": "test/0", "mode": "sampled", "response": "84"}

``mode`` is ``greedy`` (the default) or ``sampled``; the sampled answers of a problem are
its samples 0, 1, ... in file order, unless a line gives its ``sample`` number. Optional
``tokens`` and ``truncated`` fields feed the length statistics. A suite asking for an
answer the file lacks stops with an error naming it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from rlvr_envs.errors import ConfigError
from rlvr_envs.evaluation.sources import Generation, GenerationRequest, ModelSource

__all__ = ["ResponsesFileSource"]


class ResponsesFileSource(ModelSource):
    """The answers of a JSONL file (see the module docstring).

    Raises:
        ConfigError: the file cannot be read, or a line is not an answer.
    """

    batch_rows = 256

    def __init__(self, path: Path) -> None:
        self.name = f"responses {path.name}"
        self._answers: dict[tuple[str, str, str, int], Generation] = {}
        counters: dict[tuple[str, str, str], int] = {}
        try:
            # Lines end at "\n" only: JSON may hold a raw U+2028 that splitlines() breaks at.
            lines = path.read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read responses file {path}: {exc}") from exc
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{where}: not JSON ({exc.msg})") from None
            if not isinstance(record, dict) or not isinstance(record.get("response"), str):
                raise ConfigError(f"{where}: expected an object with a 'response' string")
            missing = [key for key in ("task", "problem_id") if key not in record]
            if missing:
                raise ConfigError(f"{where}: missing {missing}; say which problem it answers")
            mode = record.get("mode", "greedy")
            if mode not in ("greedy", "sampled"):
                raise ConfigError(f"{where}: 'mode' is {mode!r}; use 'greedy' or 'sampled'")
            group = (str(record["task"]).removeprefix("rlvr/"), str(record["problem_id"]), mode)
            index = record.get("sample", counters.get(group, 0))
            counters[group] = max(counters.get(group, 0), int(index) + 1)
            self._answers[(*group, int(index))] = Generation(
                text=record["response"],
                tokens=record.get("tokens"),
                truncated=record.get("truncated"),
            )

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Generation]]:
        answers = []
        for request in requests:
            keys = [(request.task, request.problem_id, request.mode, i) for i in request.indices]
            absent = [key for key in keys if key not in self._answers]
            if absent:
                task, problem_id, mode, index = absent[0]
                raise ConfigError(
                    f"{self.name}: no {mode} answer number {index} to {task} {problem_id} "
                    f"({len(absent)} of this problem's missing); the suite asks for it. Add "
                    "it to the file, or evaluate with a suite that asks for fewer answers."
                )
            answers.append([self._answers[key] for key in keys])
        return answers

"""Finite datasets held in memory: the common ground of JSONL files and Hugging Face data."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from rlvr_envs.errors import DatasetError
from rlvr_envs.sources.base import Problem, ProblemSource
from rlvr_envs.sources.formats import RecordFormat, adapt_record
from rlvr_envs.sources.formats import metadata_fields as format_metadata_fields

__all__ = ["RecordSource", "records_to_problems"]


def records_to_problems(
    records: Iterable[tuple[str, Mapping[str, Any]]],
    *,
    split: str,
    id_field: str | None,
    reference_field: str,
    required_fields: Iterable[str] = (),
    record_format: RecordFormat = "records",
    metadata_fields: Iterable[str] = (),
) -> list[Problem]:
    """Turn ``(where, record)`` pairs into problems, checking every record up front.

    `where` locates the record for error messages (``train.jsonl:12``). Without an
    `id_field`, a record's id is ``<split>/<position>``. A `record_format` other than
    ``records`` first adapts each record (see `rlvr_envs.sources.formats`); the named
    `metadata_fields` a record has (and those of its format) are copied to the metadata.
    """
    required = [reference_field, *required_fields] + ([id_field] if id_field else [])
    reported = [*metadata_fields, *format_metadata_fields(record_format)]
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for position, (where, raw) in enumerate(records):
        if not isinstance(raw, Mapping):
            raise DatasetError(f"{where}: expected a JSON object, got {type(raw).__name__}")
        record = adapt_record(record_format, raw, where)
        missing = [name for name in required if name not in record]
        if missing:
            raise DatasetError(
                f"{where}: record has no field {missing[0]!r} (it has {sorted(record)})"
            )
        problem_id = str(record[id_field]) if id_field else f"{split}/{position}"
        if problem_id in seen:
            raise DatasetError(
                f"{where}: duplicate id {problem_id!r} (first seen at {seen[problem_id]})"
            )
        seen[problem_id] = where
        problems.append(
            Problem(
                id=problem_id,
                fields=dict(record),
                reference=record[reference_field],
                metadata={
                    "source": where,
                    **{name: record[name] for name in reported if name in record},
                },
            )
        )
    return problems


class RecordSource(ProblemSource):
    """Finite splits of problems kept in memory, in file order."""

    def __init__(self, splits: Mapping[str, list[Problem]], *, description: str) -> None:
        self._splits = {name: list(problems) for name, problems in splits.items()}
        self._index = {
            name: {problem.id: problem for problem in problems}
            for name, problems in self._splits.items()
        }
        self._description = description

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(self._splits)

    def size(self, split: str) -> int:
        self.check_split(split)
        return len(self._splits[split])

    def get(self, split: str, problem_id: str) -> Problem:
        self.check_split(split)
        try:
            return self._index[split][problem_id]
        except KeyError:
            raise DatasetError(f"split {split!r} has no problem with id {problem_id!r}") from None

    def sample(self, split: str, rng: np.random.Generator) -> Problem:
        self.check_split(split)
        problems = self._splits[split]
        if not problems:
            raise DatasetError(f"split {split!r} is empty; there is nothing to draw")
        return problems[int(rng.integers(len(problems)))]

    def iter_split(self, split: str) -> Iterator[Problem]:
        self.check_split(split)
        return iter(self._splits[split])

    def describe(self) -> str:
        return self._description

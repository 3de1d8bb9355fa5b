"""What a dataset source is: problems, addressed by split and id, drawn reproducibly."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rlvr_envs.errors import DatasetError, did_you_mean

__all__ = ["Problem", "ProblemSource"]


@dataclass(frozen=True)
class Problem:
    """One problem of a task.

    Attributes:
        id: unique within its split, stable across runs (``"test/17"``, a JSONL ``id``).
        fields: the values the prompt template substitutes (``{question}``).
        reference: the reference answer the verifier compares with.
        metadata: anything else worth reporting (difficulty, operation, source line).
    """

    id: str
    fields: Mapping[str, Any]
    reference: Any
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Plain dict copies, not read-only proxies: problems must pickle (vector envs, Ray).
        object.__setattr__(self, "fields", dict(self.fields))
        object.__setattr__(self, "metadata", dict(self.metadata))


class ProblemSource(ABC):
    """A dataset: named splits of problems.

    A split is finite (``size`` is its length, problems have ids in a fixed order) or, for
    procedural generators, unbounded (``size`` is None; any id the source issues can be
    asked for again and gives the same problem).
    """

    @property
    @abstractmethod
    def splits(self) -> tuple[str, ...]:
        """The split names, in declaration order."""

    @abstractmethod
    def size(self, split: str) -> int | None:
        """How many problems the split holds; None when unbounded."""

    @abstractmethod
    def get(self, split: str, problem_id: str) -> Problem:
        """The problem with this id; raises `DatasetError` naming the split if there is none."""

    @abstractmethod
    def sample(self, split: str, rng: np.random.Generator) -> Problem:
        """Draw one problem using only `rng`, so a seeded generator gives a fixed sequence."""

    @abstractmethod
    def iter_split(self, split: str) -> Iterator[Problem]:
        """Every problem of a finite split in order; an unbounded split raises `DatasetError`."""

    def describe(self) -> str:
        """One line for ``rlvr list``: what kind of source this is."""
        return type(self).__name__

    def check_split(self, split: str) -> None:
        if split not in self.splits:
            raise DatasetError(
                f"this task has no split {split!r}; its splits are {list(self.splits)}."
                + did_you_mean(split, self.splits)
            )

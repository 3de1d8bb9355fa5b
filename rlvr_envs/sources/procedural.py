"""Seeded procedural generators, and the source that turns one into disjoint splits.

A `Generator` draws one problem from a numpy `Generator`; it declares its parameters as a
validated `Params` dataclass (its difficulty knobs). `ProceduralSource` gives every split
its own seed stream and keeps splits apart by *content*, not only by seed: each finite
split (say ``test: 500``) holds distinct problems that no earlier split holds, and an
unbounded split (``train``) never yields a problem of a finite one. Problem ``test/17`` is
the same problem on every machine and every run.
"""

from __future__ import annotations

import json
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, is_dataclass
from typing import Any, ClassVar

import numpy as np

from rlvr_envs.errors import DatasetError
from rlvr_envs.sources.base import Problem, ProblemSource

__all__ = ["GeneratedProblem", "Generator", "ProceduralSource"]

# How many fresh draws a problem may take to avoid one that another split already holds.
_MAX_ATTEMPTS = 1000
# Indices of unbounded splits are drawn below this bound.
_UNBOUNDED_INDEX_LIMIT = 2**62


@dataclass(frozen=True)
class GeneratedProblem:
    """What a generator draws: prompt fields, the reference answer, and metadata."""

    fields: Mapping[str, Any]
    reference: Any
    metadata: Mapping[str, Any] = field(default_factory=dict)


class Generator(ABC):
    """A seeded problem generator.

    Subclasses set `name` (the key task files use), `Params` (a dataclass whose fields are
    the generator's knobs, validated when a task loads), and implement `generate`.
    """

    name: ClassVar[str]
    Params: ClassVar[type]

    def __init__(self, params: Any) -> None:
        self.params = params

    @abstractmethod
    def generate(self, rng: np.random.Generator) -> GeneratedProblem:
        """Draw one problem using only `rng`."""

    def key(self, problem: GeneratedProblem) -> str:
        """A canonical text that two problems share iff they are the same problem."""
        return json.dumps(dict(problem.fields), sort_keys=True, default=str)

    def describe_params(self) -> dict[str, Any]:
        return asdict(self.params) if is_dataclass(self.params) else dict(self.params)


class ProceduralSource(ProblemSource):
    """Splits of a generator's problems, disjoint by content.

    Args:
        generator: the problem generator.
        splits: split name -> size, or None for an unbounded split. Finite splits are
            filled in the order given, each excluding the problems of the ones before.
        seed: the base seed; with the split name and the problem index it fixes a problem.
    """

    def __init__(
        self, generator: Generator, splits: Mapping[str, int | None], *, seed: int = 0
    ) -> None:
        if not splits:
            raise DatasetError("a procedural dataset needs at least one split")
        self.generator = generator
        self.seed = seed
        self._sizes = dict(splits)
        self._finite: dict[str, list[Problem]] | None = None
        self._reserved: set[str] = set()

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(self._sizes)

    def size(self, split: str) -> int | None:
        self.check_split(split)
        return self._sizes[split]

    def get(self, split: str, problem_id: str) -> Problem:
        self.check_split(split)
        prefix, _, index_text = problem_id.partition("/")
        digits = index_text.isascii() and index_text.isdigit()
        if prefix != split or not digits or str(int(index_text)) != index_text:
            raise DatasetError(
                f"split {split!r} has no problem with id {problem_id!r}; "
                f"ids of this split look like '{split}/<index>'"
            )
        index = int(index_text)
        size = self._sizes[split]
        if size is not None:
            if index >= size:
                raise DatasetError(
                    f"split {split!r} has {size} problems; id {problem_id!r} is out of range"
                )
            return self._finite_splits()[split][index]
        if index >= _UNBOUNDED_INDEX_LIMIT:
            raise DatasetError(f"problem index {index} is beyond {_UNBOUNDED_INDEX_LIMIT - 1}")
        self._finite_splits()  # the unbounded split must know what to avoid
        return self._draw(split, index, avoid=self._reserved)

    def sample(self, split: str, rng: np.random.Generator) -> Problem:
        self.check_split(split)
        size = self._sizes[split]
        limit = _UNBOUNDED_INDEX_LIMIT if size is None else size
        if limit == 0:
            raise DatasetError(f"split {split!r} is empty; there is nothing to draw")
        return self.get(split, f"{split}/{int(rng.integers(limit))}")

    def iter_split(self, split: str) -> Iterator[Problem]:
        self.check_split(split)
        if self._sizes[split] is None:
            raise DatasetError(f"split {split!r} is unbounded; it cannot be listed in full")
        return iter(self._finite_splits()[split])

    def describe(self) -> str:
        return f"generator {self.generator.name}"

    def _finite_splits(self) -> dict[str, list[Problem]]:
        if self._finite is None:
            finite: dict[str, list[Problem]] = {}
            reserved: set[str] = set()
            for split, size in self._sizes.items():
                if size is None:
                    continue
                problems = []
                for index in range(size):
                    problem = self._draw(split, index, avoid=reserved)
                    reserved.add(problem.metadata["key"])
                    problems.append(problem)
                finite[split] = problems
            self._reserved = reserved
            self._finite = finite
        return self._finite

    def _draw(self, split: str, index: int, *, avoid: set[str]) -> Problem:
        split_code = zlib.crc32(split.encode())
        for attempt in range(_MAX_ATTEMPTS):
            rng = np.random.default_rng([self.seed, split_code, index, attempt])
            drawn = self.generator.generate(rng)
            key = self.generator.key(drawn)
            if key not in avoid:
                return Problem(
                    id=f"{split}/{index}",
                    fields=drawn.fields,
                    reference=drawn.reference,
                    metadata={**drawn.metadata, "key": key},
                )
        raise DatasetError(
            f"generator {self.generator.name!r} with {self.generator.describe_params()} could "
            f"not draw problem {split}/{index} unlike those of the other splits in "
            f"{_MAX_ATTEMPTS} tries: its problem space is too small for the split sizes "
            f"{self._sizes}. Make the finite splits smaller or the generator harder."
        )

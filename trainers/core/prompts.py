"""Prompt sampling: which problems the next step trains on.

`UniformPrompts` draws from a task's split with the run's seeded generator. A curriculum
is a `PromptSampler` too: `CurriculumPrompts` switches between samplers as training goes
on (say, one-digit sums for the first 20 steps, then two-digit ones). Filtering by
difficulty after sampling (DAPO's dynamic sampling) happens in the trainer, where the
rewards are known.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np

from rlvr_envs import Problem, Task

__all__ = ["CurriculumPrompts", "PromptSampler", "UniformPrompts"]


class PromptSampler(ABC):
    @abstractmethod
    def sample(self, count: int, step: int, rng: np.random.Generator) -> list[tuple[Task, Problem]]:
        """`count` problems for training step `step`, each with the task that verifies it."""


class UniformPrompts(PromptSampler):
    """Problems drawn uniformly (with replacement) from one split of a task."""

    def __init__(self, task: Task, split: str = "train") -> None:
        task.source.check_split(split)
        self.task, self.split = task, split

    def sample(self, count: int, step: int, rng: np.random.Generator) -> list[tuple[Task, Problem]]:
        return [(self.task, self.task.sample(self.split, rng)) for _ in range(count)]


class CurriculumPrompts(PromptSampler):
    """Several samplers and a schedule choosing one per step.

    Args:
        stages: the samplers, easiest first.
        schedule: maps a step number to the index of the stage to use.
    """

    def __init__(self, stages: Sequence[PromptSampler], schedule: Callable[[int], int]) -> None:
        if not stages:
            raise ValueError("a curriculum needs at least one stage")
        self.stages, self.schedule = list(stages), schedule

    def sample(self, count: int, step: int, rng: np.random.Generator) -> list[tuple[Task, Problem]]:
        stage = self.schedule(step)
        if not 0 <= stage < len(self.stages):
            raise ValueError(
                f"curriculum schedule chose stage {stage} at step {step}; "
                f"there are {len(self.stages)} stages (0 to {len(self.stages) - 1})"
            )
        return self.stages[stage].sample(count, step, rng)

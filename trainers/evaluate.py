"""Held-out accuracy: greedy responses to a fixed set of a task's test problems."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

import torch
from transformers import PreTrainedModel
from transformers import PreTrainedTokenizerBase as Tokenizer

from rlvr_envs import Problem, Status, Task
from trainers.core.rollout import SamplingSettings, sample_responses

__all__ = ["HeldOutResult", "held_out_accuracy", "held_out_problems"]


@dataclass(frozen=True)
class HeldOutResult:
    accuracy: float
    """Correct responses over the problems scored (infrastructure failures excluded)."""
    problems: int
    statuses: dict[str, int]
    mean_length: float


def held_out_problems(task: Task, count: int) -> list[Problem]:
    """The first `count` problems of the task's held-out split (``test`` if it has one)."""
    split = "test" if "test" in task.source.splits else task.spec.default_split
    return list(itertools.islice(task.source.iter_split(split), count))


@torch.no_grad()
def held_out_accuracy(
    model: PreTrainedModel,
    tokenizer: Tokenizer,
    task: Task,
    problems: list[Problem],
    *,
    max_new_tokens: int,
    batch_size: int = 64,
    autocast_dtype: torch.dtype | None = None,
) -> HeldOutResult:
    statuses: Counter[str] = Counter()
    lengths = 0.0
    settings = SamplingSettings(max_new_tokens=max_new_tokens, temperature=0.0)
    for start in range(0, len(problems), batch_size):
        chunk = problems[start : start + batch_size]
        rollouts = sample_responses(
            model,
            tokenizer,
            [task.messages(problem) for problem in chunk],
            settings,
            autocast_dtype=autocast_dtype,
        )
        lengths += float(rollouts.lengths.sum())
        for verification in task.verify_batch(zip(chunk, rollouts.texts, strict=True)):
            statuses[str(verification.status)] += 1
    scored = sum(n for s, n in statuses.items() if not Status(s).is_infrastructure_failure)
    return HeldOutResult(
        accuracy=statuses[str(Status.CORRECT)] / scored if scored else 0.0,
        problems=len(problems),
        statuses=dict(statuses),
        mean_length=lengths / len(problems) if problems else 0.0,
    )

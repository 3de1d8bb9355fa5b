"""From per-sample results to the numbers of a report.

Metrics, each a mean over problems with a bootstrap interval (`rlvr_envs.evaluation.metrics`):

* ``greedy_accuracy``: the greedy answer is correct (1) or not (0);
* ``mean_reward``: the mean reward of a problem's sampled answers;
* ``pass@k``: the unbiased estimate from the problem's n samples, c of them correct, for
  each k of the suite no larger than n.

An answer whose verdict is an infrastructure failure (``timeout``, ``verifier_error``) says
nothing about the model: it is left out of these means (a problem whose every answer
failed so is left out) and counted apart, in ``statuses`` and ``infrastructure_failures``,
so a broken sandbox shows as such and never as a wrong answer. Breakdowns: per task, per
difficulty (`rlvr_envs.evaluation.suite.difficulty_of`), per verification status; and
token lengths per mode.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

from rlvr_envs.evaluation.metrics import (
    Interval,
    bootstrap_mean,
    metric_seed,
    pass_at_k,
    stratified_bootstrap_mean,
)
from rlvr_envs.evaluation.suite import Suite
from rlvr_envs.verification import Status

__all__ = ["problem_values", "summarize"]

Record = dict[str, Any]


def _is_infrastructure(record: Record) -> bool:
    return Status(record["status"]).is_infrastructure_failure


def problem_values(records: Iterable[Record], metric: str) -> dict[str, float]:
    """Problem id -> the per-problem value of `metric` (``greedy_accuracy``,
    ``mean_reward`` or ``pass@K``) over one task's records; problems without a valid value
    (no such answers, only infrastructure failures, fewer than K samples) are left out."""
    by_problem: dict[str, list[Record]] = defaultdict(list)
    mode = "greedy" if metric == "greedy_accuracy" else "sampled"
    for record in records:
        if record["mode"] == mode and not _is_infrastructure(record):
            by_problem[record["problem_id"]].append(record)
    values: dict[str, float] = {}
    for problem_id, answers in by_problem.items():
        if metric == "greedy_accuracy":
            values[problem_id] = float(answers[0]["status"] == Status.CORRECT.value)
        elif metric == "mean_reward":
            values[problem_id] = float(np.mean([answer["reward"] for answer in answers]))
        elif metric.startswith("pass@"):
            k = int(metric.removeprefix("pass@"))
            correct = sum(answer["status"] == Status.CORRECT.value for answer in answers)
            if len(answers) >= k:
                values[problem_id] = pass_at_k(len(answers), correct, k)
        else:
            raise ValueError(f"unknown metric {metric!r}: greedy_accuracy, mean_reward, pass@K")
    return values


def summarize(records: list[Record], suite: Suite, model: str) -> dict[str, Any]:
    """The report of a run as plain data (what ``summary.json`` holds)."""
    by_task: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        by_task[record["task"]].append(record)
    tasks = []
    for task_id, task_records in by_task.items():  # in the order the run produced them
        samples = max((r["sample"] + 1 for r in task_records if r["mode"] == "sampled"), default=0)
        ks = [k for k in suite.k if k <= samples]
        tasks.append(_task_summary(task_id, task_records, ks, suite.seed))
    return {
        "suite": suite.name,
        "model": model,
        "seed": suite.seed,
        "answers": len(records),
        "overall": _overall(by_task, suite),
        "tasks": tasks,
    }


def _metrics_of(records: list[Record], ks: list[int], seed: int, scope: str) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    names = ["greedy_accuracy", "mean_reward", *(f"pass@{k}" for k in ks)]
    for name in names:
        values = list(problem_values(records, name).values())
        if values:
            metrics[name] = bootstrap_mean(values, seed=metric_seed(seed, f"{scope}|{name}"))
    return {name: interval.to_dict() for name, interval in metrics.items()}


def _task_summary(task_id: str, records: list[Record], ks: list[int], seed: int) -> dict[str, Any]:
    by_difficulty: dict[str, list[Record]] = defaultdict(list)
    for record in records:
        by_difficulty[record.get("difficulty") or "unspecified"].append(record)
    return {
        "task": task_id,
        "problems": len({record["problem_id"] for record in records}),
        "metrics": _metrics_of(records, ks, seed, task_id),
        "statuses": _statuses(records),
        "infrastructure_failures": sum(_is_infrastructure(record) for record in records),
        "by_difficulty": {
            level: {
                "problems": len({record["problem_id"] for record in group}),
                "metrics": _metrics_of(group, ks[:1], seed, f"{task_id}|{level}"),
            }
            for level, group in sorted(by_difficulty.items())
        },
        "tokens": {
            mode: _token_stats([record for record in records if record["mode"] == mode])
            for mode in ("greedy", "sampled")
            if any(record["mode"] == mode for record in records)
        },
    }


def _statuses(records: list[Record]) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for record in records:
        counts[record["mode"]][record["status"]] += 1
    return {
        mode: {status.value: counts[mode][status.value] for status in Status}
        for mode in ("greedy", "sampled")
        if mode in counts
    }


def _token_stats(records: list[Record]) -> dict[str, float | int | None]:
    tokens = np.array([r["tokens"] for r in records if r.get("tokens") is not None], dtype=float)
    truncated = [r["truncated"] for r in records if r.get("truncated") is not None]
    stats: dict[str, float | int | None] = {"answers": len(records)}
    if tokens.size:
        stats.update(
            mean=float(tokens.mean()),
            median=float(np.median(tokens)),
            p90=float(np.quantile(tokens, 0.9)),
            max=int(tokens.max()),
        )
    stats["truncated_fraction"] = float(np.mean(truncated)) if truncated else None
    return stats


def _overall(by_task: dict[str, list[Record]], suite: Suite) -> dict[str, Any]:
    """Macro averages over tasks (every task weighs the same), stratified bootstrap."""
    names = ["greedy_accuracy", "mean_reward", *(f"pass@{k}" for k in suite.k)]
    overall: dict[str, Any] = {}
    for name in names:
        groups = [list(problem_values(records, name).values()) for records in by_task.values()]
        groups = [group for group in groups if group]
        if groups:
            interval: Interval = stratified_bootstrap_mean(
                groups, seed=metric_seed(suite.seed, f"overall|{name}")
            )
            overall[name] = {**interval.to_dict(), "tasks": len(groups)}
    all_records = [record for records in by_task.values() for record in records]
    overall["statuses"] = _statuses(all_records)
    overall["infrastructure_failures"] = sum(_is_infrastructure(r) for r in all_records)
    return overall

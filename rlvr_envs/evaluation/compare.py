"""Comparing two runs of a suite, task by task, on the problems both scored.

The test is a paired bootstrap: the problems both runs answered are resampled together
and the mean difference (B - A) recomputed, giving a percentile interval; a difference is
called significant when its interval excludes zero (at 95% by default). Pairing matters:
two checkpoints answer the same problems, and most of the spread between problems (some
are simply hard) cancels out of the difference. The macro average over tasks resamples
each task's problems within the task.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlvr_envs.errors import ConfigError
from rlvr_envs.evaluation.metrics import (
    DEFAULT_LEVEL,
    Interval,
    metric_seed,
    paired_bootstrap_delta,
    stratified_bootstrap_mean,
)
from rlvr_envs.evaluation.report import format_interval
from rlvr_envs.evaluation.results import read_results
from rlvr_envs.evaluation.runner import RESULTS_FILE, RUN_FILE
from rlvr_envs.evaluation.summary import problem_values

__all__ = ["Delta", "compare_runs", "markdown_comparison"]

MACRO = "macro average"


@dataclass(frozen=True)
class Delta:
    """One metric of one task (or the macro average), B against A."""

    task: str
    metric: str
    a: float
    b: float
    delta: Interval
    """B - A on the common problems, with its paired bootstrap interval."""

    @property
    def significant(self) -> bool:
        return self.delta.excludes_zero()

    def to_dict(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "metric": self.metric,
            "a": self.a,
            "b": self.b,
            "delta": self.delta.to_dict(),
            "significant": self.significant,
        }


def _load(run_dir: Path) -> tuple[dict[str, list[dict[str, Any]]], set[int]]:
    """A run's results by task, and the k of its suite's pass@k."""
    path = run_dir / RESULTS_FILE
    if not path.is_file():
        raise ConfigError(f"{run_dir} is not an evaluation run: it has no {RESULTS_FILE}")
    by_task: dict[str, list[dict[str, Any]]] = {}
    for record in read_results(path):
        by_task.setdefault(record["task"], []).append(record)
    run = json.loads((run_dir / RUN_FILE).read_text(encoding="utf-8"))
    return by_task, set(run["suite"]["k"])


def compare_runs(
    run_a: Path, run_b: Path, *, seed: int = 0, level: float = DEFAULT_LEVEL
) -> list[Delta]:
    """Per task and metric (greedy accuracy, mean reward, pass@k for the k both suites
    report), B - A on the problems both answered; then the macro averages.

    Raises:
        ConfigError: a folder is not a run, or the runs share no task.
    """
    (a, ks_a), (b, ks_b) = _load(run_a), _load(run_b)
    ks = sorted(ks_a & ks_b)
    common = [task for task in a if task in b]
    if not common:
        raise ConfigError(
            f"{run_a} and {run_b} have no task in common ({sorted(a)} vs {sorted(b)}); "
            "compare runs of the same suite"
        )
    deltas: list[Delta] = []
    differences: dict[str, list[list[float]]] = {}
    for task in common:
        for metric in _metrics(a[task], b[task], ks):
            values_a = problem_values(a[task], metric)
            values_b = problem_values(b[task], metric)
            shared = sorted(set(values_a) & set(values_b))
            if not shared:
                continue
            before = [values_a[p] for p in shared]
            after = [values_b[p] for p in shared]
            delta = paired_bootstrap_delta(
                before, after, seed=metric_seed(seed, f"{task}|{metric}"), level=level
            )
            deltas.append(
                Delta(task, metric, sum(before) / len(shared), sum(after) / len(shared), delta)
            )
            differences.setdefault(metric, []).append(
                [y - x for x, y in zip(before, after, strict=True)]
            )
    for metric, groups in differences.items():
        if len(groups) < 2:
            continue  # one task: its own row says it all
        macro = stratified_bootstrap_mean(
            groups, seed=metric_seed(seed, f"macro|{metric}"), level=level
        )
        rows = [d for d in deltas if d.metric == metric]
        deltas.append(
            Delta(
                MACRO,
                metric,
                sum(d.a for d in rows) / len(rows),
                sum(d.b for d in rows) / len(rows),
                macro,
            )
        )
    return deltas


def _metrics(a: list[dict[str, Any]], b: list[dict[str, Any]], ks: list[int]) -> list[str]:
    """The metrics both runs of a task can give: pass@k for the k both suites report,
    up to the fewer samples."""

    def samples(records: list[dict[str, Any]]) -> int:
        return max((r["sample"] + 1 for r in records if r["mode"] == "sampled"), default=0)

    n = min(samples(a), samples(b))
    return ["greedy_accuracy", "mean_reward", *(f"pass@{k}" for k in ks if k <= n)]


def markdown_comparison(deltas: list[Delta], run_a: Path, run_b: Path, *, level: float) -> str:
    """The deltas as a markdown table; significant rows are marked."""
    lines = [
        f"A = {run_a}, B = {run_b}. Delta = B - A on the problems both answered, with its "
        f"{level:.0%} paired bootstrap interval; * = the interval excludes 0.",
        "",
        "| task | metric | A | B | delta [interval] | |",
        "|---|---|---|---|---|---|",
    ]
    for d in deltas:
        percent = d.metric != "mean_reward"
        scale = 100.0 if percent else 1.0
        unit = "%" if percent else ""
        digits = 1 if percent else 3
        delta = format_interval(d.delta.to_dict(), percent=percent)
        sign = "+" if d.delta.value >= 0 else ""
        lines.append(
            f"| {d.task} | {d.metric} | {d.a * scale:.{digits}f}{unit} | "
            f"{d.b * scale:.{digits}f}{unit} | {sign}{delta} | "
            f"{'*' if d.significant else ''} |"
        )
    return "\n".join(lines) + "\n"

"""The report of a run: ``summary.json``, ``summary.md`` (markdown tables) and the plots."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from rlvr_envs.evaluation.suite import Suite
from rlvr_envs.evaluation.summary import summarize
from rlvr_envs.verification import Status

__all__ = ["format_interval", "markdown_report", "write_report"]

SUMMARY_JSON, SUMMARY_MD = "summary.json", "summary.md"


def write_report(
    output_dir: Path, suite: Suite, model: str, records: list[dict[str, Any]], *, plots: bool
) -> dict[str, Any]:
    """Summarise `records` into `output_dir`; returns the summary (with ``plots`` listing
    the PNG files drawn, or ``plots_skipped`` saying why none were)."""
    summary = summarize(records, suite, model)
    if plots:
        from rlvr_envs.evaluation.plots import draw_plots

        try:
            summary["plots"] = [path.name for path in draw_plots(summary, output_dir)]
        except ModuleNotFoundError as exc:
            summary["plots_skipped"] = (
                f"{exc.name} is not installed: pip install 'rlvr-envs[train]' or matplotlib"
            )
    (output_dir / SUMMARY_JSON).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (output_dir / SUMMARY_MD).write_text(markdown_report(summary), encoding="utf-8")
    return summary


def format_interval(interval: dict[str, Any] | None, *, percent: bool = True) -> str:
    """``62.5% [50.0, 75.0]``, or ``-`` when nothing was measured."""
    if interval is None or math.isnan(interval["value"]):
        return "-"
    scale, unit = (100.0, "%") if percent else (1.0, "")
    value, low, high = (interval[key] * scale for key in ("value", "low", "high"))
    digits = 1 if percent else 3
    return f"{value:.{digits}f}{unit} [{low:.{digits}f}, {high:.{digits}f}]"


def markdown_report(summary: dict[str, Any]) -> str:
    """The summary as markdown tables: scores, statuses, difficulties, token lengths."""
    ks = sorted(
        {int(name[5:]) for task in summary["tasks"] for name in task["metrics"] if "@" in name}
    )
    score_names = ["greedy_accuracy", "mean_reward", *(f"pass@{k}" for k in ks)]
    headers = ["greedy accuracy", "mean reward", *(f"pass@{k}" for k in ks)]
    lines = [
        f"# {summary['suite']}: {summary['model']}",
        "",
        "Means over problems with 95% bootstrap intervals (problems resampled; seed "
        f"{summary['seed']}). Answers whose verification failed (timeout, verifier_error) are "
        "left out of the scores and counted under infra. The macro average weighs every task "
        "alike, over the tasks that have the metric.",
        "",
        "| task | problems | " + " | ".join(headers) + " | infra |",
        "|---|---|" + "---|" * len(headers) + "---|",
    ]
    for task in summary["tasks"]:
        cells = [_cell(task["metrics"], name) for name in score_names]
        lines.append(
            f"| {task['task']} | {task['problems']} | "
            + " | ".join(cells)
            + f" | {task['infrastructure_failures']} |"
        )
    overall = summary["overall"]
    cells = [_cell(overall, name) for name in score_names]
    lines.append(
        "| **macro average** | | "
        + " | ".join(cells)
        + f" | {overall['infrastructure_failures']} |"
    )
    statuses = [status.value for status in Status]
    lines += [
        "",
        "## Verification statuses",
        "",
        "| task | mode | " + " | ".join(statuses) + " |",
        "|---|---|" + "---|" * len(statuses),
    ]
    for task in summary["tasks"]:
        for mode, counts in task["statuses"].items():
            lines.append(
                f"| {task['task']} | {mode} | "
                + " | ".join(str(counts[s]) for s in statuses)
                + " |"
            )
    lines += [
        "",
        "## By difficulty",
        "",
        "| task | difficulty | problems | greedy accuracy | pass@1 |",
        "|---|---|---|---|---|",
    ]
    for task in summary["tasks"]:
        for level, group in task["by_difficulty"].items():
            lines.append(
                f"| {task['task']} | {level} | {group['problems']} | "
                f"{_cell(group['metrics'], 'greedy_accuracy')} | "
                f"{_cell(group['metrics'], 'pass@1')} |"
            )
    lines += [
        "",
        "## Answer lengths (tokens)",
        "",
        "| task | mode | answers | mean | median | p90 | max | truncated |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task in summary["tasks"]:
        for mode, stats in task["tokens"].items():
            numbers = [_number(stats.get(key)) for key in ("mean", "median", "p90", "max")]
            truncated = stats["truncated_fraction"]
            lines.append(
                f"| {task['task']} | {mode} | {stats['answers']} | "
                + " | ".join(numbers)
                + f" | {'-' if truncated is None else f'{truncated:.1%}'} |"
            )
    return "\n".join(lines) + "\n"


def _cell(metrics: dict[str, Any], name: str) -> str:
    return format_interval(metrics.get(name), percent=name != "mean_reward")


def _number(value: float | int | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if isinstance(value, float) else str(value)

"""PNG plots of a run's summary: per-task scores with their intervals, and pass@k curves.

matplotlib is optional (the ``train`` and ``dev`` extras): it is imported here, when plots
are drawn, and never by ``import rlvr_envs``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["draw_plots"]

TASKS_PNG, PASS_AT_K_PNG = "tasks.png", "pass_at_k.png"


def draw_plots(summary: dict[str, Any], output_dir: Path) -> list[Path]:
    """Draw the plots of `summary` into `output_dir`; returns the files written.

    Raises:
        ModuleNotFoundError: matplotlib is not installed.
    """
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    written = [_task_bars(plt, summary, output_dir / TASKS_PNG)]
    if any(_ks(task) for task in summary["tasks"]):
        written.append(_pass_at_k_curves(plt, summary, output_dir / PASS_AT_K_PNG))
    return written


def _ks(task: dict[str, Any]) -> list[int]:
    return sorted(int(name[5:]) for name in task["metrics"] if name.startswith("pass@"))


def _task_bars(plt: Any, summary: dict[str, Any], path: Path) -> Path:
    """Greedy accuracy and pass@1 per task, bars with 95% interval whiskers."""
    tasks = summary["tasks"]
    series = [("greedy_accuracy", "greedy accuracy"), ("pass@1", "pass@1 (sampled)")]
    series = [(key, label) for key, label in series if any(key in t["metrics"] for t in tasks)]
    width = 0.8 / max(len(series), 1)
    figure, axes = plt.subplots(figsize=(max(6.0, 1.2 * len(tasks) + 2), 4.5))
    for offset, (key, label) in enumerate(series):
        positions, values, errors = [], [], [[], []]
        for index, task in enumerate(tasks):
            metric = task["metrics"].get(key)
            if metric is None:
                continue
            positions.append(index + (offset - (len(series) - 1) / 2) * width)
            values.append(metric["value"] * 100)
            errors[0].append((metric["value"] - metric["low"]) * 100)
            errors[1].append((metric["high"] - metric["value"]) * 100)
        axes.bar(positions, values, width, yerr=errors, capsize=3, label=label)
    axes.set_xticks(range(len(tasks)), [t["task"] for t in tasks], rotation=30, ha="right")
    axes.set_ylabel("% of problems (95% bootstrap interval)")
    axes.set_ylim(0, 100)
    axes.set_title(f"{summary['suite']}: {summary['model']}")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _pass_at_k_curves(plt: Any, summary: dict[str, Any], path: Path) -> Path:
    """pass@k against k for every task with samples, with a shaded 95% interval."""
    figure, axes = plt.subplots(figsize=(6.5, 4.5))
    every_k = sorted({k for task in summary["tasks"] for k in _ks(task)})
    for task in summary["tasks"]:
        ks = _ks(task)
        if not ks:
            continue
        metrics = [task["metrics"][f"pass@{k}"] for k in ks]
        values = [m["value"] * 100 for m in metrics]
        (line,) = axes.plot(ks, values, marker="o", label=task["task"])
        axes.fill_between(
            ks,
            [m["low"] * 100 for m in metrics],
            [m["high"] * 100 for m in metrics],
            color=line.get_color(),
            alpha=0.15,
        )
    axes.set_xscale("log", base=2)
    axes.set_xticks(every_k, [str(k) for k in every_k])
    axes.set_xlabel("k (samples drawn)")
    axes.set_ylabel("pass@k, % (95% bootstrap interval)")
    axes.set_ylim(0, 100)
    axes.set_title(f"{summary['suite']}: {summary['model']}")
    axes.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path

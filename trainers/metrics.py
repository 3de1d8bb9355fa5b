"""Where a run's numbers go: one JSON line per step, TensorBoard when installed, and a
learning-curve PNG at the end.

The JSONL file is flushed after every line, so a killed run loses nothing it logged;
on resume, lines from steps after the checkpoint are dropped (they will be redone).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["MetricsLog", "plot_learning_curve", "read_metrics"]


class MetricsLog:
    def __init__(self, folder: Path, *, resume_after: int | None = None) -> None:
        self.path = folder / "metrics.jsonl"
        folder.mkdir(parents=True, exist_ok=True)
        if resume_after is not None and self.path.exists():
            kept = [r for r in read_metrics(self.path) if r.get("step", 0) <= resume_after]
            self.path.write_text("".join(json.dumps(r) + "\n" for r in kept), encoding="utf-8")
        elif resume_after is None:
            self.path.write_text("", encoding="utf-8")
        self._file = self.path.open("a", encoding="utf-8")
        self._tensorboard = _tensorboard_writer(folder / "tensorboard")

    def write(self, step: int, record: Mapping[str, Any]) -> None:
        line = {"step": step, **record}
        self._file.write(json.dumps(line, default=_plain) + "\n")
        self._file.flush()
        if self._tensorboard is not None:
            for name, value in record.items():
                if isinstance(value, int | float) and math.isfinite(value):
                    self._tensorboard.add_scalar(name, value, step)

    def close(self) -> None:
        self._file.close()
        if self._tensorboard is not None:
            self._tensorboard.close()


def read_metrics(path: Path) -> list[dict[str, Any]]:
    """The records of a metrics file; a last line cut short by a kill is skipped."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def plot_learning_curve(path: Path, records: list[dict[str, Any]], *, title: str) -> Path | None:
    """Reward, accuracy and held-out accuracy against the step, as a PNG; None without
    matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    train = [r for r in records if r.get("kind") == "train"]
    held_out = [r for r in records if r.get("kind") == "eval"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    steps = [r["step"] for r in train]
    left.plot(steps, [r["reward_mean"] for r in train], label="reward (sampled)")
    left.plot(steps, [r["accuracy"] for r in train], label="accuracy (sampled)")
    if held_out:
        left.plot(
            [r["step"] for r in held_out],
            [r["eval_accuracy"] for r in held_out],
            "o-",
            label="held-out accuracy (greedy)",
        )
    left.set_xlabel("step")
    left.set_ylim(-0.05, 1.05)
    left.legend()
    left.set_title(title)
    right.plot(steps, [r["response_length"] for r in train], label="response tokens")
    right.set_xlabel("step")
    right.legend(loc="upper left")
    twin = right.twinx()
    twin.plot(steps, [r.get("outside_trust_region", 0.0) for r in train], "r", alpha=0.6)
    twin.set_ylabel("clip / mask fraction", color="r")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path


def _tensorboard_writer(folder: Path) -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # tensorboard is optional
        return None
    return SummaryWriter(str(folder))


def _plain(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)

"""What the learning benchmarks share: launching ``rlvr train`` runs that resume, and
reading back what they logged.

Each run is ``rlvr train`` in a child process, as a user would start it, timed from the
command to its exit (model loading and both evaluations included). A run whose folder
already holds its final evaluation is read back instead of repeated, so a benchmark killed
midway picks up where it stopped.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainers.metrics import read_metrics

__all__ = ["RunOutcome", "run_training"]

WALL_FILE = "wall_seconds.json"


@dataclass
class RunOutcome:
    folder: Path
    records: list[dict[str, Any]]
    wall_seconds: float

    @property
    def train(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("kind") == "train"]

    @property
    def evals(self) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("kind") == "eval"]

    @property
    def before(self) -> float:
        return self.evals[0]["eval_accuracy"]

    @property
    def after(self) -> float:
        return self.evals[-1]["eval_accuracy"]


def _read(folder: Path) -> list[dict[str, Any]]:
    path = folder / "metrics.jsonl"
    return read_metrics(path) if path.exists() else []


def _finished(records: list[dict[str, Any]], steps: int) -> bool:
    evals = [r for r in records if r.get("kind") == "eval"]
    return len(evals) >= 2 and evals[-1]["step"] == steps


def run_training(folder: Path, arguments: list[str], *, steps: int) -> RunOutcome:
    """``rlvr train ARGUMENTS --output FOLDER``, or what a finished run there logged."""
    records = _read(folder)
    wall_file = folder / WALL_FILE
    if _finished(records, steps) and wall_file.exists():
        return RunOutcome(folder, records, json.loads(wall_file.read_text())["seconds"])
    command = [sys.executable, "-m", "rlvr_envs.cli.main", "train", *arguments]
    command += ["--output", str(folder), "--quiet"]
    print("$", " ".join(command[2:]), file=sys.stderr, flush=True)
    started = time.perf_counter()
    subprocess.run(command, check=True)
    wall = time.perf_counter() - started
    wall_file.write_text(json.dumps({"seconds": wall}), encoding="utf-8")
    return RunOutcome(folder, _read(folder), wall)

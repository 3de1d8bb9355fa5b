"""Atomic checkpoints: a folder per step that either exists whole or not at all.

A checkpoint is ``checkpoints/step-000010/``: the policy as ``save_pretrained`` writes it
(so the folder is a model other tools can load as-is), its tokenizer, and
``trainer_state.pt`` (optimizer, scheduler, every RNG state, the step, and the run's
own state such as the accuracy before training). It is written into a temporary folder
and renamed into place, so a ``kill -9`` mid-save leaves the previous checkpoint as the
newest complete one.
"""

from __future__ import annotations

import random
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

__all__ = ["Checkpoint", "latest_checkpoint", "restore_rng", "rng_state", "save_checkpoint"]

STATE_FILE = "trainer_state.pt"
_NAME = re.compile(r"^step-(\d+)$")


@dataclass(frozen=True)
class Checkpoint:
    step: int
    path: Path

    def load_state(self) -> dict[str, Any]:
        return torch.load(self.path / STATE_FILE, weights_only=False)


def rng_state(numpy_rng: np.random.Generator, sampling: torch.Generator) -> dict[str, Any]:
    return {
        "python": random.getstate(),
        "torch": torch.get_rng_state(),
        "numpy": numpy_rng.bit_generator.state,
        "sampling": sampling.get_state(),
    }


def restore_rng(
    state: dict[str, Any], numpy_rng: np.random.Generator, sampling: torch.Generator
) -> None:
    random.setstate(state["python"])
    torch.set_rng_state(state["torch"])
    numpy_rng.bit_generator.state = state["numpy"]
    sampling.set_state(state["sampling"])


def save_checkpoint(
    folder: Path, step: int, model: Any, tokenizer: Any, state: dict[str, Any], *, keep: int
) -> Checkpoint:
    """Write the checkpoint for `step` atomically, then drop all but the `keep` newest."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"step-{step:06d}"
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=folder))
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        torch.save({**state, "step": step}, staging / STATE_FILE)
        if target.exists():  # a rerun of the same step after a resume
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for old in _complete(folder)[:-keep] if keep > 0 else []:
        shutil.rmtree(old.path, ignore_errors=True)
    return Checkpoint(step, target)


def latest_checkpoint(folder: Path) -> Checkpoint | None:
    found = _complete(folder)
    return found[-1] if found else None


def _complete(folder: Path) -> list[Checkpoint]:
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = _NAME.match(path.name)
        if match and (path / STATE_FILE).is_file():
            found.append(Checkpoint(int(match.group(1)), path))
    return sorted(found, key=lambda checkpoint: checkpoint.step)

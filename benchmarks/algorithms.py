"""GRPO vs DPPO vs DRPO: the same task, budget and seeds; learning curves, held-out accuracy
and stability.

    python benchmarks/algorithms.py --seeds 0 1 2 [--set rollout.group_size=8 ...]

Every run is the default ``rlvr train`` configuration with only ``--algo`` changed (and any
``--set`` given here, applied to all), so the objectives differ in nothing else: each uses
its own documented defaults (GRPO ε = 0.2; DPPO Binary-TV δ = 0.15 with the importance
weight capped at 10; DRPO δ as `trainers.objectives.drpo` sets it). Reported per objective:
held-out greedy accuracy after training (mean and spread over seeds), the sampled reward
over the last steps, the spread of the final accuracy across seeds, and how far the updates
moved the policy (``approx_kl``) and how many tokens the trust region held back
(``outside_trust_region``), averaged over the run. One PNG holds the learning curves.
The section it prints goes to "GRPO vs DPPO vs DRPO" in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from learning_runs import RunOutcome, run_training

from trainers.config import TrainConfig

ALGORITHMS = ("grpo", "dppo", "drpo")


def mean_of(records: list[dict], key: str) -> float:
    values = [r[key] for r in records if key in r]
    return statistics.fmean(values) if values else float("nan")


def plot(outcomes: dict[str, list[RunOutcome]], path: Path) -> None:
    figure, (reward_axis, kl_axis) = plt.subplots(1, 2, figsize=(11, 4))
    for (algo, runs), colour in zip(outcomes.items(), ("C0", "C1", "C2"), strict=False):
        for index, run in enumerate(runs):
            steps = [r["step"] for r in run.train]
            label = algo if index == 0 else None
            reward_axis.plot(
                steps, [r["reward_mean"] for r in run.train], colour, alpha=0.6, label=label
            )
            kl_axis.plot(
                steps, [r.get("approx_kl", 0.0) for r in run.train], colour, alpha=0.6,
                label=label,
            )  # fmt: skip
            evals = run.evals
            reward_axis.plot(
                [r["step"] for r in evals], [r["eval_accuracy"] for r in evals], colour + "o--"
            )
    reward_axis.set_title("sampled reward (lines), held-out greedy accuracy (dots)")
    reward_axis.set_xlabel("step")
    reward_axis.legend()
    kl_axis.set_title("approx. KL(sampler ‖ updated policy) per step")
    kl_axis.set_xlabel("step")
    kl_axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--algorithms", nargs="+", default=list(ALGORITHMS))
    parser.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/benchmark-algorithms"))
    parser.add_argument("--plot", type=Path, default=Path("benchmarks/algorithms.png"))
    args = parser.parse_args()
    config = TrainConfig().with_overrides(args.set)
    extra = [item for value in args.set for item in ("--set", value)]
    outcomes = {
        algo: [
            run_training(
                args.runs_dir / f"{algo}-seed-{seed}",
                ["--algo", algo, "--seed", str(seed), *extra],
                steps=config.run.steps,
            )
            for seed in args.seeds
        ]
        for algo in args.algorithms
    }
    plot(outcomes, args.plot)
    rollout = config.rollout
    command = "python benchmarks/algorithms.py --seeds " + " ".join(map(str, args.seeds))
    command += "".join(f" --set {value}" for value in args.set)
    print("## GRPO vs DPPO vs DRPO\n")
    print(f"Command: `{command}`  ")
    print(
        f"Task {rollout.task}; {config.run.steps} steps of {rollout.prompts_per_step} prompts × "
        f"{rollout.group_size} responses; seeds {', '.join(map(str, args.seeds))}; "
        f"curves: `{args.plot}`.\n"
    )
    print(
        "| objective | held-out before | held-out after (mean ± sd over seeds) | per seed | "
        "sampled reward, last 5 steps | mean approx. KL per step | tokens outside the trust "
        "region | minutes per run |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for algo, runs in outcomes.items():
        after = [run.after for run in runs]
        spread = statistics.stdev(after) if len(after) > 1 else 0.0
        late = statistics.fmean(mean_of(run.train[-5:], "reward_mean") for run in runs)
        print(
            f"| {algo} | {statistics.fmean(run.before for run in runs):.1%} "
            f"| {statistics.fmean(after):.1%} ± {spread:.1%} "
            f"| {', '.join(f'{value:.0%}' for value in after)} | {late:.2f} "
            f"| {statistics.fmean(mean_of(run.train, 'approx_kl') for run in runs):.4f} "
            f"| {statistics.fmean(mean_of(run.train, 'outside_trust_region') for run in runs):.2%} "
            f"| {statistics.fmean(run.wall_seconds for run in runs) / 60:.1f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

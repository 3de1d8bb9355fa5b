"""``rlvr train``: train a policy against a registered task.

With no arguments it runs the embedded default: GRPO on SmolLM2-135M-Instruct, on a
built-in arithmetic task, on the CPU, scoring held-out greedy accuracy before and after.
Every hyperparameter can come from a YAML file (``--config``) and be overridden by the
shortcut flags or by ``--set section.key=value``; ``--help-config`` lists them all.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from rlvr_envs import RlvrError
from trainers.config import ConfigError, TrainConfig, describe_fields

__all__ = ["main"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2

SHORTCUTS = {
    "algo": "algorithm.algo",
    "task": "rollout.task",
    "model": "model.name",
    "steps": "run.steps",
    "seed": "run.seed",
    "output": "run.output_dir",
    "lr": "optim.lr",
    "precision": "model.precision",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rlvr train",
        description=__doc__.split("\n\n")[0],
        epilog="Example: rlvr train --algo drpo --task rlvr/arithmetic-mul-v1 --steps 60",
    )
    parser.add_argument("--config", type=Path, metavar="FILE", help="a YAML run configuration")
    for flag, key in SHORTCUTS.items():
        parser.add_argument(f"--{flag}", metavar="VALUE", help=f"sets {key}")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override any field (repeatable), e.g. --set rollout.group_size=16",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue from the newest checkpoint in the output folder",
    )
    parser.add_argument(
        "--help-config", action="store_true", help="list every configuration field and exit"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    config = TrainConfig.from_yaml(args.config) if args.config else TrainConfig()
    overrides = [
        f"{key}={getattr(args, flag)}"
        for flag, key in SHORTCUTS.items()
        if getattr(args, flag) is not None
    ]
    return config.with_overrides([*overrides, *args.set])


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(stderr=True, soft_wrap=True)
    if args.help_config:
        print(describe_fields())
        return EXIT_OK
    try:
        config = config_from_args(args)
        return _train(config, resume=args.resume, quiet=args.quiet, console=console)
    except (ConfigError, RlvrError) as error:
        console.print(f"[red]error:[/red] {error}", highlight=False)
        return EXIT_USAGE


def _train(config: TrainConfig, *, resume: bool, quiet: bool, console: Console) -> int:
    from trainers.trainer import Trainer  # torch and transformers load only when training

    run = config.run
    console.print(
        f"training {config.model.name} with {config.algorithm.algo} on {config.rollout.task}: "
        f"{run.steps} steps of {config.rollout.prompts_per_step} prompts × "
        f"{config.rollout.group_size} responses → {run.output_dir}",
        highlight=False,
    )
    progress = Progress(
        TextColumn("[bold]train"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
        console=console,
        disable=quiet,
    )
    with progress:
        bar = progress.add_task("train", total=run.steps, status="loading")

        def on_step(step: int, record: dict) -> None:
            progress.update(
                bar,
                completed=step,
                status=f"reward {record['reward_mean']:.2f} · {record['seconds_step']:.1f} s/step",
            )

        trainer = Trainer(config, on_step=on_step)
        progress.update(bar, status="held-out accuracy before training")
        result = trainer.run(resume=resume)
    before, after = result.accuracy_before, result.accuracy_after
    if before is not None and after is not None:
        console.print(
            f"held-out greedy accuracy: {before:.1%} → {after:.1%} "
            f"({(after - before) * 100:+.1f} points)",
            highlight=False,
        )
    console.print(f"finished in {result.seconds / 60:.1f} min", highlight=False)
    console.print(f"checkpoint: {result.checkpoint}", highlight=False)
    console.print(f"metrics: {result.output_dir / 'metrics.jsonl'}", highlight=False)
    if result.curve:
        console.print(f"learning curve: {result.curve}", highlight=False)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

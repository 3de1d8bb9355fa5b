"""``rlvr show TASK``: a task's spec and a sample problem as the policy sees it."""

from __future__ import annotations

import argparse

import pydantic
import yaml
from rich.console import Console
from rich.panel import Panel

from rlvr_envs.cli.common import EXIT_OK, registry_from_args, tasks_dir_parent
from rlvr_envs.core import TaskEnv
from rlvr_envs.spec import TaskSpec


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "show",
        parents=[tasks_dir_parent()],
        help="show a task's spec and a sample prompt",
        description="Print a task's specification and one sample problem: the chat messages "
        "the policy receives and the reference answer.",
    )
    parser.add_argument(
        "task", help="task id: rlvr/NAME-vN, NAME-vN, or NAME for the newest version"
    )
    parser.add_argument("--split", help="split to draw from (default: the task's default split)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample draw (default 0)")
    parser.add_argument("--problem-id", help="show this problem instead of a random draw")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    entry = registry.entry(args.task)
    console = Console()
    console.print(f"[bold]{entry.gym_id}[/bold]  ({entry.origin})")
    if entry.task is not None:
        spec_data = pydantic.TypeAdapter(TaskSpec).dump_python(entry.task.spec, mode="json")
        spec_data["dataset"] = {k: v for k, v in spec_data["dataset"].items() if v is not None}
        text = yaml.safe_dump(spec_data, sort_keys=False, allow_unicode=True, width=10_000)
        console.print(text, markup=False, soft_wrap=True)
        console.print(f"splits: {entry.task.split_sizes()}  (None: unbounded)", markup=False)
    split = args.split
    if entry.task is not None and split is None and args.problem_id:
        split = entry.task.split_of(args.problem_id)
    env = registry.make(entry.id, split=split) if entry.task else registry.make(entry.id)
    options = {"problem_id": args.problem_id} if args.problem_id else None
    _, info = env.reset(seed=args.seed, options=options)
    for message in info["messages"]:
        console.print(
            Panel(message["content"], title=message["role"], title_align="left"), markup=False
        )
    if isinstance(env, TaskEnv) and env.problem is not None:
        console.print(
            f"problem id: {env.problem.id}   reference answer: {env.problem.reference!r}",
            markup=False,
        )
    return EXIT_OK

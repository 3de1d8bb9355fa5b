"""``rlvr verify TASK --responses FILE``: score responses produced elsewhere."""

from __future__ import annotations

import argparse
from pathlib import Path

from rlvr_envs.cli.common import registry_from_args, tasks_dir_parent
from rlvr_envs.cli.response_file_runner import add_file_arguments, run_response_file
from rlvr_envs.response_files import TaskLines


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "verify",
        parents=[tasks_dir_parent()],
        help="score a JSONL file of responses against a task",
        description="Score responses produced elsewhere. Each input line is a JSON object "
        'with "problem_id" and "response" (optionally "split"; other fields are carried '
        'through). Each output line is the input plus "reward" and "verification"; a '
        'line that cannot be scored gets "reward": null and an "error". Output lines are '
        "written as they are scored, one per input line, in order, so --resume continues a "
        "killed run where it stopped. Exit status 1 if any line could not be scored.",
    )
    parser.add_argument("task", help="task id: rlvr/NAME-vN, NAME-vN, or NAME")
    parser.add_argument(
        "--responses", required=True, type=Path, metavar="FILE.jsonl", help="input JSONL"
    )
    parser.add_argument(
        "--split", help="split of the problem ids (default: from the id, else the task's)"
    )
    add_file_arguments(parser, input_name="--responses")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    task = registry_from_args(args).task(args.task)
    scorer = TaskLines(task, split=args.split)
    return run_response_file(scorer, args.responses, args.out, resume=args.resume)

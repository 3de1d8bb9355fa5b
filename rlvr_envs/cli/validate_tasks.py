"""``rlvr validate``: load every task and its data, and every evaluation suite; report
every broken one."""

from __future__ import annotations

import argparse
import sys

from rlvr_envs.cli.common import EXIT_OK, EXIT_USAGE, registry_from_args, tasks_dir_parent
from rlvr_envs.errors import RlvrError
from rlvr_envs.evaluation.suite import load_suite_file, suite_files, suite_folders


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "validate",
        parents=[tasks_dir_parent()],
        help="check that every task file, dataset, prompt and suite loads",
        description="Load every registered task: validate its spec, read its data, draw its "
        "finite splits and render one prompt per split; load every evaluation suite "
        "(*.suite.yaml) and check that its tasks are registered. Exit status 2 on any problem.",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    problems = list(registry.problems)
    checked = 0
    for entry in registry.entries():
        if entry.task is None:
            continue
        try:
            task = entry.task
            for split, size in task.split_sizes().items():
                problem = next(task.source.iter_split(split)) if size else None
                if problem is not None:
                    task.messages(problem)
            checked += 1
        except RlvrError as exc:
            problems.append(f"{entry.origin}: {exc}")
    suites = 0
    for path in suite_files(suite_folders(args.tasks_dir)).values():
        try:
            for entry in load_suite_file(path).tasks:
                registry.resolve(entry.task)
            suites += 1
        except RlvrError as exc:
            problems.append(f"{path}: {exc}")
    for problem in problems:
        print(f"rlvr: error: {problem}", file=sys.stderr)
    print(
        f"rlvr: {checked} task(s) and {suites} suite(s) valid, {len(problems)} problem(s)",
        file=sys.stderr,
    )
    return EXIT_USAGE if problems else EXIT_OK

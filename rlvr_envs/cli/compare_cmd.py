"""``rlvr compare RUN_A RUN_B``: per-task differences between two evaluation runs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rlvr_envs.cli.common import EXIT_OK
from rlvr_envs.evaluation.compare import compare_runs, markdown_comparison
from rlvr_envs.evaluation.metrics import DEFAULT_LEVEL


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="per-task deltas between two 'rlvr eval' runs, with intervals and significance",
        description="Compare two evaluation runs (their output folders) task by task on the "
        "problems both answered: greedy accuracy, mean reward and pass@k, B minus A, each "
        "with a paired bootstrap interval; a delta whose interval excludes 0 is marked "
        "significant.",
    )
    parser.add_argument("run_a", type=Path, metavar="RUN_A", help="the baseline run folder")
    parser.add_argument("run_b", type=Path, metavar="RUN_B", help="the run compared with it")
    parser.add_argument(
        "--level", type=float, default=DEFAULT_LEVEL, help="interval level (default 0.95)"
    )
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    parser.add_argument("--json", action="store_true", help="print the deltas as JSON lines")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    deltas = compare_runs(args.run_a, args.run_b, seed=args.seed, level=args.level)
    if args.json:
        for delta in deltas:
            print(json.dumps(delta.to_dict()))
        return EXIT_OK
    print(markdown_comparison(deltas, args.run_a, args.run_b, level=args.level), end="")
    significant = [f"{d.task} {d.metric}" for d in deltas if d.significant]
    print(
        f"\nsignificant at {args.level:.0%}: " + (", ".join(significant) if significant else "none")
    )
    return EXIT_OK

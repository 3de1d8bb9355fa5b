"""``rlvr verify TASK --responses FILE``: score responses produced elsewhere."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from rlvr_envs.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    registry_from_args,
    tasks_dir_parent,
)
from rlvr_envs.response_files import json_line, score_response_lines


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "verify",
        parents=[tasks_dir_parent()],
        help="score a JSONL file of responses against a task",
        description="Score responses produced elsewhere. Each input line is a JSON object "
        'with "problem_id" and "response" (optionally "split"; other fields are carried '
        'through). Each output line is the input plus "reward" and "verification"; a '
        'line that cannot be scored gets "reward": null and an "error". Output lines are '
        "written as they are scored, one per input line, in order. Exit status 1 if any "
        "line could not be scored.",
    )
    parser.add_argument("task", help="task id: rlvr/NAME-vN, NAME-vN, or NAME")
    parser.add_argument(
        "--responses", required=True, type=Path, metavar="FILE.jsonl", help="input JSONL"
    )
    parser.add_argument(
        "--out", type=Path, metavar="FILE.jsonl", help="output JSONL (default: stdout)"
    )
    parser.add_argument(
        "--split", help="split of the problem ids (default: from the id, else the task's)"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    task = registry_from_args(args).task(args.task)
    try:
        source = args.responses.open("rb")
    except OSError as exc:
        raise UsageError(f"cannot read responses file {args.responses}: {exc.strerror}") from exc
    try:
        out = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
    except OSError as exc:
        source.close()
        raise UsageError(f"cannot write output file {args.out}: {exc.strerror}") from exc
    statuses: Counter[str] = Counter()
    bad_lines = 0
    total_reward = 0.0
    with source:
        try:
            for scored in score_response_lines(task, source, split=args.split):
                out.write(json_line(scored.record) + "\n")
                out.flush()
                if scored.error is not None:
                    bad_lines += 1
                    print(
                        f"rlvr: {args.responses}:{scored.number}: {scored.error}", file=sys.stderr
                    )
                else:
                    statuses[scored.record["verification"]["status"]] += 1
                    total_reward += scored.record["reward"]
        finally:
            if out is not sys.stdout:
                out.close()
    scored_count = sum(statuses.values())
    mean = total_reward / scored_count if scored_count else 0.0
    summary = ", ".join(f"{status} {count}" for status, count in statuses.most_common())
    print(
        f"rlvr: scored {scored_count} line(s), mean reward {mean:.4f} ({summary or 'none'}); "
        f"{bad_lines} line(s) could not be scored",
        file=sys.stderr,
    )
    return EXIT_FAILURE if bad_lines else EXIT_OK

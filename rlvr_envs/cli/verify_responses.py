"""``rlvr verify TASK --responses FILE``: score responses produced elsewhere."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, TaskID

from rlvr_envs.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    registry_from_args,
    tasks_dir_parent,
)
from rlvr_envs.response_files import json_line, resume_point, score_response_lines


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
        "--out", type=Path, metavar="FILE.jsonl", help="output JSONL (default: stdout)"
    )
    parser.add_argument(
        "--split", help="split of the problem ids (default: from the id, else the task's)"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue a killed run: keep the complete lines already in --out, score the rest",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    task = registry_from_args(args).task(args.task)
    if args.resume and args.out is None:
        raise UsageError("--resume needs --out: it continues the output file of an earlier run")
    done = resume_point(args.out) if args.resume else 0
    try:
        source = args.responses.open("rb")
    except OSError as exc:
        raise UsageError(f"cannot read responses file {args.responses}: {exc.strerror}") from exc
    try:
        out = args.out.open("a" if done else "w", encoding="utf-8") if args.out else sys.stdout
    except OSError as exc:
        source.close()
        raise UsageError(f"cannot write output file {args.out}: {exc.strerror}") from exc
    stderr = Console(stderr=True, highlight=False)
    if done:
        stderr.print(f"rlvr: resuming after the {done} line(s) already in {args.out}")
    statuses: Counter[str] = Counter()
    bad_lines = 0
    total_reward = 0.0
    progress = Progress(
        *Progress.get_default_columns(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    )
    with source, progress:
        bar = progress.add_task("scoring", total=args.responses.stat().st_size)
        lines = _advancing(source, progress, bar)
        try:
            for scored in score_response_lines(task, lines, split=args.split, skip=done):
                out.write(json_line(scored.record) + "\n")
                out.flush()
                if scored.error is not None:
                    bad_lines += 1
                    stderr.print(
                        f"rlvr: {args.responses}:{scored.number}: {scored.error}", markup=False
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
    stderr.print(
        f"rlvr: scored {scored_count} line(s), mean reward {mean:.4f} ({summary or 'none'}); "
        f"{bad_lines} line(s) could not be scored",
        markup=False,
    )
    return EXIT_FAILURE if bad_lines else EXIT_OK


def _advancing(lines: Iterable[bytes], progress: Progress, bar: TaskID) -> Iterator[bytes]:
    """Yield the lines, moving the progress bar by the bytes read."""
    for line in lines:
        progress.advance(bar, len(line))
        yield line

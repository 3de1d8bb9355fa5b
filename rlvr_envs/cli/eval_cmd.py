"""``rlvr eval [MODEL] --suite NAME``: score a model on a suite of tasks, with a report."""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from rlvr_envs.cli.common import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    registry_from_args,
    tasks_dir_parent,
)
from rlvr_envs.evaluation.report import SUMMARY_MD, format_interval
from rlvr_envs.evaluation.runner import clear_run, evaluate
from rlvr_envs.evaluation.sources import ModelSource, open_model_source
from rlvr_envs.evaluation.suite import find_suite, suite_folders


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "eval",
        parents=[tasks_dir_parent()],
        help="score a model on a suite of tasks: pass@k, intervals, report, plots",
        description="Score a model on a suite of tasks with the tasks' verifiers. Results "
        "are written one line per answer as they are verified, so rerunning the same command "
        "after a kill resumes the run. At the end: summary.json, summary.md and PNG plots in "
        "the output folder. Exit status 1 when some answers could not be verified (timeout, "
        "verifier_error): they are reported and left out of the scores.",
        epilog="Examples: rlvr eval --suite smoke  (the embedded default model);  "
        "rlvr eval runs/train --suite math-core;  rlvr eval --endpoint "
        "http://localhost:8000/v1 --endpoint-model NAME --suite smoke;  "
        "rlvr eval --responses answers.jsonl --suite my-suite.yaml",
    )
    parser.add_argument(
        "model",
        nargs="?",
        help="a checkpoint folder, a 'rlvr train' output folder (its newest checkpoint), or a "
        "model name the backend knows (default: the embedded default model)",
    )
    parser.add_argument(
        "--suite", required=True, help="a suite name (smoke, math-core, ...) or a suite file"
    )
    parser.add_argument(
        "--output", type=Path, help="the run folder (default: runs/eval/SUITE-MODEL)"
    )
    parser.add_argument(
        "--backend",
        default="transformers",
        help="the installed model source that runs MODEL (default: transformers)",
    )
    parser.add_argument(
        "--endpoint", metavar="URL", help="an OpenAI-compatible API base, e.g. http://host/v1"
    )
    parser.add_argument("--endpoint-model", metavar="NAME", help="the model name it serves")
    parser.add_argument(
        "--api-key-env",
        default="OPENAI_API_KEY",
        metavar="VAR",
        help="environment variable holding the endpoint's API key (default: OPENAI_API_KEY)",
    )
    parser.add_argument(
        "--concurrency", type=int, default=8, help="endpoint requests in flight (default 8)"
    )
    parser.add_argument(
        "--retries", type=int, default=4, help="endpoint retries per request (default 4)"
    )
    parser.add_argument(
        "--responses", type=Path, metavar="FILE.jsonl", help="score answers produced elsewhere"
    )
    parser.add_argument("--batch-size", type=int, help="answers generated together")
    parser.add_argument(
        "--threads",
        type=int,
        help="CPU threads of a model run here (default: the backend's, torch: one per core)",
    )
    parser.add_argument("--precision", help="of a model run here: bf16-mixed (default) or fp32")
    parser.add_argument(
        "--verify-workers",
        type=int,
        default=2,
        help="verification batches run beside generation (default 2)",
    )
    parser.add_argument("--fresh", action="store_true", help="discard the output folder's run")
    parser.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    suite = find_suite(args.suite, suite_folders(args.tasks_dir))
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    source = _open_source(args)
    try:
        output = args.output or Path("runs/eval") / _slug(f"{suite.name}-{source.name}")
        if args.fresh:
            clear_run(output)
        console.print(f"evaluating {source.name} on suite {suite.name} → {output}")
        progress = Progress(
            TextColumn("[bold]eval"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            disable=args.quiet,
        )
        with progress:
            bar = progress.add_task("eval", total=None)

            def on_start(total: int, done: int) -> None:
                progress.update(bar, total=total, completed=done)
                if done:
                    console.print(f"resuming: {done} of {total} answers already scored")

            result = evaluate(
                suite,
                source,
                output,
                registry=registry,
                verify_workers=args.verify_workers,
                on_start=on_start,
                on_scored=lambda count: progress.advance(bar, count),
                plots=not args.no_plots,
            )
    finally:
        source.close()
    overall = result.summary["overall"]
    for name in ("greedy_accuracy", "mean_reward", "pass@1"):
        if name in overall:
            shown = format_interval(overall[name], percent=name != "mean_reward")
            console.print(f"{name.replace('_', ' ')} (macro average): {shown}")
    if overall["infrastructure_failures"]:
        console.print(
            f"[yellow]{overall['infrastructure_failures']} answer(s) could not be verified "
            "(timeout or verifier_error): left out of the scores, see summary.md[/yellow]"
        )
    console.print(
        f"{result.produced} answer(s) scored now, {result.total} in the suite, "
        f"{result.seconds:.1f} s; report: {output / SUMMARY_MD}"
    )
    if "plots_skipped" in result.summary:
        console.print(f"plots skipped: {result.summary['plots_skipped']}")
    return EXIT_FAILURE if overall["infrastructure_failures"] else EXIT_OK


def _open_source(args: argparse.Namespace) -> ModelSource:
    chosen = [
        flag
        for flag, value in (("--endpoint", args.endpoint), ("--responses", args.responses))
        if value
    ]
    if len(chosen) > 1 or (chosen and args.model):
        raise UsageError("give one of MODEL, --endpoint URL or --responses FILE, not several")
    if args.endpoint:
        if not args.endpoint_model:
            raise UsageError("--endpoint needs --endpoint-model NAME (the model it serves)")
        from rlvr_envs.evaluation.endpoint import EndpointSource

        return EndpointSource(
            args.endpoint,
            model=args.endpoint_model,
            api_key=os.environ.get(args.api_key_env),
            concurrency=args.concurrency,
            retries=args.retries,
        )
    if args.responses:
        from rlvr_envs.evaluation.response_source import ResponsesFileSource

        return ResponsesFileSource(args.responses)
    # OpenMP threads that spin while they wait turn a CPU shared with other work into a
    # crawl: on 2 busy cores, 16 answers took 43 s with spinning threads and 3.3 s with
    # sleeping ones. Set before the backend loads torch; a value the user set is kept.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return open_model_source(
        args.backend,
        args.model,
        batch_size=args.batch_size,
        threads=args.threads,
        precision=args.precision,
    )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:80]

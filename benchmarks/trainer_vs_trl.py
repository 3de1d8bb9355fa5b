"""Our GRPO trainer against TRL's `GRPOTrainer` on the CPU: seconds per step, generated tokens
per second and peak RSS, on the same work, in one run.

    pip install -e ".[train,bench]"
    python benchmarks/trainer_vs_trl.py [--workload small|realistic|all] [--steps N]
                                        [--write-results] [--profile]

Workloads (prompts × completions per prompt × tokens per completion):

* ``small``: 1 × 4 × 32, fp32 (the issue's small workload, on which TRL was measured first);
* ``realistic``: 16 × 8 × 64, fp32; and, as an extra row that is not part of the
  comparison, our trainer alone at its default precision, bf16-mixed.

Both sides train the same model (SmolLM2-135M-Instruct, the checkpoint folder that
`trainers.models.default_model_dir` makes) on the same chat-templated ``arithmetic-add-v1``
prompts (drawn once with the same seed and handed to both, step by step), with the same
group size, exactly ``tokens`` generated tokens per completion (end tokens are suppressed
until then: our ``rollout.min_new_tokens``, TRL's ``generation_kwargs={"min_new_tokens":
...}``), temperature 1, top-p 1, learning rate 1e-6, no KL term and so no reference model,
one optimizer step per generation batch (TRL: ``num_iterations=1`` and
``steps_per_generation = gradient_accumulation_steps``, so it recomputes no "old" log-probs),
the same micro-batch, no evaluation and no checkpoints, ``--threads`` torch threads (2);
rewards are our verifier's on both sides. Every other TRL setting is TRL's default, notably
gradient checkpointing (on; ``--trl-gradient-checkpointing off`` turns it off).

Each side runs in a subprocess of its own, so its peak RSS (``ru_maxrss``, read right after
the last measured step) is its alone. A step is timed from the start of generation to the end
of the optimizer step: for us the trainer's own ``seconds_step`` (generation, scoring,
update); for TRL from ``on_step_begin`` to ``on_step_end`` (generation, scoring, advantages,
forward/backward, optimizer; its logging comes after). The first step is a warm-up and is
left out (TRL's first generation is several times slower than its later ones); figures
are means over the rest of ``--steps`` (5). Our trainer writes its final checkpoint after the
last configured step, so it is configured one step longer and stopped after the last
measured one: the checkpoint is neither timed nor in its peak RSS.

``--profile`` runs our side alone for three steps in this process: a warm-up, one step timed
by phase (generation forward passes, the rest of sampling, scoring, update forward passes,
backward and loss, optimizer step), and one step under ``torch.profiler`` whose busiest
operators are printed.

The report is printed as markdown on stdout (the runs' own output goes to stderr);
``--write-results`` also replaces the "Trainer vs TRL" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from results_file import write_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

SECTION = "## Trainer vs TRL"
TASK = "arithmetic-add-v1"
SEED = 0
LEARNING_RATE = 1e-6
THROUGHPUT_GOAL = 1.5
"""The issue's goal: at least this multiple of TRL's generated tokens per second."""


@dataclass(frozen=True)
class Workload:
    name: str
    prompts: int
    group_size: int
    tokens: int
    """Every completion is exactly this many tokens long."""
    micro_batch: int
    """Sequences per forward/backward pass, on both sides."""

    @property
    def completions(self) -> int:
        return self.prompts * self.group_size

    @property
    def completion_tokens(self) -> int:
        return self.completions * self.tokens

    def describe(self) -> str:
        return f"{self.prompts} × {self.group_size} × {self.tokens}"


WORKLOADS = {
    "small": Workload("small", prompts=1, group_size=4, tokens=32, micro_batch=4),
    "realistic": Workload("realistic", prompts=16, group_size=8, tokens=64, micro_batch=16),
}


@dataclass
class Measurement:
    """One side's run of one workload, as its subprocess reports it."""

    side: str
    workload: str
    precision: str
    step_seconds: list[float]
    generate_seconds: list[float]
    peak_rss_bytes: int

    def measured(self, values: list[float]) -> float:
        """The mean over the steps after the warm-up step."""
        return statistics.fmean(values[1:] if len(values) > 1 else values)

    @property
    def seconds_per_step(self) -> float:
        return self.measured(self.step_seconds)

    @property
    def generate_per_step(self) -> float:
        return self.measured(self.generate_seconds)

    @property
    def tokens_per_second(self) -> float:
        return WORKLOADS[self.workload].completion_tokens / self.seconds_per_step

    @property
    def peak_rss_gb(self) -> float:
        return self.peak_rss_bytes / 1e9


# --- shared by both sides ---------------------------------------------------------------------


def step_prompts(workload: Workload, steps: int) -> list[list[Any]]:
    """The problems of each step, drawn once from one seeded generator for both sides."""
    import numpy as np

    from rlvr_envs import default_registry

    task = default_registry().task(TASK)
    rng = np.random.default_rng(SEED)
    return [[task.sample("train", rng) for _ in range(workload.prompts)] for _ in range(steps)]


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def check_length(side: str, step: int, mean_length: float, workload: Workload) -> None:
    """Every completion must be exactly ``workload.tokens`` long, or the work differs."""
    if mean_length != workload.tokens:
        raise RuntimeError(
            f"{side} step {step}: completions average {mean_length} tokens, "
            f"not exactly {workload.tokens}"
        )


class StopAfterMeasuredSteps(Exception):
    """Ends our trainer's run before its final checkpoint."""


# --- our side ---------------------------------------------------------------------------------


def our_trainer(
    workload: Workload,
    precision: str,
    steps: int,
    threads: int,
    output_dir: Path,
    on_step: Callable[[int, dict[str, Any]], None],
):
    """Our trainer on `workload`, configured for ``steps + 1`` steps: `on_step` stops it after
    the last measured one, before its final checkpoint."""
    from rlvr_envs import default_registry
    from trainers.config import TrainConfig
    from trainers.core.prompts import PromptSampler
    from trainers.models import default_model_dir
    from trainers.trainer import Trainer

    task = default_registry().task(TASK)
    plan = step_prompts(workload, steps)

    class PlannedPrompts(PromptSampler):
        def sample(self, count, step, rng):
            return [(task, problem) for problem in plan[step - 1]]

    config = TrainConfig().with_overrides(
        [
            f"model.name={default_model_dir()}",
            f"model.precision={precision}",
            f"rollout.task=rlvr/{TASK}",
            f"rollout.prompts_per_step={workload.prompts}",
            f"rollout.group_size={workload.group_size}",
            f"rollout.max_new_tokens={workload.tokens}",
            f"rollout.min_new_tokens={workload.tokens}",
            "rollout.temperature=1.0",
            "rollout.top_p=1.0",
            "algorithm.algo=grpo",
            "algorithm.kl_beta=0",
            "algorithm.epochs=1",
            f"algorithm.micro_batch={workload.micro_batch}",
            f"optim.lr={LEARNING_RATE}",
            "optim.warmup_steps=0",
            f"run.steps={steps + 1}",
            "run.eval_problems=0",
            "run.save_every=0",
            f"run.threads={threads}",
            f"run.seed={SEED}",
            f"run.output_dir={output_dir}",
        ]
    )
    return Trainer(config, prompts=PlannedPrompts(), on_step=on_step)


def run_ours(workload: Workload, precision: str, steps: int, threads: int) -> Measurement:
    records: list[dict[str, Any]] = []
    peak = 0

    def on_step(step: int, record: dict[str, Any]) -> None:
        nonlocal peak
        check_length("our", step, record["response_length"], workload)
        records.append(record)
        if step == steps:
            peak = peak_rss_bytes()
            raise StopAfterMeasuredSteps

    with tempfile.TemporaryDirectory(prefix="trainer-vs-trl-") as folder:
        trainer = our_trainer(workload, precision, steps, threads, Path(folder), on_step)
        with contextlib.suppress(StopAfterMeasuredSteps):
            trainer.run()
    return Measurement(
        side="ours",
        workload=workload.name,
        precision=precision,
        step_seconds=[record["seconds_step"] for record in records],
        generate_seconds=[record["seconds_generate"] for record in records],
        peak_rss_bytes=peak,
    )


# --- TRL's side -------------------------------------------------------------------------------


def run_trl(
    workload: Workload, precision: str, steps: int, threads: int, gradient_checkpointing: bool
) -> Measurement:
    import torch
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    from rlvr_envs import default_registry
    from trainers.models import default_model_dir, load_model

    if precision != "fp32":
        raise ValueError("TRL is measured in fp32 only; the bf16-mixed row is ours alone")
    torch.set_num_threads(threads)
    task = default_registry().task(TASK)
    # In step order; with shuffle_dataset=False TRL's sampler reads them in this order.
    problems = [problem for step in step_prompts(workload, steps) for problem in step]
    dataset = Dataset.from_list(
        [
            {"prompt": task.messages(problem), "problem_index": index}
            for index, problem in enumerate(problems)
        ]
    )

    def verifier_reward(completions, problem_index, trainer_state, **_) -> list[float]:
        step = trainer_state.global_step
        if set(problem_index) != set(range(step * workload.prompts, (step + 1) * workload.prompts)):
            raise RuntimeError(f"TRL step {step + 1} drew other prompts than ours")
        verdicts = task.verify_batch(
            (problems[index], completion[0]["content"])
            for index, completion in zip(problem_index, completions, strict=True)
        )
        return [task.reward(verdict) for verdict in verdicts]

    class StepTimer(TrainerCallback):
        """Times each optimizer step and the generation inside it; checks the lengths."""

        def __init__(self) -> None:
            self.step_seconds: list[float] = []
            self.generate_seconds: list[float] = []
            self.generating = 0.0
            self.started = 0.0

        def on_step_begin(self, args, state, control, **kwargs):
            self.generating = 0.0
            self.started = time.perf_counter()

        def on_step_end(self, args, state, control, **kwargs):
            self.step_seconds.append(time.perf_counter() - self.started)
            self.generate_seconds.append(self.generating)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "completions/min_length" in logs:
                for key in ("min", "max"):
                    check_length(
                        "TRL", state.global_step, logs[f"completions/{key}_length"], workload
                    )

    loaded = load_model(str(default_model_dir()))
    with tempfile.TemporaryDirectory(prefix="trainer-vs-trl-") as folder:
        config = GRPOConfig(
            output_dir=folder,
            use_cpu=True,
            bf16=False,
            gradient_checkpointing=gradient_checkpointing,
            max_steps=steps,
            per_device_train_batch_size=workload.micro_batch,
            gradient_accumulation_steps=workload.completions // workload.micro_batch,
            num_generations=workload.group_size,
            num_iterations=1,
            max_completion_length=workload.tokens,
            generation_kwargs={"min_new_tokens": workload.tokens},
            temperature=1.0,
            top_p=1.0,
            learning_rate=LEARNING_RATE,
            adam_beta2=0.99,  # ours (TRL's default is 0.999); it costs nothing either way
            lr_scheduler_type="constant",
            beta=0.0,
            shuffle_dataset=False,
            seed=SEED,
            save_strategy="no",
            eval_strategy="no",
            logging_steps=1,
            report_to="none",
            disable_tqdm=True,
        )
        trainer = GRPOTrainer(
            model=loaded.model,
            reward_funcs=verifier_reward,
            args=config,
            train_dataset=dataset,
            processing_class=loaded.tokenizer,
        )
        timer = StepTimer()
        trainer.add_callback(timer)
        # TRL reports no per-step generation time of its own (its profiling goes to W&B and
        # the like), so its generation entry point is timed here to split the step.
        generate = trainer._generate

        def timed_generate(*args, **kwargs):
            started = time.perf_counter()
            try:
                return generate(*args, **kwargs)
            finally:
                timer.generating += time.perf_counter() - started

        trainer._generate = timed_generate
        trainer.train()
        peak = peak_rss_bytes()
    return Measurement(
        side="trl",
        workload=workload.name,
        precision=precision,
        step_seconds=timer.step_seconds,
        generate_seconds=timer.generate_seconds,
        peak_rss_bytes=peak,
    )


# --- the parent: one subprocess per side ------------------------------------------------------


def measure(side: str, workload: Workload, precision: str, args: argparse.Namespace) -> Measurement:
    print(
        f"running {side} on {workload.name} ({workload.describe()}, {precision}), "
        f"{args.steps} steps ...",
        file=sys.stderr,
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="trainer-vs-trl-") as folder:
        result = Path(folder) / "measurement.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--side",
            side,
            "--workload",
            workload.name,
            "--precision",
            precision,
            "--steps",
            str(args.steps),
            "--threads",
            str(args.threads),
            "--trl-gradient-checkpointing",
            args.trl_gradient_checkpointing,
            "--result",
            str(result),
        ]
        # The children's chatter goes to stderr, so that stdout carries only the report.
        subprocess.run(command, check=True, stdout=sys.stderr)
        measurement = Measurement(**json.loads(result.read_text(encoding="utf-8")))
    print(
        f"  {measurement.seconds_per_step:.2f} s/step, {measurement.peak_rss_gb:.2f} GB peak RSS",
        file=sys.stderr,
        flush=True,
    )
    return measurement


def run_side(args: argparse.Namespace) -> None:
    """A child's work: one side on one workload, its measurement written to ``--result``."""
    workload = WORKLOADS[args.workload]
    if args.side == "ours":
        measurement = run_ours(workload, args.precision, args.steps, args.threads)
    else:
        gradient_checkpointing = args.trl_gradient_checkpointing == "on"
        measurement = run_trl(
            workload, args.precision, args.steps, args.threads, gradient_checkpointing
        )
    Path(args.result).write_text(json.dumps(measurement.__dict__), encoding="utf-8")


# --- profile ----------------------------------------------------------------------------------


def profile_ours(workload: Workload, precision: str, threads: int) -> str:
    """Our side for three steps: a warm-up, one step timed by phase, one under torch.profiler."""
    import torch

    spent: dict[str, float] = {}
    forward_started: list[float] = []
    optimizer_started: list[float] = []
    records: dict[int, dict[str, Any]] = {}
    timed_phases: dict[str, float] = {}
    profiler = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])

    def add(phase: str, started: float) -> None:
        spent[phase] = spent.get(phase, 0.0) + time.perf_counter() - started

    def before_forward(module, args):
        forward_started.append(time.perf_counter())

    def after_forward(module, args, output):
        # Sampling runs without autograd, the update with it.
        phase = "update forward" if torch.is_grad_enabled() else "generation forward"
        add(phase, forward_started.pop())

    def on_step(step: int, record: dict[str, Any]) -> None:
        records[step] = record
        if step == 1:
            spent.clear()
        elif step == 2:
            timed_phases.update(spent)
            profiler.start()
        else:
            profiler.stop()
            raise StopAfterMeasuredSteps

    with tempfile.TemporaryDirectory(prefix="trainer-vs-trl-") as folder:
        trainer = our_trainer(workload, precision, 3, threads, Path(folder), on_step)
        trainer.model.register_forward_pre_hook(before_forward)
        trainer.model.register_forward_hook(after_forward)
        optimizer = trainer.update.optimizer
        optimizer.register_step_pre_hook(lambda *_: optimizer_started.append(time.perf_counter()))
        optimizer.register_step_post_hook(lambda *_: add("optimizer", optimizer_started.pop()))
        with contextlib.suppress(StopAfterMeasuredSteps):
            trainer.run()
    timed = records[2]
    generation_forward = timed_phases["generation forward"]
    update_forward = timed_phases["update forward"]
    optimizer_step = timed_phases["optimizer"]
    phases = [
        ("generation: forward passes (prefill + one per token)", generation_forward),
        (
            "generation: the rest (drawing tokens, KV-cache bookkeeping, decoding)",
            timed["seconds_generate"] - generation_forward,
        ),
        ("scoring (verify_batch)", timed["seconds_score"]),
        ("update: forward passes (log-probs, entropy)", update_forward),
        (
            "update: backward, loss and gradient clipping",
            timed["seconds_update"] - update_forward - optimizer_step,
        ),
        ("update: optimizer step (AdamW)", optimizer_step),
    ]
    total = timed["seconds_step"]
    lines = [
        f"Our trainer on {workload.name} ({workload.describe()}, {precision}), "
        f"{threads} threads; step 2 of 3 (step 1 is the warm-up): {total:.2f} s",
        "",
        "| phase | s | share |",
        "|---|---|---|",
        *(f"| {name} | {seconds:.3f} | {seconds / total:.0%} |" for name, seconds in phases),
        "",
        f"Step 3 under torch.profiler ({records[3]['seconds_step']:.2f} s with the profiler's "
        "overhead), operators by self CPU time:",
        "",
        profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=15),
    ]
    return "\n".join(lines)


# --- the report -------------------------------------------------------------------------------


def report(pairs: list[tuple[Measurement, Measurement | None]], args: argparse.Namespace) -> str:
    from importlib.metadata import version

    command = "python benchmarks/trainer_vs_trl.py" + "".join(f" {a}" for a in sys.argv[1:])
    gradient_checkpointing = args.trl_gradient_checkpointing
    lines = [
        SECTION,
        "",
        f"Command: `{command}`  ",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, torch "
        f"{version('torch')}, transformers {version('transformers')}, trl {version('trl')}; "
        f"{args.threads} torch threads; {args.steps} steps per run, the first left out as a "
        f"warm-up. TRL's gradient checkpointing: {gradient_checkpointing}.",
        "",
        "Workload: prompts × completions per prompt × tokens per completion (every completion "
        "exactly that long). Both sides: SmolLM2-135M-Instruct, the same arithmetic-add-v1 "
        "prompts step by step, temperature 1, top-p 1, learning rate 1e-6, no KL term, one "
        "optimizer step per generation batch, micro-batches of "
        + " / ".join(f"{w.micro_batch} ({w.name})" for w in WORKLOADS.values())
        + " sequences, our verifier's rewards; TRL otherwise at its defaults. A step runs from "
        "the start of generation to the end of the optimizer step; generation s/step is the "
        "part spent generating.",
        "",
        "| workload | trainer | precision | s/step | generation s/step | generated tokens/s "
        "| peak RSS GB | throughput vs TRL | peak RSS vs TRL |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for ours, trl in pairs:
        workload = WORKLOADS[ours.workload]
        label = f"{workload.name} ({workload.describe()})"
        if trl is None:
            label += ", extra: our default precision, not compared"
        rows = [("rlvr-envs", ours)] + ([("TRL", trl)] if trl else [])
        for name, measurement in rows:
            throughput = memory = ""
            if trl is not None and measurement is ours:
                throughput = f"**{ours.tokens_per_second / trl.tokens_per_second:.2f}×**"
                memory = f"{ours.peak_rss_bytes / trl.peak_rss_bytes:.2f}×"
            lines.append(
                f"| {label} | {name} | {measurement.precision} "
                f"| {measurement.seconds_per_step:.2f} | {measurement.generate_per_step:.2f} "
                f"| {measurement.tokens_per_second:.0f} | {measurement.peak_rss_gb:.2f} "
                f"| {throughput} | {memory} |"
            )
        if trl is not None:
            speedup = ours.tokens_per_second / trl.tokens_per_second
            met = speedup >= THROUGHPUT_GOAL and ours.peak_rss_bytes <= trl.peak_rss_bytes
            verdicts.append(
                f"{workload.name}: {'met' if met else 'not met'} ({speedup:.2f}× the throughput, "
                f"{ours.peak_rss_bytes / trl.peak_rss_bytes:.2f}× the peak RSS)"
            )
    compared = {ours.workload for ours, trl in pairs if trl is not None}
    missing = [name for name in WORKLOADS if name not in compared]
    lines += [
        "",
        f"Goal (at least {THROUGHPUT_GOAL}× TRL's generated tokens per second at no more peak "
        f"RSS, on both workloads): {'; '.join(verdicts)}"
        + (f"; not measured in this run: {', '.join(missing)}" if missing else "")
        + ".",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", choices=[*WORKLOADS, "all"], default="all")
    parser.add_argument("--steps", type=int, default=5, help="steps per run, the first a warm-up")
    parser.add_argument("--threads", type=int, default=2, help="torch threads on both sides")
    parser.add_argument(
        "--trl-gradient-checkpointing",
        choices=["on", "off"],
        default="on",
        help="TRL's gradient checkpointing (on is TRL's default; ours has none)",
    )
    parser.add_argument(
        "--write-results", action="store_true", help="replace the section in RESULTS.md"
    )
    parser.add_argument(
        "--profile", action="store_true", help="profile one step of our side, then exit"
    )
    parser.add_argument(
        "--precision",
        choices=["fp32", "bf16-mixed", "bf16"],
        default="fp32",
        help="our precision under --profile",
    )
    # A child's arguments: which side to run, in which precision, and where to write the result.
    parser.add_argument("--side", choices=["ours", "trl"], help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.steps < 1:
        parser.error("--steps must be at least 1")
    if args.side:
        run_side(args)
        return 0
    workloads = list(WORKLOADS.values()) if args.workload == "all" else [WORKLOADS[args.workload]]
    if args.profile:
        for workload in workloads:
            print(profile_ours(workload, args.precision, args.threads) + "\n")
        return 0
    pairs: list[tuple[Measurement, Measurement | None]] = []
    for workload in workloads:
        pairs.append(
            (measure("ours", workload, "fp32", args), measure("trl", workload, "fp32", args))
        )
        if workload.name == "realistic":
            pairs.append((measure("ours", workload, "bf16-mixed", args), None))
    section = report(pairs, args)
    print(section)
    if args.write_results:
        write_section(SECTION, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The training loop: sample prompts, sample responses, score, turn rewards into advantages,
update the policy; evaluate, log, checkpoint, resume.

One step:

1. `PromptSampler` draws ``prompts_per_step`` problems; ``group_size`` responses are sampled
   for each (`sample_responses`, log-probs at the sampling temperature).
2. The task's ``verify_batch`` scores them. A verdict that is an infrastructure failure
   (``timeout``, ``verifier_error``) is no evidence about the response: it is left out of
   the group statistics and the loss, and counted in the metrics.
3. Optional DAPO shaping: the soft overlong penalty, and dynamic sampling (groups whose
   rewards are all equal carry no signal and are replaced by fresh prompts, for up to
   ``max_sampling_rounds`` rounds).
4. Group advantages, then `PolicyUpdate` (the objective, KL, aggregation, clipping).
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file

from rlvr_envs import Problem, Task, TaskRegistry, default_registry
from trainers.checkpoint import (
    Checkpoint,
    latest_checkpoint,
    restore_rng,
    rng_state,
    save_checkpoint,
)
from trainers.config import TrainConfig
from trainers.core.advantages import group_advantages, nonconstant_groups, overlong_penalty
from trainers.core.logprobs import response_logprobs
from trainers.core.prompts import PromptSampler, UniformPrompts
from trainers.core.rollout import Rollouts, SamplingSettings, sample_responses
from trainers.core.step import PolicyUpdate, UpdateBatch
from trainers.evaluate import HeldOutResult, held_out_accuracy, held_out_problems
from trainers.metrics import MetricsLog, plot_learning_curve, read_metrics
from trainers.models import LoadedModel, load_model
from trainers.objectives import OBJECTIVES, DPPOObjective, DRPOObjective, GRPOObjective, Objective

__all__ = ["TrainResult", "Trainer", "build_objective"]

StepCallback = Callable[[int, dict[str, Any]], None]


@dataclass
class TrainResult:
    output_dir: Path
    steps: int
    accuracy_before: float | None
    accuracy_after: float | None
    seconds: float
    checkpoint: Path | None
    curve: Path | None = None
    history: list[dict[str, Any]] = field(default_factory=list)


def build_objective(config: TrainConfig) -> Objective:
    algo = config.algorithm
    kind = OBJECTIVES[algo.algo]
    if kind is GRPOObjective:
        return GRPOObjective(clip_low=algo.clip_low, clip_high=algo.clip_high)
    if kind is DPPOObjective:
        deltas = {} if algo.delta is None else {"delta_low": algo.delta, "delta_high": algo.delta}
        return DPPOObjective(divergence=algo.divergence, is_cap=algo.is_cap, **deltas)
    if kind is DRPOObjective:
        return DRPOObjective() if algo.delta is None else DRPOObjective(delta=algo.delta)
    return kind()


class Trainer:
    """Runs one configured training job; see the module docstring for what a step does.

    Args:
        config: the run.
        registry: where the task is looked up (default: the default registry).
        prompts: a custom prompt sampler (a curriculum); default uniform over ``train``.
        model: an already loaded policy (tests pass tiny models); default: load
            ``config.model.name``.
        on_step: called after each step with its metrics (the CLI's progress bar).
    """

    def __init__(
        self,
        config: TrainConfig,
        *,
        registry: TaskRegistry | None = None,
        prompts: PromptSampler | None = None,
        model: LoadedModel | None = None,
        on_step: StepCallback | None = None,
    ) -> None:
        self.config = config
        self.output_dir = Path(config.run.output_dir)
        self.task: Task = (registry or default_registry()).task(config.rollout.task)
        self.prompts = prompts or UniformPrompts(self.task)
        self.on_step = on_step
        if config.run.threads > 0:
            torch.set_num_threads(config.run.threads)
        torch.manual_seed(config.run.seed)
        self.numpy_rng = np.random.default_rng(config.run.seed)
        self.sampling_rng = torch.Generator().manual_seed(config.run.seed)
        self.loaded = model or load_model(config.model.name, cache_dir=config.model.cache_dir)
        self.model = self._prepare_model(self.loaded.model)
        self.tokenizer = self.loaded.tokenizer
        self.autocast_dtype = torch.bfloat16 if config.model.precision == "bf16-mixed" else None
        self.reference = self._reference_model()
        self.update = self._policy_update()
        self.held_out = held_out_problems(self.task, config.run.eval_problems)

    # -- setup ----------------------------------------------------------------------------

    def _prepare_model(self, model: torch.nn.Module) -> torch.nn.Module:
        config = self.config.model
        if config.precision == "bf16":
            model = model.to(torch.bfloat16)
        if config.lora_rank > 0:
            from peft import LoraConfig, get_peft_model

            lora = LoraConfig(
                r=config.lora_rank,
                lora_alpha=config.lora_alpha,
                target_modules="all-linear",
                task_type="CAUSAL_LM",
            )
            model = get_peft_model(model, lora)
        model.eval()
        return model

    def _reference_model(self) -> torch.nn.Module | None:
        if self.config.algorithm.kl_beta <= 0:
            return None
        if self.config.model.lora_rank > 0:
            return None  # the base model under disabled adapters is the reference
        reference = copy.deepcopy(self.model)
        reference.requires_grad_(False)
        return reference.eval()

    def _policy_update(self) -> PolicyUpdate:
        optim, algo, rollout = self.config.optim, self.config.algorithm, self.config.rollout
        parameters = [p for p in self.model.parameters() if p.requires_grad]
        # The fused kernel updates each tensor in place: no parameter-sized temporaries (the
        # default multi-tensor path makes several, a peak of memory on every step).
        optimizer = torch.optim.AdamW(
            parameters,
            lr=optim.lr,
            betas=tuple(optim.betas),
            weight_decay=optim.weight_decay,
            fused=True,
        )
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, self._lr_factor)
        return PolicyUpdate(
            model=self.model,
            optimizer=optimizer,
            scheduler=scheduler,
            objective=build_objective(self.config),
            aggregation=algo.aggregation,
            temperature=rollout.temperature,
            horizon=rollout.max_new_tokens,
            micro_batch=algo.micro_batch,
            epochs=algo.epochs,
            kl_beta=algo.kl_beta,
            kl_estimator=algo.kl_estimator,
            max_grad_norm=optim.max_grad_norm,
            autocast_dtype=self.autocast_dtype,
        )

    def _lr_factor(self, step: int) -> float:
        optim, total = self.config.optim, self.config.run.steps
        if step < optim.warmup_steps:
            return (step + 1) / (optim.warmup_steps + 1)
        progress = (step - optim.warmup_steps) / max(1, total - optim.warmup_steps)
        if optim.schedule == "linear":
            return max(0.0, 1.0 - progress)
        if optim.schedule == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
        return 1.0

    # -- the run --------------------------------------------------------------------------

    def run(self, *, resume: bool = False) -> TrainResult:
        started = time.perf_counter()
        run = self.config.run
        self.output_dir.mkdir(parents=True, exist_ok=True)
        (self.output_dir / "config.yaml").write_text(self.config.to_yaml(), encoding="utf-8")
        state: dict[str, Any] = {}
        first_step = 0
        checkpoint = latest_checkpoint(self.output_dir / "checkpoints") if resume else None
        if checkpoint is not None:
            state = self._restore(checkpoint)
            first_step = checkpoint.step
        log = MetricsLog(self.output_dir, resume_after=first_step if resume else None)
        try:
            if "accuracy_before" not in state:
                before = self._evaluate()
                state["accuracy_before"] = before.accuracy if before else None
                if before:
                    log.write(0, self._eval_record(before))
            last_saved = checkpoint.path if checkpoint else None
            for step in range(first_step + 1, run.steps + 1):
                record = self._train_step(step)
                log.write(step, record)
                if run.eval_every and step % run.eval_every == 0 and step < run.steps:
                    held_out = self._evaluate()
                    if held_out:
                        log.write(step, self._eval_record(held_out))
                if step == run.steps or (run.save_every and step % run.save_every == 0):
                    last_saved = self._save(step, state).path
                if self.on_step:
                    self.on_step(step, record)
            after = self._final_evaluation(log, finished_before=first_step == run.steps)
        finally:
            log.close()
        history = read_metrics(log.path)
        curve = plot_learning_curve(
            self.output_dir / "learning_curve.png",
            history,
            title=f"{self.config.algorithm.algo} on {self.task.id}",
        )
        return TrainResult(
            output_dir=self.output_dir,
            steps=run.steps,
            accuracy_before=state.get("accuracy_before"),
            accuracy_after=after,
            seconds=time.perf_counter() - started,
            checkpoint=last_saved,
            curve=curve,
            history=history,
        )

    def _final_evaluation(self, log: MetricsLog, *, finished_before: bool) -> float | None:
        """Held-out accuracy after the last step; a resumed run that had already finished
        reports the evaluation it logged rather than logging a second one."""
        steps = self.config.run.steps
        if finished_before:
            logged = [
                r for r in read_metrics(log.path) if r.get("kind") == "eval" and r["step"] == steps
            ]
            if logged:
                return logged[-1]["eval_accuracy"]
        after = self._evaluate()
        if after is None:
            return None
        log.write(steps, self._eval_record(after))
        return after.accuracy

    def _train_step(self, step: int) -> dict[str, Any]:
        rollout = self.config.rollout
        timings = {"generate": 0.0, "score": 0.0}
        batch, stats = self._collect(step, timings)
        if self.config.algorithm.kl_beta > 0:
            started = time.perf_counter()
            batch.reference_logprobs = self._reference_logprobs(batch.rollouts)
            timings["reference"] = time.perf_counter() - started
        started = time.perf_counter()
        update = self.update(batch) if batch.loss_mask.any() else {}
        timings["update"] = time.perf_counter() - started
        tokens = float(batch.rollouts.response_mask.sum())
        return {
            "kind": "train",
            **stats,
            **update,
            "response_length": tokens / max(1, len(batch.rollouts)),
            "truncated_fraction": float(batch.rollouts.truncated.float().mean()),
            "tokens_per_second": tokens / max(timings["generate"], 1e-9),
            **{f"seconds_{phase}": seconds for phase, seconds in timings.items()},
            "seconds_step": sum(timings.values()),
            "prompts": rollout.prompts_per_step,
        }

    def _collect(self, step: int, timings: dict[str, float]) -> tuple[UpdateBatch, dict]:
        """Sample and score responses; under dynamic sampling, keep only groups with signal."""
        rollout = self.config.rollout
        settings = SamplingSettings(
            max_new_tokens=rollout.max_new_tokens,
            temperature=rollout.temperature,
            top_p=rollout.top_p,
            stop=tuple(rollout.stop),
            min_new_tokens=rollout.min_new_tokens,
        )
        rounds = rollout.max_sampling_rounds if rollout.difficulty_filter else 1
        kept: list[tuple[Rollouts, torch.Tensor, torch.Tensor, torch.Tensor]] = []
        all_rewards, all_correct, all_valid, infra, dropped = [], [], [], 0, 0
        wanted = rollout.prompts_per_step
        for _ in range(rounds):
            drawn = self.prompts.sample(wanted, step, self.numpy_rng)
            started = time.perf_counter()
            rollouts = sample_responses(
                self.model,
                self.tokenizer,
                [task.messages(problem) for task, problem in drawn],
                settings,
                group_size=rollout.group_size,
                generator=self.sampling_rng,
                autocast_dtype=self.autocast_dtype,
            )
            timings["generate"] += time.perf_counter() - started
            started = time.perf_counter()
            rewards, correct, valid = self._score(drawn, rollouts)
            timings["score"] += time.perf_counter() - started
            infra += int((~valid).sum())
            all_rewards.append(rewards[valid])
            all_correct.append(correct[valid])
            all_valid.append(valid)
            if rollout.overlong_buffer:
                rewards = rewards + overlong_penalty(
                    rollouts.lengths,
                    max_length=rollout.max_new_tokens,
                    buffer=rollout.overlong_buffer,
                )
            grid = (len(drawn), rollout.group_size)
            if rollout.difficulty_filter:
                informative = nonconstant_groups(rewards.view(grid), valid.view(grid))
                dropped += int((~informative).sum())
                keep_rows = informative.repeat_interleave(rollout.group_size)
                if not keep_rows.any():
                    continue
                rollouts = _select(rollouts, keep_rows)
                rewards, valid = rewards[keep_rows], valid[keep_rows]
                grid = (int(informative.sum()), rollout.group_size)
                wanted -= grid[0]
            advantages = group_advantages(
                rewards.view(grid), valid.view(grid), self.config.algorithm.advantage
            ).flatten()
            kept.append((rollouts, advantages, valid, rewards))
            if wanted <= 0 or not rollout.difficulty_filter:
                break
        rewards = torch.cat(all_rewards)
        stats = {
            "reward_mean": float(rewards.mean()) if len(rewards) else 0.0,
            "reward_std": float(rewards.std()) if len(rewards) > 1 else 0.0,
            "accuracy": float(torch.cat(all_correct).float().mean()) if len(rewards) else 0.0,
            "infrastructure_failures": infra,
            "groups_dropped": dropped,
        }
        if not kept:  # every group was constant: nothing to learn from this step
            empty = _select(rollouts, torch.zeros(len(rollouts), dtype=torch.bool))
            return UpdateBatch(empty, torch.zeros(0), empty.response_mask), stats
        merged = _concat([part[0] for part in kept], pad=self.tokenizer.pad_token_id)
        advantages = torch.cat([part[1] for part in kept])
        valid = torch.cat([part[2] for part in kept])
        loss_mask = merged.response_mask * valid.unsqueeze(1)
        return UpdateBatch(merged, advantages, loss_mask), stats

    def _score(
        self, drawn: list[tuple[Task, Problem]], rollouts: Rollouts
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        group = self.config.rollout.group_size
        items_by_task: dict[str, list[int]] = {}
        for row in range(len(rollouts)):
            items_by_task.setdefault(drawn[row // group][0].id, []).append(row)
        rewards = torch.zeros(len(rollouts))
        correct = torch.zeros(len(rollouts), dtype=torch.bool)
        valid = torch.ones(len(rollouts), dtype=torch.bool)
        for rows in items_by_task.values():
            task = drawn[rows[0] // group][0]
            verdicts = task.verify_batch(
                (drawn[row // group][1], rollouts.texts[row]) for row in rows
            )
            for row, verdict in zip(rows, verdicts, strict=True):
                rewards[row] = task.reward(verdict)
                correct[row] = verdict.status == "correct"
                valid[row] = not verdict.status.is_infrastructure_failure
        return rewards, correct, valid

    @torch.no_grad()
    def _reference_logprobs(self, rollouts: Rollouts) -> torch.Tensor:
        micro = self.config.algorithm.micro_batch
        parts = []
        for start in range(0, len(rollouts), micro):
            end = start + micro
            with self.update._autocast(), self._reference_context() as reference:
                logp, _ = response_logprobs(
                    reference,
                    rollouts.prompt_ids[start:end],
                    rollouts.prompt_mask[start:end],
                    rollouts.response_ids[start:end],
                    rollouts.response_mask[start:end],
                    temperature=self.config.rollout.temperature,
                    prompt_index=rollouts.prompt_index[start:end],
                )
            parts.append(logp.float())
        return torch.cat(parts) if parts else rollouts.logprobs

    @contextlib.contextmanager
    def _reference_context(self) -> Iterator[torch.nn.Module]:
        """The frozen reference: a copy of the initial model, or with LoRA the base model
        (the adapters switched off)."""
        if self.reference is not None:
            yield self.reference
        else:
            with self.model.disable_adapter():
                yield self.model

    def _evaluate(self) -> HeldOutResult | None:
        if not self.held_out:
            return None
        return held_out_accuracy(
            self.model,
            self.tokenizer,
            self.task,
            self.held_out,
            max_new_tokens=self.config.run.eval_max_new_tokens,
            autocast_dtype=self.autocast_dtype,
        )

    @staticmethod
    def _eval_record(result: HeldOutResult) -> dict[str, Any]:
        return {
            "kind": "eval",
            "eval_accuracy": result.accuracy,
            "eval_problems": result.problems,
            "eval_statuses": result.statuses,
            "eval_response_length": result.mean_length,
        }

    # -- checkpoints ----------------------------------------------------------------------

    def _save(self, step: int, state: dict[str, Any]) -> Checkpoint:
        update = self.update
        return save_checkpoint(
            self.output_dir / "checkpoints",
            step,
            self.model,
            self.tokenizer,
            {
                **state,
                "optimizer": update.optimizer.state_dict(),
                "scheduler": update.scheduler.state_dict(),
                "rng": rng_state(self.numpy_rng, self.sampling_rng),
                "config": self.config.to_dict(),
            },
            keep=self.config.run.keep_checkpoints,
        )

    def _restore(self, checkpoint: Checkpoint) -> dict[str, Any]:
        weights = {}
        for shard in sorted(checkpoint.path.glob("*.safetensors")):
            weights.update(load_file(shard))
        if self.config.model.lora_rank > 0:
            from peft import set_peft_model_state_dict

            set_peft_model_state_dict(self.model, weights)
        else:
            missing, unexpected = self.model.load_state_dict(weights, strict=False)
            # Tied embeddings are saved once; anything else missing means a wrong checkpoint.
            missing = [name for name in missing if "lm_head" not in name]
            if missing or unexpected:
                raise RuntimeError(
                    f"checkpoint {checkpoint.path} does not match the model: missing "
                    f"{missing[:3]}, unexpected {unexpected[:3]}"
                )
        state = checkpoint.load_state()
        self.update.optimizer.load_state_dict(state.pop("optimizer"))
        self.update.scheduler.load_state_dict(state.pop("scheduler"))
        restore_rng(state.pop("rng"), self.numpy_rng, self.sampling_rng)
        state.pop("config", None)
        state.pop("step", None)
        return state


def _select(rollouts: Rollouts, rows: torch.Tensor) -> Rollouts:
    index = rows.nonzero().squeeze(1)
    return Rollouts(
        prompt_ids=rollouts.prompt_ids[index],
        prompt_mask=rollouts.prompt_mask[index],
        response_ids=rollouts.response_ids[index],
        response_mask=rollouts.response_mask[index],
        logprobs=rollouts.logprobs[index],
        texts=[rollouts.texts[i] for i in index.tolist()],
        truncated=rollouts.truncated[index],
        prompt_index=rollouts.prompt_index[index],
    )


def _concat(parts: list[Rollouts], *, pad: int) -> Rollouts:
    if len(parts) == 1:
        return parts[0]
    prompt_width = max(p.prompt_ids.shape[1] for p in parts)
    response_width = max(p.response_ids.shape[1] for p in parts)

    def left(t: torch.Tensor, width: int, value: int) -> torch.Tensor:
        return torch.nn.functional.pad(t, (width - t.shape[1], 0), value=value)

    def right(t: torch.Tensor, width: int, value: float) -> torch.Tensor:
        return torch.nn.functional.pad(t, (0, width - t.shape[1]), value=value)

    return Rollouts(
        prompt_ids=torch.cat([left(p.prompt_ids, prompt_width, pad) for p in parts]),
        prompt_mask=torch.cat([left(p.prompt_mask, prompt_width, 0) for p in parts]),
        response_ids=torch.cat([right(p.response_ids, response_width, pad) for p in parts]),
        response_mask=torch.cat([right(p.response_mask, response_width, 0.0) for p in parts]),
        logprobs=torch.cat([right(p.logprobs, response_width, 0.0) for p in parts]),
        texts=[text for p in parts for text in p.texts],
        truncated=torch.cat([p.truncated for p in parts]),
        # Offset so that rows of different rounds never share an index (and so a prompt pass).
        prompt_index=torch.cat(
            [p.prompt_index + offset for p, offset in zip(parts, _offsets(parts), strict=True)]
        ),
    )


def _offsets(parts: list[Rollouts]) -> list[int]:
    offsets, next_free = [], 0
    for part in parts:
        offsets.append(next_free)
        if len(part):
            next_free += int(part.prompt_index.max()) + 1
    return offsets

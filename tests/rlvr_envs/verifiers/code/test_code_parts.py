"""The code verifier's parts that need no sandbox: extraction, the output comparison, the
wire encoding, the assert rewriting, the spec, and reading a harness's result."""

from __future__ import annotations

import collections
import json
import math
import subprocess
import sys

import pytest

from rlvr_envs.errors import TaskSpecError
from rlvr_envs.verifiers.code import (
    CodeOptions,
    FunctionTests,
    extract_code,
    function_tests,
    humaneval_tests,
    io_tests,
    parse_spec,
)
from rlvr_envs.verifiers.code import candidate_process as wire
from rlvr_envs.verifiers.code.asserts import instrument, prepared
from rlvr_envs.verifiers.code.function_job import harness_files, program_of, read_result
from rlvr_envs.verifiers.code.io_runs import first_difference, output_lines
from rlvr_envs.verifiers.code.recorder import CandidateFailure, Recorder
from sandboxes import Execution, RunStatus

# ------------------------------------------------------------------------------ extraction


@pytest.mark.parametrize(
    ("response", "language", "code"),
    [
        ("def f():\n    return 1\n", "python", "def f():\n    return 1"),
        ("\n\n    return 1\n\n", "python", "    return 1"),
        ("Code:\n```python\nx = 1\n```\nDone.", "python", "x = 1"),
        ("```python\nx = 1\n```\n```python\nx = 2\n```", "python", "x = 2"),
        ("```python\nx = 1\n```\n```text\noutput\n```", "python", "x = 1"),
        ("```\nx = 1\n```", "python", "x = 1"),
        ("```Python3 title=a.py\nx = 1\n```", "python", "x = 1"),
        ("```py\nx = 1\n```", "python", "x = 1"),
        ("~~~python\nx = 1\n~~~", "python", "x = 1"),
        ("   ```python\nx = 1\n   ```", "python", "x = 1"),
        ("````python\n```\ninner\n```\n````", "python", "```\ninner\n```"),
        ("```python\nx = 1\nstill going", "python", "x = 1\nstill going"),
        ("```java\nclass A {}\n```", "python", "```java\nclass A {}\n```"),
        ("```c\nint main(){}\n```\n```cpp\nint x;\n```", "c", "int main(){}"),
        ("```c++\nint x;\n```", "cpp", "int x;"),
        ("```js\nconsole.log(1)\n```", "javascript", "console.log(1)"),
        ("```python\n```", "python", ""),
    ],
)
def test_extract_auto(response, language, code):
    assert extract_code(response, language, "auto") == code


def test_extract_whole_ignores_fences():
    response = "```python\nx = 1\n```"
    assert extract_code(response, "python", "whole") == response


# ------------------------------------------------------------------------ output comparison


@pytest.mark.parametrize(
    ("actual", "expected", "difference"),
    [
        ("3\n", "3\n", None),
        ("3", "3\n", None),
        ("3  \t\n\n\n", "3\n", None),
        ("a b\r\nc\r\n", "a b\nc\n", None),
        ("", "", None),
        ("\n\n", "", None),
        (" 3\n", "3\n", "line 1 is ' 3', expected '3'"),
        ("1\n\n2\n", "1\n2\n", "line 2 is '', expected '2'"),
        ("1.0\n", "1\n", "line 1 is '1.0', expected '1'"),
        ("1\n", "1\n2\n", "the output ends after 1 lines, expected 2"),
        ("", "1\n", "the program printed nothing, expected '1' first"),
        ("1\n2\n3\n", "1\n", "the output has 2 extra lines, from '2'"),
        ("YES\n", "yes\n", "line 1 is 'YES', expected 'yes'"),
    ],
)
def test_output_comparison(actual, expected, difference):
    assert first_difference(actual, expected) == difference


def test_output_lines():
    assert output_lines("a  \nb\t\n\n") == ["a", "b"]


# ----------------------------------------------------------------------------- the wire

PLAIN_VALUES = [
    None,
    True,
    0,
    -(10**400),
    2**4000 + 1,
    1.5,
    -0.0,
    math.inf,
    "text \ud800 with a lone surrogate",
    b"\x00\xff",
    [1, [2, [3]]],
    (1, "a", None),
    {"a": 1, (1, 2): [3], frozenset({1}): None, 2.5: b""},
    {1, "x", (2, 3)},
    frozenset({frozenset(), ()}),
    (),
    {},
    range(3, -10, -2),
]


@pytest.mark.parametrize("value", PLAIN_VALUES, ids=repr)
def test_plain_values_cross_the_wire_unchanged(value):
    message = wire.unpack(wire.pack({"value": wire.encode(value)})[wire.HEADER.size :])
    decoded = wire.decode(message["value"])
    assert decoded == value and type(decoded) is type(value)


def test_iterators_cross_as_iterators_over_their_items():
    decoded = wire.decode(wire.encode([map(str, [1, 2]), (x * x for x in range(3)), iter(())]))
    assert [type(item).__name__ for item in decoded] == ["list_iterator"] * 3
    assert [list(item) for item in decoded] == [["1", "2"], [0, 1, 4], []]
    with pytest.raises(wire.Uncheckable, match="more than 1,000,000 items"):
        wire.encode(iter(int, 1))  # endless


def test_nan_crosses_the_wire():
    assert math.isnan(wire.decode(wire.encode(math.nan)))


def test_subclasses_cross_as_their_plain_values():
    class Rigged(int):
        def __eq__(self, other):
            return True

        __hash__ = int.__hash__

    class Listy(list):
        def __iter__(self):
            return iter([99])

    Point = collections.namedtuple("Point", "x y")
    value = [Rigged(4), Listy([1, 2]), Point(1, 2), collections.Counter("aab"), True]
    decoded = wire.decode(wire.encode(value))
    assert decoded == [4, [1, 2], (1, 2), {"a": 2, "b": 1}, True]
    assert [type(item) for item in decoded] == [int, list, tuple, dict, bool]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (object(), "the value is a object; only None, bool"),
        (lambda: 1, "the value is a function"),
        (1j, "the value is a complex"),
        (bytearray(b"x"), "the value is a bytearray"),
    ],
)
def test_what_cannot_cross_the_wire(value, message):
    with pytest.raises(wire.Uncheckable, match=message):
        wire.encode(value)


def test_limits_of_the_wire():
    deep: list = []
    for _ in range(wire.MAX_DEPTH + 5):
        deep = [deep]
    with pytest.raises(wire.Uncheckable, match="nested deeper than 100 levels"):
        wire.encode(deep)
    with pytest.raises(wire.Uncheckable, match="more than 1,000,000 items"):
        wire.encode([0] * (wire.MAX_ITEMS + 1))
    with pytest.raises(wire.Uncheckable, match="more than 16 MB"):
        wire.pack({"value": "x" * (wire.MAX_MESSAGE_BYTES + 1)})


@pytest.mark.parametrize(
    "tree",
    [
        1,
        2.5,
        {"i": "0x10"},
        {"i": "1_0"},
        {"i": " 1"},
        {"i": ""},
        {"i": 5},
        {"f": "1" * 65},
        {"f": "one"},
        {"y": "zz"},
        {"t": "abc"},
        {"s": [[1]]},
        {"d": [[[1], 2]]},
        {"d": [[1, 2, 3]]},
        {"q": []},
        {"i": "1", "f": "1.0"},
        {"r": [{"i": "1"}, {"i": "2"}, {"i": "0"}]},
        {"r": [{"i": "1"}, "2", {"i": "1"}]},
        {"r": [{"i": "1"}]},
        {"n": "abc"},
        {},
    ],
    ids=repr,
)
def test_decode_refuses_what_the_encoder_never_writes(tree):
    with pytest.raises(wire.ProtocolError):
        wire.decode(tree)


@pytest.mark.parametrize(
    "payload",
    [b"[1]", b"NaN", b'{"a": NaN}', b"{", b"\xff", b"[" * 100_000],
    ids=["a list", "NaN", "a NaN inside", "truncated", "not UTF-8", "deep"],
)
def test_unpack_refuses_anything_but_a_json_object(payload):
    with pytest.raises(wire.ProtocolError):
        wire.unpack(payload)


def test_decode_refuses_deep_trees():
    tree: list = []
    for _ in range(wire.MAX_DEPTH + 5):
        tree = [tree]
    with pytest.raises(wire.ProtocolError, match="too deep"):
        wire.decode(tree)


# -------------------------------------------------------------------- the assert rewriter


def run_instrumented(test: str, candidate) -> Recorder:
    """The test code's record, rewritten as the host sends it to the harness (`prepared`);
    the same as from the rewritten tree the harness makes where the host cannot."""
    tree, sites, defines_check = instrument(test)
    from_tree = run_rewritten(compile(tree, "<tests>", "exec"), sites, defines_check, candidate)
    sent = prepared(test)
    assert sent is not None
    assert (sent["sites"], sent["defines_check"]) == (sites, defines_check)
    code = compile(sent["source"], "<tests>", "exec")
    recorder = run_rewritten(code, sent["sites"], sent["defines_check"], candidate)
    assert recorder.tests == from_tree.tests
    return recorder


def run_rewritten(code, sites: list[str], defines_check: bool, candidate) -> Recorder:
    recorder = Recorder(sites)
    namespace = {"_rlvr_record_": recorder.record, "f": candidate}
    exec(code, namespace)
    if defines_check:
        namespace["check"](candidate)
    return recorder


def test_prepared_test_code_names_what_it_imports_and_none_when_it_does_not_compile():
    sent = prepared("import math\nfrom os import path\nassert f(1) == math.pi\n")
    assert sent is not None
    assert sent["imports"] == ["math", "os", "os.path"]
    assert prepared("assert f(1) ==\n") is None


def test_each_assert_is_a_test_and_the_code_goes_on():
    def candidate(x):
        if x == 3:
            raise CandidateFailure("the call timed out after 1 s")
        return x * 2 if x < 2 else x

    recorder = run_instrumented(
        "assert True, 'never a test'\n"
        "for i in range(4):\n"
        "    assert f(i) == 2 * i, f'f({i}) is wrong'\n"
        "assert f(1) in (2, 3)\n"
        "assert 0 < f(1) < 2\n"
        "assert f(0) + None\n",
        candidate,
    )
    assert recorder.tests == [
        {"name": "assert f(i) == 2 * i, f'f({i}) is wrong'", "passed": True, "reason": ""},
        {"name": "assert f(i) == 2 * i, f'f({i}) is wrong' [run 2]", "passed": True, "reason": ""},
        {
            "name": "assert f(i) == 2 * i, f'f({i}) is wrong' [run 3]",
            "passed": False,
            "reason": "2 == 4 is false (f(2) is wrong)",
        },
        {
            "name": "assert f(i) == 2 * i, f'f({i}) is wrong' [run 4]",
            "passed": False,
            "reason": "the call timed out after 1 s",
        },
        {"name": "assert f(1) in (2, 3)", "passed": True, "reason": ""},
        {"name": "assert 0 < f(1) < 2", "passed": False, "reason": "the assertion is false"},
        {
            "name": "assert f(0) + None",
            "passed": False,
            "reason": "the test raised TypeError: unsupported operand type(s) for +: 'int' "
            "and 'NoneType'",
        },
    ]


def test_a_check_function_is_found_and_its_asserts_rewritten():
    recorder = run_instrumented(
        "def check(candidate):\n    assert candidate(2) == 4\n    assert candidate(3) == 5\n",
        lambda x: x * 2,
    )
    assert [test["passed"] for test in recorder.tests] == [True, False]
    assert recorder.tests[1]["reason"] == "6 == 5 is false"


def test_values_in_reasons_are_short():
    recorder = run_instrumented("assert f(0) == 1\n", lambda x: "x" * 1000)
    reason = recorder.tests[0]["reason"]
    assert reason.startswith("'xxxx") and reason.endswith("xxxx' == 1 is false")
    assert "..." in reason and len(reason) < 80
    recorder = run_instrumented("assert f(0) == 1\n", lambda x: 10**5000)
    assert recorder.tests[0]["reason"] == "<an int of 16610 bits> == 1 is false"


def test_unreached_asserts_fail():
    def candidate(x):
        raise CandidateFailure("boom")

    tree, sites, _ = instrument("assert f(1) == 1\nvalue = f(2)\nassert value == 2\n")
    recorder = Recorder(sites)
    with pytest.raises(CandidateFailure):
        exec(compile(tree, "<tests>", "exec"), {"_rlvr_record_": recorder.record, "f": candidate})
    assert recorder.unreached() == [
        {
            "name": "assert value == 2",
            "passed": False,
            "reason": "not run: the test code stopped before it",
        }
    ]


# ----------------------------------------------------------------------------- the spec


def test_builders_give_valid_specs():
    assert parse_spec(function_tests(entry_point="f", test="assert f() == 1")) == FunctionTests(
        entry_point="f", test="assert f() == 1", mode="full"
    )
    record = {"prompt": "def g():\n", "entry_point": "g", "test": "def check(c): pass"}
    assert humaneval_tests(record)["mode"] == "complete"
    spec = io_tests([("1", "2"), {"stdin": "3", "expected_output": "4"}], language="cpp")
    assert parse_spec(json.dumps(spec)).tests[1].expected_output == "4"


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("not json", "the document must be a mapping"),
        ({"kind": "function", "entry_point": "a b", "test": "x"}, "must be a Python name"),
        ({"kind": "function", "entry_point": "f", "test": " "}, "test must hold test code"),
        ({"kind": "io", "tests": [], "language": "python"}, "at least one test"),
        ({"kind": "io", "tests": [{"stdin": ""}]}, "'tests.0.expected_output' is required"),
        ({"kind": "io", "tests": [], "language": "cobol"}, "'language'"),
        ({"kind": "function", "entry_point": "f", "test": "x", "tests": []}, "'tests'"),
    ],
)
def test_invalid_specs_say_what_is_wrong(reference, message):
    with pytest.raises(TaskSpecError, match=message):
        parse_spec(reference)


def test_program_of():
    complete = FunctionTests(entry_point="f", test="x", prompt="def f():\n    '''Doc.'''")
    assert program_of(complete, "    return 1") == "def f():\n    '''Doc.'''\n    return 1\n"
    full = FunctionTests(entry_point="f", test="x", prompt="import os\n", mode="full")
    assert program_of(full, "def f(): pass") == "def f(): pass"


def test_options_are_validated():
    with pytest.raises(ValueError):
        CodeOptions(test_timeout=0)
    with pytest.raises(ValueError):
        CodeOptions(reward="half")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout_seconds"):
        CodeOptions(timeout_seconds=3)  # type: ignore[call-arg]


# -------------------------------------------------------------------- the harness's files

# Imports the harness's modules from the working dir with compiling source refused.
_LOAD_WITHOUT_COMPILING = """
import importlib.machinery, sys
compile_source = importlib.machinery.SourceFileLoader.source_to_code
def refuse(self, data, path, **options):
    if data.strip():  # the empty package __init__ files have no bytecode to load
        raise AssertionError(f"{path} was compiled from source")
    return compile_source(self, data, path, **options)
importlib.machinery.SourceFileLoader.source_to_code = refuse
sys.path.insert(0, ".")
from rlvr_envs.verifiers.code import asserts, candidate_process, harness, recorder
"""


def test_the_harness_modules_load_from_their_bytecode(tmp_path):
    """Each module ships with bytecode that an interpreter of this version loads instead of
    compiling the source (most of a harness job's start-up)."""
    for name, content in harness_files(rewriter=True).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    command = [sys.executable, "-I", "-B", "-c", _LOAD_WITHOUT_COMPILING]
    loaded = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True)
    assert loaded.returncode == 0, loaded.stderr


# ------------------------------------------------------------------ reading a result

OPTIONS = CodeOptions()
NONCE = "4" * 32


def signed(**fields) -> bytes:
    result = {"nonce": NONCE, "tests": [], "passed": 0, "failed": 0, "total": 0, **fields}
    return json.dumps(result).encode()


UNSIGNED = "the harness's result is missing or not signed by this job"
KILLED = "the harness was killed (by SIGKILL); only the candidate's processes could have done it"


def ended(status: RunStatus = RunStatus.OK, code: int | None = 0, **output) -> Execution:
    return Execution(status, code, **output)


@pytest.mark.parametrize(
    ("execution", "error", "headline"),
    [
        (ended(stdout=signed(harness_error="boom")), "the harness failed: boom", None),
        (
            ended(stdout=signed(reference_error="bad")),
            "the problem's trusted code is broken: bad",
            None,
        ),
        (ended(stdout=signed(tests=5)), "the harness's result has no valid 'tests'", None),
        (
            ended(code=3, stderr=b"harness: bad spec\n"),
            "the harness failed with exit status 3: harness: bad spec",
            None,
        ),
        (
            ended(RunStatus.ERROR, None, detail="no python"),
            "the sandbox could not run the harness: no python",
            None,
        ),
        (ended(stdout=signed(nonce="5" * 32)), None, UNSIGNED),
        (ended(stdout=signed() + b"\nmore"), None, UNSIGNED),
        (ended(stdout=b""), None, UNSIGNED),
        (ended(RunStatus.TIMEOUT, -9), None, "the whole verification ran past its 30 s limit"),
        (ended(RunStatus.MEMORY, 1), None, "the candidate's processes ran out of memory"),
        (
            ended(RunStatus.OUTPUT_LIMIT, -9),
            None,
            "the harness's output was flooded past its limit",
        ),
        (ended(RunStatus.KILLED, -9, detail="by SIGKILL"), None, KILLED),
    ],
)
def test_reading_a_result(execution, error, headline):
    outcome = read_result(execution, NONCE, OPTIONS)
    assert outcome.error == error
    assert outcome.headline == headline
    if headline is not None:
        assert (outcome.passed, outcome.total) == (0, 1)

"""MBPP and stdin/stdout records: the test spec a code verifier runs, bad records named."""

from __future__ import annotations

import json
import re

import pytest

from rlvr_envs import DatasetError, DatasetSpec, TaskSpecError
from rlvr_envs.schema import validate
from rlvr_envs.sources.formats import (
    CODE_LANGUAGES,
    RECORD_FORMATS,
    adapt_record,
    code_language,
    mbpp_entry_point,
    metadata_fields,
)
from rlvr_envs.sources.jsonl import load_jsonl_source

ADD = {
    "text": "Write a function to add two numbers.",
    "code": "def add(a, b):\n    return a + b\n",
    "test_list": ["assert add(1, 2) == 3", "assert add(-1, 1) == 0", "assert add(0, 0) == 0"],
}
ECHO = {
    "problem": "Print the line you read.",
    "tests": [{"stdin": "hi\n", "expected_output": "hi\n"}, {"stdin": "", "expected_output": ""}],
}


def write_jsonl(path, *records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def load(path, record_format, *, required=()):
    return load_jsonl_source(
        {"test": path},
        id_field=None,
        reference_field="answer",
        required_fields=required,
        record_format=record_format,
    )


def test_the_code_formats_are_record_formats():
    assert {"mbpp", "io", "io-c", "io-cpp", "io-javascript"} <= set(RECORD_FORMATS)
    for name in ("mbpp", "io", "io-cpp"):
        spec = DatasetSpec(jsonl={"test": "x.jsonl"}, format=name)
        assert spec.format == name
    assert metadata_fields("io-cpp") == ("language",)
    assert metadata_fields("mbpp") == ()


def test_a_code_format_keeps_its_reference_in_answer():
    with pytest.raises(TaskSpecError, match="format 'mbpp' puts the final answer in 'answer'"):
        validate(
            DatasetSpec,
            {"jsonl": {"test": "x.jsonl"}, "format": "mbpp", "reference_field": "code"},
            where="t.yaml",
        )


# --- mbpp ------------------------------------------------------------------------------------


def test_an_mbpp_record_becomes_a_full_program_function_spec():
    record = adapt_record("mbpp", {**ADD, "task_id": 7}, "f:1")
    assert record["answer"] == {
        "kind": "function",
        "prompt": "",
        "entry_point": "add",
        "test": "assert add(1, 2) == 3\nassert add(-1, 1) == 0\nassert add(0, 0) == 0\n",
        "mode": "full",
    }
    assert record["entry_point"] == "add"
    assert record["prompt"] == (
        "Write a function to add two numbers.\nYour code should pass this test:\n\n"
        "assert add(1, 2) == 3"
    )
    # the other fields are kept as they are
    assert (record["text"], record["code"], record["task_id"]) == (ADD["text"], ADD["code"], 7)


def test_mbpp_setup_code_and_imports_run_before_the_asserts():
    record = adapt_record(
        "mbpp",
        {
            **ADD,
            "test_list": ["assert math.isclose(add(0.1, 0.2), 0.3)"],
            "test_imports": ["import math"],
            "test_setup_code": "DATA = [1, 2]\n",
        },
        "f:1",
    )
    assert record["answer"]["test"] == (
        "import math\nDATA = [1, 2]\nassert math.isclose(add(0.1, 0.2), 0.3)\n"
    )
    assert record["answer"]["entry_point"] == "add"  # math.isclose is not a bare name


def test_a_sanitized_mbpp_record_has_its_task_in_prompt():
    raw = {"prompt": "Write a function to add two numbers.", "test_list": ADD["test_list"]}
    record = adapt_record("mbpp", raw, "f:1")
    assert record["text"] == raw["prompt"]
    assert record["prompt"].startswith(raw["prompt"] + "\nYour code should pass this test:")


def test_an_mbpp_record_may_name_its_entry_point():
    record = adapt_record("mbpp", {**ADD, "entry_point": "plus"}, "f:1")
    assert record["answer"]["entry_point"] == "plus"


@pytest.mark.parametrize(
    ("first_test", "code", "entry_point"),
    [
        ("assert add(1, 2) == 3", None, "add"),
        ("assert set(common((1, 2), (2, 3))) == {2}", None, "common"),  # builtins skipped
        ("assert set(common((1, 2), (2, 3))) == {2}", "def common(a, b): ...", "common"),
        ("assert math.isclose(area(2), 12.56, rel_tol=0.01)", None, "area"),
        ("assert helper(solve(3)) == 1", "def solve(n): ...\ndef other(): ...", "solve"),
        ("assert helper(solve(3)) == 1", None, "helper"),  # first non-builtin without code
        ("assert Stack().size() == 0", "class Stack:\n    pass\n", "Stack"),
        ("assert double(2) == 4", "double = lambda x: 2 * x\n", "double"),
        ("assert len([1]) == 1", None, None),
        ("assert 1 == 1", None, None),
    ],
)
def test_the_entry_point_is_inferred_from_the_first_test(first_test, code, entry_point):
    assert mbpp_entry_point([first_test, "assert other(1) == 2"], code) == entry_point


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"code": "x = 1", "test_list": ["assert f(1)"]}, "MBPP record has no field 'text'"),
        ({**ADD, "text": 5}, "MBPP record's field 'text' must be text, got int"),
        ({**ADD, "text": "  "}, "MBPP record's field 'text' is empty"),
        (
            {"text": "t", "code": "x = 1"},
            "MBPP record's field 'test_list' must be a non-empty list of asserts, got nothing",
        ),
        (
            {**ADD, "test_list": []},
            "MBPP record's field 'test_list' must be a non-empty list of asserts, got list",
        ),
        (
            {**ADD, "test_list": "assert add(1, 2) == 3"},
            "MBPP record's field 'test_list' must be a non-empty list of asserts, "
            "got 'assert add(1, 2) == 3'",
        ),
        (
            {**ADD, "test_list": ["assert add(1, 2) == 3", 4]},
            "MBPP record's field 'test_list[1]' must be a Python statement, got int",
        ),
        (
            {**ADD, "test_list": ["assert add(1, 2) == 3", "assert add(1,"]},
            "MBPP record's field 'test_list[1]' is not valid Python (line 1:",
        ),
        ({**ADD, "code": "def add(a, b)\n"}, "MBPP record's field 'code' is not valid Python"),
        ({**ADD, "code": ["x"]}, "MBPP record's field 'code' must be text, got list"),
        (
            {**ADD, "test_setup_code": "x = ("},
            "MBPP record's field 'test_setup_code' is not valid Python",
        ),
        (
            {**ADD, "test_imports": "import math"},
            "MBPP record's field 'test_imports' must be a list of import lines, got",
        ),
        (
            {**ADD, "test_list": ["assert len([1]) == 1"]},
            "MBPP record: cannot tell which function 'test_list' checks (its first test calls "
            "no function but Python's builtins); name it in 'entry_point'",
        ),
        (
            {**ADD, "entry_point": "not a name"},
            "MBPP record's field 'entry_point' must be a function name, got 'not a name'",
        ),
    ],
)
def test_a_bad_mbpp_record_names_file_and_line(tmp_path, record, message):
    path = write_jsonl(tmp_path / "mbpp.jsonl", ADD, record)
    with pytest.raises(DatasetError, match=re.escape(f"{path}:2: {message}")):
        load(path, "mbpp")


def test_mbpp_records_become_problems(tmp_path):
    path = write_jsonl(tmp_path / "mbpp.jsonl", ADD, {**ADD, "text": "Add again."})
    source = load(path, "mbpp", required=["prompt"])
    first, second = source.iter_split("test")
    assert first.reference == first.fields["answer"]
    assert first.reference["mode"] == "full"
    assert second.fields["prompt"].startswith("Add again.\n")
    assert first.metadata == {"source": f"{path}:1"}
    assert source.describe() == "jsonl mbpp (test=mbpp.jsonl)"


# --- io --------------------------------------------------------------------------------------


def test_an_io_record_becomes_a_stdin_stdout_spec_in_python_by_default():
    record = adapt_record("io", {**ECHO, "id": "e"}, "f:1")
    assert record["answer"] == {"kind": "io", "language": "python", "tests": ECHO["tests"]}
    assert (record["language"], record["language_name"]) == ("python", "Python")
    assert (record["problem"], record["id"]) == (ECHO["problem"], "e")


@pytest.mark.parametrize(
    ("record_format", "language", "expected"),
    [
        ("io-cpp", None, "cpp"),
        ("io-c", None, "c"),
        ("io-javascript", None, "javascript"),
        ("io", "cpp", "cpp"),
        ("io-cpp", "c", "c"),  # a record's own language wins
        ("io-cpp", "python", "python"),
        ("io", "C++", "cpp"),
        ("io", "js", "javascript"),
        ("io", "Python3", "python"),
    ],
)
def test_the_language_comes_from_the_record_else_the_format(record_format, language, expected):
    raw = {**ECHO, "language": language} if language else ECHO
    record = adapt_record(record_format, raw, "f:1")
    assert record["answer"]["language"] == record["language"] == expected
    assert record["language_name"] == CODE_LANGUAGES[expected]


def test_code_language_names():
    assert [code_language(n) for n in ("python", "C", " cpp ", "c++", "JavaScript")] == [
        "python",
        "c",
        "cpp",
        "cpp",
        "javascript",
    ]
    assert code_language("rust") is None


def test_an_io_record_may_call_its_statement_question():
    record = adapt_record("io", {"question": "Echo.", "tests": ECHO["tests"]}, "f:1")
    assert record["problem"] == record["question"] == "Echo."


def test_io_tests_are_copied_not_shared():
    raw = json.loads(json.dumps(ECHO))
    record = adapt_record("io", raw, "f:1")
    raw["tests"][0]["stdin"] = "changed"
    assert record["answer"]["tests"][0]["stdin"] == "hi\n"


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"tests": ECHO["tests"]}, "io record has no field 'problem' (it has ['tests'])"),
        ({**ECHO, "problem": ""}, "io record's field 'problem' is empty"),
        (
            {"problem": "p"},
            "io record's field 'tests' must be a non-empty list of "
            '{"stdin": ..., "expected_output": ...} objects, got nothing',
        ),
        ({**ECHO, "tests": []}, "io record's field 'tests' must be a non-empty list"),
        (
            {**ECHO, "tests": {"stdin": "", "expected_output": ""}},
            "io record's field 'tests' must be a non-empty list of "
            '{"stdin": ..., "expected_output": ...} objects, got dict',
        ),
        (
            {**ECHO, "tests": [ECHO["tests"][0], "1 2"]},
            "io record's field 'tests[1]' must be an object with 'stdin' and "
            "'expected_output', got '1 2'",
        ),
        (
            {**ECHO, "tests": [{"input": "1", "output": "1"}]},
            "io record's field 'tests[0]' has unknown key 'input'; a test has only 'stdin' "
            "and 'expected_output'",
        ),
        (
            {**ECHO, "tests": [{"stdin": "1"}]},
            "io record's field 'tests[0].expected_output' must be text, got nothing",
        ),
        (
            {**ECHO, "tests": [{"stdin": 1, "expected_output": "1"}]},
            "io record's field 'tests[0].stdin' must be text, got int",
        ),
        (
            {**ECHO, "language": "rust"},
            "io record's field 'language' must be one of ['python', 'c', 'cpp', 'javascript'], "
            "got 'rust'",
        ),
        ({**ECHO, "language": 3}, "io record's field 'language' must be one of"),
    ],
)
def test_a_bad_io_record_names_file_and_line(tmp_path, record, message):
    path = write_jsonl(tmp_path / "io.jsonl", ECHO, record)
    with pytest.raises(DatasetError, match=re.escape(f"{path}:2: {message}")):
        load(path, "io")


def test_io_records_become_problems_with_the_language_in_metadata(tmp_path):
    path = write_jsonl(tmp_path / "io.jsonl", ECHO, {**ECHO, "language": "c"})
    first, second = load(path, "io-cpp", required=["problem", "language_name"]).iter_split("test")
    assert first.reference == {"kind": "io", "language": "cpp", "tests": ECHO["tests"]}
    assert first.metadata == {"source": f"{path}:1", "language": "cpp"}
    assert second.metadata["language"] == second.reference["language"] == "c"

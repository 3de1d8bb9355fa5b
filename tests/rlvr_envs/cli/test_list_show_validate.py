import json
import re

import pytest


def test_list_shows_builtin_tasks_as_json(rlvr):
    status, out, _ = rlvr("list", "--json")
    assert status == 0
    rows = [json.loads(line) for line in out.splitlines()]
    by_id = {row["id"]: row for row in rows}
    assert by_id["arithmetic-add-v1"]["gym_id"] == "rlvr/arithmetic-add-v1"
    assert by_id["arithmetic-add-v1"]["family"] == "arithmetic"
    assert by_id["arithmetic-add-v1"]["splits"] == {"test": 500, "train": None}
    assert by_id["arithmetic-retry-v1"]["max_turns"] == 3


def test_list_table_names_every_task(rlvr):
    status, out, _ = rlvr("list")
    assert status == 0
    assert "rlvr/arithmetic-mul-v1" in out


def test_list_with_tasks_dir_lists_a_yaml_task(rlvr, tmp_path, unique_id, task_file, sums_body):
    task_file(tmp_path, unique_id, sums_body)
    status, out, _ = rlvr("list", "--json", "--tasks-dir", str(tmp_path))
    assert status == 0
    ids = [json.loads(line)["id"] for line in out.splitlines()]
    assert unique_id in ids
    status, out, _ = rlvr("list", "--json", "--family", "testing", "--tasks-dir", str(tmp_path))
    assert [json.loads(line)["id"] for line in out.splitlines()] == [unique_id]


def test_yaml_with_missing_field_fails_naming_file_and_field(
    rlvr, tmp_path, unique_id, task_file, sums_body
):
    path = task_file(tmp_path, unique_id, sums_body.replace("verifier: {name: integer}\n", ""))
    status, out, err = rlvr("list", "--tasks-dir", str(tmp_path))
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith(f"rlvr: error: {path}: ")
    assert "field 'verifier' is required but missing" in err


def test_yaml_syntax_error_names_file_and_line(rlvr, tmp_path, unique_id, task_file, sums_body):
    path = task_file(tmp_path, unique_id, "prompt: [unclosed\n")
    status, _, err = rlvr("validate", "--tasks-dir", str(tmp_path))
    assert status == 2
    assert re.search(re.escape(str(path)) + r":\d+: not valid YAML", err), err


def test_bad_tasks_dir_is_a_usage_error(rlvr, tmp_path):
    status, _, err = rlvr("list", "--tasks-dir", str(tmp_path / "missing"))
    assert status == 2
    assert "does not exist" in err


def test_show_prints_spec_prompt_and_reference(rlvr):
    status, out, _ = rlvr("show", "arithmetic-add", "--problem-id", "test/0")
    assert status == 0
    assert "id: arithmetic-add-v1" in out
    assert "problem id: test/0" in out
    assert re.search(r"What is \d+ \+ \d+\?", out)


def test_show_unknown_task_is_one_line_with_suggestion(rlvr):
    status, out, err = rlvr("show", "rlvr/arithmetic-ad-v1")
    assert status == 2
    assert out == ""
    assert err == (
        "rlvr: error: no task 'rlvr/arithmetic-ad-v1' is registered. "
        "Did you mean 'arithmetic-add-v1'?\n"
    )


def test_show_unknown_version_lists_the_versions(rlvr):
    status, _, err = rlvr("show", "arithmetic-add-v9")
    assert status == 2
    assert "Available versions: arithmetic-add-v1." in err


def test_validate_builtin_tasks(rlvr):
    status, _, err = rlvr("validate")
    assert status == 0, err
    assert "0 problem(s)" in err


def test_validate_catches_a_split_bigger_than_the_problem_space(
    rlvr, tmp_path, unique_id, task_file, sums_body
):
    body = sums_body.replace("digits: 2", "digits: 1").replace("test: 20", "test: 150")
    task_file(tmp_path, unique_id, body)
    status, _, err = rlvr("validate", "--tasks-dir", str(tmp_path))
    assert status == 2
    assert "problem space is too small" in err


@pytest.mark.parametrize(
    "command", ["list", "show", "verify", "grade", "play", "validate", "eval", "compare"]
)
def test_every_subcommand_has_help(rlvr, command):
    with pytest.raises(SystemExit) as exit_info:
        rlvr(command, "--help")
    assert exit_info.value.code == 0


def test_no_command_is_a_usage_error(rlvr):
    with pytest.raises(SystemExit) as exit_info:
        rlvr()
    assert exit_info.value.code == 2


def test_list_shows_a_task_whose_data_is_missing_as_unavailable(
    rlvr, tmp_path, unique_id, task_file
):
    body = (
        "family: testing\ndataset:\n  jsonl: {test: missing.jsonl}\n"
        'prompt: "{question}"\nverifier: {name: integer}\ndefault_split: test\n'
    )
    task_file(tmp_path, unique_id, body)
    status, out, err = rlvr("list", "--json", "--tasks-dir", str(tmp_path))
    assert status == 0  # one task's missing data does not stop the listing
    row = next(json.loads(line) for line in out.splitlines() if unique_id in line)
    assert row["splits"] == {}
    assert "missing.jsonl" in row["unavailable"]
    status, out, err = rlvr("list", "--tasks-dir", str(tmp_path))
    assert status == 0
    assert f"rlvr/{unique_id} is unavailable" in err
    status, _, err = rlvr("validate", "--tasks-dir", str(tmp_path))
    assert status == 2  # validate is the strict check
    assert "missing.jsonl" in err

import json
import re

import numpy as np
import pytest

from rlvr_envs import DatasetError, Status, TaskRegistry
from rlvr_envs.sources.jsonl import load_jsonl_source


def write_jsonl(path, *records, raw_lines=()):
    lines = [json.dumps(r) for r in records] + list(raw_lines)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def load(files, *, id_field=None, reference_field="answer", required_fields=("question",)):
    return load_jsonl_source(
        files,
        id_field=id_field,
        reference_field=reference_field,
        required_fields=required_fields,
    )


def test_records_become_problems_in_file_order(tmp_path):
    path = write_jsonl(
        tmp_path / "test.jsonl",
        {"question": "1 + 1", "answer": 2, "level": "easy"},
        {"question": "2 + 3", "answer": 5},
    )
    source = load({"test": path})
    assert source.splits == ("test",)
    assert source.size("test") == 2
    first, second = source.iter_split("test")
    assert first.id == "test/0"
    assert dict(first.fields) == {"question": "1 + 1", "answer": 2, "level": "easy"}
    assert first.reference == 2
    assert first.metadata["source"] == f"{path}:1"
    assert (second.id, second.reference) == ("test/1", 5)
    assert source.get("test", "test/1") == second
    assert source.describe() == "jsonl (test=test.jsonl)"


def test_blank_lines_are_skipped_and_do_not_shift_ids(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text('{"question": "a", "answer": 1}\n\n   \n{"question": "b", "answer": 2}\n')
    source = load({"train": path})
    assert [p.id for p in source.iter_split("train")] == ["train/0", "train/1"]
    assert source.get("train", "train/1").metadata["source"] == f"{path}:4"


def test_id_field_names_the_problems(tmp_path):
    path = write_jsonl(
        tmp_path / "d.jsonl",
        {"id": "gsm-7", "question": "q", "solution": "12"},
        {"id": 8, "question": "q", "solution": "13"},
    )
    source = load({"test": path}, id_field="id", reference_field="solution")
    assert [p.id for p in source.iter_split("test")] == ["gsm-7", "8"]
    assert source.get("test", "8").reference == "13"


def test_several_splits(tmp_path):
    train = write_jsonl(
        tmp_path / "train.jsonl", *({"question": str(i), "answer": i} for i in range(5))
    )
    test = write_jsonl(tmp_path / "test.jsonl", {"question": "x", "answer": 0})
    source = load({"train": train, "test": test})
    assert source.splits == ("train", "test")
    assert (source.size("train"), source.size("test")) == (5, 1)
    rng = np.random.default_rng(0)
    drawn = {source.sample("train", rng).id for _ in range(100)}
    assert drawn == {f"train/{i}" for i in range(5)}


@pytest.mark.parametrize(
    ("lines", "line_number", "message"),
    [
        (['{"question": "a", "answer": 1}', '{"question": "b", "answer": '], 2, "not valid JSON"),
        (['{"question": "a", "answer": 1}', "[1, 2]"], 2, "expected a JSON object, got list"),
        (['"just text"'], 1, "expected a JSON object, got str"),
        (
            ['{"question": "a", "answer": 1}', "", '{"question": "b"}'],
            3,
            "record has no field 'answer' (it has ['question'])",
        ),
        (['{"answer": 1}'], 1, "record has no field 'question' (it has ['answer'])"),
    ],
)
def test_a_bad_record_is_reported_with_file_and_line(tmp_path, lines, line_number, message):
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=re.escape(f"{path}:{line_number}: {message}")):
        load({"train": path})


def test_duplicate_ids_are_refused(tmp_path):
    path = write_jsonl(
        tmp_path / "d.jsonl",
        {"id": "a", "question": "q", "answer": 1},
        {"id": "b", "question": "q", "answer": 1},
        {"id": "a", "question": "q", "answer": 2},
    )
    with pytest.raises(
        DatasetError, match=re.escape(f"{path}:3: duplicate id 'a' (first seen at {path}:1)")
    ):
        load({"test": path}, id_field="id")


def test_a_missing_id_field_is_reported(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", {"question": "q", "answer": 1})
    with pytest.raises(DatasetError, match=re.escape(f"{path}:1: record has no field 'uid'")):
        load({"test": path}, id_field="uid")


def test_a_missing_file_is_a_dataset_error(tmp_path):
    path = tmp_path / "missing.jsonl"
    with pytest.raises(DatasetError, match=re.escape(f"cannot read dataset file {path}")):
        load({"test": path})


def test_unknown_problem_ids_and_splits(tmp_path):
    source = load({"test": write_jsonl(tmp_path / "d.jsonl", {"question": "q", "answer": 1})})
    with pytest.raises(
        DatasetError, match=re.escape("split 'test' has no problem with id 'test/1'")
    ):
        source.get("test", "test/1")
    with pytest.raises(DatasetError, match=re.escape("no split 'train'; its splits are ['test']")):
        source.get("train", "train/0")


def test_an_empty_file_is_an_empty_split(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    source = load({"test": path})
    assert source.size("test") == 0
    with pytest.raises(DatasetError, match="split 'test' is empty"):
        source.sample("test", np.random.default_rng(0))


def test_integers_beyond_pythons_conversion_limit_load_as_digits(tmp_path):
    huge = "7" * 5000  # int() refuses more than 4300 digits by default
    path = tmp_path / "big.jsonl"
    path.write_text('{"question": "q", "answer": ' + huge + ', "small": 12}\n')
    problem = load({"test": path}).get("test", "test/0")
    assert problem.reference == huge
    assert problem.fields["small"] == 12


# --- through a task file --------------------------------------------------------------------

TASK_BODY = """\
dataset:
  jsonl: {train: data/train.jsonl, test: data/test.jsonl}
  id_field: uid
prompt: "Q: {question}"
verifier: {name: integer}
"""


def test_a_jsonl_task_plays_end_to_end(tmp_path, fresh_id, task_file):
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "train.jsonl", {"uid": "p1", "question": "6 * 7", "answer": 42})
    write_jsonl(data / "test.jsonl", {"uid": "t1", "question": "1 + 1", "answer": "2"})
    task_id = fresh_id("jsonl")
    task_file(tmp_path, task_id, TASK_BODY)  # paths are relative to the task file
    registry = TaskRegistry()
    registry.add_folder(tmp_path)
    env = registry.make(task_id)
    prompt, info = env.reset(seed=0)
    assert prompt == "Q: 6 * 7"
    assert info["problem_id"] == "p1"
    _, reward, terminated, _, info = env.step("It is 42.")
    assert (reward, terminated, info["verification"].status) == (1.0, True, Status.CORRECT)
    test_env = registry.make(task_id, split="test")
    assert test_env.reset(options={"problem_id": "t1"})[0] == "Q: 1 + 1"
    assert registry.task(task_id).describe_source() == ("jsonl train=train.jsonl, test=test.jsonl")
    assert registry.task(task_id).split_sizes() == {"train": 1, "test": 1}


def test_a_bad_record_fails_when_the_task_is_used(tmp_path, fresh_id, task_file):
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(
        data / "train.jsonl",
        {"uid": "p1", "question": "6 * 7", "answer": 42},
        {"uid": "p2", "answer": 1},
    )
    write_jsonl(data / "test.jsonl", {"uid": "t1", "question": "1 + 1", "answer": 2})
    task_id = fresh_id("jsonl")
    task_file(tmp_path, task_id, TASK_BODY)
    registry = TaskRegistry()
    registry.add_folder(tmp_path)  # the data is read on first use, not at registration
    with pytest.raises(
        DatasetError,
        match=re.escape(f"{data / 'train.jsonl'}:2: record has no field 'question'"),
    ):
        registry.make(task_id)


def test_a_record_without_the_prompt_field_is_caught_at_load(tmp_path, fresh_id, task_file):
    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "train.jsonl", {"uid": "p1", "problem": "6 * 7", "answer": 42})
    write_jsonl(data / "test.jsonl", {"uid": "t1", "question": "1 + 1", "answer": 2})
    task_id = fresh_id("jsonl")
    task_file(tmp_path, task_id, TASK_BODY)
    registry = TaskRegistry()
    registry.add_folder(tmp_path)
    with pytest.raises(
        DatasetError, match=re.escape("train.jsonl:1: record has no field 'question'")
    ):
        registry.task(task_id).split_sizes()

"""Problems from local files through Hugging Face `datasets` (installed with the dev extra)."""

import json
import re

import pytest

from rlvr_envs import DatasetError, Status, TaskRegistry
from rlvr_envs.sources.huggingface import load_huggingface_source

datasets = pytest.importorskip(
    "datasets",
    reason="Hugging Face `datasets` is not installed (pip install 'rlvr-envs[datasets]')",
)


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Keep datasets' Arrow cache out of the home folder, and each test's cache its own."""
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")


def test_json_lines_file(tmp_path):
    path = tmp_path / "train.json"
    path.write_text(
        json.dumps({"question": "1 + 1", "answer": 2})
        + "\n"
        + json.dumps({"question": "2 + 3", "answer": 5})
        + "\n"
    )
    source = load_huggingface_source(
        "json",
        {"train": path},
        id_field=None,
        reference_field="answer",
        required_fields=["question"],
    )
    assert source.splits == ("train",)
    problems = list(source.iter_split("train"))
    assert [(p.id, p.fields["question"], p.reference) for p in problems] == [
        ("train/0", "1 + 1", 2),
        ("train/1", "2 + 3", 5),
    ]
    assert problems[1].metadata["source"] == f"{path}[1]"
    assert source.describe() == "huggingface json (train=train.json)"


def test_csv_file_with_an_id_column(tmp_path):
    path = tmp_path / "test.csv"
    path.write_text("uid,question,answer\na7,1 + 2,3\nb8,4 * 4,16\n")
    source = load_huggingface_source(
        "csv",
        {"test": path},
        id_field="uid",
        reference_field="answer",
        required_fields=["question"],
    )
    assert source.size("test") == 2
    assert source.get("test", "b8").fields["question"] == "4 * 4"
    assert source.get("test", "b8").reference == 16


def test_a_missing_column_names_the_file_and_row(tmp_path):
    path = tmp_path / "test.csv"
    path.write_text("question,solution\n1 + 2,3\n")
    with pytest.raises(
        DatasetError,
        match=re.escape(
            f"{path}[0]: record has no field 'answer' (it has ['question', 'solution'])"
        ),
    ):
        load_huggingface_source("csv", {"test": path}, id_field=None, reference_field="answer")


def test_a_missing_file_is_a_dataset_error(tmp_path):
    path = tmp_path / "nope.json"
    with pytest.raises(DatasetError, match=re.escape(f"dataset file {path} does not exist")):
        load_huggingface_source("json", {"test": path}, id_field=None, reference_field="answer")


def test_an_unreadable_file_is_a_dataset_error(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"question": "1 + 1", "answer": \n')
    with pytest.raises(DatasetError, match=re.escape("datasets could not load json files")):
        load_huggingface_source("json", {"test": path}, id_field=None, reference_field="answer")


TASK_BODY = """\
dataset:
  huggingface: {builder: csv, files: {test: data/test.csv}}
default_split: test
prompt: "Compute {question}."
verifier: {name: integer, options: {extract: whole}}
"""


def test_a_huggingface_task_plays_end_to_end(tmp_path, fresh_id, task_file):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "test.csv").write_text("question,answer\n6 * 7,42\n")
    task_id = fresh_id("hf")
    task_file(tmp_path, task_id, TASK_BODY)
    registry = TaskRegistry()
    registry.add_folder(tmp_path)
    assert registry.task(task_id).describe_source() == "huggingface csv"
    env = registry.make(task_id)
    prompt, info = env.reset(seed=0)
    assert (prompt, info["problem_id"], info["split"]) == ("Compute 6 * 7.", "test/0", "test")
    _, reward, terminated, _, info = env.step("42")
    assert (reward, terminated, info["verification"].status) == (1.0, True, Status.CORRECT)

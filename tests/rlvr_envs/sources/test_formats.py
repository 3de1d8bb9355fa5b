"""GSM8K and MATH records: the final answer extracted as the reference, bad records named."""

import json
import re

import pytest

from rlvr_envs import DatasetError, Status, TaskRegistry
from rlvr_envs.sources.formats import adapt_record, gsm8k_final_answer, last_boxed
from rlvr_envs.sources.jsonl import load_jsonl_source


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


@pytest.mark.parametrize(
    ("solution", "final"),
    [
        ("3 + 4 = <<3+4=7>>7\n#### 7", "7"),
        ("Total: 1,200.\n#### 1,200", "1200"),
        ("#### 12,345,678", "12345678"),
        ("It drops.\n#### -5", "-5"),
        ("Half of 7.\n#### 3.5", "3.5"),
        ("####  42  \n", "42"),
        ("First #### 1, then\n#### 2", "2"),  # the last marker
        ("#### 1,2", "1,2"),  # not a thousands separator
        ("#### 3, 4", "3, 4"),
        ("no marker here", None),
        ("nothing after it ####   ", None),
    ],
)
def test_gsm8k_final_answer(solution, final):
    assert gsm8k_final_answer(solution) == final


@pytest.mark.parametrize(
    ("solution", "boxed"),
    [
        (r"So $x = \boxed{5}$.", "5"),
        (r"$\boxed{\frac{1}{2}}$", r"\frac{1}{2}"),
        (r"First \boxed{1}, finally \boxed{2}.", "2"),
        (r"\fbox{x + 1}", "x + 1"),
        (r"\boxed {  (2, 5) }", "(2, 5)"),
        (r"\boxed{\{1, 2\}}", r"\{1, 2\}"),  # escaped braces do not count
        (r"\boxed{\left\{ \frac{a}{b} \right\}}", r"\left\{ \frac{a}{b} \right\}"),
        (r"\boxed{}", ""),
        ("no box", None),
    ],
)
def test_last_boxed(solution, boxed):
    assert last_boxed(solution) == boxed


def test_an_unclosed_last_box_is_an_error():
    with pytest.raises(ValueError, match=re.escape(r"its last \boxed{ is never closed")):
        last_boxed(r"\boxed{1} and then \boxed{\frac{1}{2}")


def test_records_format_keeps_the_record():
    record = {"question": "q", "answer": 3}
    assert adapt_record("records", record, "f:1") == record


def test_gsm8k_records_become_problems_with_the_final_answer(tmp_path):
    path = write_jsonl(
        tmp_path / "gsm.jsonl",
        {"question": "How many?", "answer": "2 * 600 = 1,200\n#### 1,200"},
        {"question": "And now?", "answer": "#### 5", "id": "b"},
    )
    source = load(path, "gsm8k", required=["question"])
    first, second = source.iter_split("test")
    assert (first.reference, second.reference) == ("1200", "5")
    assert first.fields == {
        "question": "How many?",
        "answer": "1200",
        "solution": "2 * 600 = 1,200\n#### 1,200",
    }
    assert first.metadata == {"source": f"{path}:1"}
    assert source.describe() == "jsonl gsm8k (test=gsm.jsonl)"


def test_math_records_become_problems_with_the_boxed_answer(tmp_path):
    path = write_jsonl(
        tmp_path / "math.jsonl",
        {
            "problem": "Solve $x^2 = 4$.",
            "solution": r"So $x = \pm 2$, that is $\boxed{\{-2, 2\}}$.",
            "level": "Level 2",
            "type": "Algebra",
        },
        {"problem": "p", "solution": r"\fbox{7}"},  # level and type are optional
    )
    first, second = load(path, "math", required=["problem"]).iter_split("test")
    assert first.reference == r"\{-2, 2\}"
    assert first.fields["answer"] == r"\{-2, 2\}"
    assert first.fields["solution"].endswith(r"$\boxed{\{-2, 2\}}$.")
    assert first.metadata == {"source": f"{path}:1", "level": "Level 2", "type": "Algebra"}
    assert (second.reference, second.metadata) == ("7", {"source": f"{path}:2"})


@pytest.mark.parametrize(
    ("record_format", "record", "message"),
    [
        (
            "gsm8k",
            {"question": "q", "answer": "The answer is 4."},
            "GSM8K record has no final answer: field 'answer' must end with '#### <answer>', "
            "got 'The answer is 4.'",
        ),
        (
            "gsm8k",
            {"question": "q", "answer": "4\n####"},
            "GSM8K record has no final answer",
        ),
        ("gsm8k", {"question": "q", "answer": 4}, "GSM8K record's field 'answer' must be text"),
        ("gsm8k", {"question": "q"}, "GSM8K record has no field 'answer' (it has ['question'])"),
        (
            "math",
            {"problem": "p", "solution": "x = 4"},
            "MATH record has no final answer: field 'solution' needs a non-empty "
            "\\boxed{...}, got 'x = 4'",
        ),
        (
            "math",
            {"problem": "p", "solution": r"\boxed{ }"},
            "MATH record has no final answer",
        ),
        (
            "math",
            {"problem": "p", "solution": r"\boxed{\frac{1}{2}"},
            "MATH record's field 'solution' has no complete final answer: its last \\boxed{ is "
            "never closed",
        ),
        ("math", {"problem": "p"}, "MATH record has no field 'solution' (it has ['problem'])"),
    ],
)
def test_a_record_without_its_final_answer_names_file_and_line(
    tmp_path, record_format, record, message
):
    good = (
        {"question": "q", "answer": "#### 1"}
        if record_format == "gsm8k"
        else {"problem": "p", "solution": r"\boxed{1}"}
    )
    path = write_jsonl(tmp_path / "data.jsonl", good, record)
    with pytest.raises(DatasetError, match=re.escape(f"{path}:2: {message}")):
        load(path, record_format)


def test_a_long_solution_is_shown_by_its_end(tmp_path):
    path = write_jsonl(tmp_path / "d.jsonl", {"question": "q", "answer": "x" * 200 + " the end"})
    with pytest.raises(DatasetError, match=re.escape("got '..." + "x" * 49 + " the end'")):
        load(path, "gsm8k")


def test_huggingface_rows_are_adapted_too(tmp_path, monkeypatch):
    datasets = pytest.importorskip(
        "datasets",
        reason="Hugging Face `datasets` is not installed (pip install 'rlvr-envs[datasets]')",
    )
    from rlvr_envs.sources.huggingface import load_huggingface_source

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "hf-cache")
    path = write_jsonl(
        tmp_path / "math.json",
        {"problem": "p", "solution": r"\boxed{\sqrt{2}}", "level": "Level 1", "type": "Geometry"},
        {"problem": "q", "solution": "no box", "level": "Level 1", "type": "Geometry"},
    )
    with pytest.raises(DatasetError, match=re.escape(f"{path}[1]: MATH record has no final")):
        load_huggingface_source(
            "json", {"test": path}, id_field=None, reference_field="answer", record_format="math"
        )
    path.write_text(path.read_text().splitlines()[0] + "\n")
    source = load_huggingface_source(
        "json", {"test": path}, id_field=None, reference_field="answer", record_format="math"
    )
    (problem,) = source.iter_split("test")
    assert problem.reference == r"\sqrt{2}"
    assert problem.metadata["type"] == "Geometry"
    assert source.describe() == "huggingface json math (test=math.json)"


def test_a_gsm8k_task_file_plays_end_to_end(tmp_path, fresh_id, task_file):
    (tmp_path / "data").mkdir()
    write_jsonl(
        tmp_path / "data" / "test.jsonl",
        {"question": "What is 600 + 600?", "answer": "600 + 600 = 1,200\n#### 1,200"},
    )
    body = """\
dataset:
  jsonl: {test: data/test.jsonl}
  format: gsm8k
default_split: test
prompt: "{question}"
verifier: {name: integer}
"""
    task_id = fresh_id("gsm")
    task_file(tmp_path, task_id, body)
    registry = TaskRegistry()
    registry.add_folder(tmp_path)
    assert registry.task(task_id).describe_source() == "jsonl test=test.jsonl (gsm8k)"
    env = registry.make(task_id)
    prompt, _ = env.reset(seed=0)
    assert prompt == "What is 600 + 600?"
    _, reward, _, _, info = env.step("It is 1,200.")
    assert (reward, info["verification"].status) == (1.0, Status.CORRECT)

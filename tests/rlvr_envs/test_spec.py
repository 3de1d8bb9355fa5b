import dataclasses
import re
from pathlib import Path

import pydantic
import pytest

from rlvr_envs import (
    DatasetSpec,
    RewardSpec,
    Status,
    TaskSpec,
    TaskSpecError,
    Verification,
    VerifierSpec,
    load_task_file,
)
from rlvr_envs.registry import builtin_tasks_dir, task_files
from rlvr_envs.spec import HuggingFaceSpec, template_fields

BUILTIN_FILES = task_files(builtin_tasks_dir())

BODY = """\
dataset:
  generator: arithmetic
  params: {digits: 1}
  splits: {test: 5, train: null}
prompt: "What is {question}?"
verifier: {name: integer}
"""


@pytest.mark.parametrize("path", BUILTIN_FILES, ids=lambda p: p.stem)
def test_builtin_task_files_validate(path):
    spec = load_task_file(path)
    assert spec.id == path.stem
    assert spec.family == path.parent.name  # tasks/<family>/<id>.yaml
    assert spec.description


def test_a_task_file_is_read_with_defaults(tmp_path, task_file):
    spec = load_task_file(task_file(tmp_path, "sums-v3", BODY))
    assert spec.id == "sums-v3"
    assert (spec.name, spec.version, spec.gym_id) == ("sums", 3, "rlvr/sums-v3")
    assert spec.dataset == DatasetSpec(
        generator="arithmetic", params={"digits": 1}, splits={"test": 5, "train": None}
    )
    assert spec.verifier == VerifierSpec(name="integer")
    assert spec.reward == RewardSpec()
    assert (spec.max_turns, spec.default_split, spec.family, spec.tags) == (
        1,
        "train",
        "custom",
        (),
    )
    assert spec.split_names == ("test", "train")
    assert spec.dataset.kind == "generator"


def test_relative_data_paths_resolve_against_the_task_file(tmp_path, task_file):
    body = """\
dataset:
  jsonl: {train: data/train.jsonl, test: /abs/test.jsonl}
prompt: "{question}"
verifier: {name: integer}
"""
    spec = load_task_file(task_file(tmp_path / "sub", "files-v1", body))
    assert spec.dataset.jsonl == {
        "train": tmp_path / "sub" / "data" / "train.jsonl",
        "test": Path("/abs/test.jsonl"),
    }
    assert spec.dataset.kind == "jsonl"
    hf_body = body.replace(
        "jsonl: {train: data/train.jsonl, test: /abs/test.jsonl}",
        "huggingface: {builder: parquet, files: {train: t.parquet}}",
    )
    spec = load_task_file(task_file(tmp_path / "sub", "files-v2", hf_body))
    assert spec.dataset.huggingface == HuggingFaceSpec(
        builder="parquet", files={"train": tmp_path / "sub" / "t.parquet"}
    )
    assert spec.dataset.kind == "huggingface"
    assert spec.split_names == ("train",)


ERRORS = [
    # (name, how the body changes, the whole message after "<file>: ")
    (
        "missing prompt",
        lambda b: b.replace('prompt: "What is {question}?"\n', ""),
        "field 'prompt' is required but missing",
    ),
    (
        "missing verifier",
        lambda b: b.replace("verifier: {name: integer}\n", ""),
        "field 'verifier' is required but missing",
    ),
    (
        "verifier without a name",
        lambda b: b.replace("{name: integer}", "{}"),
        "field 'verifier.name' is required but missing",
    ),
    (
        "unknown top-level key",
        lambda b: b + "max_turn: 3\n",
        "field 'max_turn' is not a known field. Did you mean 'max_turns'? (known: dataset, "
        "default_split, description, family, id, max_response_chars, max_turns, prompt, "
        "retry_prompt, reward, system_prompt, tags, verifier)",
    ),
    (
        "unknown nested key",
        lambda b: b.replace("{name: integer}", "{name: integer, option: {}}"),
        "field 'verifier.option' is not a known field. Did you mean 'options'? "
        "(known: name, options)",
    ),
    (
        "unknown dataset key",
        lambda b: b.replace("  params: {digits: 1}\n", "  params: {digits: 1}\n  sede: 3\n"),
        "field 'dataset.sede' is not a known field. Did you mean 'seed'? (known: format, "
        "generator, huggingface, id_field, jsonl, package, params, reference_field, seed, "
        "splits)",
    ),
    (
        "unknown reward key",
        lambda b: b + "reward: {corect: 1.0}\n",
        "field 'reward.corect' is not a known field. Did you mean 'correct'? (known: correct, "
        "format_error, unparsable, wrong)",
    ),
    (
        "wrong type",
        lambda b: b + "max_turns: many\n",
        "field 'max_turns': Input should be a valid integer, unable to parse string as an "
        "integer, got 'many'",
    ),
    (
        "out of range",
        lambda b: b + "max_turns: 0\n",
        "field 'max_turns': Input should be greater than or equal to 1, got 0",
    ),
    (
        "wrong type of a nested field",
        lambda b: b + "reward: {correct: lots}\n",
        "field 'reward.correct': Input should be a valid number, unable to parse string as a "
        "number, got 'lots'",
    ),
    (
        "negative split size",
        lambda b: b.replace("test: 5", "test: -5"),
        "field 'dataset.splits.test': Input should be greater than or equal to 0, got -5",
    ),
    (
        "verifier is not a mapping",
        lambda b: b.replace("verifier: {name: integer}", "verifier: integer"),
        "field 'verifier': Input should be a dictionary or an instance of VerifierSpec, "
        "got 'integer'",
    ),
    (
        "two dataset kinds",
        lambda b: b.replace(
            "  generator: arithmetic\n", "  generator: arithmetic\n  jsonl: {a: b}\n"
        ),
        "field 'dataset': give exactly one of 'generator', 'jsonl', 'huggingface', 'package', "
        "got 'generator', 'jsonl'",
    ),
    (
        "no dataset kind",
        lambda b: b.replace("  generator: arithmetic\n", ""),
        "field 'dataset': give exactly one of 'generator', 'jsonl', 'huggingface', 'package', "
        "got none",
    ),
    (
        "generator without splits",
        lambda b: b.replace("  splits: {test: 5, train: null}\n", ""),
        "field 'dataset': a generator dataset needs 'splits', e.g. {test: 200, train: null}",
    ),
    (
        "splits on a file dataset",
        lambda b: b.replace(
            "  generator: arithmetic\n  params: {digits: 1}\n", "  jsonl: {test: t.jsonl}\n"
        ),
        "field 'dataset': 'splits' and 'params' belong to generator datasets only",
    ),
    (
        "a record format on a generator dataset",
        lambda b: b.replace(
            "  generator: arithmetic\n", "  generator: arithmetic\n  format: gsm8k\n"
        ),
        "field 'dataset': 'format' applies to 'jsonl' and 'huggingface' datasets only",
    ),
    (
        "an unknown record format",
        lambda b: b.replace(
            "  generator: arithmetic\n  params: {digits: 1}\n  splits: {test: 5, train: null}\n",
            "  jsonl: {test: t.jsonl}\n  format: aime\n",
        ),
        "field 'dataset.format': Input should be 'records', 'gsm8k', 'math', 'mbpp', 'io', "
        "'io-c', 'io-cpp', 'io-javascript' or 'proof', got 'aime'",
    ),
    (
        "a record format with another reference field",
        lambda b: b.replace(
            "  generator: arithmetic\n  params: {digits: 1}\n  splits: {test: 5, train: null}\n",
            "  jsonl: {test: t.jsonl}\n  format: math\n  reference_field: solution\n",
        ),
        "field 'dataset': format 'math' puts the final answer in 'answer'; leave "
        "'reference_field' out",
    ),
    (
        "an unknown dataset package",
        lambda b: b.replace(
            "  generator: arithmetic\n  params: {digits: 1}\n  splits: {test: 5, train: null}\n",
            "  package: chmp\n",
        ),
        "field 'dataset': unknown dataset package 'chmp'; known: champ, humaneval. "
        "Did you mean 'champ'?",
    ),
    (
        "a package dataset with a reference field",
        lambda b: b.replace(
            "  generator: arithmetic\n  params: {digits: 1}\n  splits: {test: 5, train: null}\n",
            "  package: champ\n  reference_field: solution\n",
        ),
        "field 'dataset': 'id_field' and 'reference_field' belong to file datasets; a package "
        "dataset names its own fields",
    ),
    (
        "a package dataset with params",
        lambda b: b.replace("  generator: arithmetic\n", "  package: champ\n"),
        "field 'dataset': 'splits' and 'params' belong to generator datasets only",
    ),
    (
        "default split that does not exist",
        lambda b: b + "default_split: validation\n",
        "default_split 'validation' is not one of the splits ['test', 'train']",
    ),
    (
        "prompt with a conversion",
        lambda b: b.replace("{question}", "{question!r}"),
        "prompt may only substitute plain fields like {question}, found {question!r}; write "
        "literal braces as {{ and }}",
    ),
    (
        "prompt with an unclosed brace",
        lambda b: b.replace("{question}?", "{question"),
        "prompt is not a valid template (expected '}' before end of string); write literal "
        "braces as {{ and }}",
    ),
    (
        "system prompt with a format spec",
        lambda b: b + 'system_prompt: "Answer in {fmt:>10}"\n',
        "system_prompt may only substitute plain fields like {question}, found {fmt:>10}; "
        "write literal braces as {{ and }}",
    ),
    (
        "retry prompt with another field",
        lambda b: b + 'retry_prompt: "No: {reason}. {question}"\n',
        "retry_prompt may only use {reason}, found ['reason', 'question']",
    ),
    (
        "the document is a list",
        lambda b: "- 1\n- 2\n",
        "the document must be a mapping, got a list",
    ),
    ("the document is empty", lambda b: "", "the document must be a mapping, got nothing"),
]


@pytest.mark.parametrize(("change", "message"), [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_a_broken_task_file_names_the_file_and_the_field(tmp_path, change, message):
    path = tmp_path / "sums-v1.yaml"
    path.write_text(change("id: sums-v1\n" + BODY), encoding="utf-8")
    with pytest.raises(TaskSpecError) as info:
        load_task_file(path)
    assert str(info.value) == f"{path}: {message}"


def test_an_unknown_key_is_reported_with_every_other_problem(tmp_path):
    path = tmp_path / "sums-v1.yaml"
    path.write_text("id: sums-v1\n" + BODY.replace("prompt:", "promt:"))
    with pytest.raises(TaskSpecError) as info:
        load_task_file(path)
    message = str(info.value)
    assert "field 'promt' is not a known field. Did you mean 'prompt'?" in message
    assert "field 'prompt' is required but missing" in message
    assert "is-instance" not in message  # pydantic's union internals stay hidden


def test_bad_yaml_names_the_file_and_line(tmp_path):
    path = tmp_path / "sums-v1.yaml"
    path.write_text("id: sums-v1\n" + BODY + "tags: [math, arithmetic\nfamily: x\n")
    with pytest.raises(TaskSpecError, match=re.escape(f"{path}:9: not valid YAML: ")):
        load_task_file(path)


def test_a_tab_indented_file_names_the_line(tmp_path):
    path = tmp_path / "sums-v1.yaml"
    path.write_text("id: sums-v1\ndataset:\n\tgenerator: arithmetic\n")
    with pytest.raises(TaskSpecError, match=re.escape(f"{path}:3: not valid YAML")):
        load_task_file(path)


def test_the_id_must_match_the_file_name(tmp_path):
    path = tmp_path / "sums-v1.yaml"
    path.write_text("id: sums-v2\n" + BODY)
    with pytest.raises(
        TaskSpecError,
        match=re.escape(
            f"{path}: field 'id' is 'sums-v2' but the file is named 'sums-v1.yaml'; "
            "name the file 'sums-v2.yaml'"
        ),
    ):
        load_task_file(path)


@pytest.mark.parametrize(
    "bad_id", ["Sums-v1", "sums", "sums-1", "sums-v", "-sums-v1", "sums v1", "sums-v1-"]
)
def test_ids_must_look_like_name_dash_version(tmp_path, bad_id):
    path = tmp_path / f"{bad_id}.yaml"
    path.write_text(f"id: '{bad_id}'\n" + BODY)
    with pytest.raises(
        TaskSpecError,
        match=re.escape(f"{path}: id must look like '<name>-v<N>' in lower case (e.g. "),
    ):
        load_task_file(path)


def test_an_unreadable_task_file(tmp_path):
    path = tmp_path / "sums-v1.yaml"
    path.write_bytes(b"id: sums-v1\nprompt: \xff\xfe\n")
    with pytest.raises(TaskSpecError, match=re.escape(f"{path}: cannot read task file")):
        load_task_file(path)
    with pytest.raises(TaskSpecError, match=re.escape(f"{tmp_path / 'nope-v1.yaml'}: cannot read")):
        load_task_file(tmp_path / "nope-v1.yaml")


# --- specs written in Python ----------------------------------------------------------------


def python_spec(**changes):
    fields = {
        "id": "sums-v1",
        "dataset": DatasetSpec(generator="arithmetic", splits={"test": 5, "train": None}),
        "prompt": "What is {question}?",
        "verifier": VerifierSpec(name="integer"),
    }
    return TaskSpec(**{**fields, **changes})


def test_python_specs_validate_on_construction():
    assert python_spec().gym_id == "rlvr/sums-v1"
    with pytest.raises(pydantic.ValidationError, match="id must look like"):
        python_spec(id="Sums")
    with pytest.raises(pydantic.ValidationError, match="default_split 'dev'"):
        python_spec(default_split="dev")
    with pytest.raises(pydantic.ValidationError, match="max_turns"):
        python_spec(max_turns=1001)


def test_specs_are_frozen():
    spec = python_spec()
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.prompt = "changed"  # type: ignore[misc]


def test_version_is_the_number_after_the_last_v():
    spec = python_spec(id="multi-v-part-v12")
    assert (spec.name, spec.version) == ("multi-v-part", 12)


@pytest.mark.parametrize(
    ("template", "fields"),
    [
        ("What is {question}?", ["question"]),
        ("{a} and {b} and {a}", ["a", "b", "a"]),
        ("no fields", []),
        ("\\boxed{{N}} for {question}", ["question"]),
    ],
)
def test_template_fields(template, fields):
    assert template_fields(template) == fields


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{}", "found {}"),
        ("{0}", "found {0}"),
        ("{a.b}", "found {a.b}"),
        ("{a[0]}", "found {a[0]}"),
        ("{a!s}", "found {a!s}"),
        ("{a:3}", "found {a:3}"),
        ("\\boxed{N", "is not a valid template"),
        ("}", "is not a valid template"),
    ],
)
def test_template_fields_refuses_anything_but_plain_fields(template, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        template_fields(template)


# --- rewards ---------------------------------------------------------------------------------

SHAPED = RewardSpec(correct=1.0, wrong=0.1, unparsable=-0.5, format_error=-1.0)


@pytest.mark.parametrize(
    ("status", "score", "plain", "shaped"),
    [
        (Status.CORRECT, 1.0, 1.0, 1.0),
        (Status.WRONG, 0.0, 0.0, 0.1),
        (Status.WRONG, 0.5, 0.5, 0.55),  # partial credit
        (Status.WRONG, 7.0, 1.0, 1.0),  # a score is clipped to [0, 1]
        (Status.WRONG, -3.0, 0.0, 0.1),
        (Status.UNPARSABLE, 0.0, 0.0, -0.5),
        (Status.FORMAT_ERROR, 0.0, 0.0, -1.0),
        (Status.TIMEOUT, 0.0, 0.0, 0.0),  # never shaped: says nothing about the response
        (Status.VERIFIER_ERROR, 1.0, 0.0, 0.0),
    ],
)
def test_reward_by_status(status, score, plain, shaped):
    verdict = Verification(status=status, score=score)
    assert RewardSpec().reward(verdict) == pytest.approx(plain)
    assert SHAPED.reward(verdict) == pytest.approx(shaped)

"""The fractions generator: references equal sympy's value of the question, in lowest terms."""

import re
from math import gcd
from pathlib import Path

import numpy as np
import pytest
import yaml

from rlvr_envs import TaskRegistry, TaskSpecError
from rlvr_envs.generators import find_generator
from rlvr_envs.generators.fractions import FractionsGenerator, FractionsParams

TASKS = Path(__file__).resolve().parents[3] / "tasks" / "math"
SHIPPED = [
    spec["dataset"]["params"]
    for path in sorted(TASKS.glob("*.yaml*"))
    if (spec := yaml.safe_load(path.read_text(encoding="utf-8")))["dataset"].get("generator")
    == "fractions"
]
GRID = [
    {"operations": ops, "max_denominator": den, "terms": terms, "proper": proper}
    for ops in [("+",), ("-",), ("*",), ("/",), ("+", "-", "*", "/")]
    for den, terms, proper in ((2, 2, True), (12, 4, False), (7, 3, True))
]
OPERAND = re.compile(r"\\frac\{(\d+)\}\{(\d+)\}")
REFERENCE = re.compile(r"-?\\frac\{(\d+)\}\{(\d+)\}|-?\d+")
SYMBOLS = {"+": "+", "-": "-", "\\times": "*", "\\div": "/"}


def draw(params, seeds):
    generator = FractionsGenerator(FractionsParams(**params))
    return [generator.generate(np.random.default_rng(seed)) for seed in seeds]


def test_some_tasks_ship_this_generator():
    assert len(SHIPPED) >= 2


@pytest.mark.parametrize("params", SHIPPED + GRID, ids=str)
def test_reference_is_the_value_of_the_question_in_lowest_terms(params, latex):
    knobs = FractionsParams(**params)
    for problem in draw(params, range(25)):
        question = problem.fields["question"]
        assert latex(problem.reference) == latex(question), question
        match = REFERENCE.fullmatch(problem.reference)
        assert match, problem.reference
        if match.group(1):
            numerator, denominator = int(match.group(1)), int(match.group(2))
            assert gcd(numerator, denominator) == 1 and denominator > 1, problem.reference
        operands = [(int(n), int(d)) for n, d in OPERAND.findall(question)]
        assert len(operands) == knobs.terms
        assert all(1 < d <= knobs.max_denominator and gcd(n, d) == 1 for n, d in operands)
        if knobs.proper:
            assert all(n < d for n, d in operands), question
        else:
            assert all(n < 3 * d for n, d in operands), question
        used = {SYMBOLS[s] for s in re.findall(r"\\times|\\div|(?<= )[-+](?= )", question)}
        assert used <= set(knobs.operations)
        assert problem.metadata["operations"] == sorted(used)


def test_mixed_operations_follow_the_usual_precedence(latex):
    params = {"operations": ("+", "-", "*", "/"), "max_denominator": 9, "terms": 4}
    problems = draw(params, range(200))
    mixed = [
        p for p in problems if "\\times" in p.fields["question"] and "+" in p.fields["question"]
    ]
    assert len(mixed) > 20
    for problem in mixed:
        assert latex(problem.reference) == latex(problem.fields["question"])


def test_improper_operands_appear_when_allowed():
    problems = draw({"proper": False, "max_denominator": 5}, range(100))
    operands = [
        (int(n), int(d)) for p in problems for n, d in OPERAND.findall(p.fields["question"])
    ]
    assert any(n > d for n, d in operands)


def test_whole_number_results_are_written_as_integers():
    problems = draw({"operations": ("+",), "max_denominator": 2}, range(50))
    assert {p.reference for p in problems} == {"1"}  # 1/2 + 1/2, the only problem


def test_the_same_rng_gives_the_same_problem_and_the_key_is_the_question():
    generator = FractionsGenerator(FractionsParams(operations=("+", "*"), terms=3))
    first, second = (generator.generate(np.random.default_rng(7)) for _ in range(2))
    assert first == second
    assert generator.key(first) == first.fields["question"]
    assert find_generator("fractions") is FractionsGenerator


def task_body(params):
    return f"""\
dataset:
  generator: fractions
  params: {params}
  splits: {{test: 5, train: null}}
prompt: "Compute {{question}}."
verifier: {{name: integer}}
"""


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            "{max_denominator: 1}",
            "field 'dataset.params.max_denominator': Input should be greater than or equal to 2",
        ),
        (
            '{operations: ["%"]}',
            "field 'dataset.params.operations.0': Input should be '+', '-', '*' or '/', got '%'",
        ),
        ("{operations: []}", "operations must name at least one of '+', '-', '*', '/'"),
        ("{terms: 7}", "field 'dataset.params.terms': Input should be less than or equal to 6"),
        ("{proper: maybe}", "field 'dataset.params.proper': Input should be a valid boolean"),
        ("{denominator: 5}", "field 'dataset.params.denominator' is not a known field."),
    ],
)
def test_bad_params_name_the_file_and_field(tmp_path, fresh_id, task_file, params, message):
    path = task_file(tmp_path, fresh_id("fractions"), task_body(params))
    with pytest.raises(TaskSpecError, match=re.escape(f"{path}: ") + ".*" + re.escape(message)):
        TaskRegistry().add_folder(tmp_path)

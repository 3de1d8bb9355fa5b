import ast
import itertools
import re

import numpy as np
import pytest

import rlvr_envs
from rlvr_envs import DatasetError, TaskRegistry, TaskSpecError
from rlvr_envs.generators import BUILTIN_GENERATORS, find_generator
from rlvr_envs.generators.arithmetic import ArithmeticGenerator, ArithmeticParams

KNOWN = ", ".join(sorted(BUILTIN_GENERATORS))
BUILTIN_ARITHMETIC = sorted(
    entry.id
    for entry in rlvr_envs.default_registry().entries()
    if entry.task is not None and entry.task.spec.dataset.generator == "arithmetic"
)


def draw(params, seeds):
    generator = ArithmeticGenerator(params)
    return [generator.generate(np.random.default_rng(seed)) for seed in seeds]


def operands_and_operators(question):
    """The integer literals and operators of a question, read with Python's own parser."""
    tree = ast.parse(question, mode="eval")
    numbers = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    operators = {type(n.op).__name__ for n in ast.walk(tree) if isinstance(n, ast.BinOp)}
    allowed = (ast.Expression, ast.BinOp, ast.Constant, ast.Add, ast.Sub, ast.Mult)
    assert all(isinstance(n, allowed) for n in ast.walk(tree)), question
    assert all(type(v) is int and v >= 0 for v in numbers), question
    return numbers, operators


def test_every_builtin_arithmetic_task_is_covered():
    assert len(BUILTIN_ARITHMETIC) >= 7


@pytest.mark.parametrize("task_id", BUILTIN_ARITHMETIC)
def test_reference_is_the_value_of_the_question(task_id):
    task = rlvr_envs.default_registry().task(task_id)
    params = ArithmeticParams(**task.spec.dataset.params)
    for problem in draw(params, range(400)):
        question = problem.fields["question"]
        operands_and_operators(question)
        assert problem.reference == eval(question), question
        assert type(problem.reference) is int
    # and as served: the test split and drawn train problems
    for problem in itertools.islice(task.source.iter_split("test"), 100):
        assert problem.reference == eval(problem.fields["question"])


PARAM_GRID = [
    ArithmeticParams(operations=ops, digits=digits, terms=terms, parentheses=parens, mul_digits=mul)
    for ops in [("+",), ("-",), ("*",), ("+", "-", "*")]
    for digits in (1, 3)
    for terms in (2, 5)
    for parens in (False, True)
    for mul in (None, 1)
]


@pytest.mark.parametrize("params", PARAM_GRID, ids=str)
def test_reference_is_the_value_of_the_question_for_every_knob(params):
    for problem in draw(params, range(40)):
        numbers, operators = operands_and_operators(problem.fields["question"])
        assert problem.reference == eval(problem.fields["question"])
        assert len(numbers) == params.terms
        symbols = {"Add": "+", "Sub": "-", "Mult": "*"}
        assert {symbols[o] for o in operators} <= set(params.operations)
        assert problem.metadata["terms"] == params.terms
        assert problem.metadata["digits"] == params.digits


def test_without_parentheses_the_usual_precedence_applies():
    params = ArithmeticParams(operations=("+", "-", "*"), digits=2, terms=6)
    problems = draw(params, range(300))
    assert not any("(" in p.fields["question"] for p in problems)
    assert any("*" in p.fields["question"] and "+" in p.fields["question"] for p in problems)
    for problem in problems:
        assert problem.reference == eval(problem.fields["question"])


def test_parentheses_appear_when_asked_for():
    params = ArithmeticParams(operations=("+", "-"), digits=2, terms=4, parentheses=True)
    assert any("(" in p.fields["question"] for p in draw(params, range(50)))


@pytest.mark.parametrize(("digits", "low", "high"), [(1, 0, 9), (2, 10, 99), (3, 100, 999)])
def test_digits_bound_the_operands(digits, low, high):
    params = ArithmeticParams(operations=("+",), digits=digits, terms=3)
    seen = [
        n for p in draw(params, range(300)) for n in operands_and_operators(p.fields["question"])[0]
    ]
    assert min(seen) >= low
    assert max(seen) <= high
    assert min(seen) == low or digits > 1  # one digit includes 0
    assert max(seen) > high - (high - low) // 5


def test_mul_digits_bound_the_operands_of_products_only():
    params = ArithmeticParams(operations=("*",), digits=3, mul_digits=1, terms=2)
    for problem in draw(params, range(200)):
        numbers, _ = operands_and_operators(problem.fields["question"])
        assert all(n <= 9 for n in numbers)
    params = ArithmeticParams(operations=("+",), digits=3, mul_digits=1, terms=2)
    for problem in draw(params, range(50)):
        numbers, _ = operands_and_operators(problem.fields["question"])
        assert all(100 <= n <= 999 for n in numbers)


def test_negative_false_gives_only_non_negative_results():
    params = ArithmeticParams(operations=("-",), digits=2, terms=3, negative=False)
    problems = draw(params, range(200))
    assert all(p.reference >= 0 for p in problems)
    allowed = ArithmeticParams(operations=("-",), digits=2, terms=3)
    assert any(p.reference < 0 for p in draw(allowed, range(200)))


def test_an_impossible_non_negative_request_fails_clearly():
    params = ArithmeticParams(operations=("-",), digits=1, terms=12, negative=False)
    with pytest.raises(DatasetError, match="give a negative result in each of 100 draws"):
        draw(params, [0])


def test_the_same_rng_gives_the_same_problem():
    params = ArithmeticParams(operations=("+", "-", "*"), digits=2, terms=4, parentheses=True)
    assert draw(params, [11, 12]) == draw(params, [11, 12])
    assert draw(params, [11]) != draw(params, [12])


def test_content_key_is_the_question():
    generator = ArithmeticGenerator(ArithmeticParams())
    (problem,) = draw(ArithmeticParams(), [0])
    assert generator.key(problem) == problem.fields["question"]
    assert generator.describe_params() == {
        "operations": ("+",),
        "digits": 2,
        "mul_digits": None,
        "terms": 2,
        "parentheses": False,
        "negative": True,
    }


def test_the_generator_is_found_by_name():
    assert find_generator("arithmetic") is ArithmeticGenerator
    assert BUILTIN_GENERATORS["arithmetic"] is ArithmeticGenerator
    with pytest.raises(
        TaskSpecError, match=re.escape(f"unknown generator 'arithmatic'; known: {KNOWN}.")
    ):
        find_generator("arithmatic")


# --- parameters given through a task file ----------------------------------------------------


def task_with_params(params_yaml, splits="{test: 5, train: null}"):
    return f"""\
dataset:
  generator: arithmetic
  params: {params_yaml}
  splits: {splits}
prompt: "What is {{question}}?"
verifier: {{name: integer}}
"""


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            "{digits: 0}",
            "field 'dataset.params.digits': Input should be greater than or equal to 1, got 0",
        ),
        (
            "{digits: 19}",
            "field 'dataset.params.digits': Input should be less than or equal to 18, got 19",
        ),
        ("{digits: two}", "field 'dataset.params.digits': Input should be a valid integer"),
        (
            '{operations: ["/"]}',
            "field 'dataset.params.operations.0': Input should be '+', '-' or '*', got '/'",
        ),
        ("{operations: []}", "operations must name at least one of '+', '-', '*'"),
        (
            "{terms: 1}",
            "field 'dataset.params.terms': Input should be greater than or equal to 2, got 1",
        ),
        (
            "{mul_digits: 0}",
            "field 'dataset.params.mul_digits': Input should be greater than or equal to 1",
        ),
        ("{digts: 2}", "field 'dataset.params.digts' is not a known field. Did you mean 'digits'?"),
        ("[1, 2]", "field 'dataset.params': Input should be a valid dictionary"),
    ],
)
def test_bad_params_in_a_task_file_name_the_file_and_field(
    tmp_path, fresh_id, task_file, params, message
):
    task_id = fresh_id("params")
    path = task_file(tmp_path, task_id, task_with_params(params))
    with pytest.raises(TaskSpecError, match=re.escape(f"{path}: ") + ".*" + re.escape(message)):
        TaskRegistry().add_folder(tmp_path)


def test_params_errors_are_raised_at_registration_not_at_first_use(tmp_path, fresh_id, task_file):
    registry = TaskRegistry()
    task_file(tmp_path, fresh_id("params"), task_with_params("{digits: 0}"))
    with pytest.raises(TaskSpecError):
        registry.add_folder(tmp_path)
    assert len(registry) == 0


def test_unknown_generator_in_a_task_file_names_the_file_and_field(tmp_path, fresh_id, task_file):
    task_id = fresh_id("gen")
    body = task_with_params("{}").replace("generator: arithmetic", "generator: arithmetc")
    path = task_file(tmp_path, task_id, body)
    with pytest.raises(
        TaskSpecError,
        match=re.escape(
            f"{path}: field 'dataset.generator': unknown generator 'arithmetc'; known: {KNOWN}. "
            "Did you mean 'arithmetic'?"
        ),
    ):
        TaskRegistry().add_folder(tmp_path)


def test_a_space_too_small_for_the_splits_fails_on_first_use(tmp_path, fresh_id, task_file):
    task_id = fresh_id("small")
    body = task_with_params('{operations: ["*"], digits: 1}', splits="{test: 150, train: null}")
    task_file(tmp_path, task_id, body)
    registry = TaskRegistry()
    registry.add_folder(tmp_path)
    with pytest.raises(DatasetError, match="its problem space is too small"):
        registry.make(task_id).reset(seed=0)

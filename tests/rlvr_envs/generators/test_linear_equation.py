"""The linear equation generator: the reference is sympy's solution of the equation."""

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from rlvr_envs import TaskRegistry, TaskSpecError
from rlvr_envs.generators import find_generator
from rlvr_envs.generators.linear_equation import LinearEquationGenerator, LinearEquationParams

TASKS = Path(__file__).resolve().parents[3] / "tasks" / "math"
SHIPPED = [
    spec["dataset"]["params"]
    for path in sorted(TASKS.glob("*.yaml*"))
    if (spec := yaml.safe_load(path.read_text(encoding="utf-8")))["dataset"].get("generator")
    == "linear_equation"
]
GRID = [
    {"solution": solution, "max_coefficient": m, "max_solution": s, "both_sides": both}
    for solution in ("integer", "fraction")
    for m, s, both in ((2, 1, True), (12, 20, False), (5, 3, False), (30, 50, True))
]


def draw(params, seeds):
    generator = LinearEquationGenerator(LinearEquationParams(**params))
    return [generator.generate(np.random.default_rng(seed)) for seed in seeds]


def test_some_tasks_ship_this_generator():
    assert len(SHIPPED) >= 2


@pytest.mark.parametrize("params", SHIPPED + GRID, ids=str)
def test_reference_is_the_solution(params, latex):
    sympy = pytest.importorskip("sympy")
    x = sympy.Symbol("x")
    defaults = LinearEquationParams(**params)
    for problem in draw(params, range(25)):
        left, right = problem.fields["equation"].split(" = ")
        lhs, rhs = latex(left), latex(right)
        slope, intercept = sympy.Poly(lhs - rhs, x).all_coeffs()
        solution = -intercept / slope
        value = latex(problem.reference)
        assert value == solution, problem.fields["equation"]
        assert re.fullmatch(r"-?\d+|-?\\frac\{\d+\}\{\d+\}", problem.reference)
        if defaults.solution == "integer":
            assert value.is_integer and abs(value) <= defaults.max_solution
        else:
            assert not value.is_integer
        a, b = sympy.Poly(lhs, x).all_coeffs() if lhs.has(x) else (0, lhs)
        c = sympy.Poly(rhs, x).all_coeffs()[0] if rhs.has(x) else 0
        bound = defaults.max_coefficient
        assert 0 < abs(a) <= bound and abs(b) <= bound and abs(c) <= bound
        assert (c != 0) == defaults.both_sides


def test_equations_are_written_canonically():
    problems = draw({"max_coefficient": 3}, range(300))
    equations = [p.fields["equation"] for p in problems]
    assert any(e.startswith("x ") or e.startswith("-x ") for e in equations)  # no "1 x"
    assert not any(re.search(r"(?<![0-9])1 x|\+ -|- -|\+ 0|- 0", e) for e in equations)


def test_the_same_rng_gives_the_same_problem_and_the_key_is_the_equation():
    generator = LinearEquationGenerator(LinearEquationParams(solution="fraction"))
    first, second = (generator.generate(np.random.default_rng(3)) for _ in range(2))
    assert first == second
    assert generator.key(first) == first.fields["equation"]
    assert find_generator("linear_equation") is LinearEquationGenerator


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            "{solution: complex}",
            "field 'dataset.params.solution': Input should be 'integer' or 'fraction'",
        ),
        (
            "{max_coefficient: 1}",
            "field 'dataset.params.max_coefficient': Input should be greater than or equal to 2",
        ),
        (
            "{max_solution: 0}",
            "field 'dataset.params.max_solution': Input should be greater than or equal to 1",
        ),
        ("{both_side: false}", "field 'dataset.params.both_side' is not a known field."),
    ],
)
def test_bad_params_name_the_file_and_field(tmp_path, fresh_id, task_file, params, message):
    body = f"""\
dataset:
  generator: linear_equation
  params: {params}
  splits: {{test: 5, train: null}}
prompt: "Solve {{equation}}."
verifier: {{name: integer}}
"""
    path = task_file(tmp_path, fresh_id("linear"), body)
    with pytest.raises(TaskSpecError, match=re.escape(f"{path}: ") + ".*" + re.escape(message)):
        TaskRegistry().add_folder(tmp_path)

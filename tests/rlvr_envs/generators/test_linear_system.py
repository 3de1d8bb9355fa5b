"""The linear system generator: a unique solution, equal to sympy's, as an ordered tuple."""

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from rlvr_envs import TaskRegistry, TaskSpecError
from rlvr_envs.generators import find_generator
from rlvr_envs.generators.linear_system import LinearSystemGenerator, LinearSystemParams

TASKS = Path(__file__).resolve().parents[3] / "tasks" / "math"
SHIPPED = [
    spec["dataset"]["params"]
    for path in sorted(TASKS.glob("*.yaml*"))
    if (spec := yaml.safe_load(path.read_text(encoding="utf-8")))["dataset"].get("generator")
    == "linear_system"
]
GRID = [
    {"unknowns": n, "solution": solution, "max_coefficient": m, "max_solution": s}
    for n in (2, 3)
    for solution in ("integer", "fraction")
    for m, s in ((1, 12), (7, 1))
]


def draw(params, seeds):
    generator = LinearSystemGenerator(LinearSystemParams(**params))
    return [generator.generate(np.random.default_rng(seed)) for seed in seeds]


def test_some_tasks_ship_this_generator():
    assert len(SHIPPED) >= 2


@pytest.mark.parametrize("params", SHIPPED + GRID, ids=str)
def test_reference_is_the_unique_solution_in_order(params, latex):
    sympy = pytest.importorskip("sympy")
    defaults = LinearSystemParams(**params)
    names = sympy.symbols("x y z")[: defaults.unknowns]
    for problem in draw(params, range(15)):
        lines = problem.fields["equations"].split("\n")
        assert len(lines) == defaults.unknowns
        equations = [sympy.Eq(*(latex(side) for side in line.split(" = "))) for line in lines]
        matrix, constants = sympy.linear_eq_to_matrix(equations, names)
        assert matrix.det() != 0, lines  # so the solution is unique
        assert all(0 < abs(a) <= defaults.max_coefficient for a in matrix)
        expected = sympy.Tuple(*matrix.LUsolve(constants))
        assert latex(problem.reference) == expected, lines
        assert problem.fields["unknowns"] == "(" + ", ".join(map(str, names)) + ")"
        values = list(expected)
        if defaults.solution == "integer":
            assert all(v.is_integer and abs(v) <= defaults.max_solution for v in values)
        else:
            assert not all(v.is_integer for v in values)


def test_the_same_rng_gives_the_same_problem_and_the_key_is_the_equations():
    generator = LinearSystemGenerator(LinearSystemParams(unknowns=3))
    first, second = (generator.generate(np.random.default_rng(5)) for _ in range(2))
    assert first == second
    assert generator.key(first) == first.fields["equations"]
    assert re.fullmatch(r"\(-?[\w\\{}]+, -?[\w\\{}]+, -?[\w\\{}]+\)", first.reference)
    assert find_generator("linear_system") is LinearSystemGenerator


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("{unknowns: 4}", "field 'dataset.params.unknowns': Input should be 2 or 3, got 4"),
        (
            "{max_coefficient: 0}",
            "field 'dataset.params.max_coefficient': Input should be greater than or equal to 1",
        ),
        ("{solution: real}", "field 'dataset.params.solution': Input should be 'integer'"),
        ("{variables: 2}", "field 'dataset.params.variables' is not a known field."),
    ],
)
def test_bad_params_name_the_file_and_field(tmp_path, fresh_id, task_file, params, message):
    body = f"""\
dataset:
  generator: linear_system
  params: {params}
  splits: {{test: 5, train: null}}
prompt: "Solve {{equations}}."
verifier: {{name: integer}}
"""
    path = task_file(tmp_path, fresh_id("system"), body)
    with pytest.raises(TaskSpecError, match=re.escape(f"{path}: ") + ".*" + re.escape(message)):
        TaskRegistry().add_folder(tmp_path)

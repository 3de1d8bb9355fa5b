"""The word problem generator: each template's answer, recomputed from the numbers in the
question text by an independent solution (sympy where it is an equation)."""

import math
import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from rlvr_envs import TaskRegistry, TaskSpecError
from rlvr_envs.generators import find_generator
from rlvr_envs.generators.word_problem import (
    NAMES,
    TEMPLATES,
    WordProblemGenerator,
    WordProblemParams,
)

TASKS = Path(__file__).resolve().parents[3] / "tasks" / "math"
SHIPPED = [
    spec["dataset"]["params"]
    for path in sorted(TASKS.glob("*.yaml*"))
    if (spec := yaml.safe_load(path.read_text(encoding="utf-8")))["dataset"].get("generator")
    == "word_problem"
]


def solve_ages(gap, total):
    sympy = pytest.importorskip("sympy")
    older, younger = sympy.symbols("older younger")
    solution = sympy.solve([older - younger - gap, older + younger - total], [older, younger])
    return solution[older]


# template -> how its answer follows from the question's numbers, in order
SOLUTIONS = {
    "shopping": lambda n1, p1, n2, p2: n1 * p1 + n2 * p2,
    "change": lambda n, p, bill: bill - n * p,
    "distance": lambda v, t1, w, t2: v * t1 + w * t2,
    "ages": solve_ages,
    "sharing": lambda total, kept, friends: (total - kept) / friends,
    "reading": lambda pages, per_day, days: pages - per_day * days,
    "fence": lambda length, width: 2 * (length + width),
    "saving": lambda has, weekly, goal: (goal - has) / weekly,
    "buses": lambda students, seats: math.ceil(students / seats),
}


def draw(params, seeds):
    generator = WordProblemGenerator(WordProblemParams(**params))
    return [generator.generate(np.random.default_rng(seed)) for seed in seeds]


def test_some_tasks_ship_this_generator():
    assert len(SHIPPED) >= 2
    assert set(SOLUTIONS) == set(TEMPLATES)


@pytest.mark.parametrize(
    "params",
    SHIPPED + [{"max_number": m, "templates": (t,)} for t in TEMPLATES for m in (5, 300)],
    ids=str,
)
def test_reference_is_the_answer_to_the_question(params):
    for problem in draw(params, range(40)):
        question = problem.fields["question"]
        template = problem.metadata["template"]
        numbers = [int(n) for n in re.findall(r"\d+", question)]
        answer = SOLUTIONS[template](*numbers)
        assert answer == int(answer) and answer > 0, question
        assert problem.reference == str(int(answer)), question
        assert not re.search(r"\b1 [a-z]+s\b", question), question  # no "1 dollars"


def test_every_template_is_drawn_and_the_knob_bounds_the_numbers():
    problems = draw({"max_number": 10}, range(300))
    assert {p.metadata["template"] for p in problems} == set(TEMPLATES)
    for problem in problems:
        if problem.metadata["template"] in ("shopping", "fence"):
            assert max(int(n) for n in re.findall(r"\d+", problem.fields["question"])) <= 10


def test_names_and_items_come_from_the_lists():
    problems = draw({"templates": ("ages",)}, range(200))
    older = {p.fields["question"].split(" ")[0] for p in problems}
    assert older <= set(NAMES) and len(older) > 10


def test_the_same_rng_gives_the_same_problem_and_the_key_is_the_question():
    generator = WordProblemGenerator(WordProblemParams())
    first, second = (generator.generate(np.random.default_rng(4)) for _ in range(2))
    assert first == second
    assert generator.key(first) == first.fields["question"]
    assert find_generator("word_problem") is WordProblemGenerator


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ('{templates: ["trains"]}', "field 'dataset.params.templates.0': Input should be"),
        ("{templates: []}", "templates must name at least one of shopping, change, distance"),
        (
            "{max_number: 4}",
            "field 'dataset.params.max_number': Input should be greater than or equal to 5",
        ),
    ],
)
def test_bad_params_name_the_file_and_field(tmp_path, fresh_id, task_file, params, message):
    body = f"""\
dataset:
  generator: word_problem
  params: {params}
  splits: {{test: 5, train: null}}
prompt: "{{question}}"
verifier: {{name: integer}}
"""
    path = task_file(tmp_path, fresh_id("words"), body)
    with pytest.raises(TaskSpecError, match=re.escape(f"{path}: ") + ".*" + re.escape(message)):
        TaskRegistry().add_folder(tmp_path)

"""The math tasks in tasks/math: every file loads and renders, the README lists them, and
every answer of the bundled problem sets is recomputed here independently.
"""

import json
import math
import re
import shutil
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from rlvr_envs import Task, load_task_file
from rlvr_envs.sources.formats import adapt_record

TASKS = Path(__file__).resolve().parents[2] / "tasks" / "math"
TASK_FILES = sorted(TASKS.glob("*.yaml"))
GENERATORS = {"fractions", "linear_equation", "linear_system", "quadratic", "polynomial"}


def task_id(path):
    return path.stem


def load(path):
    return Task(load_task_file(path))


def test_there_is_a_task_per_generator_and_per_problem_set():
    specs = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in TASK_FILES]
    generators = {s["dataset"].get("generator") for s in specs}
    assert generators >= GENERATORS | {"word_problem"}
    ids = {s["id"] for s in specs}
    assert {"gsm8k-sample-v1", "math-sample-v1", "champ-v1"} <= ids
    assert any(i.endswith("-cot-v1") for i in ids)


@pytest.mark.parametrize("path", TASK_FILES, ids=task_id)
def test_a_task_file_loads_and_renders(path):
    if "package: champ" in path.read_text(encoding="utf-8"):
        pytest.importorskip("champ_dataset", reason="champ-dataset is not installed")
    task = load(path)
    verifier = task.spec.verifier
    spec = task.spec
    assert spec.id == task_id(path) and spec.family == "math"
    assert verifier.name == "math"
    boxed = verifier.options.get("extract") == "boxed"
    # a chain-of-thought task asks for \boxed{} and extracts it; a direct one does neither
    assert boxed == spec.id.endswith("-cot-v1")
    assert boxed == ("\\boxed{}" in (spec.system_prompt or "").replace("{{}}", "{}"))
    for split in task.source.splits:
        if task.source.size(split) is None:
            continue
        problems = list(task.source.iter_split(split))
        assert len({p.id for p in problems}) == len(problems) > 0
        for problem in problems[:20]:
            messages = task.messages(problem)
            assert messages[-1]["content"].strip()
            assert str(problem.reference).strip()


def test_the_readme_lists_every_task():
    readme = (TASKS / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z0-9-]+-v\d+)` \|", readme, re.M))
    assert listed == {task_id(path) for path in TASK_FILES}


# --- the bundled problem sets ----------------------------------------------------------------


def read(name, record_format):
    lines = (TASKS / "data" / name).read_text(encoding="utf-8").splitlines()
    return {
        record["id"]: record
        for number, line in enumerate(lines, start=1)
        if (record := adapt_record(record_format, json.loads(line), f"{name}:{number}"))
    }


# Each answer worked out again, from the question alone.
GSM8K_ANSWERS = {
    "01": 14 * 12 - 150,
    "02": (3 * 27 + 27) // 20,
    "03": 8 * 36 // 6,
    "04": 3 * (5 * 4 + 2 * 7),
    "05": 24 * 35 - 612,
    "06": 18 * 6 * 5 - 18 * 6 * 5 // 4,
    "07": 96 // 12 * 4,
    "08": 1200 * 3 // 4 - 250,
    "09": 25 + 2 * 25 + (2 * 25 - 10),
    "10": 2 * 9 + 3 * 6 + 2 * 5,
    "11": 2 * (15 + 8) * 7,
    "12": Fraction((13 * 60 + 45) - (9 * 60 + 15), 60) * 80,
    "13": 240 - 240 // 3 - 45,
    "14": (6 * 8 - 8) - (6 * 8 - 8) // 4,
    "15": 30 * 27 // 45,
    "16": (50 - 2 * 6 - 4) // 2,
    "17": 360 - 360 * 25 // 100,
    "18": 120 // 24 * 3,
    "19": 7 * 48 - 19,
    "20": (225 - 60) // 15,
    "21": math.ceil(12 * 3 / 8),
    "22": 12 * 2350,
    "23": 56 - 56 // 7 - 12 + 20,
    "24": -4 + 11 - 9,
    "25": 2 * 1500 * 4 * 5 // 1000,
}


def test_the_gsm8k_sample_answers_are_right():
    records = read("gsm8k_sample.jsonl", "gsm8k")
    assert len(records) >= 20
    assert {i.removeprefix("gsm8k-sample-") for i in records} == set(GSM8K_ANSWERS)
    for identifier, record in records.items():
        assert record["answer"] == str(GSM8K_ANSWERS[identifier.removeprefix("gsm8k-sample-")])
        # every calculator annotation <<expression=value>> of the worked solution is right
        for expression, value in re.findall(r"<<([^=<>]+)=([^<>]+)>>", record["solution"]):
            assert Fraction(eval(expression)) == Fraction(value), (identifier, expression)


def math_answers():
    """Each MATH-sample answer computed with sympy from the problem statement."""
    sympy = pytest.importorskip("sympy")
    from sympy import Interval, Rational, oo, sqrt

    x, y, k = sympy.symbols("x y k", real=True)
    reals = sympy.S.Reals
    r, s = sympy.solve(x**2 - (k + 3) * x + 2 * k, x)
    solved = sympy.solve([y - 2 * x - 1, y + x - 7], [x, y])
    return {
        "01": Rational(sum(a + b == 8 for a in range(1, 7) for b in range(1, 7)), 36),
        "02": sqrt(72) + sqrt(50),
        "03": sympy.solveset(abs(2 * x - 3) <= 5, x, reals),
        "04": sympy.solveset(3 * (x - 2) > x + 10, x, reals),
        "05": sympy.solveset(x**3 - 4 * x, x, reals),
        "06": sympy.Tuple(solved[x], solved[y]),
        "07": sympy.expand((x + 2) ** 3),
        "08": sympy.divisor_count(360),
        "09": pow(7, 100, 5),
        "10": 6 / sqrt(3),
        "11": sympy.summation(3 * Rational(1, 3) ** k, (k, 0, oo)),
        "12": sqrt((4 - 1) ** 2 + (2 - (-2)) ** 2),
        "13": sympy.calculus.util.continuous_domain(sqrt(x - 2) + 1 / (x - 5), x, reals),
        "14": sympy.solveset(x**2 - 2 * x - 1, x, reals),
        "15": sympy.binomial(8, 3),
        "16": 5 + (50 - 1) * 4,
        "17": sympy.expand(2 * (x**2 - 1) + 3),
        "18": sqrt(3) / 4 * 6**2,
        "19": sympy.simplify(sympy.cos(sympy.pi / 12) ** 2 - sympy.sin(sympy.pi / 12) ** 2),
        "20": sympy.solve(sympy.log(x + 1, 2) - 5, x)[0],
        "21": 1 - Rational(6, 5) * Rational(4, 5),  # the fraction by which the price fell
        "22": sympy.Matrix([[2, 3], [1, 4]]).det(),
        "23": sympy.solveset(x**2 - 5 * x + 6 < 0, x, reals),
        "24": sympy.expand(r**2 + s**2),
        "25": Rational(2, 3) / Rational(4, 9) + Rational(1, 2),
        "26": next(n for n in range(1, 1000) if (n % 3, n % 4, n % 5) == (2, 3, 4)),
        "27": sympy.Tuple(*sympy.Matrix([1, 2, 0]).cross(sympy.Matrix([0, 1, 3]))),
        "intervals": Interval,
    }


def test_the_math_sample_answers_are_right(latex):
    sympy = pytest.importorskip("sympy")
    answers = math_answers()
    records = read("math_sample.jsonl", "math")
    assert len(records) >= 20
    assert {i.removeprefix("math-sample-") for i in records} == set(answers) - {"intervals"}
    real = {name: sympy.Symbol(name, real=True) for name in "xyk"}
    for identifier, record in records.items():
        number = identifier.removeprefix("math-sample-")
        expected = answers[number]
        is_set = isinstance(expected, sympy.Set)
        value = latex(
            record["answer"], intervals=is_set and not isinstance(expected, sympy.FiniteSet)
        )
        if isinstance(value, sympy.Basic):  # the test parser's symbols are not declared real
            value = value.subs({sympy.Symbol(n): s for n, s in real.items()})
        assert value == expected or sympy.simplify(value - expected) == 0, (identifier, value)
        assert record["level"] in {f"Level {n}" for n in range(1, 6)}
        assert record["type"]
    kinds = {
        "fraction": r"\\frac",
        "radical": r"\\sqrt",
        "interval": r"\[|\\infty",
        "set": r"\\\{",
        "tuple": r"^\(.*,",
        "expression": r"[xk]",
        "percent": r"\\%",
    }
    for kind, pattern in kinds.items():
        assert any(re.search(pattern, r["answer"]) for r in records.values()), kind


def test_bundled_files_are_copied_verbatim_into_the_wheel_layout():
    # the wheel force-includes tasks/, so the data must sit next to the task files
    assert shutil.disk_usage(TASKS / "data").total > 0
    assert sorted(p.name for p in (TASKS / "data").iterdir()) == [
        "gsm8k_sample.jsonl",
        "math_sample.jsonl",
    ]

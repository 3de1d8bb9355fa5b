"""The quadratic generator: references are sympy's roots, as a set in increasing order, or
the root alone when it is double; radicals simplified and fractions reduced."""

import re
from math import gcd
from pathlib import Path

import numpy as np
import pytest
import yaml

from rlvr_envs import TaskRegistry, TaskSpecError
from rlvr_envs.generators import find_generator
from rlvr_envs.generators.quadratic import QuadraticGenerator, QuadraticParams, simplify_sqrt

TASKS = Path(__file__).resolve().parents[3] / "tasks" / "math"
SHIPPED = [
    spec["dataset"]["params"]
    for path in sorted(TASKS.glob("*.yaml*"))
    if (spec := yaml.safe_load(path.read_text(encoding="utf-8")))["dataset"].get("generator")
    == "quadratic"
]
GRID = [
    {"roots": "integer", "max_root": r, "max_leading": lead, "double_roots": double}
    for r, lead, double in ((2, 1, True), (20, 4, False), (5, 2, True))
]
GRID += [
    {"roots": "rational", "max_root": r, "max_denominator": q, "double_roots": double}
    for r, q, double in ((1, 2, True), (9, 6, False), (4, 3, True))
]
GRID += [
    {"roots": "irrational", "max_leading": lead, "max_coefficient": m}
    for lead, m in ((1, 1), (5, 30), (2, 4))
]


def draw(params, seeds):
    generator = QuadraticGenerator(QuadraticParams(**params))
    return [generator.generate(np.random.default_rng(seed)) for seed in seeds]


def members(reference):
    """The members of a ``\\{a, b\\}`` reference as written, in order."""
    assert reference.startswith("\\{") and reference.endswith("\\}"), reference
    return reference[2:-2].split(", ")


def test_some_tasks_ship_this_generator():
    assert len(SHIPPED) >= 3


@pytest.mark.parametrize("params", SHIPPED + GRID, ids=str)
def test_reference_is_the_set_of_roots(params, latex):
    sympy = pytest.importorskip("sympy")
    x = sympy.Symbol("x")
    knobs = QuadraticParams(**params)
    for problem in draw(params, range(20)):
        equation = problem.fields["equation"]
        assert equation.endswith(" = 0")
        polynomial = sympy.Poly(latex(equation.removesuffix(" = 0")), x)
        a, b, c = polynomial.all_coeffs()
        assert polynomial.degree() == 2 and a > 0
        roots = sympy.roots(polynomial)  # root -> multiplicity
        assert all(root.is_real for root in roots), equation
        if len(roots) == 1:
            assert knobs.double_roots and knobs.roots != "irrational"
            assert latex(problem.reference) == next(iter(roots)), equation
            assert problem.metadata["double_root"]
            continue
        written = [latex(member) for member in members(problem.reference)]
        expected = sorted(roots, key=float)
        assert len(written) == 2 and float(written[0]) < float(written[1]), problem.reference
        assert all(sympy.expand(w - e) == 0 for w, e in zip(written, expected, strict=True)), (
            equation,
            problem.reference,
            expected,
        )
        if knobs.roots == "integer":
            assert all(r.is_integer and abs(r) <= knobs.max_root for r in roots)
            assert a <= knobs.max_leading
        elif knobs.roots == "rational":
            assert all(r.is_rational for r in roots) and not all(r.is_integer for r in roots)
            assert all(abs(r.p) <= knobs.max_root and r.q <= knobs.max_denominator for r in roots)
            assert gcd(int(a), int(b), int(c)) == 1
        else:
            assert all(r.is_irrational for r in roots)
            assert a <= knobs.max_leading and max(abs(b), abs(c)) <= knobs.max_coefficient
            assert gcd(int(a), int(b), int(c)) == 1
            for member in members(problem.reference):
                (radicand,) = re.findall(r"\\sqrt\{(\d+)\}", member)
                assert max(sympy.factorint(int(radicand)).values()) == 1, member  # square-free
                # -b, the radical's coefficient (1 when not written) and 2a, as written
                plain = re.sub(r"(\d+ )?\\sqrt\{\d+\}", lambda m: m.group(1) or "1", member)
                outside = [int(n) for n in re.findall(r"\d+", plain)]
                outside += [] if "\\frac" in member else [1]  # a denominator of 1
                assert gcd(*outside) == 1, member  # the fraction is reduced


def test_double_roots_appear_unless_excluded():
    allowed = draw({"roots": "integer", "max_root": 2}, range(100))
    assert any(p.metadata["double_root"] for p in allowed)
    assert all(not p.reference.startswith("\\{") for p in allowed if p.metadata["double_root"])
    excluded = draw({"roots": "integer", "max_root": 2, "double_roots": False}, range(100))
    assert not any(p.metadata["double_root"] for p in excluded)


def test_irrational_roots_are_written_in_simplest_form():
    problems = draw({"roots": "irrational", "max_leading": 3, "max_coefficient": 10}, range(300))
    references = {p.reference for p in problems}
    assert any("\\frac" in r for r in references)
    assert any("\\frac" not in r for r in references)  # a denominator of 1 is not written
    assert any(re.search(r"\d \\sqrt", r) for r in references)  # 2 \sqrt{3}, not \sqrt{12}
    assert any(r.startswith("\\{-\\frac{\\sqrt") for r in references)  # b = 0: -sqrt(m)/d


@pytest.mark.parametrize(("n", "k", "m"), [(12, 2, 3), (72, 6, 2), (7, 1, 7), (50, 5, 2)])
def test_simplify_sqrt(n, k, m):
    assert simplify_sqrt(n) == (k, m)


def test_the_same_rng_gives_the_same_problem_and_the_key_is_the_equation():
    generator = QuadraticGenerator(QuadraticParams(roots="rational"))
    first, second = (generator.generate(np.random.default_rng(9)) for _ in range(2))
    assert first == second
    assert generator.key(first) == first.fields["equation"]
    assert find_generator("quadratic") is QuadraticGenerator


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            "{roots: complex}",
            "field 'dataset.params.roots': Input should be 'integer', 'rational' or 'irrational'",
        ),
        (
            "{max_denominator: 1}",
            "field 'dataset.params.max_denominator': Input should be greater than or equal to 2",
        ),
        (
            "{max_leading: 0}",
            "field 'dataset.params.max_leading': Input should be greater than or equal to 1",
        ),
        ("{double_root: false}", "field 'dataset.params.double_root' is not a known field."),
    ],
)
def test_bad_params_name_the_file_and_field(tmp_path, fresh_id, task_file, params, message):
    body = f"""\
dataset:
  generator: quadratic
  params: {params}
  splits: {{test: 5, train: null}}
prompt: "Solve {{equation}}."
verifier: {{name: integer}}
"""
    path = task_file(tmp_path, fresh_id("quadratic"), body)
    with pytest.raises(TaskSpecError, match=re.escape(f"{path}: ") + ".*" + re.escape(message)):
        TaskRegistry().add_folder(tmp_path)

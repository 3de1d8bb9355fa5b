"""The polynomial generator: expansions equal sympy's, in descending powers; factored forms
are sympy's factorization of the question."""

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from rlvr_envs import TaskRegistry, TaskSpecError
from rlvr_envs.generators import find_generator
from rlvr_envs.generators.polynomial import PolynomialGenerator, PolynomialParams

TASKS = Path(__file__).resolve().parents[3] / "tasks" / "math"
SHIPPED = [
    spec["dataset"]["params"]
    for path in sorted(TASKS.glob("*.yaml*"))
    if (spec := yaml.safe_load(path.read_text(encoding="utf-8")))["dataset"].get("generator")
    == "polynomial"
]
GRID = [
    {"mode": "expand", "factors": n, "factor_degree": d, "max_constant": m, "max_leading": lead}
    for n in (2, 4)
    for d in (1, 2)
    for m, lead in ((1, 3), (9, 1))
] + [
    {"mode": "factor", "factors": n, "max_constant": m, "max_leading": lead}
    for n in (2, 4)
    for m, lead in ((1, 3), (6, 1))
]
FACTORED = re.compile(r"(?:(\d+) )?(?:x(?:\^\{(\d+)\})? ?)?(?:\(x [-+] \d+\)(?:\^\{\d+\})?)*")


def draw(params, seeds):
    generator = PolynomialGenerator(PolynomialParams(**params))
    return [generator.generate(np.random.default_rng(seed)) for seed in seeds]


def powers(polynomial):
    """The power of x of each term as written, left to right (a constant is 0)."""
    found = []
    for term in re.split(r" [-+] ", polynomial.removeprefix("-")):
        match = re.fullmatch(r"(?:[1-9]\d* )?x(?:\^\{(\d+)\})?|[1-9]\d*", term)
        assert match, (polynomial, term)  # no zero or unit coefficient, no "+ -"
        found.append(int(match.group(1)) if match.group(1) else 1 if "x" in term else 0)
    return found


def factored_parts(reference):
    """``(constant, {root: multiplicity})`` of ``2 x (x + 1)^{2}(x - 3)`` as written."""
    match = FACTORED.fullmatch(reference)
    assert match, reference
    constant = int(match.group(1) or 1)
    roots = {}
    if "x" in reference.split("(")[0]:
        roots[0] = int(match.group(2) or 1)
    for sign, digits, power in re.findall(r"\(x ([-+]) (\d+)\)(?:\^\{(\d+)\})?", reference):
        roots[-int(digits) if sign == "+" else int(digits)] = int(power or 1)
    return constant, roots


def test_some_tasks_ship_this_generator():
    assert len(SHIPPED) >= 2


@pytest.mark.parametrize("params", SHIPPED + GRID, ids=str)
def test_reference_is_the_expansion_or_the_factorization(params, latex):
    sympy = pytest.importorskip("sympy")
    x = sympy.Symbol("x")
    knobs = PolynomialParams(**params)
    for problem in draw(params, range(15)):
        expression, reference = problem.fields["expression"], problem.reference
        if knobs.mode == "expand":
            expanded = sympy.expand(latex(expression))
            assert latex(reference) == expanded, expression
            written = powers(reference)
            assert written == sorted(written, reverse=True), reference  # descending, each once
            assert len(set(written)) == len(written)
            assert sympy.Poly(expanded, x).degree() == knobs.factors * knobs.factor_degree
            factors = re.findall(r"\(([^()]*)\)", expression)
            assert len(factors) == knobs.factors
            for factor in factors:
                coefficients = sympy.Poly(latex(factor), x).all_coeffs()
                assert 1 <= coefficients[0] <= knobs.max_leading
                assert coefficients[-1] != 0
                assert all(abs(c) <= knobs.max_constant for c in coefficients[1:])
        else:
            question = latex(expression)
            assert question == sympy.expand(question), expression  # the question is expanded
            # the written factors are sympy's factorization: constant, then (x - r)^k
            content, factors = sympy.factor_list(question)
            expected = {-f.subs(x, 0): k for f, k in factors}  # f = x - r
            assert factored_parts(reference) == (content, expected), (expression, reference)
            roots = sympy.roots(sympy.Poly(question, x))
            assert sum(roots.values()) == knobs.factors
            assert all(r.is_integer and abs(r) <= knobs.max_constant for r in roots)


def test_factored_forms_put_the_constant_and_x_first_and_group_repeated_roots():
    problems = draw(
        {"mode": "factor", "factors": 4, "max_constant": 1, "max_leading": 2}, range(200)
    )
    references = {p.reference for p in problems}
    assert any(r.startswith("2 x") for r in references)
    assert any(re.search(r"\)\^\{\d\}", r) for r in references)  # (x - 1)^{2}
    assert all(p.reference != p.fields["expression"] for p in problems)
    assert not any(re.fullmatch(r"(\d )?x\^\{\d\}", r) for r in references)  # roots not all 0


def test_the_same_rng_gives_the_same_problem_and_the_key_is_the_expression():
    generator = PolynomialGenerator(PolynomialParams(factors=3))
    first, second = (generator.generate(np.random.default_rng(2)) for _ in range(2))
    assert first == second
    assert generator.key(first) == first.fields["expression"]
    assert first.metadata == {"mode": "expand", "factors": 3}
    assert find_generator("polynomial") is PolynomialGenerator


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("{mode: simplify}", "field 'dataset.params.mode': Input should be 'expand' or 'factor'"),
        ("{factors: 5}", "field 'dataset.params.factors': Input should be less than or equal to 4"),
        ("{factor_degree: 3}", "field 'dataset.params.factor_degree': Input should be 1 or 2"),
        (
            "{mode: factor, factor_degree: 2}",
            "factor_degree applies to mode 'expand' only; factor finds roots",
        ),
        ("{max_root: 5}", "field 'dataset.params.max_root' is not a known field."),
    ],
)
def test_bad_params_name_the_file_and_field(tmp_path, fresh_id, task_file, params, message):
    body = f"""\
dataset:
  generator: polynomial
  params: {params}
  splits: {{test: 5, train: null}}
prompt: "Expand {{expression}}."
verifier: {{name: integer}}
"""
    path = task_file(tmp_path, fresh_id("polynomial"), body)
    with pytest.raises(TaskSpecError, match=re.escape(f"{path}: ") + ".*" + re.escape(message)):
        TaskRegistry().add_folder(tmp_path)

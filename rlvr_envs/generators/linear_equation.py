"""Linear equations in one unknown: solve ``a x + b = c x + d`` for x.

===================  =========================================================================
param                meaning
===================  =========================================================================
``solution``         ``integer``: the solution is an integer in -max_solution..max_solution;
                     ``fraction``: it is a rational number that is not an integer
``max_coefficient``  |a|, |c| <= max_coefficient (a, c non-zero, a != c); |b| too, and
                     for fractional solutions |d|; for integer ones d follows from x
``max_solution``     bound of an integer solution
``both_sides``       x on both sides (``a x + b = c x + d``); false: ``a x + b = d``
===================  =========================================================================

Problems carry the field ``equation`` in LaTeX, e.g. ``3 x - 4 = -x + 10``, and the value
of x as the reference: ``-2``, or ``\\frac{7}{2}`` / ``-\\frac{7}{2}`` in lowest terms (a
bare value, not ``x = ...``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

import numpy as np
import pydantic

from rlvr_envs.generators.latex import fraction_latex, polynomial_latex
from rlvr_envs.schema import STRICT
from rlvr_envs.sources.procedural import GeneratedProblem, Generator

__all__ = ["LinearEquationGenerator", "LinearEquationParams"]


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class LinearEquationParams:
    solution: Literal["integer", "fraction"] = "integer"
    """Whether x is an integer or a non-integer rational."""
    max_coefficient: int = pydantic.Field(default=10, ge=2, le=1000)
    """Bound of the coefficients and constants drawn."""
    max_solution: int = pydantic.Field(default=10, ge=1, le=1000)
    """Bound of an integer solution."""
    both_sides: bool = True
    """x on both sides of the equation."""


class LinearEquationGenerator(Generator):
    """``a x + b = c x + d``; see the module docstring for the parameters."""

    name = "linear_equation"
    Params = LinearEquationParams
    params: LinearEquationParams

    def generate(self, rng: np.random.Generator) -> GeneratedProblem:
        p = self.params
        m = p.max_coefficient
        while True:
            a = _nonzero(rng, m)
            c = _nonzero(rng, m) if p.both_sides else 0
            if a == c:
                continue
            b = int(rng.integers(-m, m + 1))
            if p.solution == "integer":
                x = Fraction(int(rng.integers(-p.max_solution, p.max_solution + 1)))
                d = int((a - c) * x + b)
                break
            d = int(rng.integers(-m, m + 1))
            x = Fraction(d - b, a - c)
            if x.denominator > 1:
                break
        equation = f"{polynomial_latex([a, b])} = {polynomial_latex([c, d])}"
        return GeneratedProblem(
            fields={"equation": equation},
            reference=fraction_latex(x),
            metadata={"solution": p.solution, "both_sides": p.both_sides},
        )

    def key(self, problem: GeneratedProblem) -> str:
        return str(problem.fields["equation"])


def _nonzero(rng: np.random.Generator, bound: int) -> int:
    """An integer in -bound..bound other than 0."""
    value = int(rng.integers(1, bound + 1))
    return value if rng.integers(2) else -value

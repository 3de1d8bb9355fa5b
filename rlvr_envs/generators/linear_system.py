"""Systems of linear equations with exactly one solution: 2 x 2, or 3 x 3 at a higher level.

===================  =========================================================================
param                meaning
===================  =========================================================================
``unknowns``         2 (x, y) or 3 (x, y, z)
``solution``         ``integer``: every unknown is an integer in -max_solution..max_solution;
                     ``fraction``: rational, at least one unknown not an integer
``max_coefficient``  the coefficients are non-zero integers in -max_coefficient..max_coefficient
``max_solution``     bound of integer solutions; fractional systems draw their right-hand
                     sides from -max_coefficient * max_solution..max_coefficient * max_solution
===================  =========================================================================

The coefficient matrix is always invertible, so the solution is unique. Problems carry the
field ``equations``, one LaTeX equation per line (``2 x - y = 7``), and ``unknowns``, the
order of the answer: ``(x, y)`` or ``(x, y, z)``. The reference is the ordered tuple of
values, e.g. ``(3, -1)`` or ``(\\frac{1}{2}, 2, -3)``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

import numpy as np
import pydantic

from rlvr_envs.generators.latex import linear_latex, tuple_latex
from rlvr_envs.schema import STRICT
from rlvr_envs.sources.procedural import GeneratedProblem, Generator

__all__ = ["LinearSystemGenerator", "LinearSystemParams", "solve_linear_system"]

_NAMES = ("x", "y", "z")


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class LinearSystemParams:
    unknowns: Literal[2, 3] = 2
    """Equations and unknowns."""
    solution: Literal["integer", "fraction"] = "integer"
    """Whether the unknowns are integers."""
    max_coefficient: int = pydantic.Field(default=5, ge=1, le=100)
    """Bound of the coefficients."""
    max_solution: int = pydantic.Field(default=10, ge=1, le=1000)
    """Bound of integer solutions (and scale of fractional right-hand sides)."""


class LinearSystemGenerator(Generator):
    """Square linear systems with a unique solution; see the module docstring."""

    name = "linear_system"
    Params = LinearSystemParams
    params: LinearSystemParams

    def generate(self, rng: np.random.Generator) -> GeneratedProblem:
        p = self.params
        n = p.unknowns
        while True:
            matrix = [[self._coefficient(rng) for _ in range(n)] for _ in range(n)]
            if p.solution == "integer":
                bound = p.max_solution
                solution = [Fraction(int(rng.integers(-bound, bound + 1))) for _ in range(n)]
                rhs = [sum(a * v for a, v in zip(row, solution, strict=True)) for row in matrix]
                if solve_linear_system(matrix, rhs) is not None:
                    break
            else:
                bound = p.max_coefficient * p.max_solution
                rhs = [Fraction(int(rng.integers(-bound, bound + 1))) for _ in range(n)]
                solved = solve_linear_system(matrix, rhs)
                if solved is not None and any(v.denominator > 1 for v in solved):
                    solution = solved
                    break
        names = _NAMES[:n]
        lines = [
            f"{linear_latex(row, names)} = {int(value)}"
            for row, value in zip(matrix, rhs, strict=True)
        ]
        return GeneratedProblem(
            fields={"equations": "\n".join(lines), "unknowns": "(" + ", ".join(names) + ")"},
            reference=tuple_latex(solution),
            metadata={"unknowns": n, "solution": p.solution},
        )

    def key(self, problem: GeneratedProblem) -> str:
        return str(problem.fields["equations"])

    def _coefficient(self, rng: np.random.Generator) -> int:
        value = int(rng.integers(1, self.params.max_coefficient + 1))
        return value if rng.integers(2) else -value


def solve_linear_system(matrix: list[list[int]], rhs: list[Fraction]) -> list[Fraction] | None:
    """The unique solution of ``matrix @ v = rhs`` in exact arithmetic; None if singular."""
    n = len(matrix)
    rows = [[Fraction(a) for a in row] + [Fraction(b)] for row, b in zip(matrix, rhs, strict=True)]
    for column in range(n):
        pivot = next((r for r in range(column, n) if rows[r][column] != 0), None)
        if pivot is None:
            return None
        rows[column], rows[pivot] = rows[pivot], rows[column]
        for r in range(n):
            if r != column and rows[r][column] != 0:
                factor = rows[r][column] / rows[column][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[column], strict=True)]
    return [rows[i][n] / rows[i][i] for i in range(n)]

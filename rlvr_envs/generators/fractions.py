"""Fraction arithmetic: sums, differences, products, quotients and mixed expressions.

===================  =========================================================================
param                meaning
===================  =========================================================================
``operations``       operators drawn from, any of ``+``, ``-``, ``*``, ``/`` (written ``+``,
                     ``-``, ``\\times``, ``\\div``); several give mixed expressions
``max_denominator``  denominators are drawn from 2..max_denominator (2..100)
``terms``            fractions per expression (2: one operation; more: multi-step)
``proper``           operands are proper fractions (0 < a/b < 1); false: up to 3 (improper)
===================  =========================================================================

Problems carry the field ``question``, a LaTeX expression such as
``\\frac{3}{4} + \\frac{5}{6} \\times \\frac{2}{5}``, evaluated with the usual precedence
(``\\times`` and ``\\div`` before ``+`` and ``-``, left to right). Operands are written in
lowest terms and are never integers. The reference is the exact value in lowest terms:
``\\frac{7}{12}``, ``-\\frac{1}{6}``, or an integer such as ``2`` when the denominator is 1.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Literal

import numpy as np
import pydantic

from rlvr_envs.generators.latex import fraction_latex
from rlvr_envs.schema import STRICT
from rlvr_envs.sources.procedural import GeneratedProblem, Generator

__all__ = ["FractionsGenerator", "FractionsParams"]

Operator = Literal["+", "-", "*", "/"]
_SYMBOLS = {"+": "+", "-": "-", "*": "\\times", "/": "\\div"}


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class FractionsParams:
    operations: tuple[Operator, ...] = ("+", "-")
    """Operators drawn from."""
    max_denominator: int = pydantic.Field(default=10, ge=2, le=100)
    """Largest denominator of an operand (before reduction)."""
    terms: int = pydantic.Field(default=2, ge=2, le=6)
    """Fractions per expression."""
    proper: bool = True
    """Operands below 1; false: improper fractions up to 3 as well."""

    def __post_init__(self) -> None:
        if not self.operations:
            raise ValueError("operations must name at least one of '+', '-', '*', '/'")


class FractionsGenerator(Generator):
    """Expressions over fractions; see the module docstring for the parameters."""

    name = "fractions"
    Params = FractionsParams
    params: FractionsParams

    def generate(self, rng: np.random.Generator) -> GeneratedProblem:
        p = self.params
        operands = [self._operand(rng) for _ in range(p.terms)]
        operators = [p.operations[int(rng.integers(len(p.operations)))] for _ in operands[1:]]
        parts = [_operand_latex(operands[0])]
        for operator, operand in zip(operators, operands[1:], strict=True):
            parts += [_SYMBOLS[operator], _operand_latex(operand)]
        return GeneratedProblem(
            fields={"question": " ".join(parts)},
            reference=fraction_latex(_evaluate(operands, operators)),
            metadata={
                "operations": sorted(set(operators)),
                "terms": p.terms,
                "max_denominator": p.max_denominator,
            },
        )

    def key(self, problem: GeneratedProblem) -> str:
        return str(problem.fields["question"])

    def _operand(self, rng: np.random.Generator) -> Fraction:
        while True:  # a redraw is needed only for an improper draw that is a whole number
            denominator = int(rng.integers(2, self.params.max_denominator + 1))
            limit = denominator if self.params.proper else 3 * denominator
            value = Fraction(int(rng.integers(1, limit)), denominator)
            if value.denominator > 1:
                return value


def _operand_latex(value: Fraction) -> str:
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"


def _evaluate(operands: list[Fraction], operators: list[str]) -> Fraction:
    """``a op b op c ...`` with products and quotients first, then left to right."""
    terms = [operands[0]]
    additive: list[str] = []
    for operator, operand in zip(operators, operands[1:], strict=True):
        if operator == "*":
            terms[-1] *= operand
        elif operator == "/":
            terms[-1] /= operand
        else:
            additive.append(operator)
            terms.append(operand)
    value = terms[0]
    for operator, term in zip(additive, terms[1:], strict=True):
        value = value + term if operator == "+" else value - term
    return value

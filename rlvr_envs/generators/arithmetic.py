"""Integer arithmetic: sums, differences, products and multi-step expressions.

=================  ===========================================================
param              meaning
=================  ===========================================================
``operations``     operators drawn from, any of ``+``, ``-``, ``*``
``digits``         digits of each operand (1: 0..9; d > 1: 10**(d-1)..10**d-1)
``mul_digits``     digits of the operands of ``*`` (default: ``digits``)
``terms``          operands per expression (2: one operation; more: multi-step)
``parentheses``    group sub-expressions at random with parentheses
``negative``       allow a negative result (False: draw again until it is >= 0)
=================  ===========================================================

Problems carry the field ``question`` (the expression, e.g. ``(12 - 7) * 3``) and the
integer reference. Expressions are evaluated with the usual precedence; parentheses
change the grouping only where they appear.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pydantic

from rlvr_envs.errors import DatasetError
from rlvr_envs.schema import STRICT
from rlvr_envs.sources.procedural import GeneratedProblem, Generator

__all__ = ["ArithmeticGenerator", "ArithmeticParams"]

Operator = Literal["+", "-", "*"]
_MAX_DRAWS = 100  # redraws allowed to satisfy ``negative: false``


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class ArithmeticParams:
    operations: tuple[Operator, ...] = ("+",)
    """Operators drawn from."""
    digits: int = pydantic.Field(default=2, ge=1, le=18)
    """Digits of each operand."""
    mul_digits: int | None = pydantic.Field(default=None, ge=1, le=18)
    """Digits of the operands of a product; None: same as `digits`."""
    terms: int = pydantic.Field(default=2, ge=2, le=12)
    """Operands per expression."""
    parentheses: bool = False
    """Group sub-expressions at random with parentheses."""
    negative: bool = True
    """Allow negative results."""

    def __post_init__(self) -> None:
        if not self.operations:
            raise ValueError("operations must name at least one of '+', '-', '*'")


# An expression tree: an int leaf, or (operator, left, right).
_Node = int | tuple[str, "_Node", "_Node"]


class ArithmeticGenerator(Generator):
    """Integer arithmetic expressions; see the module docstring for the parameters."""

    name = "arithmetic"
    Params = ArithmeticParams
    params: ArithmeticParams

    def generate(self, rng: np.random.Generator) -> GeneratedProblem:
        p = self.params
        for _ in range(_MAX_DRAWS):
            operators = [
                p.operations[int(rng.integers(len(p.operations)))] for _ in range(p.terms - 1)
            ]
            operands = [self._operand(rng, _touches_product(operators, i)) for i in range(p.terms)]
            if p.parentheses:
                tree = _random_tree(rng, operands, operators)
                question = _render(tree, top=True)
            else:
                tree = _precedence_tree(operands, operators)
                question = _render_flat(operands, operators)
            value = _evaluate(tree)
            if p.negative or value >= 0:
                break
        else:
            raise DatasetError(
                f"arithmetic params {self.params} give a negative result in each of "
                f"{_MAX_DRAWS} draws; allow negative results or use fewer subtractions"
            )
        return GeneratedProblem(
            fields={"question": question},
            reference=value,
            metadata={"operations": sorted(set(operators)), "terms": p.terms, "digits": p.digits},
        )

    def key(self, problem: GeneratedProblem) -> str:
        return str(problem.fields["question"])

    def _operand(self, rng: np.random.Generator, in_product: bool) -> int:
        digits = (
            self.params.mul_digits if in_product and self.params.mul_digits else self.params.digits
        )
        low = 0 if digits == 1 else 10 ** (digits - 1)
        return int(rng.integers(low, 10**digits))


def _touches_product(operators: list[str], index: int) -> bool:
    left = index > 0 and operators[index - 1] == "*"
    right = index < len(operators) and operators[index] == "*"
    return left or right


def _precedence_tree(operands: list[int], operators: list[str]) -> _Node:
    """The tree of ``a op b op c ...`` under the usual precedence, left to right."""
    # Fold products first into terms, then sums and differences left to right.
    terms: list[_Node] = [operands[0]]
    additive: list[str] = []
    for operator, operand in zip(operators, operands[1:], strict=True):
        if operator == "*":
            terms[-1] = ("*", terms[-1], operand)
        else:
            additive.append(operator)
            terms.append(operand)
    tree = terms[0]
    for operator, term in zip(additive, terms[1:], strict=True):
        tree = (operator, tree, term)
    return tree


def _random_tree(rng: np.random.Generator, operands: list[int], operators: list[str]) -> _Node:
    if len(operands) == 1:
        return operands[0]
    split = int(rng.integers(1, len(operands)))
    left = _random_tree(rng, operands[:split], operators[: split - 1])
    right = _random_tree(rng, operands[split:], operators[split:])
    return (operators[split - 1], left, right)


def _evaluate(node: _Node) -> int:
    if isinstance(node, int):
        return node
    operator, left, right = node
    a, b = _evaluate(left), _evaluate(right)
    return a + b if operator == "+" else a - b if operator == "-" else a * b


def _render(node: _Node, *, top: bool = False) -> str:
    if isinstance(node, int):
        return str(node)
    operator, left, right = node
    text = f"{_render(left)} {operator} {_render(right)}"
    return text if top else f"({text})"


def _render_flat(operands: list[int], operators: list[str]) -> str:
    parts = [str(operands[0])]
    for operator, operand in zip(operators, operands[1:], strict=True):
        parts += [operator, str(operand)]
    return " ".join(parts)

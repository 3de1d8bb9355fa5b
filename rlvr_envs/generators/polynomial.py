"""Polynomials in x: expand a product of factors, or factor a polynomial with integer roots.

===================  =========================================================================
param                meaning
===================  =========================================================================
``mode``             ``expand``: multiply out a product; ``factor``: write a polynomial as a
                     product of linear factors
``factors``          factors in the product (2..4)
``factor_degree``    expand: degree of each factor, 1 (binomials ``a x + b``) or 2
                     (``a x^2 + b x + c``)
``max_constant``     expand: the other coefficients of a factor are in
                     -max_constant..max_constant (the constant term is non-zero);
                     factor: the integer roots are in -max_constant..max_constant,
                     not all of them 0
``max_leading``      expand: leading coefficient of each factor in 1..max_leading;
                     factor: the constant factor in front, in 1..max_leading
===================  =========================================================================

Problems carry the field ``expression`` in LaTeX: the product ``(2 x + 3)(x - 4)`` to
expand, or the polynomial ``x^{3} - 7 x - 6`` to factor. References:

* expand: the polynomial in descending powers, ``2 x^{2} - 5 x - 12``;
* factor: the factored form, the constant factor first, then ``x`` (a root 0), then the
  other linear factors by increasing root, repeated roots as powers:
  ``2 x (x + 1)^{2}(x - 3)``.

A verifier that checks only symbolic equality accepts the question itself as the answer
to a ``factor`` problem (it is the same polynomial); factoring tasks need a verifier that
also checks the form.
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

import numpy as np
import pydantic

from rlvr_envs.generators.latex import polynomial_latex
from rlvr_envs.schema import STRICT
from rlvr_envs.sources.procedural import GeneratedProblem, Generator

__all__ = ["PolynomialGenerator", "PolynomialParams", "multiply"]


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class PolynomialParams:
    mode: Literal["expand", "factor"] = "expand"
    """Expand a product, or factor a polynomial."""
    factors: int = pydantic.Field(default=2, ge=2, le=4)
    """Factors in the product."""
    factor_degree: Literal[1, 2] = 1
    """Expand: the degree of each factor."""
    max_constant: int = pydantic.Field(default=5, ge=1, le=100)
    """Bound of the non-leading coefficients (expand) or the roots (factor)."""
    max_leading: int = pydantic.Field(default=1, ge=1, le=20)
    """Bound of the leading coefficients (expand) or the constant factor (factor)."""

    def __post_init__(self) -> None:
        if self.mode == "factor" and self.factor_degree != 1:
            raise ValueError("factor_degree applies to mode 'expand' only; factor finds roots")


class PolynomialGenerator(Generator):
    """Expand or factor polynomials in x; see the module docstring for the parameters."""

    name = "polynomial"
    Params = PolynomialParams
    params: PolynomialParams

    def generate(self, rng: np.random.Generator) -> GeneratedProblem:
        if self.params.mode == "expand":
            expression, reference = self._expand(rng)
        else:
            expression, reference = self._factor(rng)
        return GeneratedProblem(
            fields={"expression": expression},
            reference=reference,
            metadata={"mode": self.params.mode, "factors": self.params.factors},
        )

    def key(self, problem: GeneratedProblem) -> str:
        return str(problem.fields["expression"])

    def _expand(self, rng: np.random.Generator) -> tuple[str, str]:
        p = self.params
        factors = []
        for _ in range(p.factors):
            leading = int(rng.integers(1, p.max_leading + 1))
            middle = [int(rng.integers(-p.max_constant, p.max_constant + 1))] * (
                p.factor_degree - 1
            )
            constant = int(rng.integers(1, p.max_constant + 1)) * (1 if rng.integers(2) else -1)
            factors.append([leading, *middle, constant])
        product = [1]
        for factor in factors:
            product = multiply(product, factor)
        expression = "".join(f"({polynomial_latex(f)})" for f in factors)
        return expression, polynomial_latex(product)

    def _factor(self, rng: np.random.Generator) -> tuple[str, str]:
        p = self.params
        while True:  # all roots 0 would make the question its own answer (x^{3})
            roots = sorted(
                int(r) for r in rng.integers(-p.max_constant, p.max_constant + 1, size=p.factors)
            )
            if any(roots):
                break
        leading = int(rng.integers(1, p.max_leading + 1))
        product = [leading]
        for root in roots:
            product = multiply(product, [1, -root])
        return polynomial_latex(product), _factored(leading, roots)


def multiply(left: list[int], right: list[int]) -> list[int]:
    """The product of two polynomials given by coefficients in descending powers."""
    product = [0] * (len(left) + len(right) - 1)
    for i, a in enumerate(left):
        for j, b in enumerate(right):
            product[i + j] += a * b
    return product


def _factored(leading: int, roots: list[int]) -> str:
    """``2 x (x + 1)^{2}(x - 3)`` for leading 2 and roots 0, -1, -1, 3."""
    counts = Counter(roots)
    head = [] if leading == 1 else [str(leading)]
    if 0 in counts:
        head.append("x" if counts[0] == 1 else f"x^{{{counts[0]}}}")
    tail = []
    for root in sorted(counts):
        if root == 0:
            continue
        factor = f"(x - {root})" if root > 0 else f"(x + {-root})"
        tail.append(factor if counts[root] == 1 else f"{factor}^{{{counts[root]}}}")
    return " ".join([*head, "".join(tail)] if tail else head)

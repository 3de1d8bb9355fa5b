"""Quadratic equations ``a x^2 + b x + c = 0`` with real roots, to be solved for x.

===================  =========================================================================
param                meaning
===================  =========================================================================
``roots``            ``integer``, ``rational`` (at least one root not an integer) or
                     ``irrational`` (a positive discriminant that is not a square)
``max_root``         integer roots lie in -max_root..max_root; rational roots are p/q with
                     |p| <= max_root
``max_denominator``  rational roots: q in 1..max_denominator
``max_leading``      integer and irrational roots: a in 1..max_leading (rational roots
                     fix a as the product of their denominators)
``max_coefficient``  irrational roots: |b|, |c| <= max_coefficient
``double_roots``     allow a repeated root (integer and rational roots); false: never
===================  =========================================================================

Every equation is primitive (the gcd of a, b, c is 1) except when ``max_leading`` scales
an integer-root equation on purpose, and a is always positive. Problems carry the field
``equation`` in LaTeX, e.g. ``x^{2} - 3 x - 10 = 0``.

The reference, as a math verifier compares it:

* two distinct roots: the set of both, in increasing order: ``\\{-2, 5\\}``,
  ``\\{-\\frac{1}{2}, 3\\}``, ``\\{\\frac{3 - \\sqrt{5}}{2}, \\frac{3 + \\sqrt{5}}{2}\\}``;
  irrational roots are ``\\frac{-b \\pm \\sqrt{D}}{2a}`` with the radical simplified
  (``\\sqrt{12}`` is ``2 \\sqrt{3}``) and the fraction reduced;
* a double root: the root alone, ``3`` or ``-\\frac{2}{3}``.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Literal

import numpy as np
import pydantic

from rlvr_envs.generators.latex import fraction_latex, polynomial_latex, set_latex
from rlvr_envs.schema import STRICT
from rlvr_envs.sources.procedural import GeneratedProblem, Generator

__all__ = ["QuadraticGenerator", "QuadraticParams", "simplify_sqrt"]


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class QuadraticParams:
    roots: Literal["integer", "rational", "irrational"] = "integer"
    """What kind of numbers the roots are."""
    max_root: int = pydantic.Field(default=9, ge=1, le=1000)
    """Bound of integer roots and of the numerators of rational roots."""
    max_denominator: int = pydantic.Field(default=4, ge=2, le=100)
    """Rational roots: largest denominator."""
    max_leading: int = pydantic.Field(default=1, ge=1, le=100)
    """Integer and irrational roots: largest leading coefficient."""
    max_coefficient: int = pydantic.Field(default=10, ge=1, le=1000)
    """Irrational roots: bound of b and c."""
    double_roots: bool = True
    """Allow a repeated root."""


class QuadraticGenerator(Generator):
    """Quadratic equations with real roots; see the module docstring for the parameters."""

    name = "quadratic"
    Params = QuadraticParams
    params: QuadraticParams

    def generate(self, rng: np.random.Generator) -> GeneratedProblem:
        p = self.params
        if p.roots == "irrational":
            a, b, c = self._irrational(rng)
            reference = set_latex(_irrational_roots(a, b, c))
            double = False
        else:
            a, b, c, low, high = self._integer(rng) if p.roots == "integer" else self._rational(rng)
            double = low == high
            reference = (
                fraction_latex(low)
                if double
                else set_latex([fraction_latex(low), fraction_latex(high)])
            )
        return GeneratedProblem(
            fields={"equation": f"{polynomial_latex([a, b, c])} = 0"},
            reference=reference,
            metadata={"roots": p.roots, "double_root": double, "discriminant": b * b - 4 * a * c},
        )

    def key(self, problem: GeneratedProblem) -> str:
        return str(problem.fields["equation"])

    def _integer(self, rng: np.random.Generator) -> tuple[int, int, int, Fraction, Fraction]:
        bound = self.params.max_root
        while True:
            r, s = sorted(int(v) for v in rng.integers(-bound, bound + 1, size=2))
            if r != s or self.params.double_roots:
                break
        a = int(rng.integers(1, self.params.max_leading + 1))
        return a, -a * (r + s), a * r * s, Fraction(r), Fraction(s)

    def _rational(self, rng: np.random.Generator) -> tuple[int, int, int, Fraction, Fraction]:
        p = self.params
        while True:
            r, s = sorted(
                Fraction(
                    int(rng.integers(-p.max_root, p.max_root + 1)),
                    int(rng.integers(1, p.max_denominator + 1)),
                )
                for _ in range(2)
            )
            if (r.denominator == s.denominator == 1) or (r == s and not p.double_roots):
                continue
            # (q1 x - p1)(q2 x - p2): primitive, since each factor is (Gauss's lemma)
            a = r.denominator * s.denominator
            b = -(r.numerator * s.denominator + s.numerator * r.denominator)
            c = r.numerator * s.numerator
            return a, b, c, r, s

    def _irrational(self, rng: np.random.Generator) -> tuple[int, int, int]:
        p = self.params
        while True:
            a = int(rng.integers(1, p.max_leading + 1))
            b, c = (int(v) for v in rng.integers(-p.max_coefficient, p.max_coefficient + 1, 2))
            discriminant = b * b - 4 * a * c
            if (
                discriminant > 0
                and math.isqrt(discriminant) ** 2 != discriminant
                and math.gcd(a, b, c) == 1
            ):
                return a, b, c


def simplify_sqrt(n: int) -> tuple[int, int]:
    """``(k, m)`` with ``sqrt(n) = k sqrt(m)`` and m square-free."""
    k, m = 1, n
    factor = 2
    while factor * factor <= m:
        while m % (factor * factor) == 0:
            m //= factor * factor
            k *= factor
        factor += 1
    return k, m


def _irrational_roots(a: int, b: int, c: int) -> list[str]:
    """The two roots ``(-b -+ k sqrt(m)) / 2a`` of a, b, c, reduced, smaller first."""
    k, m = simplify_sqrt(b * b - 4 * a * c)
    g = math.gcd(b, k, 2 * a)
    numerator, radical_coefficient, denominator = -b // g, k // g, 2 * a // g
    radical = (
        f"\\sqrt{{{m}}}" if radical_coefficient == 1 else f"{radical_coefficient} \\sqrt{{{m}}}"
    )
    roots = []
    for sign in ("-", "+"):
        if numerator == 0:
            body, negative = radical, sign == "-"
        else:
            body, negative = f"{numerator} {sign} {radical}", False
        if denominator == 1:
            roots.append(f"-{body}" if negative else body)
        else:
            roots.append(f"{'-' if negative else ''}\\frac{{{body}}}{{{denominator}}}")
    return roots

"""LaTeX for the references and questions of the math generators, in one canonical form.

A math verifier parses references, so they must be ordinary LaTeX; generators also use
their text as content keys, so one value must always be written the same way:

================================  =============================================
value                             written
================================  =============================================
integer                           ``-3``
rational                          ``\\frac{3}{4}``, ``-\\frac{7}{2}`` (lowest terms,
                                  positive denominator; an integer when it is 1)
polynomial in x                   ``2 x^{3} - x + 5`` (descending powers, no zero
                                  terms, coefficient 1 left out, a space between a
                                  coefficient and ``x``)
linear form                       ``3 x - y + 2 z`` (the same rules, several unknowns)
tuple                             ``(1, -\\frac{1}{2})``
set                               ``\\{-2, 5\\}`` (members in increasing order)
================================  =============================================
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

__all__ = [
    "fraction_latex",
    "linear_latex",
    "polynomial_latex",
    "set_latex",
    "tuple_latex",
]


def fraction_latex(value: Fraction | int) -> str:
    """``-\\frac{7}{2}`` for -7/2, ``3`` for 3/1."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


def _terms(pairs: Sequence[tuple[Fraction | int, str]]) -> str:
    """Join ``(coefficient, monomial)`` pairs as ``a m1 + b m2 - ...``; an empty monomial is a
    constant. Zero coefficients are left out; all zero gives ``0``."""
    parts: list[str] = []
    for coefficient, monomial in pairs:
        coefficient = Fraction(coefficient)
        if coefficient == 0:
            continue
        magnitude = abs(coefficient)
        if monomial and magnitude == 1:
            body = monomial
        elif monomial:
            body = f"{fraction_latex(magnitude)} {monomial}"
        else:
            body = fraction_latex(magnitude)
        if not parts:
            parts.append(f"-{body}" if coefficient < 0 else body)
        else:
            parts.append(f"{'-' if coefficient < 0 else '+'} {body}")
    return " ".join(parts) if parts else "0"


def polynomial_latex(coefficients: Sequence[Fraction | int], variable: str = "x") -> str:
    """The polynomial with `coefficients` in descending powers (the last is the constant)."""
    degree = len(coefficients) - 1
    pairs = []
    for index, coefficient in enumerate(coefficients):
        power = degree - index
        monomial = "" if power == 0 else variable if power == 1 else f"{variable}^{{{power}}}"
        pairs.append((coefficient, monomial))
    return _terms(pairs)


def linear_latex(coefficients: Sequence[Fraction | int], unknowns: Sequence[str]) -> str:
    """``3 x - y + 2 z``: a linear form in `unknowns`, with no constant term."""
    return _terms(list(zip(coefficients, unknowns, strict=True)))


def tuple_latex(values: Sequence[Fraction | int]) -> str:
    """``(1, -\\frac{1}{2})``."""
    return "(" + ", ".join(fraction_latex(v) for v in values) + ")"


def set_latex(members: Sequence[str]) -> str:
    """``\\{a, b\\}`` of members already written in LaTeX, in the order given."""
    return "\\{" + ", ".join(members) + "\\}"

"""Exact values for the fast path: finite sums of ``c · √m · π^k · x^a · y^b ...``.

``c`` is a rational (`fractions.Fraction`), ``m`` a square-free positive integer, ``k`` an
integer and ``x, y, ...`` are variables with integer exponents. Terms with distinct
``(m, k, variables)`` are linearly independent over the rationals (π is transcendental, square
roots of distinct square-free integers are independent, variables are indeterminates), so the
canonical form is unique: two values are equal exactly when their term tables are equal. That
decides ``\\sqrt{112}`` vs ``4\\sqrt{7}``, ``\\frac{3}{4}\\pi`` vs ``\\frac{3\\pi}{4}``,
``(x+1)^2`` vs ``x^2+2x+1`` and ``0.15`` vs ``\\frac{3}{20}`` without SymPy.

Sizes are bounded: coefficients up to about 4,000 digits (`MAX_BITS`), 64 terms, exponents up
to 1,000. Anything larger raises `TooLarge` *before* it is computed, so ``9^{9^{9^9}}`` costs
microseconds; anything outside the algebra raises `Unsupported` and goes to SymPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

__all__ = ["MAX_BITS", "ExactValue", "TooLarge", "Unsupported"]

MAX_BITS = 13_300
"""Largest numerator or denominator, in bits (about 4,000 decimal digits)."""
_MAX_TERMS = 64
_MAX_EXPONENT = 1_000
_MAX_FACTORED = 10**12  # square roots of integers up to this are put in canonical form
_SMALL_PRIMES = [p for p in range(2, 10_001) if all(p % d for d in range(2, math.isqrt(p) + 1))]

Variables = tuple[tuple[str, int], ...]
Key = tuple[int, int, Variables]
"""A term's ``(square-free radicand, power of π, ((variable, exponent), ...))``."""


class Unsupported(Exception):
    """The text is outside the fast path's algebra; SymPy decides instead."""


class TooLarge(Exception):
    """The value is too large to compute exactly (a huge power, factorial or literal)."""


@dataclass(frozen=True)
class ExactValue:
    """A canonical sum of terms; equal values have equal `terms`."""

    terms: tuple[tuple[Key, Fraction], ...]

    @staticmethod
    def of(table: dict[Key, Fraction]) -> ExactValue:
        items = sorted((key, coef) for key, coef in table.items() if coef)
        if len(items) > _MAX_TERMS:
            raise Unsupported("too many terms")
        for _, coef in items:
            if max(coef.numerator.bit_length(), coef.denominator.bit_length()) > MAX_BITS:
                raise TooLarge("coefficient too large")
        return ExactValue(tuple(items))

    @staticmethod
    def rational(value: Fraction | int) -> ExactValue:
        return ExactValue.of({(1, 0, ()): Fraction(value)})

    @staticmethod
    def variable(name: str) -> ExactValue:
        return ExactValue.of({(1, 0, ((name, 1),)): Fraction(1)})

    @staticmethod
    def pi() -> ExactValue:
        return ExactValue.of({(1, 1, ()): Fraction(1)})

    # -- inspection -------------------------------------------------------------------------

    @property
    def is_constant(self) -> bool:
        return all(not key[2] for key, _ in self.terms)

    @property
    def as_rational(self) -> Fraction | None:
        """The value when it is a rational number, else None."""
        if not self.terms:
            return Fraction(0)
        if len(self.terms) == 1 and self.terms[0][0] == (1, 0, ()):
            return self.terms[0][1]
        return None

    def to_float(self) -> float | None:
        """The numeric value of a constant, or None (variables, overflow)."""
        if not self.is_constant:
            return None
        try:
            return math.fsum(
                float(coef) * math.sqrt(radicand) * math.pi**pi_power
                for (radicand, pi_power, _), coef in self.terms
            )
        except OverflowError:
            return None

    def proportional_to(self, other: ExactValue) -> bool | None:
        """Whether ``self = c · other`` for a nonzero constant ``c`` (None: cannot tell here).

        Equations ``L = R`` have the same solutions when their ``L - R`` are proportional.
        """
        if not self.terms or not other.terms or self.is_constant or other.is_constant:
            return None
        (key, coef), variables = other.terms[0], other.terms[0][0][2]
        if sum(1 for k, _ in other.terms if k[2] == variables) != 1:
            return None  # the factor is not the ratio of two single terms
        matching = ExactValue.of({k: c for k, c in self.terms if k[2] == variables})
        factor = matching / ExactValue.of({key: coef}) if matching.terms else None
        return factor is not None and factor.is_constant and self == other * factor

    # -- arithmetic -------------------------------------------------------------------------

    def __add__(self, other: ExactValue) -> ExactValue:
        table = dict(self.terms)
        for key, coef in other.terms:
            table[key] = table.get(key, Fraction(0)) + coef
        return ExactValue.of(table)

    def __neg__(self) -> ExactValue:
        return ExactValue(tuple((key, -coef) for key, coef in self.terms))

    def __sub__(self, other: ExactValue) -> ExactValue:
        return self + (-other)

    def __mul__(self, other: ExactValue) -> ExactValue:
        if len(self.terms) * len(other.terms) > _MAX_TERMS**2:
            raise Unsupported("product too large")
        table: dict[Key, Fraction] = {}
        for key_a, coef_a in self.terms:
            for key_b, coef_b in other.terms:
                key, factor = _multiply_keys(key_a, key_b)
                _check_size(coef_a, coef_b)
                table[key] = table.get(key, Fraction(0)) + coef_a * coef_b * factor
        return ExactValue.of(table)

    def scaled(self, factor: Fraction) -> ExactValue:
        return ExactValue.of({key: coef * factor for key, coef in self.terms})

    def inverse(self) -> ExactValue:
        """``1/self`` for a single nonzero term; sums are left to SymPy."""
        if len(self.terms) != 1:
            raise Unsupported("division by a sum" if self.terms else "division by zero")
        (radicand, pi_power, variables), coef = self.terms[0]
        # 1/√m = √m/m
        inverted = tuple((name, -power) for name, power in variables)
        return ExactValue.of({(radicand, -pi_power, inverted): 1 / (coef * radicand)})

    def __truediv__(self, other: ExactValue) -> ExactValue:
        return self * other.inverse()

    def power(self, exponent: Fraction) -> ExactValue:
        """``self ** exponent`` for an integer exponent (or ``1/2`` of a non-negative rational)."""
        if exponent.denominator == 2 and self.as_rational is not None:
            return ExactValue.sqrt(self.as_rational).power(Fraction(exponent.numerator))
        if exponent.denominator != 1:
            raise Unsupported("fractional exponent")
        n = exponent.numerator
        if n < 0:
            return self.inverse().power(Fraction(-n))
        if len(self.terms) == 1:
            return self._term_power(n)
        if n > 16:
            raise Unsupported("large power of a sum")
        result = ExactValue.rational(1)
        for _ in range(n):
            result = result * self
        return result

    def _term_power(self, n: int) -> ExactValue:
        (radicand, pi_power, variables), coef = self.terms[0]
        if abs(coef) != 1 or radicand != 1:
            size = max(coef.numerator.bit_length(), coef.denominator.bit_length())
            if n * max(size, radicand.bit_length() // 2 + 1) > MAX_BITS:
                raise TooLarge("power too large")
        largest = max([abs(pi_power), *(abs(power) for _, power in variables)])
        if n * largest > _MAX_EXPONENT:
            raise Unsupported("exponent too large")
        powered = tuple((name, power * n) for name, power in variables)
        # (√m)^n = m^(n//2) · √m^(n%2)
        factor = Fraction(radicand ** (n // 2))
        key = (radicand if n % 2 else 1, pi_power * n, powered)
        return ExactValue.of({key: coef**n * factor})

    @staticmethod
    def sqrt(value: Fraction) -> ExactValue:
        """``√value`` of a non-negative rational, in canonical form."""
        if value < 0:
            raise Unsupported("square root of a negative number")
        # √(a/b) = √(a·b) / b
        product = value.numerator * value.denominator
        if product > _MAX_FACTORED:
            raise Unsupported("radicand too large to factor")
        square, free = _square_free(product)
        return ExactValue.of({(free, 0, ()): Fraction(square, value.denominator)})

    @staticmethod
    def root(value: Fraction, degree: int) -> ExactValue:
        """The real ``degree``-th root of a rational that is a perfect power (else Unsupported)."""
        if degree == 2:
            return ExactValue.sqrt(value)
        if degree < 1 or (value < 0 and degree % 2 == 0):
            raise Unsupported("root")
        sign = -1 if value < 0 else 1
        parts = []
        for part in (abs(value.numerator), value.denominator):
            root = round(part ** (1 / degree)) if part.bit_length() < 1000 else None
            if root is None or root**degree != part:
                raise Unsupported("root is not rational")
            parts.append(root)
        return ExactValue.rational(Fraction(sign * parts[0], parts[1]))


def _check_size(a: Fraction, b: Fraction) -> None:
    bits = max(a.numerator.bit_length(), a.denominator.bit_length()) + max(
        b.numerator.bit_length(), b.denominator.bit_length()
    )
    if bits > 2 * MAX_BITS:
        raise TooLarge("product too large")


def _multiply_keys(a: Key, b: Key) -> tuple[Key, int]:
    """The key of the product of two terms, and the integer it contributes (√a·√b = g√(ab/g²))."""
    common = math.gcd(a[0], b[0])
    radicand = (a[0] // common) * (b[0] // common)
    if radicand.bit_length() > 256:
        raise Unsupported("radicand too large")
    powers = dict(a[2])
    for name, power in b[2]:
        powers[name] = powers.get(name, 0) + power
    variables = tuple(sorted((name, p) for name, p in powers.items() if p))
    return (radicand, a[1] + b[1], variables), common


def _square_free(n: int) -> tuple[int, int]:
    """``(s, r)`` with ``n = s² · r`` and ``r`` square-free, for ``n <= 10**12``."""
    square, free = 1, 1
    for prime in _SMALL_PRIMES:
        if prime * prime > n:
            break
        count = 0
        while n % prime == 0:
            n //= prime
            count += 1
        square *= prime ** (count // 2)
        free *= prime ** (count % 2)
    else:
        # Every prime factor left is above 10**4 and n <= 10**12: n is p, p·q or p².
        root = math.isqrt(n)
        if root * root == n:
            return square * root, free
    return square, free * n

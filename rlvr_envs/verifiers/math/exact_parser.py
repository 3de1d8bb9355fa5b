"""A recursive-descent reader of normalised LaTeX into an `ExactValue`, for the fast path.

It reads what exact arithmetic decides: numbers (``12``, ``0.15``, ``.5``, ``1.5e3``), ``+ -
\\cdot \\times * / \\div``, implicit products (``4\\sqrt{3}``, ``3x(x+2)``), ``\\frac``,
``\\sqrt``, ``\\sqrt[n]`` of perfect powers, integer powers, ``n!``, ``\\binom``, ``\\pi``,
mixed numbers (``2\\frac{1}{2}`` is 5/2), and variables (``x``, ``x_1``, ``\\theta``).

It refuses (`Unsupported`, so SymPy decides) whatever it cannot decide exactly or whose
reading is ambiguous: functions, ``e`` and ``i``, division by a sum, ``1/2\\pi`` (is it
``π/2``?), and two numbers side by side (``2 3``). Brackets nest at most `_MAX_NESTING` deep,
so recursion stays bounded.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from rlvr_envs.verifiers.math.exact import MAX_BITS, ExactValue, TooLarge, Unsupported

__all__ = ["parse_exact"]

_TOKEN = re.compile(
    r"(?P<num>\d+(?:\.\d*)?|\.\d+)(?:[eE](?P<exp>[+-]?\d+)(?![A-Za-z0-9]))?"
    r"|(?P<cmd>\\[A-Za-z]+)"
    r"|(?P<sym>\\[{}]|[-+*/^_(){}\[\]!,|=<>&%'])"
    r"|(?P<letter>[A-Za-z])"
    r"|(?P<space>\s+)"
)
# Greek letters read as variables (not gamma/Gamma: latex2sympy reads \Gamma(5) as Γ(5) = 24).
_GREEK = frozenset(
    "alpha beta delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu"  # noqa: SIM905 - a word list
    " xi rho sigma tau upsilon phi varphi chi psi omega Delta Theta Lambda Xi Sigma"
    " Upsilon Phi Psi Omega".split()
)
_TIMES = frozenset({"*", "\\cdot", "\\times"})
_DIVIDE = frozenset({"/", "\\div"})
_MAX_NESTING = 40
_MAX_LITERAL_DIGITS = 4_000
_MAX_FACTORIAL = 1_400  # 1400! has about 3,800 digits


def parse_exact(text: str) -> ExactValue:
    """The exact value of normalised LaTeX `text`.

    Raises:
        Unsupported: the text is outside the fast path (SymPy may still read it).
        TooLarge: the value is too large to compute (a huge power, factorial or literal).
    """
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = "num" if match.group("num") is not None else match.lastgroup or ""
        tokens.append((kind, match.group()))
    if sum(len(token) for _, token in tokens) != len(text):
        raise Unsupported("unknown characters")
    return _Reader(tokens).read()


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.index = 0
        self.depth = 0
        self.spaced = False  # whether a space came right before the current token

    def read(self) -> ExactValue:
        value = self.expression()
        if self.peek() is not None:
            raise Unsupported(f"unexpected {self.peek()!r}")
        return value

    # -- tokens ----------------------------------------------------------------------------

    def peek(self) -> str | None:
        self.spaced = False
        while self.index < len(self.tokens) and self.tokens[self.index][0] == "space":
            self.index += 1
            self.spaced = True
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def kind(self) -> str | None:
        return self.tokens[self.index][0] if self.peek() is not None else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise Unsupported("unexpected end")
        self.index += 1
        return token

    def expect(self, token: str) -> None:
        if self.take() != token:
            raise Unsupported(f"expected {token!r}")

    def group(self, opener: str = "{", closer: str = "}") -> ExactValue:
        self.expect(opener)
        self.depth += 1
        if self.depth > _MAX_NESTING:
            raise Unsupported("nested too deeply")
        value = self.expression()
        self.depth -= 1
        self.expect(closer)
        return value

    # -- grammar ---------------------------------------------------------------------------

    def expression(self) -> ExactValue:
        total = ExactValue.rational(0)
        sign = 1
        while self.peek() in ("+", "-"):
            sign = -sign if self.take() == "-" else sign
        while True:
            term = self.term()
            total = total + (term if sign > 0 else -term)
            if self.peek() not in ("+", "-"):
                return total
            sign = -1 if self.take() == "-" else 1

    def term(self) -> ExactValue:
        first_kind = self.kind()
        start = self.index
        value, last_kind = self.factor(), first_kind
        # A bare integer literal followed by \frac of integers is a mixed number.
        lone_integer = self.index == start + 1 and self.tokens[start][1].isdigit()
        while True:
            token = self.peek()
            if token in _TIMES:
                self.take()
                value, last_kind = value * self.factor(), None
            elif token in _DIVIDE:
                self.take()
                value = value / self.factor()
                if self.starts_factor():
                    raise Unsupported("ambiguous implicit product after '/'")
                last_kind = None
            elif self.starts_factor():
                kind = self.kind()
                if kind == "num" and last_kind == "num":
                    raise Unsupported("two numbers side by side")
                if token == "\\frac" and lone_integer and value.as_rational is not None:
                    fraction = self.factor()
                    if fraction.as_rational is None or fraction.as_rational < 0:
                        raise Unsupported("mixed number with a non-rational fraction")
                    # 2\frac{1}{2} is 2 + 1/2 (and -2\frac{1}{2} is -(2 + 1/2))
                    value = value + fraction
                else:
                    value = value * self.factor()
                last_kind = kind
            else:
                return value
            lone_integer = False

    def starts_factor(self) -> bool:
        token, kind = self.peek(), self.kind()
        if token in ("(", "{"):
            return True
        return kind in ("num", "letter", "cmd") and token not in _TIMES | _DIVIDE

    def factor(self) -> ExactValue:
        value = self.primary()
        postfix = None
        while True:
            token = self.peek()
            if token in ("^", "!") and postfix == token:
                raise Unsupported(f"ambiguous {token}{token}")  # 2^3^2, 3!! (double factorial?)
            if token == "^":
                self.take()
                value = value.power(self.exponent())
            elif token == "!":
                self.take()
                value = _factorial(value)
            else:
                return value
            postfix = token

    def exponent(self) -> Fraction:
        if self.peek() == "{":
            value = self.group()
        elif self.kind() == "num":
            value = _number(self.take())
        else:
            raise Unsupported("exponent")
        rational = value.as_rational
        if rational is None:
            raise Unsupported("symbolic exponent")
        return rational

    def primary(self) -> ExactValue:
        kind, token = self.kind(), self.take()
        if kind == "num":
            return _number(token)
        if token in ("-", "+"):  # 2 \cdot -3
            value = self.factor()
            return -value if token == "-" else value
        if token in ("(", "{"):
            self.index -= 1
            return self.group(token, ")" if token == "(" else "}")
        if token == "\\frac":
            numerator = self.group()
            return numerator / self.group()
        if token == "\\sqrt":
            degree = 2
            if self.peek() == "[":
                order = self.group("[", "]").as_rational
                if order is None or order.denominator != 1:
                    raise Unsupported("root degree")
                degree = order.numerator
            radicand = self.group().as_rational
            if radicand is None:
                raise Unsupported("root of a non-rational")
            return ExactValue.root(radicand, degree)
        if token == "\\binom":
            return _binomial(self.group(), self.group())
        if token == "\\pi":
            return ExactValue.pi()
        if kind == "letter" and token not in ("e", "i"):
            return ExactValue.variable(token + self.subscript())
        if kind == "cmd" and token[1:] in _GREEK:
            return ExactValue.variable(token + self.subscript())
        raise Unsupported(f"unsupported {token!r}")

    def subscript(self) -> str:
        if self.peek() != "_" or self.spaced:
            return ""
        self.take()
        if self.peek() == "{":
            self.take()
            parts = []
            while self.peek() not in ("}", None):
                if self.kind() not in ("num", "letter"):
                    raise Unsupported("subscript")
                parts.append(self.take())
            self.expect("}")
            return "_{" + "".join(parts) + "}"
        if self.kind() in ("num", "letter"):
            return "_{" + self.take() + "}"
        raise Unsupported("subscript")


def _number(literal: str) -> ExactValue:
    """``12``, ``0.15``, ``.5``, ``3.``, ``1.5e3`` (the exponent, if any, follows an ``e``)."""
    match = re.fullmatch(r"(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?", literal)
    if match is None:
        raise Unsupported("number")
    whole, decimals, exponent = match.groups()
    if len(whole) + len(decimals) > _MAX_LITERAL_DIGITS:
        raise TooLarge("literal too long")
    value = Fraction(int(whole + decimals or "0"), 10 ** len(decimals))
    if exponent:
        shift = int(exponent)
        if abs(shift) > _MAX_LITERAL_DIGITS:
            raise TooLarge("exponent too large")
        value *= Fraction(10) ** shift
    return ExactValue.rational(value)


def _factorial(value: ExactValue) -> ExactValue:
    n = value.as_rational
    if n is None or n.denominator != 1 or n < 0:
        raise Unsupported("factorial of a non-integer")
    if n > _MAX_FACTORIAL:
        raise TooLarge("factorial too large")
    return ExactValue.rational(math.factorial(int(n)))


def _binomial(top: ExactValue, bottom: ExactValue) -> ExactValue:
    n, k = top.as_rational, bottom.as_rational
    if n is None or k is None or n.denominator != 1 or k.denominator != 1 or n < 0:
        raise Unsupported("binomial of non-integers")
    n_int, k_int = int(n), int(k)
    if not 0 <= k_int <= n_int:
        return ExactValue.rational(0)
    smaller = min(k_int, n_int - k_int)
    if n_int > MAX_BITS and smaller * n_int.bit_length() > MAX_BITS:
        raise TooLarge("binomial too large")
    return ExactValue.rational(math.comb(n_int, k_int))

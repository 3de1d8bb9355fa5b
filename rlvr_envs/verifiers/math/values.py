"""Typed answers: what an answer string is read as, before two answers are compared.

===============  ============================================  ================================
kind             written                                       compared
===============  ============================================  ================================
`Scalar`         ``12``, ``0.15``, ``\\frac{3}{4}``, ``2x+1``  exactly (fast path), else SymPy
`Equation`       ``x = 3``, ``y = 2x + 1``                     by the named variable and value,
                                                               else as ``L - R`` up to a factor
`Relation`       ``x \\neq 3``, ``x^2 < y``                    as written
`Collection`     ``\\{1, 2\\}`` (set), ``(1, 2)`` (tuple),     sets and lists ignore order and
                 ``1, 2`` and ``1 \\text{ or } 2`` (list)      repeats; tuples keep order
`Interval`       ``(0, 1]``, ``x > 3``, ``[2, \\infty)``       bracket types and endpoints
`IntervalUnion`  ``(-\\infty, 0) \\cup (1, \\infty)``          as a set of intervals
`Matrix`         ``\\begin{pmatrix}1 & 2\\end{pmatrix}``       element by element
`Choice`         ``(B)``, ``\\text{(B)}``, ``B``               by letter
`Text`           ``\\text{yes}``, ``Monday``                   lower-case words
===============  ============================================  ================================

All values are frozen dataclasses of strings, fractions and tuples: they pickle, so a gold
answer can be parsed once and sent to worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rlvr_envs.verifiers.math.exact import ExactValue

__all__ = [
    "Answer",
    "Choice",
    "Collection",
    "Equation",
    "Interval",
    "IntervalUnion",
    "Matrix",
    "Relation",
    "Scalar",
    "Text",
    "Value",
    "describe",
]


@dataclass(frozen=True)
class Scalar:
    """A number or expression."""

    latex: str
    """Normalised LaTeX, without a percent sign."""
    exact: ExactValue | None = None
    """Its exact value when the fast path can read it."""
    percent: bool = False
    huge: bool = False
    """Too large to compute (``9^{9^{9^9}}``): only its written form can match."""
    infinity: int = 0
    """+1 or -1 for ``\\infty`` and ``-\\infty``."""
    decimal: bool = False
    """Written with a decimal point, so possibly a rounded value."""


@dataclass(frozen=True)
class Equation:
    sides: tuple[Value, ...]
    name: str | None = None
    """The variable standing alone on one side (``x`` in ``x = 3``, ``f(x)`` in ``f(x)=2x``)."""
    name_first: bool = True

    @property
    def value(self) -> Value:
        """The side opposite the named variable (the last side of ``x = 2 + 1 = 3``)."""
        return self.sides[-1] if self.name_first else self.sides[0]


@dataclass(frozen=True)
class Relation:
    latex: str


@dataclass(frozen=True)
class Collection:
    kind: Literal["set", "tuple", "list"]
    items: tuple[Value, ...]
    name: str | None = None
    """The variable every item named (``x = 1, x = 2``), if any."""


@dataclass(frozen=True)
class Interval:
    low: Scalar
    high: Scalar
    closed_low: bool
    closed_high: bool


@dataclass(frozen=True)
class IntervalUnion:
    parts: tuple[Interval, ...]


@dataclass(frozen=True)
class Matrix:
    rows: tuple[tuple[Value, ...], ...]


@dataclass(frozen=True)
class Choice:
    letter: str


@dataclass(frozen=True)
class Text:
    words: str


Value = (
    Scalar | Equation | Relation | Collection | Interval | IntervalUnion | Matrix | Choice | Text
)


@dataclass(frozen=True)
class Answer:
    """An answer string, normalised and read."""

    raw: str
    text: str
    """`raw` normalised (see `normalize`)."""
    key: str
    """`text` with insignificant spaces dropped: equal keys are the same answer."""
    value: Value | None
    """None when nothing is left after normalisation."""
    units: tuple[str, ...] = ()
    """Units stripped from the end (``cm`` in ``5 cm``); see `units`."""


def describe(value: Value | None) -> str:
    """A short readable form: ``3/20``, ``set{1, 2}``, ``interval(0, 1]``, ``choice B``."""
    if value is None:
        return "nothing"
    if isinstance(value, Scalar):
        if value.exact is not None and value.exact.as_rational is not None:
            text = str(value.exact.as_rational)
        else:
            text = value.latex
        return text + ("%" if value.percent else "")
    if isinstance(value, Equation):
        return " = ".join(describe(side) for side in value.sides)
    if isinstance(value, Relation):
        return value.latex
    if isinstance(value, Collection):
        inside = ", ".join(describe(item) for item in value.items)
        return f"{value.kind}{{{inside}}}"
    if isinstance(value, Interval):
        opener, closer = "[" if value.closed_low else "(", "]" if value.closed_high else ")"
        return f"interval{opener}{describe(value.low)}, {describe(value.high)}{closer}"
    if isinstance(value, IntervalUnion):
        return " U ".join(describe(part) for part in value.parts)
    if isinstance(value, Matrix):
        return "matrix[" + "; ".join(", ".join(map(describe, row)) for row in value.rows) + "]"
    if isinstance(value, Choice):
        return f"choice {value.letter}"
    return f"text {value.words!r}"

"""Whether a predicted value equals the gold value, kind by kind.

=========================  ===================================================================
gold                       the prediction is equal when
=========================  ===================================================================
scalar                     it is the same number or expression (exact fast path, else SymPy);
                           ``x = 3`` and ``\\{3\\}`` count as ``3``; see the percent and
                           tolerance rules in `MathOptions`
equation ``x = v``         it names ``x`` with a value equal to ``v``, or just gives ``v``, or
                           is the same equation: ``L - R`` equal up to a nonzero constant factor
                           (``2x = 6``; but ``y = 3`` for ``x = 3`` is wrong)
equation ``L = R``         ``L - R`` is equal up to a nonzero constant factor
set, list                  the same elements, in any order, repeats ignored
tuple                      the same elements in the same order (a bare list is accepted)
interval, union            the same brackets and endpoints; union parts in any order;
                           ``(a, b)`` counts as an open interval
matrix                     same shape, equal elements (a one-row or one-column matrix may be
                           answered as a tuple)
choice                     the same letter: ``(B)``, ``B``, ``B) 12``, ``\\text{(B)}``
text                       the same lower-case words
=========================  ===================================================================

A comparison SymPy cannot decide counts as not equal, and the reason says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from rlvr_envs.verifiers.math import symbolic
from rlvr_envs.verifiers.math.exact import TooLarge, Unsupported
from rlvr_envs.verifiers.math.normalize import plain_text
from rlvr_envs.verifiers.math.options import MathOptions
from rlvr_envs.verifiers.math.parse import leading_choice
from rlvr_envs.verifiers.math.values import (
    Choice,
    Collection,
    Equation,
    Interval,
    IntervalUnion,
    Matrix,
    Scalar,
    Text,
    Value,
)

__all__ = ["Comparison", "SymPyNeeded", "equivalent"]

_SYMPY_BUDGET = 32  # SymPy comparisons per grade: a 60-element set of expressions is no answer


@dataclass
class Comparison:
    """The options of one grading, and what happened while comparing."""

    options: MathOptions
    allow_sympy: bool = True
    """False: raise `SymPyNeeded` instead of running SymPy (see `grading.grade_fast`)."""
    used_sympy: bool = False
    undecided: list[str] = field(default_factory=list)
    budget: int = _SYMPY_BUDGET


class SymPyNeeded(Exception):
    """Only SymPy can decide this comparison, and it was not allowed."""


def equivalent(gold: Value, pred: Value, context: Comparison) -> bool:
    """Whether `pred` is an acceptable answer for `gold`; see the module docstring."""
    if isinstance(gold, Choice):
        return _choice(gold, pred)
    if isinstance(gold, Text):
        return _text_of(pred) == gold.words
    if isinstance(pred, Equation) and not isinstance(gold, Equation):
        return equivalent(gold, pred.value, context)
    if isinstance(gold, Equation):
        return _equation(gold, pred, context)
    if isinstance(gold, Interval | IntervalUnion):
        return _intervals(gold, pred, context)
    if isinstance(gold, Collection):
        pair = _as_intervals(gold) if isinstance(pred, Interval | IntervalUnion) else None
        if pair:  # the gold (1, 2) may be the open interval
            return _intervals(IntervalUnion(tuple(pair)), pred, context)
        return _collection(gold, pred, context)
    if isinstance(gold, Matrix):
        return _matrix(gold, pred, context)
    if isinstance(gold, Scalar):
        if isinstance(pred, Collection) and pred.kind != "tuple" and len(pred.items) == 1:
            return equivalent(gold, pred.items[0], context)  # \{5\} for 5
        return isinstance(pred, Scalar) and _scalars(gold, pred, context)
    return False  # a relation is only equal to itself, which the keys already caught


def _choice(gold: Choice, pred: Value) -> bool:
    if isinstance(pred, Choice):
        return pred.letter == gold.letter
    if isinstance(pred, Scalar):
        return leading_choice(pred.latex) == gold.letter
    if isinstance(pred, Text):
        return leading_choice(pred.words) == gold.letter
    return False


def _text_of(value: Value) -> str | None:
    if isinstance(value, Text):
        return value.words
    if isinstance(value, Scalar):
        return plain_text(value.latex)
    if isinstance(value, Choice):
        return value.letter.lower()
    return None


def _scalars(gold: Scalar, pred: Scalar, context: Comparison) -> bool:
    if gold.infinity or pred.infinity:
        return gold.infinity == pred.infinity
    if gold.huge or pred.huge:
        context.undecided.append("too large to compare")
        return False
    rel_tol = context.options.rel_tol if gold.decimal else None
    for gold_scale, pred_scale in _scales(gold, pred, context.options):
        decided = _exact_scalars(gold, pred, gold_scale, pred_scale, rel_tol)
        if decided is None:
            decided = _sympy(
                context,
                lambda gs=gold_scale, ps=pred_scale: symbolic.scalars_equal(
                    gold, pred, gold_scale=gs, pred_scale=ps, rel_tol=rel_tol
                ),
            )
        if decided:
            return True
    return False


def _scales(gold: Scalar, pred: Scalar, options: MathOptions) -> list[tuple[Fraction, Fraction]]:
    """The ways the two may be meant: ``50\\%`` is 50 (sign dropped) or, optionally, 0.5."""
    same = (Fraction(1), Fraction(1))
    if gold.percent == pred.percent or not options.percent_equals_fraction:
        return [same]
    if gold.percent:
        return [same, (Fraction(1, 100), Fraction(1))]
    return [same, (Fraction(1), Fraction(1, 100))]


def _exact_scalars(
    gold: Scalar, pred: Scalar, gold_scale: Fraction, pred_scale: Fraction, rel_tol: float | None
) -> bool | None:
    """Decided by exact arithmetic, or None when SymPy is needed."""
    if gold.exact is None or pred.exact is None:
        return None
    try:
        a, b = gold.exact.scaled(gold_scale), pred.exact.scaled(pred_scale)
    except (TooLarge, Unsupported):
        return None
    if a == b:
        return True
    if rel_tol is None or not (a.is_constant and b.is_constant):
        return False  # canonical forms differ: the values differ
    x, y = a.as_rational, b.as_rational
    if x is not None and y is not None:
        return abs(x - y) <= Fraction(rel_tol) * max(abs(x), abs(y))
    fx, fy = a.to_float(), b.to_float()
    if fx is None or fy is None:
        return None
    return abs(fx - fy) <= rel_tol * max(abs(fx), abs(fy))


def _sympy(context: Comparison, decide) -> bool:  # type: ignore[no-untyped-def]
    """Run one SymPy decision within the budget; undecided counts as not equal."""
    if not context.allow_sympy:
        raise SymPyNeeded
    if context.budget <= 0:
        context.undecided.append("too many symbolic comparisons")
        return False
    context.budget -= 1
    context.used_sympy = True
    try:
        result = decide()
    except MemoryError:
        raise  # a worker's memory limit: the pool reports it, as it reports a timeout
    except Exception as exc:  # SymPy raises many types on odd input; that is "undecided"
        context.undecided.append(f"SymPy failed ({type(exc).__name__})")
        return False
    if result is None:
        context.undecided.append("could not be compared symbolically")
        return False
    return bool(result)


def _equation(gold: Equation, pred: Value, context: Comparison) -> bool:
    if not isinstance(pred, Equation):
        return gold.name is not None and equivalent(gold.value, pred, context)
    if gold.name is not None and gold.name == pred.name:
        return equivalent(gold.value, pred.value, context)
    ends = (gold.sides[0], gold.sides[-1], pred.sides[0], pred.sides[-1])
    if not all(isinstance(side, Scalar) for side in ends):
        return False
    g0, g1, p0, p1 = ends  # type: ignore[misc]
    decided = _exact_proportional(g0, g1, p0, p1)  # type: ignore[arg-type]
    if decided is None:
        decided = _sympy(context, lambda: symbolic.proportional((g0, g1), (p0, p1)))  # type: ignore[arg-type]
    return decided


def _exact_proportional(g0: Scalar, g1: Scalar, p0: Scalar, p1: Scalar) -> bool | None:
    """``g0 - g1 = c·(p0 - p1)`` for a nonzero constant c, by exact arithmetic (or None)."""
    if g0.exact is None or g1.exact is None or p0.exact is None or p1.exact is None:
        return None
    try:
        return (g0.exact - g1.exact).proportional_to(p0.exact - p1.exact)
    except (TooLarge, Unsupported):
        return None


def _intervals(gold: Interval | IntervalUnion, pred: Value, context: Comparison) -> bool:
    gold_parts = [gold] if isinstance(gold, Interval) else list(gold.parts)
    pred_parts = _as_intervals(pred)
    if pred_parts is None or len(pred_parts) != len(gold_parts):
        return False
    return _match(gold_parts, pred_parts, lambda a, b: _interval(a, b, context))


def _as_intervals(value: Value) -> list[Interval] | None:
    if isinstance(value, Interval):
        return [value]
    if isinstance(value, IntervalUnion):
        return list(value.parts)
    if isinstance(value, Collection) and value.kind == "tuple" and len(value.items) == 2:
        low, high = value.items
        if isinstance(low, Scalar) and isinstance(high, Scalar):
            return [Interval(low, high, False, False)]  # (a, b) written as a pair
    return None


def _interval(a: Interval, b: Interval, context: Comparison) -> bool:
    return (
        a.closed_low == b.closed_low
        and a.closed_high == b.closed_high
        and _scalars(a.low, b.low, context)
        and _scalars(a.high, b.high, context)
    )


def _collection(gold: Collection, pred: Value, context: Comparison) -> bool:
    if isinstance(pred, Matrix):
        pred = _flatten(pred) or pred
    if not isinstance(pred, Collection):
        if gold.kind != "tuple" and len(gold.items) == 1:
            return equivalent(gold.items[0], pred, context)
        return False
    if gold.name and pred.name and gold.name != pred.name:
        return False
    if gold.kind == "tuple" or pred.kind == "tuple":
        if {gold.kind, pred.kind} == {"tuple", "set"} or len(gold.items) != len(pred.items):
            return False
        return all(equivalent(g, p, context) for g, p in zip(gold.items, pred.items, strict=True))
    gold_items, pred_items = _distinct(gold.items), _distinct(pred.items)
    if len(gold_items) != len(pred_items):
        return False
    return _match(gold_items, pred_items, lambda g, p: equivalent(g, p, context))


def _matrix(gold: Matrix, pred: Value, context: Comparison) -> bool:
    if isinstance(pred, Matrix):
        shape = [len(row) for row in gold.rows]
        if shape != [len(row) for row in pred.rows]:
            return False
        pairs = zip(
            (cell for row in gold.rows for cell in row),
            (cell for row in pred.rows for cell in row),
            strict=True,
        )
        return all(equivalent(g, p, context) for g, p in pairs)
    flat = _flatten(gold)
    return flat is not None and _collection(flat, pred, context)


def _flatten(matrix: Matrix) -> Collection | None:
    """A one-row or one-column matrix as a tuple."""
    if len(matrix.rows) == 1:
        return Collection("tuple", matrix.rows[0])
    if all(len(row) == 1 for row in matrix.rows):
        return Collection("tuple", tuple(row[0] for row in matrix.rows))
    return None


def _distinct(items: tuple[Value, ...]) -> list[Value]:
    seen, distinct = set(), []
    for item in items:
        marker = repr(item)
        if marker not in seen:
            seen.add(marker)
            distinct.append(item)
    return distinct


def _match(gold_items, pred_items, same) -> bool:  # type: ignore[no-untyped-def]
    """Whether every gold item pairs with its own equal prediction item (any order)."""
    unmatched = list(pred_items)
    for item in gold_items:
        for index, candidate in enumerate(unmatched):
            if same(item, candidate):
                del unmatched[index]
                break
        else:
            return False
    return not unmatched

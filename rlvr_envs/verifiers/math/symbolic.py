"""The SymPy stage: what the exact fast path cannot decide (functions, ``e``, ``\\log``, trig,
rational functions). It is the only part of the grader whose time is not bounded by the
length of the answer, so it runs where a pool can kill it.

LaTeX is read by latex2sympy2_extended's ANTLR grammar (never `sympify`/`eval` on model
text). Before that:

- constructs that SymPy evaluates while parsing, on arguments that could be huge (``\\binom``,
  ``!``, ``\\Gamma``, ``\\gcd`` next to a power or a long literal), integrals, sums and limits
  are refused;
- decimals become exact fractions (``0.15`` -> ``\\frac{15}{100}``), ``1.5e3`` becomes
  ``1.5\\times 10^{3}``, and ``2(3)`` becomes ``2 \\cdot (3)`` (the grammar would read it as
  the mixed number 2 3/1 = 5); two numbers side by side (``1 2``) are refused;
- after parsing, numeric powers and factorials whose value would exceed about 4,000 digits
  are refused before anything evaluates them.

Then, cheapest first: structural equality after evaluation; numeric evaluation (at 30+
digits; for expressions with variables at eight fixed points with every sign pattern, so
``|x|`` differs from ``x``; a point where only one side is real is outside the domain and is
skipped, so ``\\sqrt{1/n}`` equals ``1/\\sqrt{n}``); an exact proof only when the numbers agree
and no variables are involved.
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction
from typing import Any

from rlvr_envs.verifiers.math.braces import max_depth
from rlvr_envs.verifiers.math.values import Scalar

__all__ = ["proportional", "scalars_equal", "to_sympy", "warm_up"]

_REFUSED = re.compile(
    r"\\[{}]"  # a set is not a scalar
    r"|\\(?:int|iint|iiint|oint|sum|prod|lim|partial|nabla|begin|mathbb|infty|det|to)(?![A-Za-z])"
    r"|\\operatorname\{(?!(?:gcd|lcm|sgn|arcsin|arccos|arctan)\})"
)
_EVALUATED_WHEN_PARSED = re.compile(r"\\binom|\\Gamma|\\gamma|\\gcd|\\lcm|\\operatorname|!")
_RISKY_ARGUMENT = re.compile(r"\^|\d{6}")
_SIDE_BY_SIDE = re.compile(r"\d\s+\.?\d")
_SCIENTIFIC = re.compile(r"(\d+(?:\.\d+)?)[eE]([+-]?\d+)(?![A-Za-z0-9])")
_DECIMAL = re.compile(r"(\d*)\.(\d+)")
_BEFORE_PAREN = re.compile(r"(?<=[\d)])\s*(?=\()")
_MAX_DIGITS = 4_000
_MAX_LENGTH = 1_000
_MAX_NESTING = 16
_MAX_SYMBOLS = 8
_POINT_COUNT = 8


@functools.lru_cache(maxsize=512)
def to_sympy(latex: str) -> Any:
    """The SymPy expression of `latex`, or None when it is refused or unreadable."""
    if len(latex) > _MAX_LENGTH or max_depth(latex) > _MAX_NESTING:
        return None  # the ANTLR parser is slow on long or deeply nested input
    if _REFUSED.search(latex) or _SIDE_BY_SIDE.search(latex):
        return None
    if _EVALUATED_WHEN_PARSED.search(latex) and _RISKY_ARGUMENT.search(latex):
        return None
    prepared = _prepare(latex)
    if prepared is None:
        return None
    import sympy
    from latex2sympy2_extended import latex2sympy
    from latex2sympy2_extended.latex2sympy2 import ConversionConfig

    config = ConversionConfig(interpret_as_mixed_fractions=True, lowercase_symbols=False)
    try:
        expr = latex2sympy(prepared, normalization_config=None, conversion_config=config)
    except Exception:  # the grammar raises plain Exception on syntax errors
        return None
    if not isinstance(expr, sympy.Expr) or isinstance(expr, sympy.MatrixBase):
        return None
    expr = expr.xreplace({sympy.Symbol("i"): sympy.I})  # i is the imaginary unit in answers
    if _log10_bound(expr) > _MAX_DIGITS:
        return None
    try:
        return expr.doit()
    except Exception:
        return None


def warm_up() -> None:
    """Import SymPy and the LaTeX grammar and exercise them once (about half a second).

    The ANTLR parser builds its tables lazily, so the first few answers a fresh process
    reads cost 50-100 ms more each; a worker pool can call this once before forking.
    """
    from rlvr_envs.verifiers.math.parse import read_answer

    examples = (r"\frac{x^2-1}{x-1}", r"\sin(\pi/6) + \log_2 8", r"e^{2} \cdot \sqrt[3]{x}")
    for latex in examples:
        value = read_answer(latex).value
        if isinstance(value, Scalar):
            scalars_equal(value, value)


def scalars_equal(
    gold: Scalar,
    pred: Scalar,
    *,
    gold_scale: Fraction = Fraction(1),
    pred_scale: Fraction = Fraction(1),
    rel_tol: float | None = None,
) -> bool | None:
    """Whether ``gold·gold_scale == pred·pred_scale``; None when SymPy cannot tell.

    `rel_tol` None means exactly (up to the working precision); a number means within it.
    """
    import sympy

    a, b = _expression(gold), _expression(pred)
    if a is None or b is None:
        return None
    a, b = a * sympy.Rational(gold_scale), b * sympy.Rational(pred_scale)
    return _equal(a, b, rel_tol, _precision(gold.latex + " " + pred.latex))


def proportional(gold: tuple[Scalar, Scalar], pred: tuple[Scalar, Scalar]) -> bool | None:
    """Whether ``gold[0] - gold[1] = c · (pred[0] - pred[1])`` for a nonzero constant ``c``.

    That is when two equations have the same solutions (``y = 2x + 1`` and
    ``2x - y + 1 = 0``) but not when both merely rearrange to ``... = 0``.
    """
    import sympy

    sides = [_expression(side) for side in (*gold, *pred)]
    if any(side is None for side in sides):
        return None
    left, right = sides[0] - sides[1], sides[2] - sides[3]
    symbols = left.free_symbols | right.free_symbols
    if not symbols or len(symbols) > _MAX_SYMBOLS or left == 0 or right == 0:
        return None
    if _log10_bound(left) + _log10_bound(right) < 50:
        ratio = sympy.cancel(left / right)
        if not ratio.free_symbols:
            return bool(ratio != 0)
    ratios = []
    for point in _points(sorted(symbols, key=str)):
        numerator, denominator = _numeric(left, 30, point), _numeric(right, 30, point)
        if numerator is None or denominator is None or denominator == 0:
            continue
        if _is_real(numerator) and _is_real(denominator):
            ratios.append(numerator / denominator)
    if len(ratios) < 3:
        return None
    return ratios[0] != 0 and all(_close(ratio, ratios[0], 1e-15) for ratio in ratios)


def _expression(scalar: Scalar) -> Any:
    import sympy

    if scalar.infinity:
        return sympy.oo * scalar.infinity
    if scalar.exact is not None and scalar.exact.is_constant:
        return sympy.Add(
            *(
                sympy.Rational(coef) * sympy.sqrt(radicand) * sympy.pi**pi_power
                for (radicand, pi_power, _), coef in scalar.exact.terms
            )
        )
    if scalar.huge:
        return None
    return to_sympy(scalar.latex)


def _prepare(latex: str) -> str | None:
    """Scientific notation and decimals made exact; implicit products before ``(`` explicit."""
    for match in _SCIENTIFIC.finditer(latex):
        if abs(int(match[2])) > _MAX_DIGITS:
            return None
    latex = _SCIENTIFIC.sub(r"\1 \\times 10^{\2}", latex)
    latex = _DECIMAL.sub(
        lambda m: f"(\\frac{{{m[1]}{m[2]}}}{{1{'0' * len(m[2])}}})" if m[1] or m[2] else m[0],
        latex,
    )
    return _BEFORE_PAREN.sub(r" \\cdot ", latex)


def _precision(text: str) -> int:
    """Digits to evaluate with: well beyond the longest literal, so rounding cannot hide."""
    longest = max((len(run) for run in re.findall(r"\d+", text)), default=1)
    return min(30 + 2 * longest, 2 * _MAX_DIGITS + 30)


def _equal(a: Any, b: Any, rel_tol: float | None, precision: int) -> bool | None:
    import sympy

    if any(x.has(sympy.nan, sympy.zoo) for x in (a, b)):
        return None
    if a.has(sympy.oo, -sympy.oo) or b.has(sympy.oo, -sympy.oo):
        return bool(a == b)
    if a == b:
        return True
    if _log10_bound(a) + _log10_bound(b) < 50 and sympy.expand(a - b) == 0:
        return True
    symbols = a.free_symbols | b.free_symbols
    if len(symbols) > _MAX_SYMBOLS:
        return None
    if not symbols:
        exact = sympy.Float(10, precision) ** (10 - precision)
        tolerance = rel_tol if rel_tol is not None else exact
        va, vb = _numeric(a, precision), _numeric(b, precision)
        if va is None or vb is None:
            return None
        if not _close(va, vb, tolerance):
            return False
        if rel_tol is not None:
            return True
        proof = (a - b).equals(0)  # the numbers agree; prove it where SymPy can
        return proof is not False
    tolerance = rel_tol if rel_tol is not None else 1e-20
    agreeing = 0
    for point in _points(sorted(symbols, key=str)):
        va, vb = _numeric(a, 30, point), _numeric(b, 30, point)
        if va is None or vb is None:
            continue
        if _close(va, vb, tolerance):
            agreeing += 1
        elif _is_real(va) and _is_real(vb):
            return False
        # Otherwise one side is not real here: outside its real domain (sqrt(1/n) vs
        # 1/sqrt(n) at n < 0 take different branches), so this point says nothing.
    return True if agreeing >= 3 else None


def _numeric(expr: Any, precision: int, point: dict[Any, Any] | None = None) -> Any:
    """The value of `expr` (at `point`) as a SymPy number at `precision` digits, or None."""
    import sympy

    try:
        value = expr.evalf(precision, subs=point) if point else expr.evalf(precision)
    except (TypeError, ValueError, OverflowError, ZeroDivisionError, AttributeError):
        return None
    if not value.is_number or value.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        return None
    return value


def _is_real(value: Any) -> bool:
    imaginary = value.as_real_imag()[1]
    return bool(imaginary == 0 or abs(imaginary) <= 1e-25 * max(abs(value), 1))


def _close(a: Any, b: Any, tolerance: Any) -> bool:
    """``|a - b| <= tolerance · max(|a|, |b|)``, in the numbers' own precision."""
    import sympy

    if not isinstance(tolerance, sympy.Basic):
        tolerance = sympy.Float(tolerance, 30)
    try:
        difference, scale = abs(a - b), max(abs(a), abs(b))
        return bool(difference == 0 or difference <= tolerance * scale)
    except TypeError:  # an unevaluated comparison
        return False


def _points(symbols: list[Any]) -> list[dict[Any, Any]]:
    """Fixed pseudo-random points: fractional, both signs, distinct per variable."""
    import sympy

    points = []
    for index in range(_POINT_COUNT):
        point = {}
        for offset, symbol in enumerate(symbols):
            magnitude = 0.31 + ((index * 7 + offset * 13) % 17) / 6.1 + 0.0173 * (index + offset)
            sign = -1 if (index >> (offset % 3)) & 1 else 1  # every sign pattern of 3 variables
            point[symbol] = sympy.Float(sign * magnitude, 30)
        points.append(point)
    return points


def _log10_bound(expr: Any) -> float:
    """An upper bound on the digits of every numeric power and factorial inside `expr`."""
    import sympy

    if expr.is_Integer or expr.is_Rational:
        return max(expr.p.bit_length(), expr.q.bit_length()) * 0.30103
    if expr.is_Float or expr.is_NumberSymbol or expr.is_Symbol:
        return 1.0
    if isinstance(expr, sympy.factorial):
        argument = expr.args[0]
        if not argument.is_number:
            return _log10_bound(argument)
        if _log10_bound(argument) > 4:
            return float("inf")
        n = abs(complex(argument))
        return n * max(1.0, len(str(int(n))))
    if expr.is_Pow:
        base, exponent = expr.args
        base_bound, exponent_bound = _log10_bound(base), _log10_bound(exponent)
        if not exponent.is_number:
            return base_bound + exponent_bound
        if base.is_number and base in (0, 1, -1):
            return 1.0
        if exponent_bound > 5:
            return float("inf")
        return max(1.0, abs(complex(exponent.evalf(15)))) * max(base_bound, 1.0)
    if not expr.args:
        return 1.0
    return sum(_log10_bound(arg) for arg in expr.args) + 1.0

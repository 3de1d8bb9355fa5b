"""Equivalence, kind by kind: every row is (response, gold, expected status).

Each kind has equal and unequal pairs; the unequal ones guard against false positives.
"""

import pytest

from rlvr_envs import Status
from rlvr_envs.verifiers.math import MathOptions, grade

C, W = Status.CORRECT, Status.WRONG


def box(answer: str) -> str:
    return f"We work it out and get $\\boxed{{{answer}}}$."


INTEGERS = [
    (box("1,234"), "1234", C),
    (box("1\\,234"), "1234", C),
    (box("1{,}234"), "1234", C),
    ("The total is 1 234.", "1234", C),
    (box("1,234,567"), "1234567", C),
    (box("007"), "7", C),
    (box("\u22125"), "-5", C),  # Unicode minus
    (box("1,235"), "1234", W),
    (box("-5"), "5", W),
    (box("12"), "1 2", W),
]
DECIMALS_AND_FRACTIONS = [
    (box("0.15"), "\\frac{3}{20}", C),
    (box("1.250"), "1.25", C),
    (box(".5"), "\\frac12", C),
    (box("6.0"), "6", C),
    (box("\\dfrac{36}{32}"), "\\frac{9}{8}", C),
    (box("\\tfrac{3}{4}"), "0.75", C),
    (box("7/2"), "3.5", C),
    (box("-\\frac{3}{2}"), "-1.5", C),
    (box("\\frac{-3}{2}"), "-\\frac{3}{2}", C),
    (box("2\\frac{1}{2}"), "\\frac{5}{2}", C),  # a mixed number
    (box("-2\\frac{1}{2}"), "-2.5", C),
    (box("\\frac{14}{3}"), "\\frac{3}{14}", W),
    (box("2\\frac{1}{2}"), "1", W),
    (box("1.00001"), "1", W),
    (box("0.933"), "\\frac{14}{15}", W),  # a rounded decimal is not the exact fraction
]
SCIENTIFIC_AND_POWERS = [
    (box("1.5\\times10^{3}"), "1500", C),
    (box("1.5 \\cdot 10^3"), "1500", C),
    (box("1.5e3"), "1500", C),
    (box("2.5E-4"), "0.00025", C),
    (box("2^{10}"), "1024", C),
    (box("2^10"), "1024", C),
    (box("10!"), "3628800", C),
    (box("\\binom{5}{2}"), "10", C),
    (box("{5 \\choose 2}"), "10", C),
    (box("1.5e3"), "150", W),
    (box("2^{10}"), "1000", W),
    (box("2^{3^2}"), "64", W),
]
RADICALS_PI_E = [
    (box("\\sqrt{8}"), "2\\sqrt{2}", C),
    (box("\\sqrt{112}"), "4\\sqrt{7}", C),
    (box("\\sqrt7 \\cdot 3"), "3\\sqrt{7}", C),
    (box("\\frac{\\sqrt{2}}{2}"), "\\frac{1}{\\sqrt{2}}", C),
    (box("\\sqrt{\\frac{1}{2}}"), "\\frac{\\sqrt2}{2}", C),
    (box("\\sqrt[3]{8}"), "2", C),
    (box("\\frac{3}{4}\\pi"), "\\frac{3\\pi}{4}", C),
    (box("\\pi/3"), "\\frac{\\pi}{3}", C),
    (box("0.5\\pi"), "\\frac{\\pi}{2}", C),
    (box("-2 + \\pi"), "\\pi - 2", C),
    (box("\\frac{1+\\sqrt{5}}{2}"), "\\frac{\\sqrt5+1}{2}", C),
    (box("\\frac{2}{1+\\sqrt{5}}"), "\\frac{\\sqrt5-1}{2}", C),  # rationalised: SymPy
    (box("\\sqrt{3}+\\sqrt{2}"), "\\sqrt{5+2\\sqrt{6}}", C),
    (box("e^2"), "e^{2}", C),
    (box("e^{\\ln 2}"), "2", C),
    (box("\\sqrt{35}"), "5\\sqrt{7}", W),
    (box("5\\sqrt{8}"), "5\\sqrt{7}", W),
    (box("2 - \\pi"), "\\pi - 2", W),
    (box("8\\pi^2"), "8\\pi", W),
    (box("3.14"), "\\pi", W),  # exact gold: a rounded value is wrong
    (box("6.283185307"), "2\\pi", W),
    (box("\\pi"), "3.14", W),  # decimal gold: within rel_tol only
    (box("2e"), "e^{2}", W),
    (box("1/2\\pi"), "\\frac{\\pi}{2}", W),  # ambiguous, read as 1/(2π)
]
EXPRESSIONS = [
    (box("x^2+2x+1"), "(x+1)^2", C),
    (box("3x(x+2)"), "3x^2+6x", C),
    (box("(x-1)(x+1)"), "x^2-1", C),
    (box("\\frac{b+a}{2}"), "\\frac{a+b}{2}", C),
    (box("0.5x"), "\\frac{x}{2}", C),
    (box("x+x"), "2x", C),
    (box("\\frac{x^2-1}{x-1}"), "x+1", C),
    (box("\\sin^2 x + \\cos^2 x"), "1", C),
    (box("2\\sin x\\cos x"), "\\sin 2x", C),
    (box("\\log_2 8"), "3", C),
    (box("\\sin(\\pi/6)"), "\\frac{1}{2}", C),
    (box("|x|"), "\\sqrt{x^2}", C),
    (box("1/\\sqrt{n}"), "\\sqrt{1/n}", C),
    (box("x^2+1"), "(x+1)^2", W),
    (box("3x(x+6)"), "3x^2+6x", W),
    (box("(a+b)^2"), "a^2+b^2", W),
    (box("2x"), "\\frac{x}{2}", W),
    (box("x"), "\\sqrt{x^2}", W),  # |x| is not x
    (box("\\sin x"), "\\cos x", W),
    (box("\\frac{1}{x+1}"), "\\frac{1}{x-1}", W),
    (box("(2)(3)"), "5", W),  # the grammar's mixed-number reading is not ours
    (box("2(3)"), "6", C),
]
EQUATIONS = [
    (box("x = 3"), "3", C),
    (box("3"), "x=3", C),
    (box("x = 3"), "x=3", C),
    (box("3 = x"), "x=3", C),
    (box("2x = 6"), "x = 3", C),
    (box("y = 1 + 2x"), "y = 2x + 1", C),
    (box("2x + 1 = y"), "y = 2x + 1", C),
    (box("y - 2x = 1"), "y = 2x + 1", C),
    (box("f(x) = 2x+1"), "2x+1", C),
    (box("y = 3"), "x = 3", W),  # the gold names the variable
    (box("x = 4"), "x = 3", W),
    (box("y = 2x - 1"), "y = 2x + 1", W),
    (box("3x - y + 13 = 0"), "3x + 4y + 14 = 0", W),  # not just "both are = 0"
    (box("g(x) = 2x+1"), "f(x) = 2x+1", W),
    (box("x + 1 = 6"), "5", W),
]
SETS_TUPLES = [
    (box("\\{2, 1\\}"), "\\{1, 2\\}", C),
    (box("2, 1"), "\\{1,2\\}", C),
    (box("\\{-1,16,4,19\\}"), "\\{-1, 4, 16, 19\\}", C),
    (box("x = 1 \\text{ or } x = 2"), "1, 2", C),
    (box("x = \\pm 3"), "3, -3", C),
    (box("\\pm 3"), "\\{3, -3\\}", C),
    (box("1 \\pm \\sqrt{2}"), "1+\\sqrt{2}, 1-\\sqrt{2}", C),
    (box("\\{5\\}"), "5", C),
    (box("\\emptyset"), "\\{\\}", C),
    (box("(1, 2)"), "(1,2)", C),
    (box("(3,4)"), "(3, 4)", C),
    (box("\\{1, 2, 3\\}"), "\\{1, 2\\}", W),
    (box("\\{1\\}"), "\\{1, 2\\}", W),
    (box("(2, 1)"), "(1, 2)", W),  # tuples keep order
    (box("(1, 2)"), "\\{1, 2\\}", W),  # a tuple is not a set
    (box("1, 2"), "3", W),
    (box("\\pm 3"), "3", W),
    (box("x = 1, y = 2"), "(1, 2)", C),
]
INTERVALS = [
    (box("(-\\infty,2]"), "(-\\infty, 2]", C),
    (box("[0.5, 4]"), "[\\frac{1}{2}, 4]", C),
    (box("(1, \\infty) \\cup (-\\infty, 0)"), "(-\\infty, 0) \\cup (1, \\infty)", C),
    (box("x \\geq 2"), "[2, \\infty)", C),
    (box("-2 \\le x < 5"), "[-2, 5)", C),
    (box("5 > x \\geq -2"), "[-2, 5)", C),
    (box("x \\in (0, 1]"), "(0,1]", C),
    (box("\\mathbb{R}"), "(-\\infty, \\infty)", C),
    (box("x < -1 \\text{ or } x > 2"), "(-\\infty,-1)\\cup(2,\\infty)", C),
    (box("(0,1]"), "(0,1)", W),
    (box("(0,1)"), "(0,1]", W),
    (box("[-5, -2]"), "(-5, -2]", W),
    (box("x > 2"), "[2, \\infty)", W),
    (box("(-\\infty, 0] \\cup [1, \\infty)"), "(-\\infty, 0) \\cup (1, \\infty)", W),
    (box("[2, \\sqrt{2})"), "[\\sqrt{2}, 2)", W),
    (box("(0, 1)"), "(0, 1) \\cup (2, 3)", W),
]
MATRICES = [
    (
        box("\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}"),
        "\\begin{bmatrix} 1 & 2 \\\\ 3 & 4 \\end{bmatrix}",
        C,
    ),
    (box("\\begin{pmatrix} \\frac12 \\\\ 2 \\end{pmatrix}"), "(0.5, 2)", C),
    (
        box("\\begin{pmatrix} 1 & 2 \\\\ 3 & 5 \\end{pmatrix}"),
        "\\begin{pmatrix} 1 & 2 \\\\ 3 & 4 \\end{pmatrix}",
        W,
    ),
    (
        box("\\begin{pmatrix} 1 & 2 \\end{pmatrix}"),
        "\\begin{pmatrix} 1 \\\\ 2 \\\\ 3 \\end{pmatrix}",
        W,
    ),
]
CHOICES_AND_TEXT = [
    (box("B"), "\\text{(B)}", C),
    (box("(B)"), "B", C),
    (box("\\text{(B)}"), "(B)", C),
    (box("\\textbf{(E)}"), "\\text{(E)}", C),
    ("B) 12", "B", C),
    ("The correct option is **(B) 12**.", "B", C),
    ("The answer is (C).", "B", W),
    (box("B) 12 C) 13"), "B", W),  # two options named
    (box("B, C"), "B", W),
    (box("\\text{Yes}"), "\\text{yes}", C),
    ("$North$", "\\text{north}", C),
    ("After simplifying, the answer is odd.", "\\text{odd}", C),
    (box("\\text{no solution}"), "\\text{No Solution}", C),
    (box("\\text{odd}"), "\\text{even}", W),
    (box("yes or no"), "\\text{yes}", W),
    (box("\\text{finite}"), "\\text{infinite}", W),
]
PERCENT_DEGREES_UNITS = [
    (box("25\\%"), "25\\%", C),
    (box("25%"), "25\\%", C),
    (box("25"), "25\\%", C),  # the sign dropped
    (box("0.25"), "25\\%", C),  # percent_equals_fraction (default)
    (box("25 percent"), "0.25", C),
    (box("20\\%"), "25\\%", W),
    (box("0.25\\%"), "25\\%", W),
    (box("2500"), "25\\%", W),
    (box("30^\\circ"), "30", C),
    (box("30^{\\circ}"), "30", C),
    ("The angle is 30°.", "30", C),
    (box("45"), "\\frac{\\pi}{4}", W),  # degrees are not radians
    (box("31^\\circ"), "30", W),
    (box("\\$12"), "12", C),
    ("It costs 12 dollars.", "12", C),
    (box("5\\text{ cm}"), "5", C),
    ("The side is 5 cm.", "5", C),
    (box("9\\pi \\text{ square units}"), "9\\pi", C),
    (box("5 \\text{ cm}"), "5 \\text{ cm}", C),
    (box("5 \\text{ cm}"), "5 \\text{ m}", W),  # known units must agree
    (box("6\\text{ cm}"), "5", W),
    (box("5 \\text{ or maybe 6}"), "5", W),  # not a unit
    (box("5 m"), "5", W),  # a bare letter may be a variable
]
LAYOUT = [
    (box("\\left( 1, 2 \\right)"), "(1, 2)", C),
    (box("\\displaystyle\\frac{1}{2}"), "0.5", C),
    (box("1\\!234"), "1234", C),
    (box("\\frac 12"), "\\frac{1}{2}", C),
    (box("4\\sqrt3"), "4\\sqrt{3}", C),
    (box("\\mathrm{e}^2"), "e^2", C),  # the upright e of ISO typography
]
TABLES = {
    "integers": INTEGERS,
    "decimals and fractions": DECIMALS_AND_FRACTIONS,
    "scientific and powers": SCIENTIFIC_AND_POWERS,
    "radicals, pi, e": RADICALS_PI_E,
    "expressions": EXPRESSIONS,
    "equations": EQUATIONS,
    "sets and tuples": SETS_TUPLES,
    "intervals": INTERVALS,
    "matrices": MATRICES,
    "choices and text": CHOICES_AND_TEXT,
    "percent, degrees, units": PERCENT_DEGREES_UNITS,
    "layout": LAYOUT,
}
ROWS = [
    pytest.param(*row, id=f"{kind}: {row[1]} <- {row[0][-40:]}")
    for kind, rows in TABLES.items()
    for row in rows
]


@pytest.mark.parametrize(("response", "gold", "status"), ROWS)
def test_equivalence(response, gold, status):
    result = grade(response, gold)
    assert result.status == status, result


@pytest.mark.parametrize(
    ("response", "gold", "options", "status"),
    [
        (box("0.5"), "50\\%", MathOptions(percent_equals_fraction=False), W),
        (box("50"), "50\\%", MathOptions(percent_equals_fraction=False), C),
        (box("50\\%"), "0.5", MathOptions(percent_equals_fraction=False), W),
        (box("50\\%"), "0.5", MathOptions(), C),
        (box("0.1500001"), "0.15", MathOptions(), C),  # decimal gold: within 1e-6
        (box("0.1500001"), "0.15", MathOptions(rel_tol=0.0), W),
        (box("0.1500001"), "\\frac{3}{20}", MathOptions(), W),  # exact gold: exactly
        (box("\\sqrt{2}"), "1.4142135623730951", MathOptions(), C),
        (box("\\sqrt{2}"), "1.414", MathOptions(), W),
        (box("\\sqrt{2}"), "1.414", MathOptions(rel_tol=1e-3), C),
    ],
)
def test_options(response, gold, options, status):
    assert grade(response, gold, options).status == status

"""Plain-text math to LaTeX: exact translations, with sympy as the judge of meaning."""

import pytest

from rlvr_envs.packages.ascii_math import ascii_to_latex

CASES = [
    ("239", "239"),
    ("-9", "-9"),
    ("1/2", r"\frac{1}{2}"),
    ("-1/2", r"-\frac{1}{2}"),
    ("2^(n-1)", "2^{n - 1}"),
    ("4^n", "4^{n}"),
    ("n(n-3)/2", r"\frac{n (n - 3)}{2}"),
    ("(n+1)^(n-1)", "(n + 1)^{n - 1}"),
    ("n(n+1)*2^(n-2)", r"n (n + 1) \cdot 2^{n - 2}"),
    ("(2n)!/(2^n*n!)", r"\frac{(2 n)!}{2^{n} \cdot n!}"),
    ("1-1/2^(1/n)", r"1 - \frac{1}{2^{\frac{1}{n}}}"),
    ("sqrt(3)/3", r"\frac{\sqrt{3}}{3}"),
    ("(1+sqrt(4a+1))/2", r"\frac{1 + \sqrt{4 a + 1}}{2}"),
    ("-2x+2", "-2 x + 2"),
    ("x^3−1", "x^{3} - 1"),  # a Unicode minus
    ("((-1)^(n+1)+n+1)/(n+2)", r"\frac{(-1)^{n + 1} + n + 1}{n + 2}"),
    ("(n(n+1)/2)^2", r"(\frac{n (n + 1)}{2})^{2}"),
    ("2^997", "2^{997}"),
]


@pytest.mark.parametrize(("text", "latex_text"), CASES)
def test_translations(text, latex_text):
    assert ascii_to_latex(text) == latex_text


@pytest.mark.parametrize(("text", "latex_text"), CASES)
def test_translations_keep_the_meaning(text, latex_text, latex, plain):
    sympy = pytest.importorskip("sympy")
    expected = plain(text.replace("−", "-"))
    assert sympy.simplify(latex(ascii_to_latex(text)) - expected) == 0


@pytest.mark.parametrize(
    "text",
    [
        "No",
        "Yes, and the sequence is 1/2^3",
        "x=6, y=5",
        "C(10, 5)",
        "2^floor(n/2)",
        "sum_(k=1)^n 1/k",
        "[-1, 1]",
        "a(1±sqrt(2))",
        "x(x-1)...(x-2022)",
        "n(n+1",
        "2 +",
        "x(n)<y(n-1)",
        "35.7%",
        "ab",
        "",
    ],
)
def test_anything_outside_the_language_is_refused(text):
    with pytest.raises(ValueError):
        ascii_to_latex(text)

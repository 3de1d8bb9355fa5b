"""The exact fast path: canonical forms, refusals, and size bounds."""

import time
from fractions import Fraction

import pytest

from rlvr_envs.verifiers.math.exact import ExactValue, TooLarge, Unsupported
from rlvr_envs.verifiers.math.exact_parser import parse_exact

EQUAL = [
    (r"\sqrt{112}", r"4\sqrt{7}"),
    (r"\sqrt{7} \cdot 4", r"4\sqrt{7}"),
    (r"\frac{1}{\sqrt{2}}", r"\frac{\sqrt{2}}{2}"),
    (r"\sqrt{\frac{1}{2}}", r"\frac{\sqrt{2}}{2}"),
    (r"\sqrt{2}\sqrt{6}", r"2\sqrt{3}"),
    (r"(1+\sqrt{2})^{2}", r"3+2\sqrt{2}"),
    (r"\frac{3}{4}\pi", r"\frac{3\pi}{4}"),
    (r"\pi \cdot \pi", r"\pi^{2}"),
    ("(x+1)^{2}", "x^{2}+2x+1"),
    (r"\frac{a+b}{2}", r"\frac{b+a}{2}"),
    (r"\frac{x^{2}}{x}", "x"),
    ("0.15", r"\frac{3}{20}"),
    ("1.5e3", r"1.5 \times 10^{3}"),
    (r"2\frac{1}{2}", r"\frac{5}{2}"),
    (r"-2\frac{1}{2}", "-2.5"),
    ("2^{3^{2}}", "512"),
    ("10!", "3628800"),
    (r"\binom{5}{2}", "10"),
    (r"\sqrt[3]{-8}", "-2"),
    (r"x_{1} + \theta", r"\theta + x_1"),
]


@pytest.mark.parametrize(("a", "b"), EQUAL)
def test_equal_values_have_equal_canonical_forms(a, b):
    assert parse_exact(a) == parse_exact(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [(r"\sqrt{8}", r"3\sqrt{2}"), (r"\pi^{2}", r"2\pi"), ("x^{2}", "2x"), ("(x+1)^{2}", "x^{2}+1")],
)
def test_different_values_differ(a, b):
    assert parse_exact(a) != parse_exact(b)


@pytest.mark.parametrize(
    "text",
    [
        r"\sin x",
        "e^{2}",
        "i",
        r"\frac{1}{x+1}",  # division by a sum
        r"1/2\pi",  # ambiguous
        "2 3",  # two numbers side by side
        "2^3^2",
        "3!!",
        r"\sqrt[3]{9}",
        r"\sqrt{-4}",
        r"\Gamma(5)",
        r"\frac{1}{0}",
        "1,234",
        "(" * 50 + "1" + ")" * 50,
    ],
)
def test_outside_the_fast_path(text):
    with pytest.raises(Unsupported):
        parse_exact(text)


@pytest.mark.parametrize(
    "text",
    [
        "9^{9^{9^{9}}}",
        "10^{10^{10}}",
        "1e999999999",
        r"1.5\times10^{99999}",
        "(10^{100})!",
        r"\binom{10^{9}}{5 \cdot 10^{8}}",
        "7" * 5000,
        "(2^{4000})^{4}",
    ],
)
def test_huge_values_are_refused_before_they_are_built(text):
    started = time.perf_counter()
    with pytest.raises(TooLarge):
        parse_exact(text)
    assert time.perf_counter() - started < 0.1


def test_accessors():
    value = parse_exact(r"\frac{3}{4}")
    assert value.as_rational == Fraction(3, 4)
    assert value.is_constant
    assert parse_exact(r"2\sqrt{2}").to_float() == pytest.approx(2 * 2**0.5)
    assert parse_exact("x").to_float() is None
    assert ExactValue.rational(0).as_rational == 0
    assert parse_exact(r"\pi").scaled(Fraction(2)) == parse_exact(r"2\pi")

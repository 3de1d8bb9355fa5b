"""Normalisation and reading of answers into typed values."""

import pytest

from rlvr_envs.verifiers.math.normalize import answer_key, normalize, normalize_with_units
from rlvr_envs.verifiers.math.parse import leading_choice, parse_value, read_answer
from rlvr_envs.verifiers.math.units import same_units
from rlvr_envs.verifiers.math.values import (
    Choice,
    Collection,
    Equation,
    Interval,
    IntervalUnion,
    Matrix,
    Relation,
    Scalar,
    Text,
    describe,
)

NORMALIZE = [
    ("$\\frac12$", r"\frac{1}{2}"),
    (r"\(\dfrac{3}{4}\)", r"\frac{3}{4}"),
    (r"\left( 1, 2 \right]", "( 1, 2 ]"),
    (r"\displaystyle \tfrac{1}{2}", r"\frac{1}{2}"),
    (r"1\,234", "1234"),
    ("1 234 567", "1234567"),
    (r"\sqrt2 + \sqrt[3]8", r"\sqrt{2} + \sqrt[3]{8}"),
    ("x^2 + 2^10", "x^{2} + 2^{10}"),
    ("√(x+1)", r"\sqrt{x+1}"),
    ("−3 × 4", r"-3 \times 4"),
    ("x²", "x^{2}"),
    ("３", "3"),  # full width
    (r"30^\circ", "30"),
    ("30°", "30"),
    (r"50\%", "50%"),
    ("50 percent", "50%"),
    (r"\$12", "12"),
    ("12 dollars", "12"),
    (r"9\pi \text{ square units}", r"9\pi"),
    (r"\textbf{(B)}", "(B)"),
    (r"\mathrm{cm}", r"\text{cm}"),
    (r"\boxed{\boxed{7}}", "7"),
    (r"\{ \}", r"\emptyset"),
    (r"x \le 3", r"x \leq 3"),
    ("the end.", "the end"),
    (".5", ".5"),
]


@pytest.mark.parametrize(("raw", "normalized"), NORMALIZE)
def test_normalize(raw, normalized):
    assert normalize(raw) == normalized


def test_units_are_stripped_and_compared():
    assert normalize_with_units(r"5\text{ cm}^2") == ("5", ("cm",))
    assert normalize_with_units("5 m") == ("5 m", ())  # a bare letter may be a variable
    assert normalize_with_units(r"5 \text{ or maybe 6}")[1] == ()
    assert not same_units(("cm",), ("m",))
    assert same_units(("centimeters",), ("cm",))
    assert same_units(("apples",), ("cm",))  # unknown words are not compared
    assert same_units((), ("cm",))


def test_keys_ignore_insignificant_spaces():
    assert answer_key(r"x = 3 \cdot y") == answer_key(r"x=3\cdot y")
    assert answer_key(r"\pi r") != answer_key(r"\pir")
    assert answer_key("1 2") != answer_key("12")


KINDS = [
    ("42", Scalar),
    (r"\frac{x}{2}", Scalar),
    (r"\sin x", Scalar),
    ("x = 3", Equation),
    ("y = 2x + 1", Equation),
    (r"x \neq 3", Relation),
    ("x > 3", Interval),
    ("(0, 1]", Interval),
    (r"(-\infty, 2)", Interval),
    (r"(0, 1) \cup (2, 3)", IntervalUnion),
    (r"\{1, 2\}", Collection),
    ("(1, 2)", Collection),
    ("1, 2", Collection),
    (r"\pm 3", Collection),
    (r"\begin{pmatrix} 1 & 2 \\ 3 & 4 \end{pmatrix}", Matrix),
    ("(B)", Choice),
    (r"\text{(C)}", Choice),
    (r"\text{yes}", Text),
    ("Monday", Text),
]


@pytest.mark.parametrize(("text", "kind"), KINDS)
def test_kinds(text, kind):
    assert isinstance(parse_value(normalize(text)), kind)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("0.15", "3/20"),
        ("1,234", "1234"),
        (r"50\%", "50%"),
        ("x = 1, 2", "list{1, 2}"),
        ("-2 < x <= 5", r"interval(-2, 5]"),
        (r"5 \geq x", r"interval(-\infty, 5]"),
        (r"\begin{pmatrix} 1 \\ 2 \end{pmatrix}", "matrix[1; 2]"),
        (r"\text{(B)}", "choice B"),
        (r"\text{The North}", "text 'the north'"),
    ],
)
def test_readings(text, shown):
    assert describe(read_answer(text).value) == shown


def test_equations_know_their_named_variable():
    forward, backward = parse_value("y = 2x + 1"), parse_value("2x + 1 = y")
    assert isinstance(forward, Equation) and isinstance(backward, Equation)
    assert (forward.name, backward.name) == ("y", "y")
    assert describe(forward.value) == describe(backward.value)


@pytest.mark.parametrize(
    ("text", "letter"),
    [("(B) 12", "B"), ("B) 12", "B"), ("b", "B"), (r"\text{(C)}", "C"), ("12", None)],
)
def test_leading_choice(text, letter):
    assert leading_choice(text) == letter

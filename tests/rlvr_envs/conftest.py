"""A reading of LaTeX answers into sympy values, written for the tests only.

The math generators and loaders write LaTeX references; the tests check them against
sympy computations that share no code with them. This converter is deliberately separate
from the package's own LaTeX writers (and from any verifier): it rewrites ``\\frac``,
``\\sqrt``, ``^{}`` and friends into sympy syntax and lets sympy's parser do the rest.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest


@functools.cache
def _parser() -> tuple[Any, Callable[[str], Any]]:
    """sympy, and its parser of plain expressions with implicit products, ``^`` and ``!``."""
    sympy = pytest.importorskip("sympy", reason="the math tests need sympy (the dev extra has it)")
    from sympy.parsing.sympy_parser import (
        convert_xor,
        factorial_notation,
        implicit_multiplication_application,
        parse_expr,
        standard_transformations,
    )

    transformations = (
        *standard_transformations,
        implicit_multiplication_application,
        convert_xor,
        factorial_notation,
    )
    symbols = {name: sympy.Symbol(name) for name in "abcdkmnrstuvxyz"}

    def parse(text: str) -> Any:
        return parse_expr(text, local_dict=dict(symbols), transformations=transformations)

    return sympy, parse


def _group(text: str, start: int) -> tuple[str, int]:
    """The content of the brace group opening at `start`, and the index after it."""
    assert text[start] == "{", (text, start)
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "{" and text[index - 1] != "\\":
            depth += 1
        elif text[index] == "}" and text[index - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[start + 1 : index], index + 1
    raise ValueError(f"unbalanced braces in {text!r}")


def _to_sympy_syntax(text: str) -> str:
    out = []
    index = 0
    while index < len(text):
        if text.startswith("\\frac", index):
            numerator, index = _group(text, index + 5)
            denominator, index = _group(text, index)
            out.append(f"(({_to_sympy_syntax(numerator)})/({_to_sympy_syntax(denominator)}))")
        elif text.startswith("\\sqrt", index):
            inner, index = _group(text, index + 5)
            out.append(f"sqrt({_to_sympy_syntax(inner)})")
        elif text.startswith("^{", index):
            inner, index = _group(text, index + 1)
            out.append(f"**({_to_sympy_syntax(inner)})")
        else:
            out.append(text[index])
            index += 1
    converted = "".join(out)
    for latex, plain in (
        ("\\cdot", "*"),
        ("\\times", "*"),
        ("\\div", "/"),
        ("\\infty", "oo"),
        ("\\pi", "pi"),
    ):
        converted = converted.replace(latex, f" {plain} ")
    if "\\" in converted:
        raise ValueError(f"unsupported LaTeX in {text!r}")
    return converted


def _split_top(text: str) -> list[str]:
    """Split at the commas outside any bracket."""
    parts, depth, current = [], 0, []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts]


def latex_value(text: str, *, intervals: bool = False) -> Any:
    """The sympy value of a LaTeX answer: a number or expression, ``\\{...\\}`` (a set),
    ``(a, b, ...)`` (a tuple, or with `intervals` an interval), ``[a, b]``, ``A \\cup B``,
    ``p\\%`` (p / 100)."""
    sympy, parse = _parser()
    text = re.sub(r"\\left|\\right", "", text).strip()
    if "\\cup" in text:
        return sympy.Union(*(latex_value(p, intervals=True) for p in text.split("\\cup")))
    if text.startswith("\\{") and text.endswith("\\}"):
        return sympy.FiniteSet(*(latex_value(p) for p in _split_top(text[2:-2])))
    if text.endswith("\\%"):
        return latex_value(text[:-2]) / 100
    if text[:1] in "([" and text[-1:] in ")]" and len(_split_top(text[1:-1])) > 1:
        parts = [latex_value(p) for p in _split_top(text[1:-1])]
        if intervals or text[0] == "[" or text[-1] == "]":
            low, high = parts
            return sympy.Interval(low, high, text[0] == "(", text[-1] == ")")
        return sympy.Tuple(*parts)
    return parse(_to_sympy_syntax(text))


@pytest.fixture
def latex() -> Callable[..., Any]:
    """`latex_value`: the sympy value of a LaTeX answer (see this module); skips the test
    when sympy is not installed."""
    _parser()
    return latex_value


@pytest.fixture
def plain() -> Callable[[str], Any]:
    """The sympy value of a plain-text formula (``n(n-3)/2``, ``2^k``, ``5!``); skips the
    test without sympy."""
    return _parser()[1]


# Runs programs given as a JSON list on stdin, each in a fresh namespace; prints the failures.
_PROGRAM_RUNNER = """
import json, sys
failures = {}
for name, program in json.load(sys.stdin):
    try:
        exec(compile(program, name, "exec"), {"__name__": "__main__"})
    except BaseException as exc:
        failures[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(failures))
"""


@pytest.fixture
def failing_programs() -> Callable[[list[tuple[str, str]]], dict[str, str]]:
    """``failing_programs([(name, program), ...])``: the programs that raise, by name, each
    run in a fresh namespace, one after another in one fresh interpreter (no sandbox:
    reference solutions only)."""

    def run(programs: list[tuple[str, str]]) -> dict[str, str]:
        result = subprocess.run(
            [sys.executable, "-c", _PROGRAM_RUNNER],
            input=json.dumps(programs),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.splitlines()[-1])

    return run

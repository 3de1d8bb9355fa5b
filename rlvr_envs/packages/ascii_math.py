"""Plain-text math (``n(n-3)/2``, ``2^(n-1)``, ``sqrt(3)/3``) rewritten as LaTeX.

Datasets such as CHAMP write answers the way one types them; a math verifier parses LaTeX.
This translates a deliberately small language and refuses everything else, so an answer is
either translated exactly or left out:

===========================  ======================================  ==============================
written                      LaTeX                                   meaning
===========================  ======================================  ==============================
``12``, ``x``                ``12``, ``x``                           integers, one-letter variables
``a+b``, ``a-b``, ``-a``     ``a + b``, ``a - b``, ``-a``            sum, difference, negation
``a*b``, ``2n``, ``n(n+1)``  ``a \\cdot b``, ``2 n``, ``n (n + 1)``  products
``a/b``                      ``\\frac{a}{b}``                        quotient
``a^b``                      ``a^{b}``                               power
``sqrt(a)``                  ``\\sqrt{a}``                           square root
``n!``                       ``n!``                                  factorial
``(a+b)``                    ``(a + b)``                             grouping
===========================  ======================================  ==============================

Precedence is the usual one: ``!``, then ``^`` (right-associative), then negation, then
products and quotients (left to right), then sums. Parentheses are kept, except around a
numerator, a denominator, an exponent or a root, where braces group already. ``−``
(U+2212) reads as ``-``. Anything else (words, ``=``, ``,``, ``±``, ``floor``,
``C(n, k)``, ``...``) raises ValueError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ascii_to_latex"]

_TOKEN = re.compile(r"\s*(?:(\d+)|(sqrt)|([a-z])|([-+*/^!()]))")


@dataclass(frozen=True)
class _Node:
    kind: str  # num var group neg add sub mul imul div pow sqrt fact
    args: tuple[_Node | str, ...]


def ascii_to_latex(text: str) -> str:
    """The LaTeX of a plain-text expression; ValueError if it is outside the language."""
    tokens = _tokenize(text.replace("−", "-"))
    parser = _Parser(tokens, text)
    node = parser.expression()
    if parser.position != len(tokens):
        raise ValueError(f"unexpected {tokens[parser.position]!r} in {text!r}")
    return _latex(node)


def _tokenize(text: str) -> list[str]:
    tokens = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ValueError(f"cannot read {text[position:]!r} as plain math")
        # one-letter variables only: a run of letters other than sqrt is a word, not math
        word = re.match(r"[a-z]{2,}", text[match.start(3) :]) if match.group(3) else None
        if word is not None:
            raise ValueError(f"{word.group()!r} is a word, not a variable")
        tokens.append(next(group for group in match.groups() if group is not None))
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent over the grammar in the module docstring."""

    def __init__(self, tokens: list[str], text: str) -> None:
        self.tokens = tokens
        self.text = text
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ValueError(f"expected {expected or 'more'} in {self.text!r}")
        self.position += 1
        return token

    def expression(self) -> _Node:
        node = self.term()
        while self.peek() in ("+", "-"):
            operator = self.take()
            node = _Node("add" if operator == "+" else "sub", (node, self.term()))
        return node

    def term(self) -> _Node:
        node = self.unary()
        while True:
            token = self.peek()
            if token in ("*", "/"):
                self.take()
                node = _Node("mul" if token == "*" else "div", (node, self.unary()))
            elif token is not None and (token == "(" or token == "sqrt" or token.isalnum()):
                node = _Node("imul", (node, self.power()))
            else:
                return node

    def unary(self) -> _Node:
        if self.peek() == "-":
            self.take()
            return _Node("neg", (self.unary(),))
        return self.power()

    def power(self) -> _Node:
        base = self.postfix()
        if self.peek() == "^":
            self.take()
            return _Node("pow", (base, self.unary()))
        return base

    def postfix(self) -> _Node:
        node = self.atom()
        while self.peek() == "!":
            self.take()
            node = _Node("fact", (node,))
        return node

    def atom(self) -> _Node:
        token = self.take()
        if token.isdigit():
            return _Node("num", (token,))
        if token == "sqrt":
            self.take("(")
            inner = self.expression()
            self.take(")")
            return _Node("sqrt", (inner,))
        if token.isalpha():
            return _Node("var", (token,))
        if token == "(":
            inner = self.expression()
            self.take(")")
            return _Node("group", (inner,))
        raise ValueError(f"unexpected {token!r} in {self.text!r}")


def _bare(node: _Node | str) -> str:
    """LaTeX of a node inside braces, where its own parentheses are not needed."""
    assert isinstance(node, _Node)
    return _latex(node.args[0] if node.kind == "group" else node)


def _latex(node: _Node | str) -> str:
    assert isinstance(node, _Node)
    kind, args = node.kind, node.args
    if kind in ("num", "var"):
        return str(args[0])
    if kind == "group":
        return f"({_latex(args[0])})"
    if kind == "neg":
        return f"-{_latex(args[0])}"
    if kind == "add":
        return f"{_latex(args[0])} + {_latex(args[1])}"
    if kind == "sub":
        return f"{_latex(args[0])} - {_latex(args[1])}"
    if kind == "mul":
        return f"{_latex(args[0])} \\cdot {_latex(args[1])}"
    if kind == "imul":
        right = _latex(args[1])
        joint = " \\cdot " if right[0].isdigit() else " "
        return f"{_latex(args[0])}{joint}{right}"
    if kind == "div":
        numerator, sign = args[0], ""
        if isinstance(numerator, _Node) and numerator.kind == "neg":  # -1/2 is -\frac{1}{2}
            numerator, sign = numerator.args[0], "-"
        return f"{sign}\\frac{{{_bare(numerator)}}}{{{_bare(args[1])}}}"
    if kind == "pow":
        return f"{_latex(args[0])}^{{{_bare(args[1])}}}"
    if kind == "sqrt":
        return f"\\sqrt{{{_bare(args[0])}}}"
    if kind == "fact":
        return f"{_latex(args[0])}!"
    raise AssertionError(kind)

"""Reading a normalised answer into a typed `Value` (see `values` for the kinds).

The reading is structural and cheap (no SymPy): top-level ``\\cup``, then lists (``,``
``;`` ``or`` ``and``), then relations (``=``, ``<``, ``\\leq`` ...), then ``\\pm``, then one
bracketed group spanning the answer, then matrices, choices and text, and finally a scalar
read by the exact fast path when it can be. A comma between a digit and exactly three digits
at the top level is a thousands separator (``1,234``), so ``x = 1,234`` is one number.
"""

from __future__ import annotations

import re

from rlvr_envs.verifiers.math.braces import closing_brace, enclosing_group, split_top_level
from rlvr_envs.verifiers.math.exact import TooLarge, Unsupported
from rlvr_envs.verifiers.math.exact_parser import parse_exact
from rlvr_envs.verifiers.math.normalize import answer_key, normalize_with_units, plain_text
from rlvr_envs.verifiers.math.values import (
    Answer,
    Choice,
    Collection,
    Equation,
    Interval,
    IntervalUnion,
    Matrix,
    Relation,
    Scalar,
    Text,
    Value,
)

__all__ = ["NAME", "leading_choice", "parse_value", "read_answer"]

NAME = re.compile(
    r"(?:[A-Za-z]|\\(?:alpha|beta|gamma|delta|theta|lambda|mu|phi|psi|omega|sigma|tau|rho))"
    r"(?:_\{[A-Za-z0-9]+\})?(?:\([^()]*\))?"
)
"""A name standing alone: ``x``, ``x_{1}``, ``\\theta``, ``f(x)``."""

_MAX_NESTING = 8  # structural levels (a set of tuples of ...); deeper text is one scalar
_UNION = re.compile(r"\\cup(?![A-Za-z])")
_LIST = re.compile(
    r"\s*(?:;|,(?!\d{3}(?![\d.]))|(?<!\d),|\\text\{\s*(?:or|and)\s*\}|\s(?:or|and)\s)\s*"
)
_COMMA = re.compile(r"\s*[,;]\s*")
_RELATION = re.compile(r"\\leq|\\geq|\\neq|\\approx|<|>|=")
_PLUS_MINUS = re.compile(r"\\pm(?![A-Za-z])|\\mp(?![A-Za-z])")
_MEMBER = re.compile(r"^(?:[A-Za-z]|\\[A-Za-z]+)\s*\\in\s*(.+)$")
_MATRIX = re.compile(r"^\\begin\{([pbBvV]?matrix|array)\}(.*)\\end\{\1\}$", re.DOTALL)
_CHOICE = re.compile(r"^\(?([A-J])\)?$")
_LEADING_CHOICE = re.compile(r"^(?:\\text\{)?\s*\(?([A-Ja-j])(?:[).:}]+)?(?=\s|$)")
_OTHER_OPTION = re.compile(r"(?:^|[\s,;])\(?[A-Ja-j]\)")
_WORDS = re.compile(r"^[A-Za-z][A-Za-z' -]*[A-Za-z]$")
_FUNCTION_WORDS = frozenset("sin cos tan cot sec csc log ln exp sqrt arcsin arccos arctan".split())  # noqa: SIM905
_REAL_LINE = re.compile(r"^(?:\\mathbb\{R\}|\\mathbb R|\\R|\\text\{all real numbers\})$")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?![\d.]))")
_DECIMAL = re.compile(r"\d\.\d|(?<![\d.])\.\d")


def read_answer(raw: str) -> Answer:
    """Normalise and read an answer string."""
    text, units = normalize_with_units(raw)
    return Answer(raw, text, answer_key(text), parse_value(text), units)


def leading_choice(text: str) -> str | None:
    """The option letter an answer starts with: ``(B) 12``, ``B) 12``, ``b``, ``\\text{(C)}``.

    None when another option follows (``B) 12 C) 13`` names two options).
    """
    match = _LEADING_CHOICE.match(text.strip())
    if match is None or _OTHER_OPTION.search(text.strip()[match.end() :]):
        return None
    return match[1].upper()


def parse_value(text: str, depth: int = 0) -> Value | None:
    """The value `text` (normalised) is read as; None for an empty text."""
    text = text.strip()
    if not text:
        return None
    if depth > _MAX_NESTING:
        return _scalar(text)
    member = _MEMBER.match(text)
    if member:  # x \in (0, 1]
        text = member[1].strip()
    if _REAL_LINE.match(text):
        return Interval(
            Scalar("-\\infty", infinity=-1), Scalar("\\infty", infinity=1), False, False
        )
    for reader in (_union, _list, _relation, _plus_minus, _group, _matrix, _words):
        value = reader(text, depth + 1)
        if value is not None:
            return value
    return _scalar(text)


def _union(text: str, depth: int) -> Value | None:
    parts = split_top_level(text, _UNION)
    if len(parts) < 2:
        return None
    values = [parse_value(part, depth) for part in parts]
    intervals = [_as_interval(value) for value in values]
    if all(interval is not None for interval in intervals):
        return IntervalUnion(tuple(intervals))  # type: ignore[arg-type]
    if all(isinstance(value, Collection) and value.kind == "set" for value in values):
        return Collection("set", tuple(item for value in values for item in value.items))  # type: ignore[union-attr]
    return Scalar(text)  # a union of other things: compared as written


def _list(text: str, depth: int) -> Value | None:
    parts = split_top_level(text, _LIST)
    if len(parts) < 2:
        return None
    items = [parse_value(part, depth) for part in parts]
    if any(item is None for item in items):
        return None
    if " or " in text or "\\text{" in text:  # x < -1 or x > 2
        intervals = [item for item in items if isinstance(item, Interval)]
        if len(intervals) == len(items):
            return IntervalUnion(tuple(intervals))
    return _named_collection("list", items)  # type: ignore[arg-type]


def _named_collection(kind: str, items: list[Value]) -> Collection:
    """``x = 1, x = 2`` (or ``x = 1, 2``) becomes the list 1, 2 named x."""
    names = {item.name for item in items if isinstance(item, Equation) and item.name}
    if len(names) == 1 and all(
        not isinstance(item, Equation) or item.name in names for item in items
    ):
        values = tuple(item.value if isinstance(item, Equation) else item for item in items)
        return Collection(kind, values, name=names.pop())  # type: ignore[arg-type]
    return Collection(kind, tuple(items))  # type: ignore[arg-type]


def _relation(text: str, depth: int) -> Value | None:
    pieces = _split_relation(text)
    if pieces is None:
        return None
    sides, operators = pieces
    if any(not side for side in sides):
        return Relation(text)
    if all(op in ("=", "\\approx") for op in operators):
        values = [parse_value(side, depth) for side in sides]
        if any(value is None for value in values):
            return Relation(text)
        if NAME.fullmatch(sides[0]):
            return Equation(tuple(values), name=answer_key(sides[0]))  # type: ignore[arg-type]
        if len(sides) == 2 and NAME.fullmatch(sides[1]):  # 2x + 1 = y
            return Equation(tuple(values), name=answer_key(sides[1]), name_first=False)  # type: ignore[arg-type]
        return Equation(tuple(values))  # type: ignore[arg-type]
    return _inequality(sides, operators) or Relation(text)


def _split_relation(text: str) -> tuple[list[str], list[str]] | None:
    parts = split_top_level(text, _RELATION)
    if len(parts) < 2:
        return None
    operators, position = [], 0
    for part in parts[:-1]:  # the parts are the text between top-level operators
        position += len(part)
        operators.append(_RELATION.match(text, position).group())  # type: ignore[union-attr]
        position += len(operators[-1])
    return [part.strip() for part in parts], operators


def _inequality(sides: list[str], operators: list[str]) -> Interval | None:
    """``x > 3``, ``3 < x``, ``-2 < x \\leq 5`` as intervals (one variable, constant bounds)."""
    named = [index for index, side in enumerate(sides) if NAME.fullmatch(side)]
    if len(named) != 1 or len(sides) > 3:
        return None
    less = {"<": (True, False), "\\leq": (True, True), ">": (False, False), "\\geq": (False, True)}
    if any(op not in less for op in operators):
        return None
    if len({less[op][0] for op in operators}) != 1:
        return None  # 1 < x > 0
    ascending = less[operators[0]][0]
    bounds = [_scalar(side) for side in sides]
    # Orient every chain as low < x < high.
    if not ascending:
        bounds, operators, named[0] = bounds[::-1], operators[::-1], len(sides) - 1 - named[0]
    closed = [less[op][1] for op in operators]
    position = named[0]
    if len(sides) == 3 and position != 1:
        return None
    low, closed_low = (
        (bounds[position - 1], closed[position - 1]) if position > 0 else (None, False)
    )
    high, closed_high = (
        (bounds[position + 1], closed[position]) if position < len(sides) - 1 else (None, False)
    )
    infinity = Scalar("\\infty", infinity=1)
    return Interval(
        low or Scalar("-\\infty", infinity=-1), high or infinity, closed_low, closed_high
    )


def _plus_minus(text: str, depth: int) -> Value | None:
    parts = split_top_level(text, _PLUS_MINUS)
    if len(parts) != 2:
        return None
    head, tail = parts[0].strip(), parts[1].strip()
    plus = parse_value(f"{head}+({tail})" if head else tail, depth)
    minus = parse_value(f"{head}-({tail})" if head else f"-({tail})", depth)
    if plus is None or minus is None:
        return None
    return Collection("list", (plus, minus))


def _group(text: str, depth: int) -> Value | None:
    group = enclosing_group(text)
    if group is None:
        return None
    opener, inside, closer = group
    inside = inside.strip()
    if opener == "\\{":
        if not inside:
            return Collection("set", ())
        return _named_collection("set", _items(inside, depth))
    if opener == "\\langle":
        return Collection("tuple", tuple(_items(inside, depth)))
    if opener == "{" and closer == "}":
        return parse_value(inside, depth)
    items = _items(inside, depth) if inside else []
    if len(items) == 1 and (opener, closer) in (("(", ")"), ("[", "]")):
        return items[0]
    if len(items) == 2:
        low, high = (_as_scalar(item) for item in items)
        unbounded = any(end is not None and end.infinity for end in (low, high))
        if low is not None and high is not None and ((opener, closer) != ("(", ")") or unbounded):
            return Interval(low, high, opener == "[", closer == "]")
    if len(items) >= 2 and opener + closer in ("()", "[]"):
        return Collection("tuple", tuple(items))
    return None


def _items(inside: str, depth: int) -> list[Value]:
    values = [parse_value(part, depth) for part in split_top_level(inside, _COMMA)]
    return [value if value is not None else Scalar("") for value in values]


def _matrix(text: str, depth: int) -> Value | None:
    match = _MATRIX.match(text)
    if match is None:
        return None
    body = match[2]
    if match[1] == "array":
        body = re.sub(r"^\s*\{[^{}]*\}", "", body)  # the column specification
    if match[1] in ("vmatrix", "Vmatrix"):
        return Scalar(text)  # a determinant, not a matrix
    rows = [row for row in re.split(r"\\\\", body) if row.strip() and row.strip() != "\\hline"]
    return Matrix(
        tuple(
            tuple(parse_value(cell, depth) or Scalar("") for cell in row.split("&")) for row in rows
        )
    )


def _words(text: str, depth: int) -> Value | None:
    choice = _CHOICE.match(text)
    if choice:
        return Choice(choice[1])
    if text.startswith("\\text{") and closing_brace(text, 5) == len(text) - 1:
        inside = text[6:-1].strip()
        if re.search(r"\d", inside):  # \text{5 dollars} is a number, not words
            return parse_value(normalize_with_units(inside)[0], depth)
        choice = _CHOICE.match(inside)
        return Choice(choice[1]) if choice else Text(plain_text(inside))
    if _WORDS.match(text):
        words = text.lower().replace("-", " ").split()
        if any(len(word) >= 3 for word in words) and not _FUNCTION_WORDS & set(words):
            return Text(plain_text(text))
    return None


def _as_interval(value: Value | None) -> Interval | None:
    if isinstance(value, Interval):
        return value
    if isinstance(value, Collection) and value.kind == "tuple" and len(value.items) == 2:
        low, high = (_as_scalar(item) for item in value.items)
        if low is not None and high is not None:
            return Interval(low, high, False, False)  # (a, b) in a union is an open interval
    return None


def _as_scalar(value: Value | None) -> Scalar | None:
    return value if isinstance(value, Scalar) else None


def _scalar(text: str) -> Scalar:
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    text = _THOUSANDS.sub("", text)
    if text in ("\\infty", "-\\infty"):
        return Scalar(text, infinity=-1 if text.startswith("-") else 1, percent=percent)
    decimal = bool(_DECIMAL.search(text))
    try:
        return Scalar(text, parse_exact(text), percent=percent, decimal=decimal)
    except TooLarge:
        return Scalar(text, percent=percent, huge=True, decimal=decimal)
    except (Unsupported, RecursionError):
        return Scalar(text, percent=percent, decimal=decimal)

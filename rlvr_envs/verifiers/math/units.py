"""Units and currency words after a value: recognised, stripped, and compared.

A unit is stripped only after a value (a digit, ``}``, ``)``, ``%``, ``\\pi``): ``5 cm``,
``12 dollars``, ``9\\pi\\text{ square units}``, ``5\\text{ m}^2``. Bare words must be known
units (``cm``, ``dollars``) or, when a space separates them from the value, any word of three
letters or more that is not a function name or a connective (``3 apples``; never ``5 or 6``).
A single bare letter is never a unit: in ``5 m`` the ``m`` may be a variable.

Two answers whose units are both known (`_CANONICAL`) must name the same unit: ``5 cm`` is
not ``5 m``. Unknown or generic words (``apples``, ``units``) are stripped but not compared.
"""

from __future__ import annotations

import re

__all__ = ["is_unit_word", "same_units", "strip_units"]

_CANONICAL = {
    **dict.fromkeys(["mm", "millimeter", "millimetre"], "mm"),
    **dict.fromkeys(["cm", "centimeter", "centimetre"], "cm"),
    **dict.fromkeys(["m", "meter", "metre"], "m"),
    **dict.fromkeys(["km", "kilometer", "kilometre"], "km"),
    **dict.fromkeys(["in", "inch"], "inch"),
    **dict.fromkeys(["ft", "foot", "feet"], "foot"),
    **dict.fromkeys(["yd", "yard"], "yard"),
    **dict.fromkeys(["mi", "mile"], "mile"),
    **dict.fromkeys(["s", "sec", "secs", "second"], "second"),
    **dict.fromkeys(["min", "mins", "minute"], "minute"),
    **dict.fromkeys(["h", "hr", "hrs", "hour"], "hour"),
    **dict.fromkeys(["day"], "day"),
    **dict.fromkeys(["week"], "week"),
    **dict.fromkeys(["month"], "month"),
    **dict.fromkeys(["yr", "yrs", "year"], "year"),
    **dict.fromkeys(["mg", "milligram"], "mg"),
    **dict.fromkeys(["g", "gram"], "g"),
    **dict.fromkeys(["kg", "kilogram"], "kg"),
    **dict.fromkeys(["lb", "lbs", "pound"], "pound"),
    **dict.fromkeys(["oz", "ounce"], "ounce"),
    **dict.fromkeys(["ton", "tonne"], "ton"),
    **dict.fromkeys(["l", "liter", "litre"], "liter"),
    **dict.fromkeys(["ml", "milliliter", "millilitre"], "ml"),
    **dict.fromkeys(["gal", "gallon"], "gallon"),
    **dict.fromkeys(["dollar", "usd"], "dollar"),
    **dict.fromkeys(["cent"], "cent"),
    **dict.fromkeys(["euro"], "euro"),
    **dict.fromkeys(["yen"], "yen"),
    **dict.fromkeys(["rupee"], "rupee"),
    **dict.fromkeys(["mph"], "mph"),
    **dict.fromkeys(["kph", "kmh"], "kph"),
    **dict.fromkeys(["degree", "deg"], "degree"),
    **dict.fromkeys(["radian", "rad"], "radian"),
}
_MODIFIERS = frozenset({"square", "sq", "cubic", "cu", "per"})
_GENERIC = frozenset({"unit", "point", "people", "person", "way", "time", "item", "piece"})
_NOT_UNITS = frozenset(
    "sin cos tan cot sec csc log ln exp sqrt pi mod gcd lcm max min and or not nor but if then"  # noqa: SIM905 - a word list
    " else so thus hence when where which than maybe about approximately approx roughly nearly"
    " almost exactly less more plus minus times over under each only also is are was".split()
)
_TRAILING_TEXT = re.compile(r"\s*\\text\s*\{([^{}]*)\}(?:\^\{?[23]\}?)?$")
_TRAILING_WORDS = re.compile(r"(\s*)((?:[A-Za-z]+\.?[ /-]?){1,4})$")
_VALUE_END = re.compile(r"(?:[\d}%)|]|\\pi|\\infty)\s*$")
_UNIT_TEXT = re.compile(r"[A-Za-z][A-Za-z .$/-]*(?:\^\{?[23]\}?)?|\$")


def is_unit_word(word: str) -> bool:
    """Whether `word` is a known unit word of two letters or more (``cm``, ``dollars``)."""
    lower = _singular(word.lower())
    return len(lower) > 1 and (lower in _CANONICAL or lower in _MODIFIERS or lower in _GENERIC)


def strip_units(text: str) -> tuple[str, tuple[str, ...]]:
    """`text` without its trailing units (at most three), and the units removed."""
    removed: list[str] = []
    for _ in range(3):  # "9\pi \text{ square units}", then "12 sq ft" ...
        stripped, unit = _strip_one(text)
        if unit is None:
            break
        text = stripped.rstrip(" .,;:")
        removed.insert(0, unit)
    return text, tuple(removed)


def same_units(first: tuple[str, ...], second: tuple[str, ...]) -> bool:
    """False only when both name known units and the units differ (``cm`` vs ``m``)."""
    a, b = _canonical(first), _canonical(second)
    return a is None or b is None or a == b


def _strip_one(text: str) -> tuple[str, str | None]:
    match = _TRAILING_TEXT.search(text)
    if match and _VALUE_END.search(text[: match.start()]):
        content = match[1].strip()
        words = re.findall(r"[A-Za-z]+", content)
        if _UNIT_TEXT.fullmatch(content) and all(
            _unit_word(w, spaced=True, wrapped=True) for w in words
        ):
            return text[: match.start()], content
    match = _TRAILING_WORDS.search(text)
    if match is None or not _VALUE_END.search(text[: match.start()]):
        return text, None
    words = re.findall(r"[A-Za-z]+", match[2])
    if all(_unit_word(word, spaced=bool(match[1])) for word in words):
        return text[: match.start()], match[2].strip()
    return text, None


def _unit_word(word: str, *, spaced: bool, wrapped: bool = False) -> bool:
    """A unit word after a value: a known unit, or any longer word after a space. A single
    letter only inside ``\\text{}``."""
    lower = word.lower()
    if lower in _NOT_UNITS:
        return False
    if len(lower) == 1:
        return wrapped and lower in _CANONICAL
    return is_unit_word(lower) or ((spaced or wrapped) and len(lower) >= 3)


def _canonical(units: tuple[str, ...]) -> str | None:
    """``("square feet",)`` -> ``"square foot"``; None when empty or not all known."""
    words = [_singular(word.lower()) for unit in units for word in re.findall(r"[A-Za-z]+", unit)]
    if not words or any(word not in _CANONICAL and word not in _MODIFIERS for word in words):
        return None
    modifiers = {"sq": "square", "cu": "cubic"}
    return " ".join(_CANONICAL.get(word) or modifiers.get(word, word) for word in words)


def _singular(word: str) -> str:
    if word in _CANONICAL or len(word) <= 3:
        return word
    if word.endswith("ches") or word.endswith("shes"):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word

"""Bracket-aware scanning of LaTeX text, every function in one linear pass.

Answers are split at their top level (``\\{1, (2, 3)\\}`` has two elements, not three), and
bracketed groups are recognised whole (``(0, 1]`` is one group). Depth counts every kind of
bracket alike, so the half-open interval ``(0, 1]`` balances. ``\\{`` and ``\\}`` are literal
braces in LaTeX (set delimiters) and count as brackets; ``\\langle``/``\\rangle`` too.
"""

from __future__ import annotations

import re

__all__ = [
    "closing_brace",
    "enclosing_group",
    "group_matches",
    "max_depth",
    "split_top_level",
]

_BRACE_TOKEN = re.compile(r"\\.|[{}]", re.DOTALL)  # an escaped character is skipped whole


def _token_at(text: str, index: int) -> tuple[int, int]:
    """(+1 opener / -1 closer / 0 other, length) of the bracket token at `index`."""
    char = text[index]
    if char == "\\":
        for token in ("\\{", "\\langle"):
            if text.startswith(token, index):
                return 1, len(token)
        for token in ("\\}", "\\rangle"):
            if text.startswith(token, index):
                return -1, len(token)
        return 0, 2 if index + 1 < len(text) else 1  # skip the escaped character
    if char in "([{":
        return 1, 1
    if char in ")]}":
        return -1, 1
    return 0, 1


def _depths(text: str) -> list[int]:
    """Depth before each character (brackets of every kind), one pass."""
    depths = [0] * len(text)
    depth = index = 0
    while index < len(text):
        step, length = _token_at(text, index)
        if step < 0:
            depth -= 1
        for offset in range(length):
            depths[index + offset] = depth
        if step > 0:
            depth += 1
        index += length
    return depths


def max_depth(text: str) -> int:
    """The deepest bracket nesting in `text`."""
    deepest = depth = index = 0
    while index < len(text):
        step, length = _token_at(text, index)
        depth += step
        deepest = max(deepest, depth)
        index += length
    return deepest


def split_top_level(text: str, separator: re.Pattern[str]) -> list[str]:
    """`text` cut at the matches of `separator` that lie outside every bracket."""
    if separator.search(text) is None:
        return [text]
    depths = _depths(text)
    parts, start = [], 0
    for match in separator.finditer(text):
        if depths[match.start()] == 0 and match.start() >= start:
            parts.append(text[start : match.start()])
            start = match.end()
    parts.append(text[start:])
    return parts


def enclosing_group(text: str) -> tuple[str, str, str] | None:
    """``(opener, inside, closer)`` when one bracketed group spans all of `text`, else None."""
    if not text:
        return None
    step, length = _token_at(text, 0)
    if step <= 0:
        return None
    depth, index = 0, 0
    while index < len(text):
        step, token_length = _token_at(text, index)
        depth += step
        if depth == 0:
            if index + token_length != len(text):
                return None
            return text[:length], text[length:index], text[index:]
        index += token_length
    return None


def closing_brace(text: str, open_index: int) -> int | None:
    """Index of the ``}`` that closes the ``{`` at `open_index` (``\\{``, ``\\}`` skipped)."""
    depth, index = 0, open_index
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return None


def group_matches(text: str, start: int = 0) -> dict[int, int]:
    """Every ``{`` from `start` on mapped to its closing ``}``, in one pass (for long texts)."""
    matches: dict[int, int] = {}
    stack: list[int] = []
    for token in _BRACE_TOKEN.finditer(text, start):
        char = token.group()
        if char == "{":
            stack.append(token.start())
        elif char == "}" and stack:
            matches[stack.pop()] = token.start()
    return matches

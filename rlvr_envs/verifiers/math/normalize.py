"""LaTeX and text normalisation of an extracted answer, before it is parsed or compared.

Every step is a linear scan or a regular expression without nested quantifiers, so a long or
malformed answer costs time in proportion to its length.

=====================================================  ==================================
written                                                becomes
=====================================================  ==================================
``$x$``, ``\\(x\\)``, ``\\[x\\]``, ``\\$``             ``x``
``\\left(``, ``\\right)``, ``\\big(``                  ``(``, ``)``, ``(``
``\\!``, ``\\,``, ``\\;``, ``\\quad``, ``~``           nothing, or a space
``\\displaystyle``, ``\\textbf{x}``                    nothing, ``x``
``\\dfrac``, ``\\tfrac``, ``{a \\choose b}``           ``\\frac``, ``\\binom{a}{b}``
``\\frac12``, ``\\sqrt2``, ``x^2``, ``2^10``           ``\\frac{1}{2}`` ... ``2^{10}``
``\\mathrm{x}``, ``\\mbox{x}``; ``\\mathrm{e}``        ``\\text{x}``; ``e``
``30^\\circ``, ``30°``, ``\\degree``                   ``30``
``50\\%``, ``50 percent``                              ``50%`` (read by the parser)
``5 cm``, ``12 dollars``, ``9\\pi\\text{ units}``      ``5``, ``12``, ``9\\pi`` (`units`)
``1\\,234``, ``1 234``, ``1{,}234``                    ``1234``, ``1234``, ``1,234``
``−`` ``×`` ``·`` ``÷`` ``√`` ``π`` ``∞`` ``≤`` ``²``  ``-`` ``\\times`` ... ``^{2}``
full-width and compatibility forms                     NFKC
=====================================================  ==================================

Single-letter units (``5 m``) are only removed when wrapped (``5\\text{ m}``): bare, the
letter may be a variable.
"""

from __future__ import annotations

import re
import unicodedata

from rlvr_envs.verifiers.math.braces import closing_brace, max_depth
from rlvr_envs.verifiers.math.units import strip_units

__all__ = ["answer_key", "normalize", "normalize_with_units", "plain_text"]

_UNICODE = str.maketrans(
    {
        "\u2212": "-",
        "\u2013": "-",
        "\u00d7": r" \times ",
        "\u22c5": r" \cdot ",
        "\u00b7": r" \cdot ",
        "\u00f7": r" \div ",
        "\u221a": r"\sqrt",
        "\u03c0": r"\pi ",
        "\u221e": r"\infty ",
        "\u2264": r" \leq ",
        "\u2265": r" \geq ",
        "\u2260": r" \neq ",
        "\u222a": r" \cup ",
        "\u2229": r" \cap ",
        "\u2205": r"\emptyset ",
        "\u00b0": r"^{\circ}",
        "\u00b2": "^{2}",  # NFKC would make x² into x2
        "\u00b3": "^{3}",
        "\u00bd": r"\frac{1}{2}",
        "\u00bc": r"\frac{1}{4}",
        "\u00be": r"\frac{3}{4}",
        "\u2248": r" \approx ",
    }
)

_SUBSTITUTIONS = [
    (re.compile(r"\\[()\[\]]|\\\$|\$"), " "),
    (re.compile(r"\\(?:display|text|script)style(?![A-Za-z])"), ""),
    (re.compile(r"\\(?:left|right|[bB]igg?[lr]?)\s*\."), ""),
    (re.compile(r"\\(?:left|right|[bB]igg?[lr]?)(?![A-Za-z])"), ""),
    (re.compile(r"\\lbrace(?![A-Za-z])"), r"\{"),
    (re.compile(r"\\rbrace(?![A-Za-z])"), r"\}"),
    (re.compile(r"\\[lr]?vert(?![A-Za-z])"), "|"),
    # (?<!\\): in "\\ 3" the backslash before the space ends a matrix row, not a spacing command
    (re.compile(r"(?<!\\)\\[,;:!>]"), ""),
    (
        re.compile(r"\\(?:q?quad|enspace|thinspace|medspace|thickspace)(?![A-Za-z])|(?<!\\)\\ |~"),
        " ",
    ),
    (re.compile(r"\\hspace\*?\{[^{}]*\}"), " "),
    (re.compile(r"\\[dtc]frac(?![A-Za-z])"), r"\\frac"),
    (re.compile(r"\\[dt]binom(?![A-Za-z])"), r"\\binom"),
    (re.compile(r"\{([^{}]*)\\choose(?![A-Za-z])([^{}]*)\}"), r"\\binom{\1}{\2}"),
    (
        re.compile(r"\\(?:mathrm|text|textrm|operatorname)\s*\{\s*([ei])\s*\}"),
        r"\1",
    ),  # upright e, i
    (re.compile(r"\\(?:mathrm|textrm|textnormal|textup|mbox|hbox)(?![A-Za-z])"), r"\\text"),
    (re.compile(r"\{,\}"), ","),
    (re.compile(r"\\%|\s*\\text\{\s*(?:\\%|%|percent)\s*\}|\s+percent(?![A-Za-z])"), "%"),
    (re.compile(r"\^\s*\{\s*\\circ\s*\}|\^\s*\\circ(?![A-Za-z])|\\circ(?![A-Za-z])|\\degree"), ""),
    (
        re.compile(r"\+?\\infty(?![A-Za-z])|\\infinity(?![A-Za-z])|(?<![A-Za-z\\])infinity"),
        r"\\infty",
    ),
    (re.compile(r"\\(?:emptyset|varnothing)(?![A-Za-z])|\\\{\s*\\\}"), r"\\emptyset"),
    (re.compile(r"\\(?:leq?|leqslant)(?![A-Za-z])|<="), r" \\leq "),
    (re.compile(r"\\(?:geq?|geqslant)(?![A-Za-z])|>="), r" \\geq "),
    (re.compile(r"\\(?:neq?)(?![A-Za-z])|!="), r" \\neq "),
    (re.compile(r"\\lt(?![A-Za-z])"), "<"),
    (re.compile(r"\\gt(?![A-Za-z])"), ">"),
    (
        re.compile(r"(?<![\d.])(\d{1,3})((?: \d{3})+)(?![\d.])"),
        lambda m: m[1] + m[2].replace(" ", ""),
    ),
    (re.compile(r"\s+"), " "),
]
# Commands whose argument is kept and the command dropped: typography only.
_UNWRAP = re.compile(
    r"\\(?:textbf|mathbf|boldsymbol|bm|textit|mathit|emph|mathsf|textsf|texttt|mathtt"
    r"|underline|fbox|boxed)\s*\{"
)
_ARGUMENTS = {"\\frac": 2, "\\binom": 2, "\\sqrt": 1, "^": 1, "_": 1}
_COMMAND = re.compile(r"\\[A-Za-z]+|\\.|.", re.DOTALL)
_MAX_DEPTH = 40


def normalize(text: str) -> str:
    """The canonical LaTeX form of an answer; see the module docstring."""
    return normalize_with_units(text)[0]


def normalize_with_units(text: str) -> tuple[str, tuple[str, ...]]:
    """`normalize`, and the units stripped from the end (see `units`)."""
    text = unicodedata.normalize("NFKC", text.translate(_UNICODE))
    for pattern, replacement in _SUBSTITUTIONS:
        text = pattern.sub(replacement, text)
    if max_depth(text) <= _MAX_DEPTH:  # deeper text is compared as it is written
        text = _unwrap(text)
        text = _brace_arguments(text)
    text, units = strip_units(_trim(text))
    return _trim(text), units


def _trim(text: str) -> str:
    """Surrounding spaces and punctuation off; a leading ``.`` stays before a digit (``.5``)."""
    text = text.strip(" ,;:").rstrip(".,;: ")
    return text[1:].lstrip() if text.startswith(".") and not text[1:2].isdigit() else text


def answer_key(normalized: str) -> str:
    """A spacing-insensitive key: equal keys mean the same answer written the same way.

    Spaces are dropped except between two letters or digits, where they separate tokens
    (``\\pi r`` is not ``\\pir``, ``1 2`` is not ``12``).
    """
    return re.sub(r"(?<![A-Za-z0-9]) | (?![A-Za-z0-9])", "", normalized)


def plain_text(normalized: str) -> str:
    """Lower-case words of a text answer: ``\\text{The North.}`` -> ``the north``."""
    text = re.sub(r"\\text\s*\{|\\[A-Za-z]+|[{}\\]", " ", normalized)
    text = re.sub(r"[^\w%+-]+", " ", text.lower())
    return " ".join(text.split())


def _unwrap(text: str) -> str:
    """``\\textbf{x}`` -> ``x`` for typography-only commands (several passes when nested)."""
    for _ in range(8):
        match = _UNWRAP.search(text)
        if match is None:
            return text
        end = closing_brace(text, match.end() - 1)
        if end is None:
            return text
        text = text[: match.start()] + text[match.end() : end] + text[end + 1 :]
    return text


def _brace_arguments(text: str) -> str:
    """Give ``\\frac``, ``\\binom``, ``\\sqrt``, ``^`` and ``_`` braced arguments."""
    out: list[str] = []
    index = 0
    while index < len(text):
        token = _COMMAND.match(text, index).group()  # type: ignore[union-attr]
        index += len(token)
        count = _ARGUMENTS.get(token)
        if count is None:
            out.append(token)
            continue
        out.append(token)
        if token == "\\sqrt":
            index = _skip_spaces(text, index)
            if index < len(text) and text[index] == "[":
                end = text.find("]", index)
                if end < 0:
                    continue
                out.append("[" + _brace_arguments(text[index + 1 : end].strip()) + "]")
                index = end + 1
        for _ in range(count):
            argument, index = _read_argument(text, index, script=token in "^_")
            if argument is None:
                break
            out.append("{" + _brace_arguments(argument.strip()) + "}")
    return "".join(out)


def _read_argument(text: str, index: int, *, script: bool) -> tuple[str | None, int]:
    """The argument at `index` (a braced group, a command or one character) and where it ends.

    After ``^`` and ``_`` a run of digits is one argument (``2^10`` is ``2^{10}``, as
    latex2sympy reads it, not TeX's ``2^{1}0``).
    """
    index = _skip_spaces(text, index)
    if index >= len(text):
        return None, index
    char = text[index]
    if char == "{":
        end = closing_brace(text, index)
        return (None, index) if end is None else (text[index + 1 : end], end + 1)
    if char == "(":  # √(x+1) after the Unicode translation, e^(x+1)
        depth = 0
        for end in range(index, len(text)):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            if depth == 0:
                return text[index + 1 : end], end + 1
        return None, index
    if script and char.isdigit():
        end = index
        while end < len(text) and text[end].isdigit():
            end += 1
        return text[index:end], end
    if char in "}])[^_,=":
        return None, index
    token = _COMMAND.match(text, index).group()  # type: ignore[union-attr]
    if token == "-" and index + 1 < len(text) and text[index + 1].isdigit():
        return None, index  # x^-1 is not LaTeX; leave it for the parser to refuse
    return token, index + len(token)


def _skip_spaces(text: str, index: int) -> int:
    while index < len(text) and text[index] == " ":
        index += 1
    return index

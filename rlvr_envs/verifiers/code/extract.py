"""Finding the program in a response: the last fenced block of its language, or all of it.

A fence is a line of three or more backticks (or tildes) with up to three spaces before
it, an optional info string after it (its first word names the language), and a closing
line of the same fence; a last fence left open (a response cut off by the token limit)
runs to the end. Blocks of other languages (```` ```text ````, ```` ```bash ````, a
```` ```java ```` block in a Python task) are not the program. See `CodeOptions.extract`.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["LANGUAGE_TAGS", "extract_code"]

LANGUAGE_TAGS: dict[str, frozenset[str]] = {
    "python": frozenset({"python", "py", "python3", "py3"}),
    "c": frozenset({"c"}),
    "cpp": frozenset({"cpp", "c++", "cc", "cxx"}),
    "javascript": frozenset({"javascript", "js", "node", "nodejs"}),
}
"""Info-string words that mark a fenced block as code of each language (lower case)."""

_FENCE = re.compile(
    r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)\n"
    r"(?P<body>.*?)(?:^[ \t]{0,3}(?P=fence)[ \t]*$|\Z)",
    re.MULTILINE | re.DOTALL,
)


def extract_code(response: str, language: str, extract: Literal["auto", "whole"]) -> str:
    """The program in `response`; empty when there is none (an empty fenced block)."""
    if extract == "whole":
        return response.strip("\n")
    tags = LANGUAGE_TAGS[language]
    found = None
    for match in _FENCE.finditer(response):
        words = match.group("info").split()
        if not words or words[0].lower() in tags:
            found = match.group("body")
    return (found if found is not None else response).strip("\n")

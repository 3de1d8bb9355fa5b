"""Finding the proof in a response: the last fenced block of the prover's language, or
all of it (the same fence rules as the code verifier's `extract_code`)."""

from __future__ import annotations

import re

__all__ = ["PROVER_TAGS", "extract_proof"]

PROVER_TAGS: dict[str, frozenset[str]] = {
    "coq": frozenset({"coq", "rocq", "gallina", "v"}),
    "lean": frozenset({"lean", "lean4"}),
}
"""Info-string words that mark a fenced block as a proof for each prover (lower case)."""

# Kept apart from the code verifier's pattern on purpose: the two evolve with their own
# languages' habits (a proof block may be tagged ``lean4``), and neither imports the other.
_FENCE = re.compile(
    r"^[ \t]{0,3}(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)\n"
    r"(?P<body>.*?)(?:^[ \t]{0,3}(?P=fence)[ \t]*$|\Z)",
    re.MULTILINE | re.DOTALL,
)


def extract_proof(response: str, prover: str) -> str:
    """The proof in `response`: the last fenced block whose info string is empty or names
    the prover (an unclosed last fence runs to the end), else the whole response."""
    found = None
    for match in _FENCE.finditer(response):
        words = match.group("info").split()
        if not words or words[0].lower() in PROVER_TAGS[prover]:
            found = match.group("body")
    return (found if found is not None else response).strip("\n")

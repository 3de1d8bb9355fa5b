"""Coq source text as Coq's own lexer sees it: comments, strings, sentences, and the
early screening of responses.

`split_sentences` cuts a script into sentences the way Coq does: comments nest, and a
string inside a comment is lexed as a string (so ``(* " *) " *)`` is one comment); a
string's ``""`` is an escaped quote; a sentence ends at a ``.`` followed by a blank or
the end of the text; a bullet (``-``, ``+``, ``*``, repeated) or a brace (``{``, ``}``)
at the start of a sentence is a sentence of its own.

`screen_coq` is an early rejection of responses that use a forbidden command or tactic,
with a reason the policy can read. It is *not* the guard: whatever it misses, the kernel
check of the stated theorem and ``Print Assumptions`` decide (see `coq_check`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "FORBIDDEN_COMMANDS",
    "FORBIDDEN_WORDS",
    "CoqSyntaxError",
    "Sentence",
    "screen_coq",
    "split_sentences",
    "strip_comments",
]


class CoqSyntaxError(ValueError):
    """The text does not lex: an unterminated comment or string, or a last sentence
    without its final period."""


@dataclass(frozen=True)
class Sentence:
    """One Coq sentence: its text as written (comments kept) and its code (comments and
    string contents blanked), from which commands and tactics are read."""

    text: str
    code: str

    @property
    def words(self) -> list[str]:
        return _WORD.findall(self.code)


_WORD = re.compile(r"[A-Za-z_\u00c0-\uffff][A-Za-z0-9_'\u00c0-\uffff]*")
_BULLET = re.compile(r"(-+|\++|\*+|\{|\})(?=\s|$|[^-+*])")


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of a script, in order.

    Raises:
        CoqSyntaxError: an unterminated comment or string, or text after the last period.
    """
    sentences: list[Sentence] = []
    raw: list[str] = []
    code: list[str] = []
    i, n = 0, len(text)

    def flush() -> None:
        if "".join(code).strip():
            sentences.append(Sentence("".join(raw).strip(), "".join(code).strip()))
        raw.clear()
        code.clear()

    while i < n:
        c = text[i]
        if text.startswith("(*", i):
            end = _comment_end(text, i)
            raw.append(text[i:end])
            code.append(" ")
            i = end
        elif c == '"':
            end = _string_end(text, i)
            raw.append(text[i:end])
            code.append('""')
            i = end
        elif not "".join(code).strip() and (bullet := _BULLET.match(text, i)):
            raw.append(bullet.group())
            code.append(bullet.group())
            i = bullet.end()
            flush()
        elif c == "." and (i + 1 == n or text[i + 1].isspace()) and not _in_ellipsis(text, i):
            raw.append(c)
            code.append(c)
            i += 1
            flush()
        else:
            raw.append(c)
            code.append(c)
            i += 1
    if "".join(code).strip():
        raise CoqSyntaxError(
            f"the text ends inside a sentence: {''.join(raw).strip()[:80]!r} has no final period"
        )
    return sentences


def strip_comments(text: str) -> str:
    """The text with every comment replaced by a space (strings kept)."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("(*", i):
            i = _comment_end(text, i)
            out.append(" ")
        elif text[i] == '"':
            end = _string_end(text, i)
            out.append(text[i:end])
            i = end
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _comment_end(text: str, start: int) -> int:
    """The index just past the comment opening at `start` (comments nest; strings inside
    them are strings)."""
    depth, i, n = 0, start, len(text)
    while i < n:
        if text.startswith("(*", i):
            depth += 1
            i += 2
        elif text.startswith("*)", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        elif text[i] == '"':
            i = _string_end(text, i)
        else:
            i += 1
    raise CoqSyntaxError(f"unterminated comment starting at character {start}")


def _string_end(text: str, start: int) -> int:
    i, n = start + 1, len(text)
    while i < n:
        if text[i] == '"':
            if text.startswith('""', i):
                i += 2
                continue
            return i + 1
        i += 1
    raise CoqSyntaxError(f"unterminated string starting at character {start}")


def _in_ellipsis(text: str, i: int) -> bool:
    """``..`` (recursive notations) is not a sentence end."""
    return i > 0 and text[i - 1] == "."


FORBIDDEN_WORDS: dict[str, str] = {
    "Admitted": "`Admitted` leaves the theorem unproved",
    "admit": "the `admit` tactic leaves a goal unproved",
    "give_up": "the `give_up` tactic leaves a goal unproved",
    "Abort": "`Abort` abandons the theorem",
    "Admit": "`Admit Obligations` leaves obligations unproved",
    "Axiom": "new axioms are not allowed",
    "Axioms": "new axioms are not allowed",
    "Conjecture": "new axioms are not allowed",
    "Conjectures": "new axioms are not allowed",
    "Parameter": "new assumptions (Parameter) are not allowed",
    "Parameters": "new assumptions (Parameter) are not allowed",
    "Variable": "new assumptions (Variable) are not allowed",
    "Variables": "new assumptions (Variable) are not allowed",
    "Hypothesis": "new assumptions (Hypothesis) are not allowed",
    "Hypotheses": "new assumptions (Hypothesis) are not allowed",
    "Context": "new assumptions (Context) are not allowed",
    "bypass_check": "attributes that bypass the kernel's checks are not allowed",
    "Drop": "commands that end or alter the session are not allowed",
    "Quit": "commands that end or alter the session are not allowed",
    "Reset": "commands that end or alter the session are not allowed",
    "Back": "commands that end or alter the session are not allowed",
    "BackTo": "commands that end or alter the session are not allowed",
    "Restart": "commands that end or alter the session are not allowed",
    "Undo": "commands that end or alter the session are not allowed",
    "Load": "`Load` runs another file; not allowed",
    "Redirect": "`Redirect` writes files; not allowed",
    "Extraction": "extraction writes files; not allowed",
    "Notation": "declaring or redefining notations is not allowed",
    "Infix": "declaring or redefining notations is not allowed",
    "Save": "`Save` renames the theorem; not allowed",
}
"""Words whose mere presence (outside comments and strings) rejects a Coq response."""

FORBIDDEN_COMMANDS: dict[str, str] = {
    "Set": "`Set` of options is not allowed in a proof (checking flags, printing)",
    "Unset": "`Unset` of options is not allowed in a proof (checking flags, printing)",
    "Declare": "`Declare` commands (ML modules, scopes, reductions) are not allowed",
    "Require": "",  # allowed from the standard library only: see screen_coq
    "From": "",
    "Delimit": "scope commands change how the statement reads; not allowed",
    "Undelimit": "scope commands change how the statement reads; not allowed",
    "Bind": "scope commands change how the statement reads; not allowed",
    "Arguments": "`Arguments` changes how the statement reads; not allowed",
    "Register": "`Register` rebinds kernel primitives; not allowed",
    "Primitive": "`Primitive` declares kernel primitives; not allowed",
}
"""Commands (the first word of a sentence, after attributes and ``Local``/``Global``)
that are rejected; an empty reason: allowed under conditions (see `screen_coq`)."""

_PREFIXES = {"Local", "Global", "Export", "Polymorphic", "Monomorphic", "Program", "Time"}
_PREFIXES |= {"Cumulative", "NonCumulative", "Private", "Fail", "Succeed", "Timeout"}
_ATTRIBUTE = re.compile(r"#\[[^\]]*\]")


def screen_coq(proof: str, *, allow_require: bool = True) -> str | None:
    """Why a Coq response is rejected before any prover runs, or None.

    Args:
        proof: the response's script (helpers, proof).
        allow_require: whether ``Require`` of the standard library (``Coq.*``, or short
            names of it) is allowed; ``Require`` of anything that names this project's
            check files is never allowed.
    """
    try:
        sentences = split_sentences(proof)
    except CoqSyntaxError as exc:
        return str(exc)
    for sentence in sentences:
        for word in sentence.words:
            if word in FORBIDDEN_WORDS:
                return f"{FORBIDDEN_WORDS[word]} (found `{word}` in `{_shown(sentence)}`)"
        command = _command_word(sentence.code)
        if command in ("Require", "From"):
            if not allow_require:
                return f"`Require` is not allowed in this task (found `{_shown(sentence)}`)"
            if any(word.startswith(("Rlvr", "rlvr")) for word in sentence.words):
                return f"`Require` of a file that is not a library (`{_shown(sentence)}`)"
        elif FORBIDDEN_COMMANDS.get(command):
            return f"{FORBIDDEN_COMMANDS[command]} (found `{_shown(sentence)}`)"
    return None


def _command_word(code: str) -> str:
    rest = _ATTRIBUTE.sub(" ", code).split()
    while rest and rest[0] in _PREFIXES:
        rest = rest[1:]
        while rest and re.fullmatch(r"[0-9]+", rest[0]):  # Timeout 5 ...
            rest = rest[1:]
    return rest[0].rstrip(".") if rest else ""


def _shown(sentence: Sentence) -> str:
    text = " ".join(sentence.text.split())
    return text if len(text) <= 60 else text[:57] + "..."

"""Lean 4 source text: comments and strings stripped as Lean's lexer does, the early
screening of responses, and statements split into binders and type.

Lean comments are ``-- ...`` to the end of the line and ``/- ... -/`` (nesting); strings
are ``"..."`` with backslash escapes; ``'x'`` is a character. `screen_lean` rejects a
response that uses ``sorry``, ``admit``, a new ``axiom``, ``native_decide`` (unless the
task allows it), options that switch the kernel off, meta-programming that could build
any of these, or commands that end the file or declare notations. It is an early
rejection; the guard is the kernel check of the stated theorem and ``#print axioms``
(see `lean_backend`).
"""

from __future__ import annotations

import re

__all__ = ["FORBIDDEN_LEAN_WORDS", "screen_lean", "split_signature", "strip_lean_comments"]

FORBIDDEN_LEAN_WORDS: dict[str, str] = {
    "sorry": "`sorry` leaves the proof unfinished",
    "admit": "`admit` leaves a goal unproved",
    "axiom": "new axioms are not allowed",
    "variable": "new assumptions (`variable`) are not allowed",
    "set_option": "`set_option` is not allowed in a proof (it can switch kernel checks off)",
    "implemented_by": "`implemented_by` swaps in unchecked code",
    "extern": "`extern` declares unchecked code",
    "unsafe": "`unsafe` declarations are not allowed",
    "#exit": "`#exit` ends the file early",
    "#eval": "`#eval` runs code; not allowed in a proof",
    "run_cmd": "meta-programs are not allowed in a proof",
    "run_tac": "meta-programs are not allowed in a proof",
    "run_elab": "meta-programs are not allowed in a proof",
    "elab": "new elaborators are not allowed in a proof",
    "elab_rules": "new elaborators are not allowed in a proof",
    "macro": "new macros are not allowed in a proof",
    "macro_rules": "new macros are not allowed in a proof",
    "syntax": "new syntax is not allowed in a proof",
    "notation": "declaring or redefining notations is not allowed",
    "infix": "declaring or redefining notations is not allowed",
    "infixl": "declaring or redefining notations is not allowed",
    "infixr": "declaring or redefining notations is not allowed",
    "prefix": "declaring or redefining notations is not allowed",
    "postfix": "declaring or redefining notations is not allowed",
    "import": "`import` is not allowed in a proof (the problem's preamble has the imports)",
    "sorryAx": "`sorryAx` leaves the proof unfinished",
    "ofReduceBool": "escapes to compiled code are not allowed in this task",
    "ofReduceNat": "escapes to compiled code are not allowed in this task",
}
"""Words whose presence (outside comments and strings) rejects a Lean response."""

_NATIVE = {"native_decide": "`native_decide` trusts compiled code; not allowed in this task"}
_WORD = re.compile(r"#?[A-Za-z_\u00c0-\uffff][A-Za-z0-9_'!?\u00c0-\uffff]*")


def strip_lean_comments(text: str) -> tuple[str, str | None]:
    """``(code, problem)``: the text with comments blanked and string contents emptied,
    and what is unterminated (a comment or string), if anything."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            out.append(" ")
        elif text.startswith("/-", i):
            depth, j = 0, i
            while j < n:
                if text.startswith("/-", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("-/", j):
                    depth, j = depth - 1, j + 2
                    if depth == 0:
                        break
                else:
                    j += 1
            if depth:
                return "".join(out), f"unterminated comment starting at character {i}"
            out.append(" ")
            i = j
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                return "".join(out), f"unterminated string starting at character {i}"
            out.append('""')
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out), None


def screen_lean(proof: str, *, allow_native: bool = False) -> str | None:
    """Why a Lean response is rejected before Lean runs, or None."""
    code, problem = strip_lean_comments(proof)
    if problem is not None:
        return problem
    forbidden = dict(FORBIDDEN_LEAN_WORDS)
    if not allow_native:
        forbidden.update(_NATIVE)
    else:
        forbidden.pop("ofReduceBool")
        forbidden.pop("ofReduceNat")
    for match in _WORD.finditer(code):
        word = match.group()
        for part in (word, *word.split(".")):
            if part in forbidden:
                return f"{forbidden[part]} (found `{word}`)"
    return None


def split_signature(statement: str) -> tuple[str, str]:
    """``(binders, type)`` of a statement: ``(x : Nat) (h : x = 2) : x + x = 4`` gives
    ``("(x : Nat) (h : x = 2)", "x + x = 4")``; a plain proposition has no binders."""
    text = statement.strip()
    if not text or text[0] not in "({[⦃":
        return "", text
    depth = 0
    for index, char in enumerate(text):
        if char in "({[⦃⟨":
            depth += 1
        elif char in ")}]⦄⟩":
            depth -= 1
        elif char == ":" and depth == 0 and not text.startswith(":=", index):
            return text[:index].strip(), text[index + 1 :].strip()
    return "", text

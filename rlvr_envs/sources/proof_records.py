"""Theorem records for the proof tasks, ours and miniF2F-style ones that users bring.

``format: proof`` reads records in either layout:

* ours: ``{"id", "statement", "preamble"?, "allowed_axioms"?}``: the statement is the
  proposition (Coq ``forall n : nat, n + 0 = n``; Lean ``∀ n : Nat, n + 0 = n``), or
  for Lean a signature with binders (``(x : Nat) (h : x = 2) : x + x = 4``);
* miniF2F-style (as the Lean 4 miniF2F releases and their JSONL exports lay them out):
  ``{"name", "formal_statement", "header"?, "split"?}``, where ``formal_statement`` is a
  whole declaration, ``theorem mathd_algebra_10 (x : ℝ) : ... := by sorry`` (or Coq's
  ``Theorem name : ... .``): its name and proof placeholder are dropped, and ``header``
  (``import Mathlib`` ...) becomes the preamble.

The statement goes to ``answer`` (the reference); ``preamble`` is set (empty when
none), and for prompts ``preamble_text`` is the preamble followed by a blank line and
``signature`` what follows a theorem's name in Lean (``: P``, or ``(x : Nat) : P``).

`read_lean_theorems` reads a whole ``.lean`` file of such theorems (miniF2F's own
``MiniF2F/Test.lean`` layout): everything before the first declaration is the header.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rlvr_envs.errors import DatasetError
from rlvr_envs.verifiers.proof.lean_text import split_signature

__all__ = ["adapt_proof_record", "read_lean_theorems", "split_declaration"]

_DECLARATION = re.compile(
    r"^\s*(?:@\[[^\]]*\]\s*)?(?:theorem|lemma|example|Theorem|Lemma|Example|Fact|Remark|"
    r"Corollary|Proposition)\s+(?P<name>[^\s:({\[]+)?\s*(?P<rest>.*)$",
    re.DOTALL,
)
_PLACEHOLDER = re.compile(
    r"(?::=\s*(?:by\s+)?sorry|:=\s*by\s*$|\.\s*(?:Proof\..*)?$)\s*$", re.DOTALL
)


def split_declaration(declaration: str) -> tuple[str, str]:
    """``(name, statement)`` of ``theorem name <binders> : T := by sorry`` (or Coq's
    ``Theorem name : T.``): the statement keeps the binders and drops the placeholder.

    Raises:
        ValueError: not a theorem declaration.
    """
    match = _DECLARATION.match(declaration)
    if match is None:
        raise ValueError("is not a theorem declaration (theorem/lemma NAME ... : TYPE)")
    rest = _PLACEHOLDER.sub("", match.group("rest").strip()).strip()
    if rest.startswith(":"):
        rest = rest[1:].strip()
    if not rest:
        raise ValueError("declares no statement")
    return match.group("name") or "example", rest


def adapt_proof_record(record: Mapping[str, Any], where: str) -> dict[str, Any]:
    """A theorem record as a problem's fields (see the module docstring)."""
    fields = dict(record)
    if "statement" not in fields:
        formal = fields.get("formal_statement")
        if not isinstance(formal, str):
            raise DatasetError(
                f"{where}: proof record needs 'statement' (or miniF2F's 'formal_statement'), "
                f"got fields {sorted(fields)}"
            )
        try:
            name, statement = split_declaration(formal)
        except ValueError as exc:
            raise DatasetError(f"{where}: field 'formal_statement' {exc}") from None
        fields.setdefault("name", name)
        fields.setdefault("id", fields["name"])
        fields["statement"] = statement
        if "preamble" not in fields and isinstance(fields.get("header"), str):
            fields["preamble"] = fields["header"]
    statement = fields["statement"]
    if not isinstance(statement, str) or not statement.strip():
        raise DatasetError(f"{where}: proof record's field 'statement' must be non-empty text")
    preamble = fields.get("preamble") or ""
    if not isinstance(preamble, str):
        raise DatasetError(f"{where}: proof record's field 'preamble' must be text")
    allowed = fields.get("allowed_axioms") or []
    if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
        raise DatasetError(f"{where}: field 'allowed_axioms' must be a list of names")
    binders, type_ = split_signature(statement)
    fields.update(
        answer=statement.strip(),
        signature=f"{binders} : {type_}" if binders else f": {type_}",
        preamble=preamble.strip(),
        preamble_text=f"{preamble.strip()}\n\n" if preamble.strip() else "",
        allowed_axioms=allowed,
    )
    return fields


def read_lean_theorems(path: str | Path) -> list[dict[str, Any]]:
    """The theorems of a miniF2F-style ``.lean`` file as ``format: proof`` records.

    Raises:
        DatasetError: the file cannot be read or holds no theorem.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read: {exc}") from exc
    starts = [m.start() for m in re.finditer(r"^(?:theorem|lemma)\s", text, re.MULTILINE)]
    if not starts:
        raise DatasetError(f"{path}: no 'theorem NAME ... := by sorry' declaration found")
    header = text[: starts[0]].strip()
    records = []
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        declaration = text[start:end].strip()
        line = text.count("\n", 0, start) + 1
        record = {"formal_statement": declaration, "header": header}
        records.append(adapt_proof_record(record, f"{path}:{line}"))
    return records

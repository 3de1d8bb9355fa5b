"""What a Coq whole-proof check runs, and how its answer is judged.

The response is split (`split_response`) into optional helpers (lemmas, definitions)
and the proof; a response that restates the theorem (``Theorem foo : <statement>.``)
has the restatement dropped when it states the same text, and is rejected when it
states something else. The check then runs, in this order:

1. the problem's preamble (ours);
2. ``Definition rlvr_statement_<N> := <statement>.`` (ours): the statement, elaborated
   before any text of the response, so nothing the response defines can change it;
3. ``Module Rlvr_candidate_<N>.`` (ours), the response's helpers, ``Theorem
   rlvr_goal_<N> : <statement>.`` (ours), the response's proof (``Qed.`` added when it
   has no ending), ``End Rlvr_candidate_<N>.`` (ours): everything the response declares
   lives in this module, so ``Print Assumptions`` names it ``Rlvr_candidate_<N>.x``;
4. ``Check (Rlvr_candidate_<N>.rlvr_goal_<N> : rlvr_statement_<N>).``: the theorem
   proved is the stated one (a helper that shadows ``nat`` or a notation changes how
   step 3 reads the statement, and fails here);
5. ``Print Assumptions Rlvr_candidate_<N>.rlvr_goal_<N>.``: accepted only when it is
   closed under the global context, or depends only on allowed axioms; any axiom
   of the response's module, any unsafe fixpoint, positivity or universe assumption
   rejects it. This is the guard; the textual screening before is an early rejection.

``<N>`` is random per check: the response cannot name what it cannot see.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from rlvr_envs.verifiers.proof.backend import CheckStage, ProofCheck, Theorem
from rlvr_envs.verifiers.proof.coq_text import CoqSyntaxError, split_sentences, strip_comments

__all__ = [
    "THEOREM_KEYWORDS",
    "CheckScript",
    "judge_assumptions",
    "normalize_statement",
    "parse_assumptions",
    "split_response",
]

THEOREM_KEYWORDS = frozenset(
    {"Theorem", "Lemma", "Fact", "Remark", "Corollary", "Proposition", "Property", "Example"}
)
_ENDINGS = frozenset({"Qed", "Defined"})
_UNSAFE = ("assumed to be guarded", "assumed to be positive", "unsafe hierarchy")


@dataclass(frozen=True)
class CheckScript:
    """The pieces of one check, in order (see the module docstring)."""

    token: str
    preamble: str
    statement_definition: str
    module_open: str
    helpers: str
    theorem: str
    proof: str
    module_close: str
    statement_check: str
    assumptions_query: str

    @classmethod
    def build(cls, theorem: Theorem, helpers: str, proof: str) -> CheckScript:
        token = secrets.token_hex(6)
        module = f"Rlvr_candidate_{token}"
        goal = f"rlvr_goal_{token}"
        statement = f"rlvr_statement_{token}"
        return cls(
            token=token,
            preamble=theorem.preamble.strip(),
            statement_definition=f"Definition {statement} := {theorem.statement.strip()}.",
            module_open=f"Module {module}.",
            helpers=helpers.strip(),
            theorem=f"Theorem {goal} : {theorem.statement.strip()}.",
            proof=_with_ending(proof.strip()),
            module_close=f"End {module}.",
            statement_check=f"Check ({module}.{goal} : {statement}).",
            assumptions_query=f"Print Assumptions {module}.{goal}.",
        )

    @property
    def module(self) -> str:
        return f"Rlvr_candidate_{self.token}"


def split_response(theorem: Theorem, script: str) -> tuple[str, str] | str:
    """``(helpers, proof)`` of a response's script, or why it is rejected.

    A sentence ``Theorem|Lemma|... name : S.`` whose statement S is the problem's (blanks
    aside) splits the script: what precedes is helpers, what follows the proof. Without
    one, a script that opens with a theorem states another one and is rejected; any other
    script is the proof, whole.
    """
    try:
        sentences = split_sentences(script)
    except CoqSyntaxError as exc:
        return str(exc)
    if not sentences:
        return "the response has no proof"
    wanted = normalize_statement(theorem.statement)
    for index, sentence in enumerate(sentences):
        words = sentence.words
        if not words or words[0] not in THEOREM_KEYWORDS:
            continue
        stated = _stated(sentence.text)
        if stated is not None and normalize_statement(stated) == wanted:
            helpers = "\n".join(s.text for s in sentences[:index])
            proof = "\n".join(s.text for s in sentences[index + 1 :])
            return helpers, proof
    first = sentences[0].words
    if first and first[0] in THEOREM_KEYWORDS:
        return (
            "the response states a different theorem than the problem's: "
            f"{' '.join(sentences[0].text.split())[:120]!r}"
        )
    return "", script


def normalize_statement(statement: str) -> str:
    """A statement with comments removed and blanks collapsed, for comparing texts."""
    text = " ".join(strip_comments(statement).split()).rstrip(".").strip()
    return re.sub(r"\s*([(),:])\s*", r"\1", text)


def parse_assumptions(output: str) -> tuple[list[str], list[str]]:
    """``(axioms, unsafe)`` of a ``Print Assumptions`` answer: the axiom names, and the
    lines that report unsafe fixpoints, positivity or universes."""
    axioms: list[str] = []
    unsafe: list[str] = []
    if "Closed under the global context" in output:
        return axioms, unsafe
    for line in output.splitlines():
        if any(marker in line for marker in _UNSAFE):
            unsafe.append(line.strip())
        elif line and not line[0].isspace() and " : " in line:
            axioms.append(line.split(" : ", 1)[0].strip())
    return axioms, unsafe


def judge_assumptions(
    output: str, *, module: str, allowed: tuple[str, ...], library_prefix: str = ""
) -> ProofCheck:
    """The verdict from a ``Print Assumptions`` answer.

    Args:
        output: what Coq printed.
        module: the response's module (its own axioms are named ``<module>.x``).
        allowed: names of assumptions the problem allows.
        library_prefix: a prefix the check file's library adds to every name (stripped).
    """
    axioms, unsafe = parse_assumptions(output)
    names = tuple(name.removeprefix(library_prefix) for name in axioms)
    if unsafe:
        return ProofCheck(
            CheckStage.ASSUMPTIONS,
            f"the proof relies on a declaration the kernel did not check: {unsafe[0]}",
            names,
        )
    if "Closed under the global context" not in output and not axioms:
        return ProofCheck(
            CheckStage.INFRASTRUCTURE,
            f"could not read Coq's list of assumptions: {output[:200]!r}",
        )
    own = [name for name in names if name.startswith(f"{module}.")]
    if own:
        shown = own[0].removeprefix(f"{module}.")
        return ProofCheck(
            CheckStage.ASSUMPTIONS, f"the proof depends on an axiom it declares: {shown}", names
        )
    extra = [name for name in names if not _is_allowed(name, allowed)]
    if extra:
        return ProofCheck(
            CheckStage.ASSUMPTIONS,
            f"the proof depends on the axiom {extra[0]}, which this problem does not allow",
            names,
        )
    how = "no axioms" if not names else "only allowed axioms (" + ", ".join(names) + ")"
    return ProofCheck(CheckStage.ACCEPTED, f"the kernel accepted the proof; it uses {how}", names)


def _is_allowed(name: str, allowed: tuple[str, ...]) -> bool:
    """Whether a printed name is one of the allowed ones. Coq prints the shortest name
    that still means the object where it prints (``classic`` where ``Classical`` is
    imported, ``Classical_Prop.classic`` where it is only loaded), so either may be a
    dotted suffix of the other. The response's own declarations always print with their
    module's prefix (it is never imported), so they cannot pass for a library's."""
    return any(
        name == entry or entry.endswith(f".{name}") or name.endswith(f".{entry}")
        for entry in allowed
    )


def _stated(text: str) -> str | None:
    """The statement of ``Theorem name binders : S.``, or None."""
    code = strip_comments(text).strip()
    match = re.match(r"\w+\s+[\w']+\s*:(.*)\.\s*$", code, re.DOTALL)
    return match.group(1) if match else None


def _with_ending(proof: str) -> str:
    try:
        sentences = split_sentences(proof)
    except CoqSyntaxError:
        return proof
    if sentences and sentences[-1].words and sentences[-1].words[0] in _ENDINGS:
        return proof
    return f"{proof}\nQed."

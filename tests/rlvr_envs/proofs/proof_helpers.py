"""What the proof tests share."""

import json
import shutil
from pathlib import Path

import pytest

from rlvr_envs.verifiers.proof import Theorem

DATA = Path(__file__).parent / "data"
COQ_PROOFS: dict[str, str] = json.loads((DATA / "coq_basics_proofs.json").read_text())

needs_coq = pytest.mark.skipif(
    shutil.which("coqtop") is None or shutil.which("coqc") is None,
    reason="Coq is not installed (Debian/Ubuntu: apt-get install coq; .ci/run installs it)",
)
LEAN_PROOFS: dict[str, str] = json.loads((DATA / "lean_basics_proofs.json").read_text())


def lean_available() -> str | None:
    """None where a Lean REPL can run, else why not (the skip reason)."""
    from rlvr_envs.verifiers.proof import ProverError
    from rlvr_envs.verifiers.proof.lean_backend import lean_repl_command

    try:
        lean_repl_command()
    except ProverError as exc:
        return f"no Lean toolchain here: {exc}"
    return None


needs_lean = pytest.mark.skipif(lean_available() is not None, reason=lean_available() or "")


# Attacks on the Coq check: each would earn the reward if the check trusted the response.
PLUS_0 = Theorem("forall n : nat, n + 0 = n")
FALSE_EQ = Theorem("forall n : nat, n + 0 = 0")  # false: only a cheat proves it
FALSE = Theorem("False")

ATTACKS = {
    "admitted": (PLUS_0, "Proof. intro n. Admitted."),
    "admit-then-qed": (PLUS_0, "Proof. intro n. admit. Qed."),
    "give-up": (PLUS_0, "Proof. intro n. give_up. Qed."),
    "abort-and-axiom": (PLUS_0, "Abort. Axiom cheat : forall n : nat, n + 0 = n."),
    "axiom-helper": (
        FALSE,
        "Axiom cheat : False.\nTheorem goal : False.\nProof. exact cheat. Qed.",
    ),
    "local-axiom": (FALSE, "Local Axiom cheat : False. Theorem g : False. exact cheat. Qed."),
    "parameter": (FALSE, "Parameter cheat : False. Theorem g : False. exact cheat. Qed."),
    "variable-outside-section": (
        FALSE,
        "Variable cheat : False. Theorem g : False. exact cheat. Qed.",
    ),
    "hypothesis": (FALSE, "Hypothesis cheat : False. Theorem g : False. exact cheat. Qed."),
    "conjecture-admitted": (
        FALSE,
        "Conjecture cheat : False. Theorem g : False. exact cheat. Qed.",
    ),
    "context": (FALSE, "Context (cheat : False). Theorem g : False. exact cheat. Qed."),
    "close-early-open-new": (FALSE_EQ, "Admitted. Theorem other : True. Proof. exact I."),
    "shadow-nat": (
        FALSE_EQ,
        "Inductive nat := O | S (n : nat).\nDefinition plus (n m : nat) := O.\n"
        'Notation "x + y" := (plus x y).\n'
        "Theorem goal : forall n : nat, n + 0 = 0.\nProof. reflexivity. Qed.",
    ),
    "redefine-notation": (
        FALSE_EQ,
        'Notation "x + y" := (Nat.mul x y).\n'
        "Theorem goal : forall n : nat, n + 0 = 0.\n"
        "Proof. intro n. induction n as [| n IH]; simpl; [reflexivity | exact IH]. Qed.",
    ),
    "unset-guard-checking": (
        FALSE,
        "Unset Guard Checking.\nFixpoint loop (n : nat) : False := loop n.\n"
        "Theorem goal : False.\nProof. exact (loop 0). Qed.",
    ),
    "bypass-check-attribute": (
        FALSE,
        "#[bypass_check(guard)] Fixpoint loop (n : nat) : False := loop n.\n"
        "Theorem goal : False.\nProof. exact (loop 0). Qed.",
    ),
    "unset-positivity": (
        FALSE,
        "Unset Positivity Checking.\nInductive Bad := bad : (Bad -> False) -> Bad.\n"
        "Definition un (b : Bad) : Bad -> False := match b with bad f => f end.\n"
        "Theorem goal : False.\n"
        "Proof. exact (let f := fun b : Bad => un b b in f (bad f)). Qed.",
    ),
    "program-admit-obligations": (
        FALSE,
        "Require Import Program.\nProgram Definition cheat : False := _.\n"
        "Admit Obligations.\nTheorem goal : False.\nProof. exact cheat. Qed.",
    ),
    "comment-hides-nothing-from-coq": (PLUS_0, 'Proof. intro n. (* " *) Admitted. (* " *)'),
    "hidden-by-unclosed-comment": (PLUS_0, "Proof. intro n. (* Qed."),
    "reset-initial": (FALSE, "Reset Initial. Theorem g : True. exact I. Qed."),
    "back-to": (FALSE, "BackTo 1. Theorem g : True. exact I. Qed."),
    "quit": (FALSE, "Quit."),
    "require-own-file": (FALSE, "Require Import Rlvr.Candidate. Proof. exact cheat. Qed."),
    "variable-in-section": (
        FALSE,
        "Section S. Variable cheat : False. Theorem goal : False. Proof. exact cheat. Qed. End S.",
    ),
    "include-module-type": (
        FALSE,
        "Module Type T. Parameter cheat : False. End T. Include T.\n"
        "Theorem goal : False. Proof. exact cheat. Qed.",
    ),
    "declare-module": (
        FALSE,
        "Module Type T. Parameter cheat : False. End T. Declare Module M : T.\n"
        "Theorem goal : False. Proof. exact M.cheat. Qed.",
    ),
    "forged-output": (
        FALSE,
        'Proof. idtac "Closed under the global context". Admitted.',
    ),
}

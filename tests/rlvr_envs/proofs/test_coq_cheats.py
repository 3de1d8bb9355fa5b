"""Attacks on the Coq check. Each one would earn the reward if the check trusted the
response; each must be rejected twice over: by the early screening (with a reason the
policy can read), and, with the screening off, by the kernel checks alone (the stated
theorem re-checked, ``Print Assumptions``), on the warm and on the cold path."""

import pytest
from proof_helpers import needs_coq

from rlvr_envs.verifiers.proof import CheckStage, Theorem

pytestmark = [needs_coq, pytest.mark.timeout(120)]

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
    "forged-output": (
        FALSE,
        'Proof. idtac "Closed under the global context". Admitted.',
    ),
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_the_screening_rejects_each_attack_with_a_reason(warm_coq, attack):
    theorem, proof = ATTACKS[attack]
    verdict = warm_coq.check(theorem, proof, timeout=20)
    assert not verdict.accepted, attack
    assert verdict.reason
    assert verdict.stage is not CheckStage.INFRASTRUCTURE, verdict.reason


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_the_kernel_checks_alone_reject_each_attack_warm(unscreened_coq, attack):
    theorem, proof = ATTACKS[attack]
    verdict = unscreened_coq.check(theorem, proof, timeout=20)
    assert not verdict.accepted, (attack, verdict)
    assert verdict.reason


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_the_kernel_checks_alone_reject_each_attack_cold(unscreened_cold_coq, attack):
    theorem, proof = ATTACKS[attack]
    verdict = unscreened_cold_coq.check(theorem, proof, timeout=20)
    assert not verdict.accepted, (attack, verdict)
    assert verdict.reason


def test_the_warm_session_is_clean_after_an_attack(unscreened_coq):
    """Options and axioms an attack leaves behind do not reach the next check."""
    attack = "Unset Guard Checking.\nAxiom cheat : False.\nTheorem g : True. exact I. Qed."
    assert not unscreened_coq.check(FALSE, attack, timeout=20).accepted
    loop = "Fixpoint loop (n : nat) : False := loop n."
    verdict = unscreened_coq.check(FALSE, f"{loop}\nTheorem g : False. exact (loop 0). Qed.")
    assert not verdict.accepted
    assert unscreened_coq.check(FALSE, "Proof. exact cheat. Qed.").stage is CheckStage.PROVER
    assert unscreened_coq.check(PLUS_0, "Proof. intro n. reflexivity. Qed.").accepted is False
    good = "Proof. intro n. induction n; simpl; auto. Qed."
    assert unscreened_coq.check(PLUS_0, good).accepted


def test_reasons_name_what_was_wrong(unscreened_coq, warm_coq):
    _, guard = ATTACKS["unset-guard-checking"]
    verdict = unscreened_coq.check(FALSE, guard)
    assert verdict.stage is CheckStage.ASSUMPTIONS
    assert "assumed to be guarded" in verdict.reason
    _, axiom = ATTACKS["axiom-helper"]
    verdict = unscreened_coq.check(FALSE, axiom)
    assert (verdict.stage, verdict.reason) == (
        CheckStage.ASSUMPTIONS,
        "the proof depends on an axiom it declares: cheat",
    )
    _, notation = ATTACKS["redefine-notation"]  # proves its own reading of the statement
    verdict = unscreened_coq.check(FALSE_EQ, notation)
    assert verdict.stage is CheckStage.STATEMENT, verdict
    assert verdict.reason.startswith("the theorem proved is not the stated one: Error:")
    _, shadow = ATTACKS["shadow-nat"]
    verdict = unscreened_coq.check(FALSE_EQ, shadow)
    assert verdict.stage is CheckStage.STATEMENT, verdict
    assert verdict.reason.startswith("the response's definitions change how the statement reads")
    verdict = warm_coq.check(PLUS_0, "Proof. intro n. Admitted.")
    assert verdict.stage is CheckStage.SCREEN
    assert verdict.reason.startswith("`Admitted` leaves the theorem unproved")


def test_library_axioms_need_the_problem_to_allow_them(warm_coq, cold_coq):
    excluded_middle = Theorem("forall P : Prop, P \\/ ~ P", preamble="Require Import Classical.")
    proof = "Proof. exact classic. Qed."
    for backend in (warm_coq, cold_coq):
        verdict = backend.check(excluded_middle, proof)
        assert verdict.stage is CheckStage.ASSUMPTIONS
        assert verdict.reason.startswith("the proof depends on the axiom ")
        assert "classic, which this problem does not allow" in verdict.reason
    allowed = Theorem(
        excluded_middle.statement,
        preamble=excluded_middle.preamble,
        allowed_axioms=("Classical_Prop.classic",),
    )
    for backend in (warm_coq, cold_coq):
        assert backend.check(allowed, proof).accepted


def test_a_proof_that_runs_forever_times_out_and_the_session_is_replaced(warm_coq):
    started = warm_coq.pool.started
    endless = "Proof. intro n. repeat rewrite plus_n_O. Qed."  # n -> n + 0 -> n + 0 + 0 ...
    verdict = warm_coq.check(PLUS_0, endless, timeout=2)
    assert (verdict.stage, verdict.reason) == (
        CheckStage.TIMEOUT,
        "the proof took longer than 2 s",
    )
    good = "Proof. intro n. induction n; simpl; auto. Qed."
    assert warm_coq.check(PLUS_0, good).accepted
    assert warm_coq.pool.started == started + 1

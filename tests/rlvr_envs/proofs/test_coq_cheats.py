"""Attacks on the Coq check. Each one would earn the reward if the check trusted the
response; each must be rejected twice over: by the early screening (with a reason the
policy can read), and, with the screening off, by the kernel checks alone (the stated
theorem re-checked, ``Print Assumptions``), on the warm and on the cold path."""

import pytest
from proof_helpers import ATTACKS, FALSE, FALSE_EQ, PLUS_0, needs_coq

from rlvr_envs.verifiers.proof import CheckStage, Theorem

pytestmark = [needs_coq, pytest.mark.timeout(120)]


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

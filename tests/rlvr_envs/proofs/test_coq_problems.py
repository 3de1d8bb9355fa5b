"""The bundled Coq theorems: each has a proof here that Coq accepts, and wrong proofs
of them are rejected with Coq's reason."""

import json
from pathlib import Path

import pytest
from proof_helpers import COQ_PROOFS, needs_coq

import rlvr_envs
from rlvr_envs.verifiers.proof import CheckStage, Theorem

pytestmark = [needs_coq, pytest.mark.timeout(300)]

TASK = rlvr_envs.default_registry().task("coq-proof-basics-v1")
PROBLEMS = list(TASK.source.iter_split("test"))


def theorem(problem) -> Theorem:
    return Theorem(problem.reference, problem.fields["preamble"])


def test_at_least_40_theorems_each_with_its_proof_kept_here():
    assert len(PROBLEMS) >= 40
    assert {p.id for p in PROBLEMS} == set(COQ_PROOFS)
    assert {p.fields["difficulty"] for p in PROBLEMS} >= {"trivial", "induction", "several-step"}


def test_every_bundled_proof_is_accepted_warm(warm_coq):
    verdicts = warm_coq.check_many([(theorem(p), COQ_PROOFS[p.id]) for p in PROBLEMS])
    rejected = {p.id: v.reason for p, v in zip(PROBLEMS, verdicts, strict=True) if not v.accepted}
    assert not rejected


def test_bundled_proofs_are_accepted_cold_too(cold_coq):
    sample = [p for p in PROBLEMS if p.fields["difficulty"] in ("several-step", "arithmetic")][:4]
    for problem in sample:
        verdict = cold_coq.check(theorem(problem), COQ_PROOFS[problem.id])
        assert verdict.accepted, (problem.id, verdict.reason)


def test_wrong_proofs_are_rejected_with_coqs_reason(warm_coq):
    problem = TASK.problem("test", "coq-plus-comm")
    verdict = warm_coq.check(theorem(problem), "Proof. intros n m. reflexivity. Qed.")
    assert verdict.stage is CheckStage.PROVER
    assert verdict.reason.startswith("the proof failed: Error:")
    unfinished = warm_coq.check(theorem(problem), "Proof. intros n m. induction n. Qed.")
    assert unfinished.stage is CheckStage.PROVER
    assert "incomplete proof" in unfinished.reason


def test_a_proof_for_another_theorem_is_rejected(warm_coq):
    problem = TASK.problem("test", "coq-plus-comm")
    other = COQ_PROOFS["coq-plus-0-r"]
    assert not warm_coq.check(theorem(problem), other).accepted


def test_records_carry_statement_and_preamble():
    path = Path(rlvr_envs.registry.builtin_tasks_dir()) / "proof" / "data" / "coq_basics.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert all(set(r) <= {"id", "statement", "preamble", "difficulty"} for r in records)
    assert TASK.problem("test", "coq-true").fields["preamble_text"] == ""
    sum_formula = TASK.problem("test", "coq-sum-formula")
    assert sum_formula.fields["preamble_text"].startswith("Require Import Arith Lia.")
    assert "Theorem goal : forall n : nat, 2 * sum_to n" in TASK.prompt(sum_formula)

"""The warm pool restarts dead and oversized prover sessions; miniF2F-style data loads."""

import json
import os
import signal

import pytest
from proof_helpers import needs_coq

from rlvr_envs.errors import DatasetError
from rlvr_envs.sources.jsonl import load_jsonl_source
from rlvr_envs.sources.proof_records import read_lean_theorems, split_declaration
from rlvr_envs.verifiers.proof import CoqBackend, Theorem

PLUS_0 = Theorem("forall n : nat, n + 0 = n")
GOOD = "Proof. intro n. induction n; simpl; auto. Qed."


@needs_coq
@pytest.mark.timeout(120)
def test_a_dead_session_is_replaced():
    with CoqBackend() as backend:
        assert backend.check(PLUS_0, GOOD).accepted
        (worker,) = backend.pool._idle
        os.killpg(worker.session.pid, signal.SIGKILL)
        assert backend.check(PLUS_0, GOOD).accepted
        assert backend.pool.started == 2


@needs_coq
@pytest.mark.timeout(120)
def test_a_session_over_its_memory_budget_is_retired():
    with CoqBackend(max_memory_mb=1) as backend:
        for _ in range(3):
            assert backend.check(PLUS_0, GOOD).accepted
        assert backend.pool.started == 3
        assert not backend.pool._idle


@needs_coq
@pytest.mark.timeout(120)
def test_the_pool_reuses_a_session_and_its_preamble():
    lia = Theorem("forall n : nat, 2 * n + 1 > n", preamble="Require Import Lia.")
    with CoqBackend() as backend:
        for _ in range(4):
            assert backend.check(lia, "Proof. intros. lia. Qed.").accepted
        assert backend.pool.started == 1


MINIF2F = """import Mathlib
import Aesop

set_option maxHeartbeats 400000

open BigOperators Real Nat

theorem mathd_algebra_10 (x : ℝ) (h₀ : x = 2) : x ^ 2 = 4 := by
  sorry

theorem amc12_2000_p1 : ∀ n : ℕ, n + 0 = n := by sorry
"""


def test_a_minif2f_lean_file_reads_as_proof_records(tmp_path):
    path = tmp_path / "Test.lean"
    path.write_text(MINIF2F, encoding="utf-8")
    first, second = read_lean_theorems(path)
    assert first["id"] == "mathd_algebra_10"
    assert first["statement"] == first["answer"] == "(x : ℝ) (h₀ : x = 2) : x ^ 2 = 4"
    assert first["signature"] == "(x : ℝ) (h₀ : x = 2) : x ^ 2 = 4"
    assert first["preamble"].startswith("import Mathlib\nimport Aesop")
    assert second["statement"] == "∀ n : ℕ, n + 0 = n"
    assert second["signature"] == ": ∀ n : ℕ, n + 0 = n"


def test_minif2f_jsonl_records_load_with_format_proof(tmp_path):
    records = [
        {
            "name": "mathd_numbertheory_1",
            "split": "valid",
            "formal_statement": "theorem mathd_numbertheory_1 : 29 % 5 = 4 := by\n  sorry",
            "header": "import Mathlib",
        },
        {"id": "ours", "statement": "forall n : nat, n = n"},
    ]
    path = tmp_path / "valid.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    source = load_jsonl_source(
        {"test": path}, id_field=None, reference_field="answer", record_format="proof"
    )
    first, second = source.iter_split("test")
    assert first.reference == "29 % 5 = 4"
    assert first.fields["preamble"] == "import Mathlib"
    assert second.reference == "forall n : nat, n = n" and second.fields["preamble_text"] == ""


def test_bad_proof_records_say_what_is_wrong(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"formal_statement": "def x := 1"}) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"bad\.jsonl:1: field 'formal_statement' is not a"):
        load_jsonl_source(
            {"test": path}, id_field=None, reference_field="answer", record_format="proof"
        )
    assert split_declaration("Theorem foo : forall n, n = n.") == ("foo", "forall n, n = n")


@needs_coq
@pytest.mark.timeout(120)
def test_sessions_run_without_bubblewrap_too():
    with CoqBackend(sandbox="process") as backend:
        assert backend.check(PLUS_0, GOOD).accepted
        assert not backend.check(PLUS_0, "Proof. intro n. reflexivity. Qed.").accepted
        (worker,) = backend.pool._idle
        assert worker.session.sandbox == "process"

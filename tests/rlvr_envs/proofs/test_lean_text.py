"""Lean screening, statement splitting and the verdict on #print axioms, without Lean."""

import pytest

from rlvr_envs.verifiers.proof import CheckStage, Theorem
from rlvr_envs.verifiers.proof.lean_backend import (
    judge_lean_axioms,
    lean_check_commands,
    split_lean_response,
)
from rlvr_envs.verifiers.proof.lean_repl import parse_response
from rlvr_envs.verifiers.proof.lean_text import screen_lean, split_signature


@pytest.mark.parametrize(
    ("proof", "reason"),
    [
        ("by sorry", "`sorry` leaves the proof unfinished"),
        ("by\n  intro n\n  exact sorry", "`sorry` leaves the proof unfinished"),
        ("by admit", "`admit` leaves a goal unproved"),
        ("axiom cheat : False\ntheorem g : False := cheat", "new axioms are not allowed"),
        ("by exact sorryAx _ false", "`sorryAx` leaves the proof unfinished"),
        ("by native_decide", "`native_decide` trusts compiled code"),
        ("by exact Lean.ofReduceBool _ _ rfl", "escapes to compiled code"),
        ("set_option debug.skipKernelTC true in\nby simp", "`set_option` is not allowed"),
        ("#exit", "`#exit` ends the file early"),
        ('macro "cheat" : tactic => `(tactic| exact foo)\nby cheat', "new macros"),
        ('elab "cheat" : tactic => pure ()\nby cheat', "new elaborators"),
        ('notation a " + " b => Nat.mul a b\nby rfl', "notations is not allowed"),
        ("@[implemented_by foo] def bar : Nat := 1", "`implemented_by` swaps in unchecked code"),
        ("unsafe def x : False := x", "`unsafe` declarations are not allowed"),
        ("by simp /- open comment", "unterminated comment"),
    ],
)
def test_the_lean_screening_names_what_is_forbidden(proof, reason):
    refused = screen_lean(proof)
    assert refused is not None and reason in refused, refused


def test_the_lean_screening_ignores_comments_and_strings():
    commented = "by\n  -- sorry later\n  /- no sorry /- nested -/ -/ simp\n  trivial"
    assert screen_lean(commented) is None
    assert screen_lean('by\n  have s : String := "sorry"\n  trivial') is None
    assert screen_lean("by native_decide", allow_native=True) is None


def test_signatures_split_into_binders_and_type():
    assert split_signature("(x : Nat) (h : x = 2) : x + x = 4") == (
        "(x : Nat) (h : x = 2)",
        "x + x = 4",
    )
    assert split_signature("∀ n : Nat, n + 0 = n") == ("", "∀ n : Nat, n + 0 = n")
    assert split_signature("{α : Type} (l : List α) : l ++ [] = l")[0] == "{α : Type} (l : List α)"


def test_a_restated_theorem_splits_the_response():
    theorem = Theorem("∀ n : Nat, n + 0 = n")
    response = "theorem aux : 1 = 1 := rfl\n\ntheorem goal : ∀ n : Nat, n + 0 = n := by\n  simp"
    assert split_lean_response(theorem, response) == ("theorem aux : 1 = 1 := rfl", "by\n  simp")
    assert split_lean_response(theorem, "theorem goal : 1 = 1 := rfl").startswith(
        "the response states a different theorem"
    )
    assert split_lean_response(theorem, "intro n\nsimp") == ("", "by\n  intro n\n  simp")


def test_the_check_states_the_statement_before_the_response():
    statement, candidate, check = lean_check_commands(
        Theorem("(x : Nat) (h : x = 2) : x + x = 4"), "by omega", "abc"
    )
    assert statement == "def rlvr_statement_abc : Prop := ∀ (x : Nat) (h : x = 2), x + x = 4"
    assert candidate.splitlines()[0] == "namespace Rlvr_candidate_abc"
    assert "theorem rlvr_goal_abc (x : Nat) (h : x = 2) : x + x = 4 := by omega" in candidate
    assert check == (
        "example : rlvr_statement_abc := Rlvr_candidate_abc.rlvr_goal_abc\n"
        "#print axioms Rlvr_candidate_abc.rlvr_goal_abc"
    )


def info(text: str):
    message = {"severity": "info", "pos": {"line": 2, "column": 0}, "data": text}
    return parse_response({"messages": [message], "env": 3})


def test_print_axioms_decides():
    theorem = Theorem("True")
    closed = judge_lean_axioms(info("'g' does not depend on any axioms"), theorem, False)
    assert closed.accepted
    standard = info("'g' depends on axioms: [propext, Classical.choice, Quot.sound]")
    assert judge_lean_axioms(standard, theorem, False).accepted
    sorry = judge_lean_axioms(info("'g' depends on axioms: [sorryAx]"), theorem, False)
    assert (sorry.stage, sorry.reason) == (CheckStage.ASSUMPTIONS, "the proof uses sorry (sorryAx)")
    own = info("'g' depends on axioms: [Rlvr_candidate_abc.cheat]")
    assert not judge_lean_axioms(own, theorem, False).accepted
    native = info("'g' depends on axioms: [Lean.ofReduceBool]")
    assert not judge_lean_axioms(native, theorem, False).accepted
    assert judge_lean_axioms(native, theorem, True).accepted
    mismatch = parse_response(
        {"messages": [{"severity": "error", "data": "type mismatch"}], "env": 4}
    )
    assert judge_lean_axioms(mismatch, theorem, False).stage is CheckStage.STATEMENT

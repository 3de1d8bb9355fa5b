"""The Lean path end to end, through a real Lean REPL. These run wherever a Lean
toolchain and the REPL are installed (see the README, "Lean 4 proofs") and are skipped,
with the reason, elsewhere; the client itself is tested without Lean by replaying
recorded transcripts (test_lean_repl.py)."""

import gymnasium
import pytest
from proof_helpers import LEAN_PROOFS, needs_lean

import rlvr_envs
from rlvr_envs import Status
from rlvr_envs.verifiers.proof import CheckStage, LeanBackend, Theorem

pytestmark = [needs_lean, pytest.mark.timeout(900)]

FALSE = Theorem("False")
EQ_FALSE = Theorem("∀ n : Nat, n + 0 = 0")


@pytest.fixture(scope="module")
def lean():
    with LeanBackend() as backend:
        yield backend


@pytest.fixture(scope="module")
def unscreened_lean():
    with LeanBackend(screen=False) as backend:
        yield backend


def test_every_bundled_lean_proof_is_accepted(lean):
    task = rlvr_envs.default_registry().task("lean-proof-basics-v1")
    rejected = {}
    for problem in task.source.iter_split("test"):
        theorem = Theorem(problem.reference, problem.fields["preamble"])
        verdict = lean.check(theorem, LEAN_PROOFS[problem.id])
        if not verdict.accepted:
            rejected[problem.id] = verdict.reason
    assert not rejected


@pytest.mark.parametrize(
    ("theorem", "proof"),
    [
        (FALSE, "by sorry"),
        (FALSE, "by admit"),
        (FALSE, "axiom cheat : False\ntheorem goal : False := cheat"),
        (EQ_FALSE, "by\n  intro n\n  exact sorryAx _ false"),
        (FALSE, "set_option debug.skipKernelTC true in\ntheorem goal : False := by sorry"),
        (
            EQ_FALSE,
            "instance : HAdd Nat Nat Nat := ⟨fun _ _ => 0⟩\n"
            "theorem goal : ∀ n : Nat, n + 0 = 0 := fun _ => rfl",
        ),
        (Theorem("10 ^ 3 = 1000"), "by native_decide"),
    ],
)
def test_the_kernel_checks_alone_reject_cheats(unscreened_lean, theorem, proof):
    verdict = unscreened_lean.check(theorem, proof)
    assert not verdict.accepted, verdict


def test_a_wrong_proof_is_rejected_with_leans_error(lean):
    verdict = lean.check(Theorem("∀ n : Nat, n + 0 = n"), "by\n  intro n\n  exact rfl rfl")
    assert verdict.stage is CheckStage.PROVER and verdict.reason.startswith("Lean rejected")


def test_a_tactic_episode_through_gymnasium():
    env = gymnasium.make("rlvr/lean-proof-tactics-v1")
    env.reset(options={"problem_id": "lean-plus-comm"})
    observation, reward, terminated, _, _ = env.step("intro n m")
    assert "n m : Nat" in observation and not terminated
    _, reward, terminated, _, info = env.step("omega")
    assert (reward, terminated) == (1.0, True)
    assert info["verification"].status is Status.CORRECT
    env.close()

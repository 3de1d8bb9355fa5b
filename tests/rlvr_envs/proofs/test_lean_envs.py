"""The Lean environments without Lean: they construct, and refuse `sorry` and its kin
before any Lean process starts."""

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env
from proof_helpers import LEAN_PROOFS, lean_available, needs_lean

import rlvr_envs
from rlvr_envs import Status

pytestmark = pytest.mark.timeout(60)
CHEATS = [
    "```lean\ntheorem goal : ∀ n : Nat, n + 0 = n := by\n  sorry\n```",
    "```lean\ntheorem goal : ∀ n : Nat, n + 0 = n := by\n  intro n\n  admit\n```",
    "axiom cheat : ∀ n : Nat, n + 0 = n\ntheorem goal : ∀ n : Nat, n + 0 = n := cheat",
    "by native_decide",
]


def test_at_least_40_lean_theorems_each_with_a_proof_kept_here():
    task = rlvr_envs.default_registry().task("lean-proof-basics-v1")
    problems = list(task.source.iter_split("test"))
    assert len(problems) >= 40
    assert {p.id for p in problems} == set(LEAN_PROOFS)
    coq = rlvr_envs.default_registry().task("coq-proof-basics-v1")
    coq_ids = {p.id.removeprefix("coq-") for p in coq.source.iter_split("test")}
    assert len(coq_ids & {p.id.removeprefix("lean-") for p in problems}) >= 40  # a matching set


@pytest.mark.parametrize("response", CHEATS)
def test_the_whole_proof_env_refuses_cheats_before_lean_runs(response):
    env = gymnasium.make("rlvr/lean-proof-basics-v1")
    env.reset(options={"problem_id": "lean-plus-0-r"})
    _, reward, terminated, _, info = env.step(response)
    verdict = info["verification"]
    assert (reward, terminated, verdict.status) == (0.0, True, Status.WRONG)
    assert verdict.details["stage"] == "screen"
    backend = env.unwrapped.task.verifier.backend
    assert backend.pool.started == 0  # no Lean process was ever started
    env.close()


def test_the_tactic_env_constructs_and_refuses_sorry_before_lean_runs():
    env = gymnasium.make("rlvr/lean-proof-tactics-v1")
    prompt, _ = env.reset(options={"problem_id": "lean-plus-0-r"})
    assert "theorem goal : ∀ n : Nat, n + 0 = n := by" in prompt
    observation, reward, terminated, truncated, info = env.step("sorry")
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert observation.startswith("`sorry` leaves the proof unfinished")
    if lean_available() is not None:
        _, reward, _, truncated, info = env.step("intro n")
        assert info["verification"].status is Status.VERIFIER_ERROR and truncated
        assert "no Lean REPL found" in info["verification"].reason
    env.close()


@needs_lean
def test_the_lean_tactic_env_passes_check_env():
    env = gymnasium.make("rlvr/lean-proof-tactics-v1")
    check_env(env.unwrapped)
    env.close()


def test_leandojo_sessions_say_how_to_install_leandojo():
    import importlib.util

    from rlvr_envs.verifiers.proof import ProverError
    from rlvr_envs.verifiers.proof.lean_dojo import LeanDojoSession

    if importlib.util.find_spec("lean_dojo") is not None:
        pytest.skip("lean-dojo is installed; its sessions need a traced repository")
    with pytest.raises(ProverError, match=r"pip install 'rlvr-envs\[lean\]'"):
        LeanDojoSession("https://example.invalid/repo", "0" * 40, "Foo.lean", "foo")

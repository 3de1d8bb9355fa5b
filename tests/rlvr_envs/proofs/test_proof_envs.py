"""The Coq proof environments through Gymnasium: whole proofs and tactic mode."""

import gymnasium
import pytest
from gymnasium.utils.env_checker import check_env
from proof_helpers import ATTACKS, COQ_PROOFS, needs_coq

import rlvr_envs
from rlvr_envs import Status

pytestmark = [needs_coq, pytest.mark.timeout(120)]


def test_whole_proof_env_rewards_an_accepted_proof_only():
    env = gymnasium.make("rlvr/coq-proof-basics-v1")
    prompt, info = env.reset(options={"problem_id": "coq-plus-0-r"})
    assert "Theorem goal : forall n : nat, n + 0 = n." in prompt
    response = f"Here it is.\n```coq\n{COQ_PROOFS['coq-plus-0-r']}\n```"
    _, reward, terminated, truncated, info = env.step(response)
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert info["verification"].status is Status.CORRECT
    env.reset(options={"problem_id": "coq-plus-0-r"})
    _, reward, terminated, _, info = env.step("```coq\nProof. intro n. Admitted.\n```")
    verdict = info["verification"]
    assert (reward, terminated, verdict.status) == (0.0, True, Status.WRONG)
    assert verdict.details["stage"] == "screen"
    assert verdict.reason.startswith("`Admitted` leaves the theorem unproved")
    env.close()


def test_tactic_env_passes_check_env():
    env = gymnasium.make("rlvr/coq-proof-tactics-v1")
    check_env(env.unwrapped)
    env.close()


def test_a_tactic_episode_shows_goals_and_errors_and_ends_when_proved():
    env = gymnasium.make("rlvr/coq-proof-tactics-v1")
    env.reset(options={"problem_id": "coq-plus-0-r"})
    obs, reward, terminated, truncated, info = env.step("intro n.")
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert "n : nat" in obs and "n + 0 = n" in obs
    obs, *_ = env.step("induction n as [| n IH].")
    assert "2 goals" in obs
    obs, reward, terminated, _, info = env.step("rewrite nothing_here.")
    assert "Error: The reference nothing_here was not found" in obs
    assert "The goals are still:" in obs and "2 goals" in obs
    assert info["verification"].details["tactic_status"] == "error"
    obs, reward, terminated, _, _ = env.step("- reflexivity.")
    assert not terminated
    obs, reward, terminated, truncated, info = env.step("- simpl. rewrite IH. reflexivity.")
    assert (reward, terminated, truncated) == (1.0, True, False)
    assert info["verification"].status is Status.CORRECT
    assert info["verification"].details["stage"] == "accepted"
    env.close()


def test_tactic_mode_refuses_cheats_and_session_commands():
    env = gymnasium.make("rlvr/coq-proof-tactics-v1")
    env.reset(options={"problem_id": "coq-plus-0-r"})
    for tactic, reason in [
        ("admit.", "the `admit` tactic leaves a goal unproved"),
        ("Admitted.", "`Admitted` leaves the theorem unproved"),
        ("Qed.", "`Qed` is not a tactic"),
        ("Abort.", "`Abort` abandons the theorem"),
        ("BackTo 1.", "commands that end or alter the session are not allowed"),
    ]:
        obs, reward, terminated, _, _ = env.step(tactic)
        assert reason in obs and reward == 0.0 and not terminated
    env.close()


def test_the_step_limit_truncates():
    env = rlvr_envs.make("coq-proof-tactics-v1", max_turns=2)
    env.reset(options={"problem_id": "coq-plus-comm"})
    env.step("intros n m.")
    _, reward, terminated, truncated, _ = env.step("simpl.")
    assert (reward, terminated, truncated) == (0.0, False, True)
    env.close()


def test_many_tactic_envs_share_the_prover_pool_without_waiting():
    envs = [gymnasium.make("rlvr/coq-proof-tactics-v1") for _ in range(3)]
    for env in envs:
        env.reset(options={"problem_id": "coq-true"})
    for env in envs:
        _, reward, terminated, _, _ = env.step("exact I.")
        assert (reward, terminated) == (1.0, True)
        env.close()


def test_every_attack_through_the_verifier_is_wrong_with_its_reason_in_the_verdict():
    from rlvr_envs.sources.base import Problem

    task = rlvr_envs.default_registry().task("coq-proof-basics-v1")
    for name, (theorem, proof) in sorted(ATTACKS.items()):
        fields = {"preamble": theorem.preamble}
        problem = Problem(id=name, fields=fields, reference=theorem.statement)
        verdict = task.verify(problem, f"```coq\n{proof}\n```")
        assert verdict.status is Status.WRONG, (name, verdict)
        assert verdict.reason and verdict.details["stage"] in {
            "screen",
            "prover",
            "statement",
            "assumptions",
            "timeout",
        }, (name, verdict)

import pickle
import re
import warnings

import gymnasium
import pytest
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AsyncVectorEnv, SyncVectorEnv

import rlvr_envs
from rlvr_envs import (
    ConfigError,
    DatasetError,
    DatasetSpec,
    Problem,
    Status,
    TaskEnv,
    TaskRegistry,
    TaskSpec,
    TextEnv,
    UnicodeText,
    Verification,
    Verifier,
)
from rlvr_envs.verifiers.integer import IntegerOptions

ALL_TASKS = rlvr_envs.default_registry().ids()


def _runs_here(task_id: str) -> object:
    """Lean tasks need a Lean toolchain (see the README), which not every machine has: a
    step without one is a verifier_error, which truncates, and check_env rightly refuses."""
    task = rlvr_envs.default_registry().task(task_id)
    verifier = task.spec.verifier
    needs_lean = getattr(verifier, "name", None) == "proof" and (
        verifier.options.get("prover") == "lean"
    )
    if needs_lean:
        from rlvr_envs.verifiers.proof.backend import ProverError
        from rlvr_envs.verifiers.proof.lean_backend import lean_repl_command

        try:
            lean_repl_command()
        except ProverError as exc:
            return pytest.param(task_id, marks=pytest.mark.skip(reason=str(exc)))
    return pytest.param(task_id)


def make(task_id="arithmetic-add-v1", **kwargs) -> TaskEnv:
    return rlvr_envs.default_registry().make(task_id, **kwargs)


def wrong_answer(problem: Problem, offset: int = 1) -> str:
    """An integer answer that is wrong and does not contain the reference as a substring."""
    return str(problem.reference + offset)


# --- the Gymnasium contract ------------------------------------------------------------------


@pytest.mark.parametrize("task_id", [_runs_here(task_id) for task_id in ALL_TASKS])
def test_check_env_passes_for_every_task(task_id):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gymnasium.make(f"rlvr/{task_id}")
        check_env(env.unwrapped)


def test_every_builtin_task_is_checked():
    builtin = rlvr_envs.registry.builtin_tasks_dir()
    assert {p.stem for p in rlvr_envs.registry.task_files(builtin)} <= set(ALL_TASKS)


@pytest.mark.filterwarnings("error")
def test_check_env_passes_for_a_hand_written_env():
    # (registered and made through Gymnasium, render modes included: see test_registry.py)
    check_env(Countdown(), skip_render_check=True)


def test_spaces_are_unicode_text():
    env = make()
    assert env.observation_space == UnicodeText()
    assert env.action_space == UnicodeText()
    prompt, _ = env.reset(seed=0)
    assert env.observation_space.contains(prompt)


@pytest.mark.filterwarnings("error")
def test_sync_vector_env_steps_with_a_list_of_strings():
    envs = SyncVectorEnv([lambda: gymnasium.make("rlvr/arithmetic-add-v1") for _ in range(3)])
    prompts, infos = envs.reset(seed=0)
    assert len(prompts) == 3
    assert all(p.startswith("What is ") for p in prompts)
    assert len(set(infos["problem_id"])) == 3
    answers = [str(eval(p.removeprefix("What is ").removesuffix("?"))) for p in prompts]
    answers[1] = "nope"
    observations, rewards, terminated, truncated, infos = envs.step(answers)
    assert list(rewards) == [1.0, 0.0, 1.0]
    assert list(terminated) == [True, True, True]
    assert list(truncated) == [False, False, False]
    assert [v.status for v in infos["verification"]] == [
        Status.CORRECT,
        Status.UNPARSABLE,
        Status.CORRECT,
    ]
    assert observations[1] == "no number found in the response"
    # the next step resets the finished episodes (Gymnasium's next-step autoreset)
    prompts, rewards, terminated, _, infos = envs.step(["", "", ""])
    assert all(p.startswith("What is ") for p in prompts)
    assert list(rewards) == [0.0, 0.0, 0.0]
    assert not any(terminated)
    assert list(infos["turn"]) == [0, 0, 0]
    envs.close()


def test_make_vec_and_subprocess_vector_envs():
    envs = gymnasium.make_vec("rlvr/arithmetic-retry-v1", num_envs=2)
    prompts, _ = envs.reset(seed=1)
    assert len(prompts) == 2
    observations, rewards, terminated, truncated, infos = envs.step(["seven", "eight"])
    assert list(infos["turn"]) == [1, 1]  # a multi-turn episode goes on after a wrong answer
    assert list(rewards) == [0.0, 0.0]
    assert not any(terminated) and not any(truncated)
    assert observations[0].startswith("That is not right: the answer 'seven' is not an integer")
    envs.close()
    envs = AsyncVectorEnv(
        [lambda: gymnasium.make("rlvr/arithmetic-add-v1") for _ in range(2)], shared_memory=False
    )
    try:
        prompts, infos = envs.reset(seed=0)
        assert all(p.startswith("What is ") for p in prompts)
        _, _, terminated, _, infos = envs.step(["1", "2"])
        assert list(terminated) == [True, True]
        assert isinstance(infos["verification"][0], Verification)
    finally:
        envs.close()


def test_infos_pickle():
    env = make("arithmetic-retry-v1")
    _, info = env.reset(seed=0)
    _, _, _, _, info = env.step("0")
    assert pickle.loads(pickle.dumps(info)) == info
    assert pickle.loads(pickle.dumps(env.problem)) == env.problem


# --- reproducibility and problem selection -----------------------------------------------------


@pytest.mark.parametrize(
    "task_id", ["arithmetic-add-v1", "arithmetic-hard-v1", "arithmetic-boxed-v1"]
)
def test_same_seed_same_problem(task_id):
    a, b = make(task_id), make(task_id)
    for seed in (0, 1, 12345):
        prompt_a, info_a = a.reset(seed=seed)
        prompt_b, info_b = b.reset(seed=seed)
        assert prompt_a == prompt_b
        assert info_a["problem_id"] == info_b["problem_id"]
        assert info_a == info_b
        again, info_again = a.reset(seed=seed)
        assert (again, info_again["problem_id"]) == (prompt_a, info_a["problem_id"])


def test_different_seeds_give_different_problems():
    env = make("arithmetic-hard-v1")
    drawn = [env.reset(seed=seed) for seed in range(20)]
    assert len({info["problem_id"] for _, info in drawn}) == 20
    assert len({prompt for prompt, _ in drawn}) == 20


def test_unseeded_resets_continue_the_seeded_stream():
    a, b = make(), make()
    a.reset(seed=5)
    b.reset(seed=5)
    assert [a.reset()[1]["problem_id"] for _ in range(5)] == [
        b.reset()[1]["problem_id"] for _ in range(5)
    ]


def test_equal_episodes_give_equal_infos():
    a, b = make("arithmetic-retry-v1"), make("arithmetic-retry-v1")
    a.reset(seed=2)
    b.reset(seed=2)
    for response in ["1", "seven", "\\boxed{3}"]:
        step_a, step_b = a.step(response), b.step(response)
        assert step_a == step_b  # Verification equality ignores the time taken


def test_problem_id_option_pins_the_problem():
    env = make(split="test")
    prompt, info = env.reset(seed=0, options={"problem_id": "test/17"})
    problem = env.task.problem("test", "test/17")
    assert env.problem == problem
    assert info["problem_id"] == "test/17"
    assert info["split"] == "test"
    assert prompt == f"What is {problem.fields['question']}?"
    assert env.reset(seed=99, options={"problem_id": "test/17"})[0] == prompt
    train_env = make()
    assert train_env.reset(options={"problem_id": "train/4"})[1]["problem_id"] == "train/4"


def test_a_problem_id_names_its_own_split_even_on_a_training_env():
    env = make()  # the train split
    _, info = env.reset(options={"problem_id": "test/17"})
    assert info["split"] == "test"
    assert env.problem == env.task.problem("test", "test/17")
    _, info = env.reset(seed=1)
    assert info["split"] == "train"  # later draws come from the env's own split again


def test_an_unknown_or_non_canonical_problem_id_is_refused():
    env = make()
    with pytest.raises(DatasetError, match=re.escape("id 'test/99999' is out of range")):
        env.reset(options={"problem_id": "test/99999"})
    with pytest.raises(DatasetError, match=re.escape("has no problem with id 'test/007'")):
        env.reset(options={"problem_id": "test/007"})


def test_an_unknown_reset_option_is_an_error():
    env = make()
    with pytest.raises(
        ConfigError,
        match=re.escape(
            "reset() got unknown option 'problem'; this environment accepts ['problem_id']. "
            "Did you mean 'problem_id'?"
        ),
    ):
        env.reset(options={"problem": "test/1"})
    with pytest.raises(ConfigError, match=re.escape("this environment accepts no options")):
        Countdown().reset(options={"problem_id": "x"})


def test_an_unknown_split_is_refused():
    with pytest.raises(DatasetError, match=re.escape("this task has no split 'tset'")):
        make(split="tset")


def test_bad_constructor_options():
    with pytest.raises(ConfigError, match="max_turns must be >= 1, got 0"):
        Countdown(max_turns=0)
    with pytest.raises(ConfigError, match="max_turns must be >= 1, got 0"):
        make("arithmetic-retry-v1", max_turns=0)
    with pytest.raises(
        ConfigError,
        match=re.escape("render_mode must be one of ['ansi', 'human'] or None, got 'rgb_array'"),
    ):
        make(render_mode="rgb_array")


# --- the info contract and the transcript -----------------------------------------------------


def test_reset_info():
    env = make("arithmetic-boxed-v1")
    prompt, info = env.reset(seed=0)
    assert set(info) == {"problem_id", "task_id", "split", "messages", "turn"}
    assert info["task_id"] == "arithmetic-boxed-v1"
    assert info["turn"] == 0
    system, user = info["messages"]
    assert system["role"] == "system"
    assert "\\boxed{N}" in system["content"]  # {{N}} in the file is a literal brace
    assert user == {"role": "user", "content": prompt}


def test_step_info_and_the_terminal_observation():
    env = make()
    prompt, _ = env.reset(seed=0)
    observation, reward, terminated, truncated, info = env.step(str(env.problem.reference))
    assert (observation, reward, terminated, truncated) == ("correct", 1.0, True, False)
    assert set(info) == {"problem_id", "task_id", "split", "messages", "turn", "verification"}
    assert info["turn"] == 1
    assert info["messages"] == [
        {"role": "user", "content": prompt},
        {"role": "assistant", "content": str(env.problem.reference)},
    ]
    assert info["verification"].status is Status.CORRECT


def test_infos_and_messages_are_copies():
    env = make()
    _, info = env.reset(seed=0)
    info["messages"].append({"role": "user", "content": "injected"})
    env.messages[0]["content"] = "changed"
    assert len(env.messages) == 1
    assert env.messages[0]["content"] != "changed"


def test_non_text_actions_are_recorded_as_their_repr():
    env = make()
    env.reset(seed=0)
    *_, info = env.step({"answer": 42})
    assert info["messages"][-1] == {"role": "assistant", "content": "{'answer': 42}"}
    env.reset(seed=0)
    *_, info = env.step(list(range(1000)))
    assert info["messages"][-1]["content"].endswith("...")
    assert len(info["messages"][-1]["content"]) == 203


def test_render_modes(capsys):
    env = make(render_mode="ansi")
    prompt, _ = env.reset(seed=0)
    env.step("12")
    assert env.render() == f"[user]\n{prompt}\n\n[assistant]\n12"
    human = make(render_mode="human")
    human.reset(seed=0)
    assert human.render() is None
    human.step("12")  # a human-mode step renders too
    assert capsys.readouterr().out == f"[user]\n{prompt}\n[user]\n{prompt}\n\n[assistant]\n12\n"


# --- responses that must never raise ----------------------------------------------------------


SCREENED = [
    ("", Status.UNPARSABLE, "response is empty"),
    ("   \n\t", Status.UNPARSABLE, "response is empty"),
    (
        "x" * 10_000_000,
        Status.FORMAT_ERROR,
        "response is 10,000,000 characters; this task accepts at most 100,000",
    ),
    ("4\x002", Status.FORMAT_ERROR, "response contains NUL characters: binary data, not text"),
    (
        "\ud800",
        Status.FORMAT_ERROR,
        "response is not valid Unicode: lone surrogate U+D800 at position 0",
    ),
    (
        "42\udfff",
        Status.FORMAT_ERROR,
        "response is not valid Unicode: lone surrogate U+DFFF at position 2",
    ),
    (b"42", Status.FORMAT_ERROR, "response must be text, got bytes"),
    (None, Status.FORMAT_ERROR, "response must be text, got NoneType"),
    (42, Status.FORMAT_ERROR, "response must be text, got int"),
    ({"answer": 42}, Status.FORMAT_ERROR, "response must be text, got dict"),
]


def response_id(response):
    shown = repr(response)
    return shown if len(shown) < 20 else f"{shown[:10]}...({len(response)})"


@pytest.mark.parametrize(
    ("response", "status", "reason"), SCREENED, ids=[response_id(r[0]) for r in SCREENED]
)
@pytest.mark.parametrize("task_id", ALL_TASKS)
def test_unfit_responses_never_raise(task_id, response, status, reason):
    env = make(task_id)
    env.reset(seed=0)
    observation, reward, terminated, truncated, info = env.step(response)
    verdict = info["verification"]
    assert (verdict.status, verdict.reason, verdict.answer) == (status, reason, None)
    assert reward == 0.0
    assert not truncated
    assert terminated is (env.max_turns == 1)
    assert observation == reason if terminated else reason in observation


HUGE = "9" * 100_000  # far beyond int()'s 4300-digit conversion limit
HUGE_SHOWN = f"{'9' * 25}...{'9' * 25} (100000 chars)"

# (task, response, status, reason, reward): the same responses under the three ways of
# reading answers (arithmetic-boxed-v1 gives 0.1 for a parsable wrong answer)
PARSED = [
    (
        "arithmetic-add-v1",
        "I don't know",
        Status.UNPARSABLE,
        "no number found in the response",
        0.0,
    ),
    ("arithmetic-add-v1", HUGE, Status.WRONG, f"the answer {HUGE_SHOWN} is wrong", 0.0),
    ("arithmetic-add-v1", "-" + HUGE[1:], Status.WRONG, "(100000 chars) is wrong", 0.0),
    ("arithmetic-add-v1", "about 7.5", Status.WRONG, "the answer '7.5' is not an integer", 0.0),
    (
        "arithmetic-retry-v1",
        "I don't know",
        Status.WRONG,
        'the answer "I don\'t know" is not an integer',
        0.0,
    ),
    ("arithmetic-retry-v1", HUGE, Status.WRONG, f"the answer {HUGE_SHOWN} is wrong", 0.0),
    (
        "arithmetic-boxed-v1",
        "I don't know",
        Status.FORMAT_ERROR,
        "no \\boxed{...} answer found",
        0.0,
    ),
    ("arithmetic-boxed-v1", HUGE, Status.FORMAT_ERROR, "no \\boxed{...} answer found", 0.0),
    (
        "arithmetic-boxed-v1",
        f"\\boxed{{{HUGE[:99_000]}}}",
        Status.WRONG,
        "(99000 chars) is wrong",
        0.1,
    ),
    ("arithmetic-boxed-v1", "\\boxed{}", Status.UNPARSABLE, "the answer is empty", 0.0),
]


@pytest.mark.parametrize(
    ("task_id", "response", "status", "reason", "reward"),
    PARSED,
    ids=[f"{row[0]}-{response_id(row[1])}" for row in PARSED],
)
def test_bad_answers_get_the_right_status_and_reason(task_id, response, status, reason, reward):
    env = make(task_id)
    env.reset(seed=0)
    _, got_reward, _, truncated, info = env.step(response)
    verdict = info["verification"]
    assert verdict.status is status
    assert reason in verdict.reason
    assert got_reward == reward
    assert not truncated


@pytest.mark.parametrize(
    ("task_id", "statuses"),
    [
        ("arithmetic-mul2-v1", {Status.WRONG, Status.UNPARSABLE, Status.FORMAT_ERROR}),
        ("arithmetic-retry-v1", {Status.WRONG, Status.UNPARSABLE, Status.FORMAT_ERROR}),
        ("arithmetic-boxed-v1", {Status.UNPARSABLE, Status.FORMAT_ERROR}),
    ],
)
def test_random_unicode_responses_never_raise(task_id, statuses):
    env = make(task_id, split="test")
    # a problem whose answer random text cannot hit by chance
    problem = next(p for p in env.task.source.iter_split("test") if abs(p.reference) >= 100)
    seen = set()
    for seed in range(500):
        response = UnicodeText(seed=seed).sample()
        env.reset(options={"problem_id": problem.id})
        observation, reward, terminated, truncated, info = env.step(response)
        verdict = info["verification"]
        seen.add(verdict.status)
        assert reward == 0.0, (seed, response)
        assert verdict.status.is_response_fault, (seed, response)
        assert (verdict.answer is not None) is (verdict.status is Status.WRONG), (seed, response)
        assert verdict.reason
        assert (terminated, truncated) == (env.max_turns == 1, False)
        assert verdict.reason in observation
    assert seen == statuses


# --- episodes --------------------------------------------------------------------------------


def test_single_turn_wrong_answer_terminates():
    env = make()
    env.reset(seed=0)
    observation, reward, terminated, truncated, info = env.step(wrong_answer(env.problem))
    assert (reward, terminated, truncated) == (0.0, True, False)
    assert observation == info["verification"].reason
    assert observation.startswith("the answer ")


def test_multi_turn_three_wrong_answers_truncate():
    env = make("arithmetic-retry-v1")
    prompt, info = env.reset(seed=4)
    assert env.max_turns == 3
    reference = str(env.problem.reference)
    assert info["messages"] == [{"role": "user", "content": prompt}]
    for turn in (1, 2):
        answer = wrong_answer(env.problem, turn)
        observation, reward, terminated, truncated, info = env.step(answer)
        assert (reward, terminated, truncated) == (0.0, False, False)
        assert info["turn"] == turn
        reason = info["verification"].reason
        assert (
            observation == f"That is not right: {reason}. Try again; reply with the integer only."
        )
        assert reason == f"the answer {answer} is wrong"
        assert reference not in observation
        assert len(info["messages"]) == 1 + 2 * turn
        assert info["messages"][-2:] == [
            {"role": "assistant", "content": answer},
            {"role": "user", "content": observation},
        ]
    observation, reward, terminated, truncated, info = env.step("not a number")
    assert (reward, terminated, truncated) == (0.0, False, True)
    assert info["turn"] == 3
    assert observation == "the answer 'not a number' is not an integer"
    assert reference not in observation
    assert len(info["messages"]) == 6
    assert info["messages"][-1] == {"role": "assistant", "content": "not a number"}
    with pytest.raises(ResetNeeded, match=re.escape("call reset() first")):
        env.step(reference)


def test_multi_turn_wrong_then_correct_terminates():
    env = make("arithmetic-retry-v1")
    env.reset(seed=7)
    _, reward, terminated, truncated, info = env.step(wrong_answer(env.problem))
    assert (reward, terminated, truncated) == (0.0, False, False)
    observation, reward, terminated, truncated, info = env.step(f" {env.problem.reference}\n")
    assert (observation, reward, terminated, truncated) == ("correct", 1.0, True, False)
    assert info["turn"] == 2
    assert [m["role"] for m in info["messages"]] == ["user", "assistant", "user", "assistant"]


def test_retry_observations_never_reveal_the_reference():
    env = make("arithmetic-retry-v1")
    for seed in range(50):
        env.reset(seed=seed)
        reference = str(env.problem.reference)
        for offset in (1, 2):
            observation, *_ = env.step(wrong_answer(env.problem, offset))
            assert reference not in observation, (seed, observation)


def test_max_turns_can_be_overridden():
    env = make("arithmetic-add-v1", max_turns=2)
    env.reset(seed=0)
    observation, _, terminated, truncated, _ = env.step("0")
    assert (terminated, truncated) == (False, False)
    assert observation == "That is not right: the answer 0 is wrong. Please try again."
    assert env.step("0")[2:4] == (False, True)
    one = make("arithmetic-retry-v1", max_turns=1)
    one.reset(seed=0)
    assert one.step("0")[2:4] == (True, False)


def test_step_before_reset_needs_a_reset():
    with pytest.raises(
        ResetNeeded, match=re.escape("step() was called before reset() or after the episode ended")
    ):
        make().step("42")


def test_step_after_the_end_needs_a_reset():
    env = make()
    env.reset(seed=0)
    env.step("1")
    with pytest.raises(ResetNeeded):
        env.step("1")
    env.reset(seed=0)
    assert env.step(str(env.problem.reference))[1] == 1.0


def test_step_after_the_end_through_gymnasium_make():
    env = gymnasium.make("rlvr/arithmetic-retry-v1")
    env.reset(seed=0)
    env.step(str(env.unwrapped.problem.reference))
    with pytest.raises(ResetNeeded):
        env.step("1")


def test_a_reset_in_the_middle_of_an_episode_starts_afresh():
    env = make("arithmetic-retry-v1")
    env.reset(seed=0)
    env.step("0")
    _, info = env.reset(seed=1)
    assert info["turn"] == 0
    assert len(info["messages"]) == 1


# --- verifier failures ------------------------------------------------------------------------


class Exploding(Verifier):
    """A verifier with a bug."""

    name = "exploding"
    Options = IntegerOptions

    def check(self, response, problem):
        raise RuntimeError("the checker fell over")


def exploding_env(max_turns=1, reward=None) -> TaskEnv:
    registry = TaskRegistry()
    spec = TaskSpec(
        id="exploding-v1",
        dataset=DatasetSpec(generator="arithmetic", splits={"train": None}),
        prompt="{question}",
        verifier=Exploding(),
        max_turns=max_turns,
        **({"reward": reward} if reward else {}),
    )
    registry.add_spec(spec)
    return registry.make("exploding-v1")


@pytest.mark.parametrize("max_turns", [1, 3])
def test_a_verifier_that_raises_truncates_with_verifier_error(max_turns):
    env = exploding_env(max_turns, reward=rlvr_envs.RewardSpec(wrong=0.5, unparsable=0.5))
    env.reset(seed=0)
    observation, reward, terminated, truncated, info = env.step("42")
    verdict = info["verification"]
    assert (reward, terminated, truncated) == (0.0, False, True)
    assert verdict.status is Status.VERIFIER_ERROR
    assert verdict.status.is_infrastructure_failure
    assert verdict.reason == "verifier 'exploding' failed: RuntimeError: the checker fell over"
    assert observation == verdict.reason
    with pytest.raises(ResetNeeded):
        env.step("42")


def test_a_bad_response_is_screened_before_a_broken_verifier_runs():
    env = exploding_env()
    env.reset(seed=0)
    _, _, terminated, truncated, info = env.step(None)
    assert info["verification"].status is Status.FORMAT_ERROR
    assert (terminated, truncated) == (True, False)


def test_a_reference_that_is_not_an_integer_is_a_verifier_failure(tmp_path, fresh_id, task_file):
    (tmp_path / "data.jsonl").write_text('{"question": "q", "answer": "forty-two"}\n')
    task_id = fresh_id("badref")
    body = (
        'dataset: {jsonl: {train: data.jsonl}}\nprompt: "{question}"\nverifier: {name: integer}\n'
    )
    task_file(tmp_path, task_id, body)
    registry = TaskRegistry()
    registry.add_folder(tmp_path)
    env = registry.make(task_id)
    env.reset(seed=0)
    _, reward, terminated, truncated, info = env.step("42")
    assert (reward, terminated, truncated) == (0.0, False, True)
    assert info["verification"].status is Status.VERIFIER_ERROR


# --- batch verification -----------------------------------------------------------------------


def test_verify_batch():
    env = make(split="test")
    problems = [env.task.problem("test", f"test/{i}") for i in range(3)]
    verdicts = env.verify_batch(
        [p.id for p in problems], [str(problems[0].reference), "nope", wrong_answer(problems[2])]
    )
    assert [v.status for v in verdicts] == [Status.CORRECT, Status.UNPARSABLE, Status.WRONG]
    with pytest.raises(ConfigError, match="verify_batch got 2 problem ids but 1 responses"):
        env.verify_batch(["test/0", "test/1"], ["1"])
    train = env.verify_batch(["train/5"], ["0"], split="train")
    assert train[0].status in (Status.WRONG, Status.CORRECT)


# --- a hand-written environment ---------------------------------------------------------------


class Countdown(TextEnv):
    """Name the number that comes before the one shown; a game with its own episodes."""

    def _begin(self, options):
        self._start = int(self.np_random.integers(10, 100))
        return [{"role": "user", "content": f"What comes before {self._start}?"}], {
            "problem_id": f"countdown/{self._start}",
            "task_id": "countdown-v1",
        }

    def _judge(self, response):
        if not isinstance(response, str):
            return Verification(Status.FORMAT_ERROR, 0.0, reason="not text")
        if response.strip() == str(self._start - 1):
            return Verification(Status.CORRECT, 1.0, answer=response.strip(), reason="yes")
        return Verification(Status.WRONG, 0.0, answer=response, reason="no")

    def _reward(self, verification):
        return verification.score


def test_a_hand_written_env_follows_the_episode_rules():
    env = Countdown(max_turns=2)
    prompt, info = env.reset(seed=0)
    start = int(prompt.removeprefix("What comes before ").removesuffix("?"))
    assert info == {
        "problem_id": f"countdown/{start}",
        "task_id": "countdown-v1",
        "messages": [{"role": "user", "content": prompt}],
        "turn": 0,
    }
    observation, reward, terminated, truncated, _ = env.step("1")
    assert observation == "That is not right: no. Please try again."
    assert (reward, terminated, truncated) == (0.0, False, False)
    assert env.step(str(start - 1))[1:4] == (1.0, True, False)
    assert env.reset(seed=0)[0] == prompt

"""Text environments: the Gymnasium contract for prompts in, responses out.

`TextEnv` holds the episode mechanics every text task shares: text spaces that admit any
Unicode string, the chat transcript, turn counting, the single- and multi-turn rules and
the ``info`` contract. A subclass supplies three hooks: how an episode begins
(`_begin`), how a response is judged (`_judge`) and what reward a verdict earns
(`_reward`). `TaskEnv` implements them from a `Task` (a YAML or Python task spec); a
hand-written environment (a game, a tool loop) subclasses `TextEnv` directly.

Episode rules (``max_turns`` = T):

===============================================  ===========  ==========  ================
after a step whose verdict is                    terminated   truncated   next observation
===============================================  ===========  ==========  ================
``correct``                                      True         False       the verdict
wrong / unparsable / format_error, T = 1         True         False       the verdict
wrong / unparsable / format_error, turn < T      False        False       the retry prompt
wrong / unparsable / format_error, turn = T > 1  False        True        the verdict
``timeout`` / ``verifier_error``                 False        True        the verdict
===============================================  ===========  ==========  ================

A verifier failure truncates: the episode stops without a decision, and its 0.0 reward
says nothing about the response (``info["verification"].status`` tells trainers so).

``info`` (from reset and step): ``messages`` (the chat so far, ending with the next user
message while the episode goes on), ``problem_id``, ``task_id``, ``turn``, and after a
step ``verification`` (a `Verification`).
"""

from __future__ import annotations

import copy
import dataclasses
import time
from abc import abstractmethod
from typing import Any, ClassVar, SupportsFloat

import gymnasium
from gymnasium.error import ResetNeeded

from rlvr_envs.errors import ConfigError, did_you_mean
from rlvr_envs.sources.base import Problem
from rlvr_envs.spaces import UnicodeText
from rlvr_envs.spec import DEFAULT_RETRY_PROMPT
from rlvr_envs.task import Message, Task
from rlvr_envs.verification import Status, Verification
from rlvr_envs.verifiers.base import Episode

__all__ = ["TaskEnv", "TextEnv"]


class TextEnv(gymnasium.Env[str, str]):
    """Base class of text environments; see the module docstring for the episode rules.

    Args:
        max_turns: responses allowed per episode (1: single-turn).
        render_mode: ``"ansi"`` (render returns the transcript) or ``"human"`` (prints it).
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "human"], "render_fps": 1}
    reset_options: ClassVar[frozenset[str]] = frozenset()
    """Keys `reset(options=...)` accepts; anything else is an error, not silently ignored."""

    def __init__(self, *, max_turns: int = 1, render_mode: str | None = None) -> None:
        if max_turns < 1:
            raise ConfigError(f"max_turns must be >= 1, got {max_turns}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ConfigError(
                f"render_mode must be one of {self.metadata['render_modes']} or None, "
                f"got {render_mode!r}"
            )
        self.max_turns = max_turns
        self.render_mode = render_mode
        self.observation_space = UnicodeText()
        self.action_space = UnicodeText()
        self._messages: list[Message] = []
        self._episode_info: dict[str, Any] = {}
        self._turn = 0
        self._active = False

    # -- hooks ---------------------------------------------------------------------------

    @abstractmethod
    def _begin(self, options: dict[str, Any]) -> tuple[list[Message], dict[str, Any]]:
        """Start an episode: the opening messages (ending with the user prompt) and the
        info entries that stay fixed for the episode (``problem_id``, ``task_id``).
        Draw any randomness from ``self.np_random``."""

    @abstractmethod
    def _judge(self, response: object) -> Verification:
        """The verdict on one response. Must not raise because of the response."""

    @abstractmethod
    def _reward(self, verification: Verification) -> float:
        """The reward a verdict earns."""

    def _retry_message(self, verification: Verification) -> str:
        """The next user message after a response that did not solve the task."""
        return DEFAULT_RETRY_PROMPT.format(reason=verification.reason)

    # -- Gymnasium API -------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        options = dict(options or {})
        unknown = sorted(set(options) - self.reset_options)
        if unknown:
            allowed = sorted(self.reset_options)
            raise ConfigError(
                f"reset() got unknown option {unknown[0]!r}; this environment accepts "
                f"{allowed or 'no options'}." + did_you_mean(unknown[0], allowed)
            )
        messages, episode_info = self._begin(options)
        self._messages = [dict(m) for m in messages]
        self._episode_info = dict(episode_info)
        self._turn = 0
        self._active = True
        return self._messages[-1]["content"], self._info()

    def step(self, action: str) -> tuple[str, SupportsFloat, bool, bool, dict[str, Any]]:
        if not self._active:
            raise ResetNeeded(
                "step() was called before reset() or after the episode ended; call reset() first"
            )
        self._turn += 1
        verification = self._judge(action)
        reward = float(self._reward(verification))
        self._messages.append({"role": "assistant", "content": _as_text(action)})

        status = verification.status
        terminated = truncated = False
        if status is Status.CORRECT:
            terminated = True
        elif status.is_infrastructure_failure:
            truncated = True
        elif self._turn >= self.max_turns:
            terminated, truncated = self.max_turns == 1, self.max_turns > 1
        if terminated or truncated:
            self._active = False
            observation = verification.reason or status.value
        else:
            observation = self._retry_message(verification)
            self._messages.append({"role": "user", "content": observation})
        info = self._info()
        info["verification"] = verification
        if self.render_mode == "human":
            self.render()
        return observation, reward, terminated, truncated, info

    def render(self) -> str | None:
        transcript = "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in self._messages)
        if self.render_mode == "human":
            print(transcript)
            return None
        return transcript

    @property
    def messages(self) -> list[Message]:
        """A copy of the chat so far."""
        return copy.deepcopy(self._messages)

    def _info(self) -> dict[str, Any]:
        return {
            **copy.deepcopy(self._episode_info),
            "messages": copy.deepcopy(self._messages),
            "turn": self._turn,
        }


class TaskEnv(TextEnv):
    """The environment of a registered task.

    Args:
        task: the task to serve.
        split: the split problems come from (default: the task's ``default_split``).
        max_turns: override the task's turn limit.
        render_mode: see `TextEnv`.

    ``reset(options={"problem_id": "test/17"})`` pins the problem instead of drawing one.
    """

    reset_options = frozenset({"problem_id"})

    def __init__(
        self,
        task: Task,
        *,
        split: str | None = None,
        max_turns: int | None = None,
        render_mode: str | None = None,
    ) -> None:
        # Not `max_turns or ...`: an explicit 0 must reach TextEnv's check, not become the default.
        turns = task.spec.max_turns if max_turns is None else max_turns
        super().__init__(max_turns=turns, render_mode=render_mode)
        self.task = task
        self.split = split or task.spec.default_split
        self.task.source.check_split(self.split)
        self._problem: Problem | None = None
        self._episode: Episode | None = None

    @property
    def problem(self) -> Problem | None:
        """The problem of the current episode."""
        return self._problem

    def _begin(self, options: dict[str, Any]) -> tuple[list[Message], dict[str, Any]]:
        self._end_episode()
        split = self.split
        if "problem_id" in options:
            # A pinned id may name its own split ("test/17"), even on a training env.
            problem_id = str(options["problem_id"])
            split = self.task.split_of(problem_id, default=self.split)
            self._problem = self.task.problem(split, problem_id)
        else:
            self._problem = self.task.sample(self.split, self.np_random)
        info = {"problem_id": self._problem.id, "task_id": self.task.id, "split": split}
        self._episode = self.task.verifier.start_episode(self._problem)
        return self.task.messages(self._problem), info

    def _judge(self, response: object) -> Verification:
        assert self._problem is not None  # step() only runs inside an episode
        if self._episode is None:
            return self.task.verify(self._problem, response)
        started = time.perf_counter()
        try:
            verdict = self._episode.judge(response)
        except Exception as exc:  # the verifier's bug, never the response's fault
            verdict = Verification(
                status=Status.VERIFIER_ERROR,
                score=0.0,
                reason=f"verifier failed: {type(exc).__name__}: {exc}",
            )
        if (
            verdict.status is Status.CORRECT
            or verdict.status.is_infrastructure_failure
            or self._turn >= self.max_turns
        ):
            self._end_episode()  # the episode ends with this step: free its prover now
        return dataclasses.replace(verdict, seconds=time.perf_counter() - started)

    def _end_episode(self) -> None:
        episode, self._episode = self._episode, None
        if episode is not None:
            episode.close()

    def close(self) -> None:
        self._end_episode()
        super().close()

    def _reward(self, verification: Verification) -> float:
        return self.task.reward(verification)

    def _retry_message(self, verification: Verification) -> str:
        return self.task.retry_message(verification)

    def verify_batch(
        self, problem_ids: list[str], responses: list[object], *, split: str | None = None
    ) -> list[Verification]:
        """Verify many responses to problems of a split at once (the trainers' fast path)."""
        if len(problem_ids) != len(responses):
            raise ConfigError(
                f"verify_batch got {len(problem_ids)} problem ids but {len(responses)} responses"
            )
        split = split or self.split
        problems = [self.task.problem(split, pid) for pid in problem_ids]
        return self.task.verify_batch(zip(problems, responses, strict=True))


def _as_text(action: object) -> str:
    if isinstance(action, str):
        return action
    text = repr(action)
    return text if len(text) <= 200 else text[:200] + "..."

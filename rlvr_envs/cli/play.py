"""``rlvr play TASK``: answer a task's problems at the terminal and see the verdicts."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.panel import Panel

from rlvr_envs.cli.common import EXIT_OK, registry_from_args, tasks_dir_parent
from rlvr_envs.verification import Status, Verification

_QUIT, _NEXT = ":q", ":n"
_STATUS_STYLE = {Status.CORRECT: "green", Status.WRONG: "red"}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "play",
        parents=[tasks_dir_parent()],
        help="play a task at the terminal",
        description="Play a task yourself: read the prompt, type an answer (one line), see the "
        f"reward and the verifier's verdict. Multi-turn tasks ask again after a wrong answer. "
        f"Type {_NEXT} for a new problem, {_QUIT} or end of input (Ctrl-D) to stop.",
    )
    parser.add_argument("task", help="task id: rlvr/NAME-vN, NAME-vN, or NAME")
    parser.add_argument("--split", help="split to draw from (default: the task's default split)")
    parser.add_argument("--seed", type=int, help="seed of the first problem (default: random)")
    parser.add_argument("--episodes", type=int, help="stop after this many episodes")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    entry = registry.entry(args.task)
    env = registry.make(entry.id, split=args.split) if entry.task else registry.make(entry.id)
    console = Console(highlight=False)
    console.print(f"[bold]{entry.gym_id}[/bold]: {entry.description}")
    console.print(f"[dim]one line per answer; {_NEXT} new problem, {_QUIT} or Ctrl-D to stop[/dim]")
    episodes, total_reward, seed = 0, 0.0, args.seed
    while args.episodes is None or episodes < args.episodes:
        observation, info = env.reset(seed=seed)
        seed = None  # later episodes continue the seeded random stream
        for message in info["messages"]:
            console.print(
                Panel(message["content"], title=message["role"], title_align="left"), markup=False
            )
        while True:
            answer = _read_answer(console)
            if answer is None or answer == _QUIT:
                _summary(console, episodes, total_reward)
                return EXIT_OK
            if answer == _NEXT:
                break
            observation, reward, terminated, truncated, info = env.step(answer)
            verdict = info["verification"]
            style = _STATUS_STYLE.get(verdict.status, "yellow")
            console.print(
                f"[{style}]{verdict.status.value}[/{style}]  reward {reward:g}  "
                f"({verdict.reason or 'no reason given'})"
            )
            if terminated or truncated:
                episodes += 1
                total_reward += reward
                if "expected" in verdict.details and not verdict.is_correct:
                    console.print(f"[dim]expected: {verdict.details['expected']}[/dim]")
                turns = info["turn"]
                console.print(f"[dim]episode {_ending(verdict)} after {turns} turn(s)[/dim]\n")
                break
            console.print(Panel(observation, title="user", title_align="left"), markup=False)
    _summary(console, episodes, total_reward)
    return EXIT_OK


def _ending(verdict: Verification) -> str:
    """How an episode that just stopped ended, by its last verdict."""
    if verdict.is_correct:
        return "solved"
    if verdict.status.is_infrastructure_failure:
        return "stopped by a verifier failure"
    return "out of turns" if verdict.status.is_response_fault else "ended"


def _read_answer(console: Console) -> str | None:
    console.print("[bold]answer>[/bold] ", end="")
    line = sys.stdin.readline()
    if not line:
        console.print()
        return None
    return line.rstrip("\n")


def _summary(console: Console, episodes: int, total_reward: float) -> None:
    if episodes:
        console.print(f"{episodes} episode(s), mean reward {total_reward / episodes:g}")

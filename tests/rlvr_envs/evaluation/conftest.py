"""A registry with a sums task, suite files, and a scripted model source."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from rlvr_envs import TaskRegistry
from rlvr_envs.evaluation import Generation, GenerationRequest, ModelSource, load_suite_file


class ScriptedSource(ModelSource):
    """Answers sums: right when `is_right(problem_id, mode, index)` says so, else off by one.
    Records every request; `fail_after` batches, it raises (a crash mid-run)."""

    name = "scripted"

    def __init__(
        self,
        is_right: Callable[[str, str, int], bool],
        *,
        batch_rows: int = 8,
        fail_after: int | None = None,
    ) -> None:
        self.is_right = is_right
        self.batch_rows = batch_rows
        self.fail_after = fail_after
        self.requests: list[GenerationRequest] = []
        self.batches = 0

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Generation]]:
        if self.fail_after is not None and self.batches >= self.fail_after:
            raise RuntimeError("scripted crash")
        self.batches += 1
        self.requests.extend(requests)
        answers = []
        for request in requests:
            question = request.messages[-1]["content"].removeprefix("What is ").rstrip("?")
            total = sum(int(term) for term in question.split(" + "))
            answers.append(
                [
                    Generation(
                        text=f"The answer is {total if right else total + 1}.",
                        tokens=5 + i,
                        truncated=False,
                    )
                    for i in request.indices
                    for right in [self.is_right(request.problem_id, request.mode, i)]
                ]
            )
        return answers


@pytest.fixture
def scripted_source() -> type[ScriptedSource]:
    """The `ScriptedSource` class (test modules cannot import this conftest)."""
    return ScriptedSource


@pytest.fixture
def sums_registry(tmp_path, task_file, fresh_id) -> TaskRegistry:
    registry = TaskRegistry()
    task_id = fresh_id("sums")
    task_file(tmp_path / "tasks", task_id)
    registry.add_folder(tmp_path / "tasks")
    registry.sums_id = task_id  # type: ignore[attr-defined]
    return registry


@pytest.fixture
def suite_file(tmp_path, sums_registry) -> Callable[..., Path]:
    """Write a suite of the sums task; keyword arguments go into its task entry."""

    def write(name: str = "mini", **entry: object) -> Path:
        fields = {"problems": 6, "samples": 4, **entry}
        body = ", ".join(f"{key}: {value}" for key, value in fields.items())
        path = tmp_path / f"{name}.suite.yaml"
        path.write_text(
            f"suite: {name}\nseed: 0\nk: [1, 2, 4]\n"
            f"tasks:\n  - {{task: {sums_registry.sums_id}, {body}}}\n",
            encoding="utf-8",
        )
        load_suite_file(path)  # fail here, not in the test, if the helper is wrong
        return path

    return write

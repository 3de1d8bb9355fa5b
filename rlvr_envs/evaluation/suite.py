"""Evaluation suites: named lists of tasks, each with its problem count and generation settings.

A suite is a YAML file ``<name>.suite.yaml`` in a task folder (the built-in ``tasks/suites/``,
a ``--tasks-dir``, a folder of ``RLVR_TASKS_PATH``), or any file given by path::

    suite: smoke
    description: A one-minute check that a model loads, answers and is scored.
    seed: 0                     # sampling seeds and bootstrap intervals derive from it
    k: [1, 2, 4]                # pass@k reported for each k <= a task's samples
    defaults:                   # every task entry starts from these
      split: test
      problems: 16              # the first N problems of the split; null: all of it
      greedy: true              # one greedy answer per problem (greedy accuracy)
      samples: 4                # sampled answers per problem (mean reward, pass@k)
      temperature: 0.8
      max_new_tokens: 96
    tasks:
      - task: arithmetic-add-v1
      - {task: gsm8k-sample-v1, problems: 8, max_new_tokens: 160}

Families add their suite by adding its file: ``proof-core.suite.yaml`` arrives with the
proof tasks, next to them or in ``tasks/suites/``, and ``rlvr eval --suite proof-core``
finds it with no code change.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pydantic
import yaml

from rlvr_envs.errors import ConfigError, TaskSpecError, did_you_mean
from rlvr_envs.registry import SUITE_SUFFIX, TASKS_PATH_VARIABLE, builtin_tasks_dir
from rlvr_envs.schema import STRICT, validate
from rlvr_envs.sources.base import Problem
from rlvr_envs.task import Task

__all__ = [
    "Suite",
    "SuiteTask",
    "difficulty_of",
    "find_suite",
    "load_suite_file",
    "suite_files",
    "suite_folders",
]


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class SuiteTask:
    """One task of a suite and how it is evaluated."""

    task: str
    """A registered task id: ``NAME-vN`` (pin the version: a suite's numbers must not move
    when a new version of a task is added)."""
    split: str = "test"
    """The split whose problems are scored; it must be finite."""
    problems: pydantic.PositiveInt | None = None
    """Score the first N problems of the split; None: all of them."""
    greedy: bool = True
    """Score one greedy (temperature 0) answer per problem: greedy accuracy."""
    samples: pydantic.NonNegativeInt = 0
    """Sampled answers per problem, for the mean reward and pass@k (0: none)."""
    temperature: float = pydantic.Field(default=1.0, gt=0.0)
    """Sampling temperature of the sampled answers."""
    top_p: float = pydantic.Field(default=1.0, gt=0.0, le=1.0)
    max_new_tokens: pydantic.PositiveInt = 256
    """The longest answer generated; a longer one is cut and counted as truncated."""
    stop: tuple[str, ...] = ()
    """Strings that end an answer (kept in it)."""

    def __post_init__(self) -> None:
        if not self.greedy and self.samples == 0:
            raise ValueError(f"task {self.task!r} asks for no greedy answer and no samples")


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class Suite:
    """A named list of tasks to evaluate a model on. See the module docstring for the file."""

    suite: str
    """The suite's name (``rlvr eval --suite NAME``)."""
    tasks: tuple[SuiteTask, ...]
    description: str = ""
    seed: int = 0
    """Sampling seeds and bootstrap resamples derive from it."""
    k: tuple[pydantic.PositiveInt, ...] = (1,)
    """pass@k is reported for each k no larger than a task's number of samples."""
    defaults: dict[str, Any] = pydantic.Field(default_factory=dict)
    """Settings every task entry starts from (the fields of a task entry)."""

    def __post_init__(self) -> None:
        if not self.tasks:
            raise ValueError("a suite needs at least one task under 'tasks'")
        seen = [entry.task for entry in self.tasks]
        duplicates = sorted({task for task in seen if seen.count(task) > 1})
        if duplicates:
            raise ValueError(f"tasks listed twice: {duplicates}; list each task once")

    @property
    def name(self) -> str:
        return self.suite

    def to_dict(self) -> dict[str, Any]:
        """The suite as plain data (what a run records, to resume only the same suite)."""
        data = dataclasses.asdict(self)
        data.pop("defaults")  # already merged into every task
        return data


def load_suite_file(path: str | Path) -> Suite:
    """Read and validate one suite file.

    Raises:
        TaskSpecError: naming the file and the field that is wrong.
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskSpecError(f"{path}: cannot read suite file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise TaskSpecError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise TaskSpecError(f"{path}: a suite file is a mapping with 'suite' and 'tasks'")
    defaults = data.get("defaults") or {}
    tasks = data.get("tasks")
    if isinstance(defaults, dict) and isinstance(tasks, list):
        data = {
            **data,
            "tasks": [
                {**defaults, **entry} if isinstance(entry, dict) else entry for entry in tasks
            ],
        }
    suite = validate(Suite, data, where=str(path))
    if path.name.endswith(SUITE_SUFFIX) and path.name != f"{suite.name}{SUITE_SUFFIX}":
        raise TaskSpecError(
            f"{path}: field 'suite' is {suite.name!r} but the file is named {path.name!r}; "
            f"name the file '{suite.name}{SUITE_SUFFIX}'"
        )
    return suite


def suite_folders(extra: Iterable[Path] = ()) -> list[Path]:
    """Where suites are looked for: the built-in task folder, `extra`, ``RLVR_TASKS_PATH``."""
    variable = os.environ.get(TASKS_PATH_VARIABLE, "")
    folders = [builtin_tasks_dir(), *extra, *map(Path, filter(None, variable.split(os.pathsep)))]
    return [folder for folder in folders if folder.is_dir()]


def suite_files(folders: Iterable[Path]) -> dict[str, Path]:
    """Suite name -> file, for every ``*.suite.yaml`` under the folders (first one wins)."""
    found: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(folder.rglob(f"*{SUITE_SUFFIX}")):
            found.setdefault(path.name.removesuffix(SUITE_SUFFIX), path)
    return found


def find_suite(name_or_path: str, folders: Iterable[Path]) -> Suite:
    """A suite by name (a ``NAME.suite.yaml`` in the folders) or by the path of its file.

    Raises:
        ConfigError: no such suite, with the available names.
    """
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        if not path.is_file():
            raise ConfigError(f"suite file {path} does not exist")
        return load_suite_file(path)
    known = suite_files(folders)
    if name_or_path not in known:
        raise ConfigError(
            f"no suite named {name_or_path!r}; available: {', '.join(sorted(known)) or 'none'}."
            + did_you_mean(name_or_path, known)
            + " A suite of your own: --suite FILE.yaml."
        )
    return load_suite_file(known[name_or_path])


def difficulty_of(problem: Problem, task: Task) -> str:
    """A problem's difficulty for the breakdowns: its ``difficulty`` or ``level`` field
    (MATH's "Level 3"), else its task's ``level-N`` tag, else ``"unspecified"``."""
    for key in ("difficulty", "level"):
        value = problem.metadata.get(key)
        if value is not None:
            return str(value)
    levels = [tag for tag in task.spec.tags if tag.startswith("level-")]
    return levels[0] if levels else "unspecified"

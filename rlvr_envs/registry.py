"""The task registry: every task by id, from every place tasks come from.

Tasks come from
  * task folders: the built-in ``tasks/`` folder, folders named in the ``RLVR_TASKS_PATH``
    environment variable (separated like PATH), and ``--tasks-dir`` / `add_folder`;
  * Python: `register_task` with a `TaskSpec`, or as a decorator on a `TextEnv` subclass;
  * other packages: the entry-point group ``rlvr_envs.tasks``, whose entries load a
    `TaskSpec`, a `TextEnv` subclass with a ``task_id``, a folder (`Path`), a list of
    these, or a function returning any of them.

A `TaskRegistry` is a plain object; tests build their own. The default one
(`default_registry`) is built when ``rlvr_envs`` is imported and mirrors its tasks into
Gymnasium's registry as ``rlvr/<id>``, which is what makes ``gymnasium.make`` work. A
broken task file given by a user (environment variable, entry point) does not break
``import rlvr_envs``: it is reported by a warning, listed in `TaskRegistry.problems`,
and raised by any attempt to use it; ``rlvr list`` and ``rlvr tasks validate`` fail on it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, TypeVar, overload

import gymnasium

from rlvr_envs.core import TaskEnv, TextEnv
from rlvr_envs.errors import RlvrError, TaskError, TaskNotFound, TaskSpecError, did_you_mean
from rlvr_envs.spec import GYM_NAMESPACE, TASK_ID, TaskSpec, load_task_file
from rlvr_envs.task import Task

__all__ = [
    "ENTRY_POINT_GROUP",
    "TASKS_PATH_VARIABLE",
    "TaskEntry",
    "TaskRegistry",
    "builtin_tasks_dir",
    "default_registry",
    "make",
    "register_task",
    "task_files",
]

ENTRY_POINT_GROUP = "rlvr_envs.tasks"
TASKS_PATH_VARIABLE = "RLVR_TASKS_PATH"
SUITE_SUFFIX = ".suite.yaml"
"""Files in task folders that define evaluation suites, not tasks."""

EnvT = TypeVar("EnvT", bound=type[TextEnv])


def task_files(folder: Path) -> list[Path]:
    """The task files under `folder`: every ``*.yaml`` / ``*.yml``, recursively, sorted,
    except evaluation suites (``*.suite.yaml``)."""
    return sorted(
        path
        for path in [*folder.rglob("*.yaml"), *folder.rglob("*.yml")]
        if not path.name.endswith(SUITE_SUFFIX)
    )


def builtin_tasks_dir() -> Path:
    """The built-in task folder: inside an installed wheel, or ``tasks/`` of a source tree."""
    packaged = Path(__file__).parent / "_builtin_tasks"
    return packaged if packaged.is_dir() else Path(__file__).parent.parent / "tasks"


@dataclass
class TaskEntry:
    """A registered task: where it came from and how to build its environment."""

    id: str
    origin: str
    """The file, Python class or entry point that defined it."""
    family: str
    description: str
    task: Task | None = None
    """The task, for spec-defined tasks; None for hand-written environment classes."""
    env_class: type[TextEnv] | None = None

    @property
    def gym_id(self) -> str:
        return f"{GYM_NAMESPACE}/{self.id}"


class TaskRegistry:
    """Tasks by id. See the module docstring for where they come from.

    Args:
        mirror_to_gymnasium: also register every task with Gymnasium as ``rlvr/<id>``.
    """

    def __init__(self, *, mirror_to_gymnasium: bool = False) -> None:
        self._entries: dict[str, TaskEntry] = {}
        self._mirror = mirror_to_gymnasium
        self.problems: list[str] = []
        """Task sources that failed to load (non-strict loading), one message each."""

    # -- adding ----------------------------------------------------------------------------

    def add_spec(self, spec: TaskSpec, *, origin: str = "python") -> TaskEntry:
        """Register a task spec; its verifier and generator options are checked now."""
        task = Task(spec, where=origin if origin != "python" else None)
        return self._add(
            TaskEntry(
                id=spec.id,
                origin=origin,
                family=spec.family,
                description=spec.description,
                task=task,
            )
        )

    def add_env_class(
        self, env_class: type[TextEnv], *, task_id: str | None = None, origin: str | None = None
    ) -> TaskEntry:
        """Register a hand-written `TextEnv` subclass under `task_id` (or its ``task_id``)."""
        task_id = task_id or getattr(env_class, "task_id", None)
        if not isinstance(task_id, str) or not TASK_ID.fullmatch(task_id):
            raise TaskSpecError(
                f"{env_class.__qualname__}: a registered environment class needs a task id like "
                f"'my-game-v1' (class attribute task_id or register_task(id=...)), got {task_id!r}"
            )
        doc = (env_class.__doc__ or "").strip().splitlines()
        return self._add(
            TaskEntry(
                id=task_id,
                origin=origin or f"python:{env_class.__module__}.{env_class.__qualname__}",
                family=getattr(env_class, "family", "custom"),
                description=doc[0] if doc else "",
                env_class=env_class,
            )
        )

    def add_file(self, path: str | Path) -> TaskEntry:
        """Register the task of one YAML file; raises `TaskSpecError` if it is broken."""
        path = Path(path)
        return self.add_spec(load_task_file(path), origin=str(path))

    def add_folder(self, folder: str | Path, *, strict: bool = True) -> list[TaskEntry]:
        """Register every ``*.yaml`` / ``*.yml`` under `folder` (recursively, sorted), except
        evaluation suites (``*.suite.yaml``, see `rlvr_envs.evaluation.suite`).

        Args:
            strict: raise on the first broken file; otherwise record it in `problems`.
        """
        folder = Path(folder)
        if not folder.is_dir():
            raise TaskError(f"task folder {folder} does not exist or is not a folder")
        added = []
        for path in task_files(folder):
            try:
                added.append(self.add_file(path))
            except RlvrError as exc:
                if strict:
                    raise
                self._record_problem(str(exc))
        return added

    def add_entry_points(self, group: str = ENTRY_POINT_GROUP) -> list[TaskEntry]:
        """Register the tasks that installed packages declare in `group` (non-strict)."""
        added = []
        for ep in entry_points(group=group):
            origin = f"entry point {ep.name} = {ep.value}"
            try:
                added.extend(self._add_object(ep.load(), origin=origin))
            except Exception as exc:  # a broken plugin must not break the registry
                self._record_problem(f"{origin}: failed to load: {type(exc).__name__}: {exc}")
        return added

    def _add_object(self, obj: Any, *, origin: str) -> list[TaskEntry]:
        if isinstance(obj, TaskSpec):
            return [self.add_spec(obj, origin=origin)]
        if isinstance(obj, type) and issubclass(obj, TextEnv):
            return [self.add_env_class(obj, origin=origin)]
        if isinstance(obj, Path | str):
            return self.add_folder(obj, strict=False)
        if isinstance(obj, list | tuple):
            return [entry for item in obj for entry in self._add_object(item, origin=origin)]
        if callable(obj):
            return self._add_object(obj(), origin=origin)
        raise TaskSpecError(
            f"{origin}: expected a TaskSpec, a TextEnv subclass, a folder, a list of these or a "
            f"function returning one, got {type(obj).__name__}"
        )

    def _add(self, entry: TaskEntry) -> TaskEntry:
        existing = self._entries.get(entry.id)
        if existing is not None and existing.origin != entry.origin:
            raise TaskSpecError(
                f"task {entry.id!r} is defined twice: by {existing.origin} and by {entry.origin}. "
                "Released versions are never redefined; give the new one another name or version."
            )
        self._entries[entry.id] = entry
        # Gymnasium's entry resolves through this registry by id, so a reloaded file needs none.
        if self._mirror and existing is None:
            gymnasium.register(
                id=entry.gym_id,
                entry_point="rlvr_envs.registry:make_default_env",
                kwargs={"task_id": entry.id},
            )
        return entry

    def _record_problem(self, message: str) -> None:
        self.problems.append(message)
        warnings.warn(f"rlvr_envs: task not registered: {message}", RuntimeWarning, stacklevel=3)

    # -- using -----------------------------------------------------------------------------

    def ids(self) -> list[str]:
        return sorted(self._entries)

    def entries(self) -> list[TaskEntry]:
        return [self._entries[task_id] for task_id in self.ids()]

    def __contains__(self, task_id: object) -> bool:
        if not isinstance(task_id, str):
            return False
        try:
            self.resolve(task_id)
        except TaskNotFound:
            return False
        return True

    def __len__(self) -> int:
        return len(self._entries)

    def resolve(self, task_id: str) -> str:
        """The registered id meant by ``rlvr/x-v1``, ``x-v1`` or ``x`` (its newest version)."""
        name = task_id.removeprefix(f"{GYM_NAMESPACE}/")
        if name in self._entries:
            return name
        versions = sorted(
            (int(tid.rsplit("-v", 1)[1]), tid)
            for tid in self._entries
            if tid.rsplit("-v", 1)[0] == name
        )
        if versions:
            return versions[-1][1]
        base = name.rsplit("-v", 1)[0]
        others = [tid for tid in self._entries if tid.rsplit("-v", 1)[0] == base]
        hint = (
            f" Available versions: {', '.join(sorted(others))}."
            if others
            else did_you_mean(name, self._entries)
        )
        problems = (
            f" ({len(self.problems)} task source(s) failed to load; run 'rlvr tasks validate')"
            if self.problems
            else ""
        )
        raise TaskNotFound(f"no task {task_id!r} is registered.{hint}{problems}")

    def entry(self, task_id: str) -> TaskEntry:
        return self._entries[self.resolve(task_id)]

    def task(self, task_id: str) -> Task:
        """The `Task` of a spec-defined task (hand-written environments have none)."""
        entry = self.entry(task_id)
        if entry.task is None:
            raise TaskError(
                f"task {entry.id!r} is a hand-written environment ({entry.origin}); it has no "
                "task spec to verify responses against. Use make() to play it."
            )
        return entry.task

    def make(self, task_id: str, **kwargs: Any) -> TextEnv:
        """Build the environment of a task (without Gymnasium's wrappers)."""
        entry = self.entry(task_id)
        if entry.task is not None:
            return TaskEnv(entry.task, **kwargs)
        assert entry.env_class is not None
        return entry.env_class(**kwargs)


_DEFAULT: TaskRegistry | None = None


def default_registry() -> TaskRegistry:
    """The process-wide registry: built-in tasks, ``RLVR_TASKS_PATH`` folders, entry points."""
    global _DEFAULT
    if _DEFAULT is None:
        registry = TaskRegistry(mirror_to_gymnasium=True)
        registry.add_folder(builtin_tasks_dir(), strict=True)
        for folder in filter(None, os.environ.get(TASKS_PATH_VARIABLE, "").split(os.pathsep)):
            try:
                registry.add_folder(folder, strict=False)
            except TaskError as exc:
                registry._record_problem(f"{TASKS_PATH_VARIABLE}: {exc}")
        registry.add_entry_points()
        _DEFAULT = registry
    return _DEFAULT


def make_default_env(task_id: str, **kwargs: Any) -> TextEnv:
    """Gymnasium's entry point for ``rlvr/<id>``."""
    return default_registry().make(task_id, **kwargs)


def make(task_id: str, **kwargs: Any) -> gymnasium.Env:
    """``gymnasium.make`` for a default-registry id (``rlvr/x-v1``, ``x-v1`` or ``x``)."""
    registry = default_registry()
    return gymnasium.make(registry.entry(task_id).gym_id, **kwargs)


@overload
def register_task(target: TaskSpec, /, *, registry: TaskRegistry | None = None) -> TaskSpec: ...
@overload
def register_task(target: EnvT, /, *, registry: TaskRegistry | None = None) -> EnvT: ...
@overload
def register_task(
    target: None = None, /, *, id: str | None = None, registry: TaskRegistry | None = None
) -> Callable[[EnvT], EnvT]: ...


def register_task(
    target: Any = None, /, *, id: str | None = None, registry: TaskRegistry | None = None
) -> Any:
    """Register a task from Python, in the default registry unless told otherwise.

    Usage::

        register_task(TaskSpec(id="sums-v1", dataset=..., prompt=..., verifier=...))

        @register_task                      # the class has task_id = "my-game-v1"
        class MyGame(TextEnv): ...

        @register_task(id="my-game-v2")
        class MyGameV2(TextEnv): ...
    """
    # Not `registry or ...`: an empty registry is falsy (it has a __len__), yet it was asked for.
    target_registry = registry if registry is not None else default_registry()

    def register_class(env_class: EnvT) -> EnvT:
        target_registry.add_env_class(env_class, task_id=id)
        return env_class

    if target is None:
        return register_class
    if isinstance(target, TaskSpec):
        target_registry.add_spec(target)
        return target
    if isinstance(target, type) and issubclass(target, TextEnv):
        return register_class(target)
    raise TypeError(
        f"register_task takes a TaskSpec or a TextEnv subclass, got {type(target).__name__}"
    )

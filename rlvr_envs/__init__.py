"""rlvr_envs: Gymnasium text environments with verifiable rewards.

Importing this package registers every known task with Gymnasium as ``rlvr/<id>``::

    import gymnasium, rlvr_envs
    env = gymnasium.make("rlvr/arithmetic-add-v1")
    prompt, info = env.reset(seed=0)
    _, reward, terminated, truncated, info = env.step("The answer is 42.")
    info["verification"].status   # Status.WRONG / Status.CORRECT / ...

It never imports torch or transformers; the trainers live in the ``trainers`` package.
"""

# No ``from __future__ import annotations`` here: it would add a public name
# (``annotations``) to the package namespace that is not part of its API.
from rlvr_envs.core import TaskEnv, TextEnv
from rlvr_envs.errors import (
    ConfigError,
    DatasetError,
    RlvrError,
    TaskError,
    TaskNotFound,
    TaskSpecError,
    VerifierConfigError,
)
from rlvr_envs.registry import TaskRegistry, default_registry, make, register_task
from rlvr_envs.sources.base import Problem, ProblemSource
from rlvr_envs.sources.procedural import GeneratedProblem, Generator
from rlvr_envs.spaces import UnicodeText
from rlvr_envs.spec import DatasetSpec, RewardSpec, TaskSpec, VerifierSpec, load_task_file
from rlvr_envs.task import Task
from rlvr_envs.verification import Status, Verification
from rlvr_envs.verifiers import Verifier

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "DatasetError",
    "DatasetSpec",
    "GeneratedProblem",
    "Generator",
    "Problem",
    "ProblemSource",
    "RewardSpec",
    "RlvrError",
    "Status",
    "Task",
    "TaskEnv",
    "TaskError",
    "TaskNotFound",
    "TaskRegistry",
    "TaskSpec",
    "TaskSpecError",
    "TextEnv",
    "UnicodeText",
    "Verification",
    "Verifier",
    "VerifierConfigError",
    "VerifierSpec",
    "__version__",
    "default_registry",
    "load_task_file",
    "make",
    "register_task",
]

default_registry()

"""Exceptions raised by rlvr_envs.

These are for mistakes in *our* inputs (task files, options, ids), never for a bad model
response: a response is always scored, with a status saying what was wrong with it.

    RlvrError
    ├── TaskError
    │   ├── TaskNotFound        an id that no registry knows
    │   └── TaskSpecError       a task definition that does not validate (names file and field)
    ├── DatasetError            a dataset that cannot be read or does not fit its task
    ├── VerifierConfigError     an unknown verifier or bad verifier options
    └── ConfigError             any other bad option
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "ConfigError",
    "DatasetError",
    "RlvrError",
    "TaskError",
    "TaskNotFound",
    "TaskSpecError",
    "VerifierConfigError",
    "did_you_mean",
]


class RlvrError(Exception):
    """Base class of every error rlvr_envs raises on purpose."""


class TaskError(RlvrError):
    """A task cannot be found or built."""


class TaskNotFound(TaskError, KeyError):
    """No registered task has this id."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class TaskSpecError(TaskError):
    """A task definition does not validate; the message names the file and the field."""


class DatasetError(RlvrError):
    """A dataset cannot be read, or its records lack what the task needs."""


class VerifierConfigError(RlvrError):
    """An unknown verifier name, or options the verifier does not take."""


class ConfigError(RlvrError):
    """Any other bad option."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return `` Did you mean 'x'?`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""

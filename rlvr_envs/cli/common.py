"""What the subcommands share: the task-folder option, the registry it fills, errors."""

from __future__ import annotations

import argparse
from pathlib import Path

from rlvr_envs.registry import TASKS_PATH_VARIABLE, TaskRegistry, default_registry

__all__ = ["UsageError", "registry_from_args", "tasks_dir_parent"]

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A bad argument or input file; printed as one line, exit status 2."""


def tasks_dir_parent() -> argparse.ArgumentParser:
    """The ``--tasks-dir`` option every task-using subcommand takes."""
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument(
        "--tasks-dir",
        action="append",
        default=[],
        type=Path,
        metavar="DIR",
        help=f"a folder of task YAML files to add (repeatable; also ${TASKS_PATH_VARIABLE})",
    )
    return parent


def registry_from_args(args: argparse.Namespace) -> TaskRegistry:
    """The default registry plus the ``--tasks-dir`` folders (loaded strictly)."""
    registry = default_registry()
    for folder in args.tasks_dir:
        registry.add_folder(folder, strict=True)
    return registry

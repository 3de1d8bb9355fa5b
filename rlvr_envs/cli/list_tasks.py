"""``rlvr list``: the registered tasks with family, source and size."""

from __future__ import annotations

import argparse
import json
import sys

from rich.console import Console
from rich.table import Table

from rlvr_envs.cli.common import EXIT_OK, EXIT_USAGE, registry_from_args, tasks_dir_parent
from rlvr_envs.errors import DatasetError
from rlvr_envs.registry import TaskEntry


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "list",
        parents=[tasks_dir_parent()],
        help="list the registered tasks",
        description="List every registered task: id, family, data source, split sizes, turns.",
    )
    parser.add_argument("--family", help="only tasks of this family (arithmetic, math, code, ...)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per task")
    parser.set_defaults(run=run)


def describe(entry: TaskEntry) -> dict[str, object]:
    """A task's row: sizes of finite splits; ``null`` for unbounded (procedural) ones.

    A task whose data cannot be read here (an optional package not installed, a file
    missing) is still listed, with ``unavailable`` saying why: listing must not fail for
    one task, and the reason is what the user needs (often an install command)."""
    row: dict[str, object] = {"id": entry.id, "gym_id": entry.gym_id, "family": entry.family}
    if entry.task is not None:
        row["source"] = entry.task.describe_source()
        try:
            row["splits"] = entry.task.split_sizes()
        except DatasetError as exc:
            row["splits"] = {}
            row["unavailable"] = str(exc)
        row["max_turns"] = entry.task.spec.max_turns
    else:
        row["source"] = entry.origin
        row["splits"] = {}
        row["max_turns"] = None
    row["description"] = entry.description
    return row


def run(args: argparse.Namespace) -> int:
    registry = registry_from_args(args)
    rows = [describe(e) for e in registry.entries() if args.family in (None, e.family)]
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    else:
        table = Table(show_lines=False, header_style="bold")
        for column in ("task", "family", "source", "splits", "turns"):
            table.add_column(column, no_wrap=True)
        table.add_column("description", overflow="fold", min_width=20)
        for row in rows:
            splits = ", ".join(
                f"{name} {'∞' if size is None else size}"
                for name, size in row["splits"].items()  # type: ignore[union-attr]
            )
            if "unavailable" in row:
                splits = "[yellow]unavailable[/yellow]"
            table.add_row(
                str(row["gym_id"]),
                str(row["family"]),
                str(row["source"]),
                splits,
                str(row["max_turns"] or ""),
                str(row["description"]),
            )
        Console(soft_wrap=False).print(table)
        for row in rows:
            if "unavailable" in row:
                print(
                    f"rlvr: {row['gym_id']} is unavailable: {row['unavailable']}", file=sys.stderr
                )
    if registry.problems:
        for problem in registry.problems:
            print(f"rlvr: error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK

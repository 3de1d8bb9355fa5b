"""The ``rlvr`` entry point: parses arguments, runs one subcommand, maps errors to exits.

Other packages add subcommands through the entry-point group ``rlvr_envs.commands``
(name = the subcommand, value = a ``main(argv: list[str]) -> int`` function); they are
imported only when their subcommand runs, so ``rlvr --help`` stays fast. This is how
``rlvr train`` arrives from the ``trainers`` package without ``rlvr_envs`` importing it.
Exit status: 0 success, 1 some work failed (e.g. lines that could not be scored),
2 a usage error (bad task id, unreadable file, broken task YAML).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib.metadata import EntryPoint, entry_points

from rlvr_envs import __version__
from rlvr_envs.cli import (
    compare_cmd,
    eval_cmd,
    grade,
    list_tasks,
    play,
    sandbox_cmd,
    show_task,
    validate_tasks,
    verify_responses,
)
from rlvr_envs.cli.common import EXIT_USAGE, UsageError
from rlvr_envs.errors import RlvrError

COMMAND_GROUP = "rlvr_envs.commands"
_BUILTIN = (
    list_tasks,
    show_task,
    verify_responses,
    grade,
    play,
    validate_tasks,
    sandbox_cmd,
    eval_cmd,
    compare_cmd,
)


def _plugin_commands() -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=COMMAND_GROUP)}


def build_parser(plugins: dict[str, EntryPoint]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rlvr",
        description="Verifiable-reward text environments: list, inspect, play and score tasks.",
    )
    parser.add_argument("--version", action="version", version=f"rlvr-envs {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _BUILTIN:
        module.add_parser(subparsers)
    for name, ep in sorted(plugins.items()):
        dist = ep.dist.name if ep.dist else ep.value
        subparsers.add_parser(name, help=f"(from {dist}) run 'rlvr {name} --help'", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    plugins = _plugin_commands()
    try:
        if argv and argv[0] in plugins:
            return int(plugins[argv[0]].load()(argv[1:]) or 0)
        args = build_parser(plugins).parse_args(argv)
        return int(args.run(args))
    except (RlvrError, UsageError) as exc:
        print(f"rlvr: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("rlvr: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `rlvr list | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())

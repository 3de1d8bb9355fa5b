"""``rlvr sandbox run PROGRAM`` and ``rlvr sandbox backends``: the sandboxes by hand.

``run`` executes one program file in a sandbox and prints its `Execution` as JSON (status,
exit code, output, time, memory, backend, detail). A program that fails, hangs or floods
is still a successful command (exit 0): the JSON says what happened. Exit 2 for usage
errors: a missing file, an unknown or unavailable backend.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rlvr_envs.cli.common import EXIT_OK, UsageError
from sandboxes import (
    Job,
    Language,
    Limits,
    SandboxError,
    default_executor,
    describe_backends,
    get_executor,
)

__all__ = ["add_parser"]

_SUFFIXES = {
    ".py": Language.PYTHON,
    ".c": Language.C,
    ".cpp": Language.CPP,
    ".cc": Language.CPP,
    ".cxx": Language.CPP,
    ".js": Language.JAVASCRIPT,
    ".mjs": Language.JAVASCRIPT,
}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="run a program in a sandbox; list the sandbox backends",
        description="Run untrusted programs in the sandboxes the code verifiers use.",
    )
    commands = parser.add_subparsers(dest="sandbox_command", metavar="COMMAND", required=True)
    run_parser = commands.add_parser(
        "run",
        help="run one program file and print what happened as JSON",
        description="Run PROGRAM in a sandbox and print its execution as JSON: status (ok, "
        "timeout, memory, output_limit, killed, error), exit_code, stdout, stderr, times, "
        "peak memory, backend and detail. Exit status 0 whenever the sandbox ran, even if "
        "the program failed; 2 for a usage error.",
    )
    run_parser.add_argument("program", type=Path, help="the program's source file")
    run_parser.add_argument(
        "--language",
        choices=[language.value for language in Language],
        help="default: from the file's suffix (.py .c .cpp .cc .js), else python",
    )
    run_parser.add_argument(
        "--timeout",
        type=float,
        default=Limits.wall_seconds,
        metavar="S",
        help=f"wall and CPU time limit in seconds (default {Limits.wall_seconds:g})",
    )
    run_parser.add_argument(
        "--memory",
        type=int,
        default=Limits.memory_mb,
        metavar="MB",
        help=f"memory limit in MB (default {Limits.memory_mb})",
    )
    run_parser.add_argument(
        "--stdin", type=Path, metavar="FILE", help="file fed to standard input ('-': ours)"
    )
    run_parser.add_argument(
        "--backend", metavar="NAME", help="process, bwrap or docker (default: the strongest here)"
    )
    run_parser.set_defaults(run=run)
    backends_parser = commands.add_parser(
        "backends",
        help="list the sandbox backends, whether each runs here, and what it isolates",
    )
    backends_parser.add_argument("--json", action="store_true", help="one JSON list")
    backends_parser.set_defaults(run=backends)


def run(args: argparse.Namespace) -> int:
    try:
        source = args.program.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the program {str(args.program)!r}: {exc}") from None
    language = Language(args.language) if args.language else _guess_language(args.program)
    stdin = _read_stdin(args.stdin)
    try:
        limits = Limits(wall_seconds=args.timeout, cpu_seconds=args.timeout, memory_mb=args.memory)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    try:
        executor = get_executor(args.backend) if args.backend else default_executor()
    except SandboxError as exc:
        raise UsageError(str(exc)) from None
    with executor:
        execution = executor.run(Job(source=source, language=language, stdin=stdin, limits=limits))
    print(json.dumps(execution.to_dict(), indent=2, ensure_ascii=False))
    return EXIT_OK


def backends(args: argparse.Namespace) -> int:
    infos = describe_backends()
    if args.json:
        rows = [
            {
                "name": info.name,
                "available": info.available,
                "default": info.default,
                "reason": info.reason,
                "isolation": info.isolation,
            }
            for info in infos
        ]
        print(json.dumps(rows, indent=2))
    else:
        print("\n".join(str(info) for info in infos))
    return EXIT_OK


def _guess_language(path: Path) -> Language:
    return _SUFFIXES.get(path.suffix.lower(), Language.PYTHON)


def _read_stdin(path: Path | None) -> bytes:
    if path is None:
        return b""
    if str(path) == "-":
        return sys.stdin.buffer.read()
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the stdin file {str(path)!r}: {exc}") from None

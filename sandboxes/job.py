"""What a sandbox runs and what comes back: `Job` in, `Execution` out.

A job is a program (one source text, or several files with an entry file), its language,
stdin, argv and `Limits`. An execution is what happened: output, exit code, a `RunStatus`
that says *why* it ended, and the resources used. Statuses are decided by what the
executor observed (a wall-clock kill, a memory-limit failure, an output cap), never by
what the program printed.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Execution", "Job", "Language", "Limits", "RunStatus"]


class Language(enum.StrEnum):
    PYTHON = "python"
    C = "c"
    CPP = "cpp"
    JAVASCRIPT = "javascript"


class RunStatus(enum.StrEnum):
    """Why an execution ended.

    ================  ==================================================================
    ``ok``            the program exited by itself (any exit code: see ``exit_code``)
    ``timeout``       killed at the wall-time or CPU-time limit
    ``memory``        killed or failed for exceeding the memory limit
    ``output_limit``  stopped for writing more than the output limit
    ``killed``        ended by a signal the executor did not send for a limit
    ``error``         the sandbox could not run it (compile error, backend failure)
    ================  ==================================================================
    """

    OK = "ok"
    TIMEOUT = "timeout"
    MEMORY = "memory"
    OUTPUT_LIMIT = "output_limit"
    KILLED = "killed"
    ERROR = "error"


@dataclass(frozen=True)
class Limits:
    """Resource limits of one job. Every limit is enforced by the executor, not asked of
    the program."""

    wall_seconds: float = 10.0
    """Wall-clock time from start to kill."""
    cpu_seconds: float = 10.0
    """CPU time (RLIMIT_CPU, rounded up to whole seconds)."""
    memory_mb: int = 512
    """Address space (RLIMIT_AS) or cgroup/container memory, per job."""
    processes: int = 32
    """Processes and threads the job may have at once."""
    output_bytes: int = 1_000_000
    """stdout and stderr, each; past it the job is stopped with ``output_limit``."""
    file_size_mb: int = 16
    """Largest file the job may write (RLIMIT_FSIZE)."""
    open_files: int = 64
    """Open file descriptors (RLIMIT_NOFILE)."""

    def __post_init__(self) -> None:
        for name in ("wall_seconds", "cpu_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("memory_mb", "processes", "output_bytes", "file_size_mb", "open_files"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class Job:
    """One program run.

    Args:
        source: the program text, written to the language's default entry file
            (``main.py``, ``main.c``, ...). Give `source` or `files`, not both.
        files: file name -> content for multi-file programs; `entry` names the one to run.
        language: how to build and run it.
        stdin: bytes or text fed to the program's standard input.
        argv: arguments after the program.
        limits: see `Limits`.
        entry: the file to run among `files` (default: the language's entry file).
        service: a service that answers this job in its stead where an executor runs it
            (``"module:function"``, see `sandboxes.warm`): its stdin goes to the service as
            a request, and its answer comes back as the job's stdout. Executors without
            it run the program, which must do the same.
    """

    source: str | None = None
    files: Mapping[str, str | bytes] = field(default_factory=dict)
    language: Language = Language.PYTHON
    stdin: str | bytes = b""
    argv: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    entry: str | None = None
    service: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "language", Language(self.language))
        object.__setattr__(self, "files", dict(self.files))
        object.__setattr__(self, "argv", tuple(self.argv))
        if (self.source is None) == (not self.files):
            raise ValueError("give a job either `source` or `files`, not both and not neither")
        for name in self.files:
            if name.startswith(("/", "..")) or "/../" in name or "\x00" in name:
                raise ValueError(f"file name {name!r} must be a relative path inside the work dir")

    @property
    def stdin_bytes(self) -> bytes:
        return self.stdin.encode("utf-8") if isinstance(self.stdin, str) else self.stdin


@dataclass(frozen=True)
class Execution:
    """What happened to one job."""

    status: RunStatus
    exit_code: int | None
    """The program's exit code; negative for a signal (-9: SIGKILL); None if it never ran."""
    stdout: bytes = b""
    stderr: bytes = b""
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_memory_mb: float | None = None
    """Peak resident memory of the job's processes, where the backend can measure it."""
    backend: str = ""
    """Which executor ran it (``process``, ``bwrap``, ``docker``, ``warm-bwrap``, ...)."""
    detail: str = ""
    """Why, in words, for anything but a plain ``ok`` (the compiler's error, the limit hit)."""
    stdout_truncated: bool = False
    stderr_truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.status is RunStatus.OK and self.exit_code == 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: output as text (invalid UTF-8 replaced)."""
        return {
            "status": self.status.value,
            "exit_code": self.exit_code,
            "stdout": self.stdout.decode("utf-8", "replace"),
            "stderr": self.stderr.decode("utf-8", "replace"),
            "stdout_truncated": self.stdout_truncated,
            "stderr_truncated": self.stderr_truncated,
            "wall_seconds": round(self.wall_seconds, 6),
            "cpu_seconds": round(self.cpu_seconds, 6),
            "peak_memory_mb": self.peak_memory_mb,
            "backend": self.backend,
            "detail": self.detail,
        }

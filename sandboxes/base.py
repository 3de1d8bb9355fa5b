"""The executor interface every backend implements.

An `Executor` runs one `Job` and returns its `Execution`; it never raises because of the
job (a program that crashes, hangs or floods is an execution with a status). It raises
`SandboxUnavailable` when the backend cannot run on this machine at all, which is what
backend selection checks. `run_many` runs jobs concurrently on all cores; executors are
thread-safe, so the default uses threads (the work happens in child processes).
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

from sandboxes.job import Execution, Job

__all__ = ["Executor", "SandboxError", "SandboxUnavailable"]


class SandboxError(Exception):
    """Base class of the errors sandboxes raise on purpose (never for a job's behaviour)."""


class SandboxUnavailable(SandboxError):
    """This backend cannot run here (no bubblewrap, no Docker engine, no namespaces)."""


class Executor(ABC):
    """Runs jobs in isolation. Subclasses set `name` and `isolation` (one line that says
    what the backend isolates, shown next to its speed) and implement `run`."""

    name: ClassVar[str]
    isolation: ClassVar[str]

    @classmethod
    def available(cls) -> str | None:
        """None when the backend can run here, else why not (one sentence)."""
        return None

    @abstractmethod
    def run(self, job: Job) -> Execution:
        """Run one job to completion under its limits."""

    def run_many(self, jobs: Iterable[Job], *, workers: int | None = None) -> list[Execution]:
        """Run jobs concurrently (default: one per core), results in input order."""
        jobs = list(jobs)
        workers = workers or os.cpu_count() or 1
        if workers == 1 or len(jobs) <= 1:
            return [self.run(job) for job in jobs]
        with ThreadPoolExecutor(max_workers=workers) as threads:
            return list(threads.map(self.run, jobs))

    def close(self) -> None:  # noqa: B027 - most backends hold nothing warm
        """Release warm resources (worker sandboxes, containers); idempotent."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

"""The sandbox work of verifications, run in waves over one executor.

Each verification is a `Work`: it hands out jobs (`next_job`), takes their executions back
(`take`), and finally says what the tests found (`outcome`). `run_waves` runs the jobs of
many verifications together through `Executor.run_many`, wave after wave, so a batch uses
every core; a verification whose time is up gets no more jobs. An executor that raises
(it should not: a job's behaviour is an execution, not an exception) fails only the
verifications whose jobs it raised on, with their ``error`` set.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from sandboxes.base import Executor
from sandboxes.job import Execution, Job

__all__ = ["Outcome", "Work", "run_waves"]


@dataclass
class Outcome:
    """What the tests of one verification found."""

    tests: list[dict[str, Any]] = field(default_factory=list)
    """``{"name", "passed", "reason"}`` per test, in order (a long list may be cut)."""
    passed: int = 0
    total: int = 0
    headline: str | None = None
    """One cause that failed every test (the program does not compile, the whole
    verification ran out of time), said first in the verdict's reason."""
    error: str | None = None
    """Set when the verifier or the sandbox failed: the verdict is ``verifier_error``."""
    details: dict[str, Any] = field(default_factory=dict)
    """More facts for ``Verification.details`` (output excerpts, process counts)."""
    seconds: float = 0.0
    """Sandbox time the verification used."""


class Work(ABC):
    """The sandbox jobs of one verification."""

    @abstractmethod
    def next_job(self) -> Job | None:
        """The next job to run in this wave; None when there is none (for now)."""

    @abstractmethod
    def take(self, result: Execution | Exception) -> None:
        """The execution of the job handed out earliest and not yet taken back, or the
        exception the executor raised on it."""

    def end_wave(self) -> None:  # noqa: B027 - most work has no budget to account
        """Every job handed out in this wave has been taken back."""

    @property
    def first_wave_only(self) -> bool:
        """True for work whose jobs may all go out at once (they keep their own time)."""
        return False

    @abstractmethod
    def outcome(self) -> Outcome:
        """What the tests found, once no job is left."""


def run_waves(executor: Executor, works: list[Work], *, width: int | None = None) -> None:
    """Run every job of `works`: in each wave, all jobs of `first_wave_only` work, then up
    to `width` (default: one per core) jobs of the rest, taken in turn from each."""
    width = width or os.cpu_count() or 1
    first = True
    while True:
        batch: list[tuple[Work, Job]] = []
        if first:
            for work in works:
                if work.first_wave_only:
                    batch.extend((work, job) for job in iter(work.next_job, None))
        budget = width
        rest = [work for work in works if not work.first_wave_only]
        while budget > 0 and rest:
            still = []
            for work in rest:
                if budget == 0:
                    break
                job = work.next_job()
                if job is not None:
                    batch.append((work, job))
                    budget -= 1
                    still.append(work)
            rest = still
        first = False
        if not batch:
            return
        for (work, _), result in zip(batch, _run(executor, [job for _, job in batch]), strict=True):
            work.take(result)
        for work in works:
            work.end_wave()


def _run(executor: Executor, jobs: list[Job]) -> list[Execution | Exception]:
    try:
        return list(executor.run_many(jobs))
    except Exception:
        pass
    results: list[Execution | Exception] = []
    for job in jobs:  # which job did it fail on? run them one by one to find out
        try:
            results.append(executor.run(job))
        except Exception as exc:
            results.append(exc)
    return results

"""The executors every sandbox test runs against, and the small limits that keep it fast.

`EXECUTORS` is the list of backends under test: add a factory to put a new backend
through the whole security suite. A backend that cannot run here is skipped with its
own reason (Docker: no engine).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sandboxes import (
    BwrapExecutor,
    DockerExecutor,
    Executor,
    Job,
    Limits,
    ProcessExecutor,
    SandboxUnavailable,
)
from sandboxes.warm import WarmPythonExecutor


class WarmWithFallback(WarmPythonExecutor):
    """The warm executor (Python jobs), with bubblewrap for the other languages."""

    def __init__(self) -> None:
        super().__init__(fallback=BwrapExecutor())


EXECUTORS: list[Callable[[], Executor]] = [
    ProcessExecutor,
    BwrapExecutor,
    DockerExecutor,
    WarmWithFallback,
]

LIMITS = Limits(
    wall_seconds=2.0,
    cpu_seconds=2.0,
    memory_mb=256,
    processes=16,
    output_bytes=100_000,
    file_size_mb=4,
    open_files=32,
)
"""Small limits: a hostile program that runs to its limit costs 2 s at most."""


@pytest.fixture
def limits() -> Limits:
    """`LIMITS`, the limits `run` uses unless told otherwise."""
    return LIMITS


def _executor_id(factory: Callable[[], Executor]) -> str:
    return str(getattr(factory, "name", getattr(factory, "__name__", repr(factory))))


@pytest.fixture(scope="session", params=EXECUTORS, ids=_executor_id)
def executor(request: pytest.FixtureRequest) -> Iterator[Executor]:
    """Each available backend in turn; unavailable ones are skipped with their reason."""
    try:
        built = request.param()
    except SandboxUnavailable as exc:
        pytest.skip(f"{_executor_id(request.param)} backend unavailable: {exc}")
    with built:
        yield built


@pytest.fixture
def run(executor: Executor) -> Callable[..., object]:
    """``run(source, **job_fields)``: run a job under `LIMITS` unless told otherwise."""

    def run_job(source: str, **fields: object):  # type: ignore[no-untyped-def]
        fields.setdefault("limits", LIMITS)
        return executor.run(Job(source=source, **fields))  # type: ignore[arg-type]

    return run_job


@pytest.fixture
def marker() -> str:
    """A unique argv word: a job's processes carry it, so the host can look for them."""
    return f"sandbox-test-{uuid.uuid4().hex}"


def _processes_with(word: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            with contextlib.suppress(OSError):
                if word.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


@pytest.fixture
def host_pids_with() -> Callable[[str], list[int]]:
    """``host_pids_with(word)``: the host's pids whose command line holds `word`."""
    return _processes_with


@pytest.fixture
def namespaces(executor: Executor) -> None:
    """Skip where the backend runs without namespaces (it cannot contain the test's attack)."""
    if getattr(executor, "namespaces", True) is False:
        pytest.skip(f"{executor.name} runs without namespaces here: it cannot contain this")


@pytest.fixture
def other_user(executor: Executor) -> None:
    """Skip where jobs run as our own user and may read our files (process, not root)."""
    if executor.name == "process" and os.geteuid() != 0:
        pytest.skip("the process backend runs jobs as our own user when we are not root")

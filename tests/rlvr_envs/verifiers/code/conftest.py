"""The sandbox the code-verifier tests run in: the one `CodeVerifier` makes for itself (warm
bubblewrap with the harness loaded here, else the cold default), as the conventions require
for every verdict path and every reward hack (which also meet the cold one)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest

from rlvr_envs.sources.base import Problem
from rlvr_envs.verification import Verification
from rlvr_envs.verifiers.code import CodeOptions, CodeVerifier
from rlvr_envs.verifiers.code.function_job import code_executor
from sandboxes import Executor, SandboxUnavailable

FAST = CodeOptions(test_timeout=2.0, timeout=10.0)
"""Limits that keep the tests quick."""


@pytest.fixture(scope="session")
def executor() -> Iterator[Executor]:
    """The verifier's own executor; the tests skip where no sandbox runs."""
    try:
        chosen = code_executor()
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))
    with chosen:
        yield chosen


@pytest.fixture(scope="module")  # a module may run its tests on other executors
def verifier(executor: Executor) -> Iterator[CodeVerifier]:
    """A code verifier with the `FAST` limits, on the real sandbox."""
    with CodeVerifier(FAST, executor=executor) as made:
        yield made


@pytest.fixture(scope="module")
def run_code(executor: Executor) -> Callable[..., Verification]:
    """``run_code(response, spec, **options)``: the verdict, with `FAST` limits unless given."""

    def run(response: str, spec: dict, **options: object) -> Verification:
        settings = {**dataclasses.asdict(FAST), **options}
        with CodeVerifier(CodeOptions(**settings), executor=executor) as made:
            return made.verify(response, Problem(id="test/0", fields={}, reference=spec))

    return run

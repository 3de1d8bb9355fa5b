"""Helpers for driving the `rlvr` command in-process."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from rlvr_envs.cli.main import main


@pytest.fixture
def rlvr(capsys):
    """Run `rlvr ARGS...` in this process; returns (exit status, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        status = main(list(args))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


@pytest.fixture
def unique_id() -> str:
    """A task id no other test uses (Gymnasium's registry is process-wide)."""
    return f"clitest-{uuid.uuid4().hex[:8]}-v1"


@pytest.fixture
def write_task():
    """Write a task file `<folder>/<task_id>.yaml` with the given body after its id line."""

    def write(folder: Path, task_id: str, body: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{task_id}.yaml"
        path.write_text(f"id: {task_id}\n{body}", encoding="utf-8")
        return path

    return write


@pytest.fixture
def arithmetic_body() -> str:
    """A valid task body (everything after the id line)."""
    return ARITHMETIC_BODY


ARITHMETIC_BODY = """\
family: testing
description: sums for the CLI tests
dataset:
  generator: arithmetic
  params: {operations: ["+"], digits: 2}
  splits: {test: 20, train: null}
prompt: "What is {question}?"
verifier: {name: integer}
"""

"""Fixtures shared by the package tests: fresh task ids and task files in tmp folders."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

# A valid task body: everything after the ``id:`` line.
SUMS_BODY = """\
family: testing
description: sums for the tests
dataset:
  generator: arithmetic
  params: {operations: ["+"], digits: 2}
  splits: {test: 20, train: null}
prompt: "What is {question}?"
verifier: {name: integer}
"""


@pytest.fixture
def sums_body() -> str:
    """A valid task body (everything after the ``id:`` line); `task_file` writes it by default."""
    return SUMS_BODY


@pytest.fixture
def fresh_id() -> Callable[[str], str]:
    """Task ids no other test uses: Gymnasium's registry is process-wide."""

    def make(prefix: str = "t") -> str:
        return f"{prefix}-{uuid.uuid4().hex[:10]}-v1"

    return make


@pytest.fixture
def task_file() -> Callable[..., Path]:
    """Write ``<folder>/<task_id>.yaml`` (or `name`) holding ``id: <task_id>`` and `body`."""

    def write(
        folder: Path, task_id: str, body: str = SUMS_BODY, *, name: str | None = None
    ) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (name or f"{task_id}.yaml")
        path.write_text(f"id: {task_id}\n{body}", encoding="utf-8")
        return path

    return write

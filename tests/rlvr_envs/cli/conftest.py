"""Running the `rlvr` command in-process."""

from __future__ import annotations

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
def unique_id(fresh_id) -> str:
    return fresh_id("clitest")

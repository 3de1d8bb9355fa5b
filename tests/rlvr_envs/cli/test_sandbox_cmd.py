"""``rlvr sandbox run`` and ``rlvr sandbox backends``."""

from __future__ import annotations

import json
import sys

import pytest

from rlvr_envs.cli.common import EXIT_USAGE

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the sandboxes need Linux"
)


def test_run_prints_the_execution_as_json(rlvr, tmp_path):
    program = tmp_path / "echo.py"
    program.write_text("print(input().upper())")
    stdin = tmp_path / "in.txt"
    stdin.write_text("hello\n")
    status, out, _ = rlvr("sandbox", "run", str(program), "--stdin", str(stdin))
    assert status == 0
    result = json.loads(out)
    assert result["status"] == "ok" and result["exit_code"] == 0
    assert result["stdout"] == "HELLO\n" and result["backend"]


def test_a_failing_program_is_still_exit_zero(rlvr, tmp_path):
    program = tmp_path / "loop.py"
    program.write_text("while True: pass")
    status, out, _ = rlvr("sandbox", "run", str(program), "--timeout", "1", "--backend", "process")
    assert status == 0
    assert json.loads(out)["status"] == "timeout"
    assert json.loads(out)["backend"] == "process"


def test_the_language_comes_from_the_suffix(rlvr, tmp_path):
    program = tmp_path / "main.c"
    program.write_text('#include <stdio.h>\nint main(void) { puts("c"); return 7; }')
    status, out, _ = rlvr("sandbox", "run", str(program))
    result = json.loads(out)
    if result["status"] == "error" and "gcc" in result["detail"]:
        pytest.skip("no C compiler here")
    assert status == 0 and result["exit_code"] == 7 and result["stdout"] == "c\n"


def test_a_missing_program_is_a_usage_error(rlvr, tmp_path):
    status, out, err = rlvr("sandbox", "run", str(tmp_path / "nope.py"))
    assert status == EXIT_USAGE and out == ""
    assert "cannot read the program" in err and "nope.py" in err


def test_an_unknown_backend_is_a_usage_error(rlvr, tmp_path):
    program = tmp_path / "p.py"
    program.write_text("print(1)")
    status, _, err = rlvr("sandbox", "run", str(program), "--backend", "nosuch")
    assert status == EXIT_USAGE
    assert "unknown sandbox backend 'nosuch'; the backends are bwrap, process, docker" in err


def test_bad_limits_are_a_usage_error(rlvr, tmp_path):
    program = tmp_path / "p.py"
    program.write_text("print(1)")
    status, _, err = rlvr("sandbox", "run", str(program), "--memory", "0")
    assert status == EXIT_USAGE and "memory_mb must be >= 1" in err


def test_backends_lists_each_backend(rlvr):
    status, out, _ = rlvr("sandbox", "backends")
    assert status == 0
    for name in ("process", "bwrap", "docker", "warm-bwrap", "warm-process"):
        assert name in out
    status, out, _ = rlvr("sandbox", "backends", "--json")
    rows = json.loads(out)
    names = ["bwrap", "process", "docker", "warm-bwrap", "warm-process"]
    assert [row["name"] for row in rows] == names
    assert sum(row["default"] for row in rows) == 1

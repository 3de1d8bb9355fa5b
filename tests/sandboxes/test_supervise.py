"""The status rules (`classify`) on the launcher's reports, and the rlimits a job gets."""

from __future__ import annotations

import signal

import pytest

from sandboxes import Limits, RunStatus
from sandboxes.supervise import classify, rlimits

LIMITS = Limits(wall_seconds=2, cpu_seconds=1.5, memory_mb=256)


def exited(code: int) -> int:
    return code << 8


def signalled(number: int) -> int:
    return number


def report(wait_status: int, *, cpu: float = 0.1, killed_for: str | None = None, kind="run"):
    return {
        "event": "done",
        "kind": kind,
        "wait_status": wait_status,
        "cpu_seconds": cpu,
        "peak_rss_kb": 2048,
        "wall_seconds": 0.2,
        "killed_for": killed_for,
    }


def decide(events, *, killed_for=None, phase="run", stderr=b"", stdout=b""):
    return classify(
        events,
        LIMITS,
        killed_for=killed_for,
        phase=phase,
        launcher_status=0,
        seconds=0.3,
        stdout=stdout,
        stderr=stderr,
        backend="test",
    )


@pytest.mark.parametrize(
    ("wait_status", "cpu", "killed_for", "stderr", "status", "exit_code"),
    [
        (exited(0), 0.1, None, b"", RunStatus.OK, 0),
        (exited(3), 0.1, None, b"", RunStatus.OK, 3),
        (exited(1), 0.1, None, b"Traceback...\nValueError: x\n", RunStatus.OK, 1),
        (signalled(signal.SIGSEGV), 0.1, None, b"", RunStatus.KILLED, -11),
        (signalled(signal.SIGABRT), 0.1, None, b"", RunStatus.KILLED, -6),
        (signalled(signal.SIGKILL), 0.1, "wall", b"", RunStatus.TIMEOUT, -9),
        (signalled(signal.SIGXCPU), 1.0, None, b"", RunStatus.TIMEOUT, -24),
        (signalled(signal.SIGKILL), 2.0, None, b"", RunStatus.TIMEOUT, -9),  # RLIMIT_CPU hard
        (signalled(signal.SIGKILL), 0.5, None, b"", RunStatus.KILLED, -9),  # someone else
        (signalled(signal.SIGXFSZ), 0.1, None, b"", RunStatus.OUTPUT_LIMIT, -25),
        (exited(1), 0.1, None, b"...\nMemoryError\n", RunStatus.MEMORY, 1),
        (signalled(signal.SIGABRT), 0.1, None, b"what():  std::bad_alloc\n", RunStatus.MEMORY, -6),
        (
            signalled(signal.SIGTRAP),
            0.1,
            None,
            b"JavaScript heap out of memory",
            RunStatus.MEMORY,
            -5,
        ),
        (exited(0), 0.1, None, b"MemoryError (handled)\n", RunStatus.OK, 0),
    ],
)
def test_status_rules(wait_status, cpu, killed_for, stderr, status, exit_code):
    result = decide([report(wait_status, cpu=cpu, killed_for=killed_for)], stderr=stderr)
    assert (result.status, result.exit_code) == (status, exit_code), result.detail
    assert result.peak_memory_mb == 2.0 and result.backend == "test"


def test_our_output_kill_wins_over_what_the_program_did():
    result = decide([report(signalled(signal.SIGKILL))], killed_for="output")
    assert result.status is RunStatus.OUTPUT_LIMIT


def test_killed_for_output_before_any_report():
    result = decide([{"event": "step", "kind": "run"}], killed_for="output")
    assert result.status is RunStatus.OUTPUT_LIMIT and result.exit_code == -9


def test_wall_backstop_during_the_run_is_a_timeout():
    result = decide([{"event": "step", "kind": "run"}], killed_for="wall", phase="run")
    assert result.status is RunStatus.TIMEOUT


def test_a_failed_setup_is_an_error_with_its_reason():
    result = decide([{"event": "failed", "detail": "unshare (user namespaces): EPERM"}])
    assert result.status is RunStatus.ERROR and "unshare" in result.detail


def test_a_launcher_that_dies_without_a_report_is_an_error():
    result = decide([{"event": "step", "kind": "run"}])
    assert result.status is RunStatus.ERROR and "without a report" in result.detail


def test_a_failed_compile_is_an_error_with_the_message():
    compiled = report(exited(1), kind="compile") | {"output": "main.c:1: error: nope"}
    result = decide([compiled], phase="between")
    assert result.status is RunStatus.ERROR and result.exit_code is None
    assert "exit code 1" in result.detail and "main.c:1: error: nope" in result.detail


def test_a_compile_that_times_out_is_an_error():
    compiled = report(signalled(signal.SIGKILL), kind="compile", killed_for="wall")
    result = decide([compiled], phase="between")
    assert result.status is RunStatus.ERROR and "time limit" in result.detail


def test_a_program_that_cannot_be_executed_is_an_error():
    done = report(exited(127)) | {"exec_error": "cannot run ./main: [Errno 8] Exec format error"}
    result = decide([done])
    assert result.status is RunStatus.ERROR and "Exec format error" in result.detail


def test_rlimits_from_limits():
    limits = Limits(cpu_seconds=1.2, memory_mb=100, processes=8, file_size_mb=2, open_files=20)
    assert rlimits(limits, extra_address_space_mb=50, launcher_processes=2) == {
        "CPU": (2, 3),
        "AS": (150 << 20, 150 << 20),
        "NPROC": (10, 10),
        "FSIZE": (2 << 20, 2 << 20),
        "NOFILE": (20, 20),
        "CORE": (0, 0),
    }

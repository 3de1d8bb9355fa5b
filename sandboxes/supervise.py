"""Start a sandbox's launcher, watch it, and turn what happened into an `Execution`.

Every backend runs the same launcher (``sandboxes/_child.py``) inside its sandbox and hands
it the same spec; the local backends (process, bubblewrap) differ only in the command
that wraps it, so this module holds their one supervision loop, and the status rules
that Docker shares.

Who enforces what:

================  ==========================================================================
limit             enforced by
================  ==========================================================================
wall time         the launcher kills the step at its wall time; this loop kills the whole
                  sandbox (its process group, whose leader it has not reaped, and with it
                  the pid namespace) one second later as a backstop
CPU time          ``RLIMIT_CPU`` (SIGXCPU at the limit, SIGKILL one second later)
memory            ``RLIMIT_AS`` (allocations fail: MemoryError, ``std::bad_alloc``, NULL)
processes         ``RLIMIT_NPROC``, counted per user namespace (each job has its own)
output            this loop: past ``output_bytes`` on stdout or stderr it kills the sandbox
files             ``RLIMIT_FSIZE`` per file, and a tmpfs of `scratch_bytes` for all of them
open files        ``RLIMIT_NOFILE``; core dumps: ``RLIMIT_CORE`` 0
================  ==========================================================================

Status rules (`classify`), first match wins; they use what we observed, plus one thing the
program prints, because ``RLIMIT_AS`` makes an allocation *fail* rather than killing:

1. we stopped it for its output: ``output_limit``;
2. it ran past its wall time: ``timeout``;
3. SIGXCPU, or SIGKILL with CPU time at the limit (``RLIMIT_CPU``'s hard kill): ``timeout``;
4. SIGXFSZ (a file over ``RLIMIT_FSIZE``): ``output_limit``;
5. it failed (signal or non-zero exit) and the end of its stderr holds an allocator's
   out-of-memory report (``MemoryError``, ``std::bad_alloc``, "JavaScript heap out of
   memory", "Cannot allocate memory", ...): ``memory``. A program that prints such a line
   and fails on purpose gains nothing: it has failed either way;
6. any other signal: ``killed`` (exit code ``-signal``); else ``ok`` with its exit code.

A C program that ignores ``malloc``'s NULL and segfaults is ``killed`` (rule 6): nothing
we can observe tells that segfault from any other.

Measured, not enforced: ``cpu_seconds`` and ``wall_seconds`` are the run step's (the
compile step is not counted), CPU including the orphans the launcher reaped;
``peak_memory_mb`` is the largest ``ru_maxrss`` among them. The kernel carries a process's
peak RSS across ``execve``, so it includes the launcher's image (about 9 MB) that the step
was forked from: exact above that, an upper bound below it.
"""

from __future__ import annotations

import ast
import contextlib
import marshal
import math
import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sandboxes.job import Execution, Job, Limits, RunStatus
from sandboxes.languages import BuildPlan

__all__ = [
    "LAUNCHER_SOURCE",
    "Launch",
    "build_spec",
    "classify",
    "decode_event",
    "encode_spec",
    "launcher_command",
    "rlimits",
    "scratch_bytes",
    "supervise",
]

LAUNCHER_SOURCE = (Path(__file__).with_name("_child.py")).read_text(encoding="utf-8")
"""The launcher's text; it travels in argv (``python -c``), so no path needs to be shared."""

SETUP_SECONDS = 10.0
"""How long the launcher may take to set the sandbox up (or between steps)."""
BACKSTOP_SECONDS = 1.0
"""How long after a step's wall time the whole sandbox is killed if the launcher has not."""
DRAIN_SECONDS = 2.0
"""How long output may keep arriving after the launcher has exited or been killed."""
_MEMORY_MARKERS = (
    b"MemoryError",
    b"std::bad_alloc",
    b"JavaScript heap out of memory",
    b"Fatal process OOM",
    b"Cannot allocate memory",
    b"out of memory",
)
_LAUNCHER_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


def launcher_command(python: str) -> list[str]:
    """The launcher's argv before its two fd arguments."""
    return [python, "-I", "-S", "-c", LAUNCHER_SOURCE]


def scratch_bytes(limits: Limits, plan: BuildPlan) -> int:
    """Size of the tmpfs holding ``/tmp`` and the work dir: four largest files' worth
    (64 MB by default) plus the job's own files. A tmpfs is memory that ``RLIMIT_AS`` does
    not count, so it stays small."""
    return 4 * (limits.file_size_mb << 20) + sum(len(data) for data in plan.files.values())


def rlimits(
    limits: Limits, *, extra_address_space_mb: int = 0, launcher_processes: int = 1
) -> dict[str, tuple[int, int]]:
    """The rlimits of one step. Hard limits equal soft ones (the job cannot raise them),
    but for CPU: SIGXCPU at the limit, SIGKILL a second later. ``RLIMIT_NPROC`` counts the
    launcher's own processes in the job's user namespace too."""
    cpu = math.ceil(limits.cpu_seconds)
    memory = (limits.memory_mb + extra_address_space_mb) << 20
    processes = limits.processes + launcher_processes
    return {
        "CPU": (cpu, cpu + 1),
        "AS": (memory, memory),
        "NPROC": (processes, processes),
        "FSIZE": (limits.file_size_mb << 20, limits.file_size_mb << 20),
        "NOFILE": (limits.open_files, limits.open_files),
        "CORE": (0, 0),
    }


def build_spec(
    job: Job,
    plan: BuildPlan,
    *,
    mode: Literal["process", "bwrap", "docker"],
    workdir: str,
    namespaces: bool,
    pid_namespace: bool,
    compile_limits: Limits,
    launcher_processes: int,
) -> dict[str, Any]:
    """The launcher's spec (see ``_child.py``) for `job` built by `plan`."""
    steps = []
    if plan.compile_argv is not None:
        steps.append(
            {
                "kind": "compile",
                "argv": list(plan.compile_argv),
                "wall_seconds": compile_limits.wall_seconds,
                "rlimits": rlimits(compile_limits, launcher_processes=launcher_processes),
            }
        )
    run_limits = rlimits(
        job.limits,
        extra_address_space_mb=plan.extra_address_space_mb,
        launcher_processes=launcher_processes + plan.extra_processes,
    )
    steps.append(
        {
            "kind": "run",
            "argv": list(plan.run_argv),
            "wall_seconds": job.limits.wall_seconds,
            "rlimits": run_limits,
        }
    )
    return {
        "mode": mode,
        "namespaces": namespaces,
        "pid_namespace": pid_namespace,
        "parent": os.getpid() if mode == "process" else None,
        "workdir": workdir,
        "scratch_bytes": scratch_bytes(job.limits, plan),
        "shm_bytes": job.limits.file_size_mb << 20,
        "compile_output_bytes": compile_limits.output_bytes,
        "files": [[name, data] for name, data in plan.files.items()],
        "env": {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": workdir},
        "steps": steps,
    }


@dataclass
class Launch:
    """How a local backend starts the launcher: the command and whom it runs as.

    Dropping root belongs in the command (``setpriv``, or the launcher's own ``drop``)
    rather than in `user`: ``subprocess`` starts a child by ``vfork`` only when it changes
    no ids, and otherwise by ``fork``, which copies the caller's page tables: 50 ms of CPU
    per job from a process holding 2 GB, more from a trainer.
    """

    command: list[str]
    """Everything before the launcher's two fd arguments (a bwrap prefix, the launcher)."""
    user: int | None = None
    """Run as this uid and gid (with no supplementary groups); needs root. The slow path."""


@dataclass
class _Watch:
    """What the loop saw."""

    stdout: bytearray = field(default_factory=bytearray)
    stderr: bytearray = field(default_factory=bytearray)
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    events: list[dict[str, Any]] = field(default_factory=list)
    killed_for: str | None = None  # "output", "wall", "setup"
    phase: str = "setup"


def supervise(launch: Launch, spec: dict[str, Any], job: Job, *, backend: str) -> Execution:
    """Run the launcher with `spec`, feed it `job`'s stdin, collect output and reports."""
    started = time.monotonic()
    stdin_fd = _memfd("job-stdin", job.stdin_bytes)
    spec_fd = _memfd("sandbox-spec", encode_spec(spec))
    status_r, status_w = os.pipe()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    user_args: dict[str, Any] = {}
    if launch.user is not None:
        user_args = {"user": launch.user, "group": launch.user, "extra_groups": []}
    try:
        process = subprocess.Popen(
            [*launch.command, str(spec_fd), str(status_w)],
            stdin=stdin_fd,
            stdout=out_w,
            stderr=err_w,
            pass_fds=(spec_fd, status_w),
            env=_LAUNCHER_ENV,
            cwd="/",
            start_new_session=True,
            **user_args,
        )
    except OSError as exc:
        for fd in (stdin_fd, spec_fd, status_r, status_w, out_r, out_w, err_r, err_w):
            os.close(fd)
        return Execution(
            RunStatus.ERROR, None, backend=backend, detail=f"cannot start the sandbox: {exc}"
        )
    for fd in (stdin_fd, spec_fd, status_w, out_w, err_w):
        os.close(fd)
    try:
        watch = _watch(process, job.limits, spec, out_r, err_r, status_r)
    finally:
        for fd in (out_r, err_r, status_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        _kill_group(process)
        process.wait()
    return _execution(watch, job.limits, backend, time.monotonic() - started, process.returncode)


def _memfd(name: str, data: bytes) -> int:
    fd = os.memfd_create(name)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the sandbox's process group. Its leader is not reaped yet (even when it has
    exited), so the group id cannot have been reused by anyone else."""
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)


def _watch(
    process: subprocess.Popen[bytes],
    limits: Limits,
    spec: dict[str, Any],
    out_r: int,
    err_r: int,
    status_r: int,
) -> _Watch:
    watch = _Watch()
    walls = {step["kind"]: step["wall_seconds"] for step in spec["steps"]}
    pidfd = os.pidfd_open(process.pid)
    selector = selectors.DefaultSelector()
    for fd in (out_r, err_r, status_r, pidfd):
        selector.register(fd, selectors.EVENT_READ)
    open_fds = {out_r, err_r, status_r}
    status_buffer = bytearray()
    deadline = time.monotonic() + SETUP_SECONDS
    exited_at: float | None = None
    try:
        while open_fds or exited_at is None:
            now = time.monotonic()
            if exited_at is not None and now - exited_at > DRAIN_SECONDS:
                break  # something outside the sandbox's namespaces holds our pipes
            if exited_at is None and now >= deadline:
                if watch.killed_for is None:
                    watch.killed_for = "wall" if watch.phase in walls else "setup"
                _kill_group(process)
                deadline = now + DRAIN_SECONDS
            timeout = (deadline if exited_at is None else exited_at + DRAIN_SECONDS) - now
            for key, _ in selector.select(max(0.0, timeout)):
                fd = key.fd
                if fd == pidfd:
                    selector.unregister(pidfd)
                    exited_at = time.monotonic()
                    continue
                data = _read(fd)
                if not data:
                    selector.unregister(fd)
                    open_fds.discard(fd)
                elif fd == status_r:
                    status_buffer += data
                    *lines, rest = status_buffer.split(b"\n")
                    status_buffer = bytearray(rest)
                    for line in lines:
                        deadline = _on_event(watch, line, walls, deadline)
                elif watch.killed_for != "output":
                    name = "stdout" if fd == out_r else "stderr"
                    buffer: bytearray = getattr(watch, name)
                    buffer += data
                    if len(buffer) > limits.output_bytes:
                        del buffer[limits.output_bytes :]
                        setattr(watch, f"{name}_truncated", True)
                        watch.killed_for = "output"
                        _kill_group(process)
                        deadline = time.monotonic() + DRAIN_SECONDS
    finally:
        selector.close()
        os.close(pidfd)
    return watch


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 1 << 16)
    except OSError:
        return b""


def encode_spec(spec: dict[str, Any]) -> bytes:
    """The launcher's spec as it reads it: ``marshal`` format 4 (Python 3.4 and later)."""
    return marshal.dumps(spec, 4)


def decode_event(line: bytes) -> dict[str, Any] | None:
    """One launcher report (a dict literal), or None for a line that is not one."""
    try:
        event = ast.literal_eval(line.decode("utf-8", "replace").strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return event if isinstance(event, dict) else None


def _on_event(watch: _Watch, line: bytes, walls: dict[str, float], deadline: float) -> float:
    """Record one launcher report; the new deadline."""
    if (event := decode_event(line)) is None:
        return deadline
    watch.events.append(event)
    now = time.monotonic()
    if event.get("event") == "step":
        watch.phase = event["kind"]
        return now + walls[watch.phase] + BACKSTOP_SECONDS
    if event.get("event") in ("done", "failed"):
        watch.phase = "between"
        return now + SETUP_SECONDS
    return deadline


def _execution(
    watch: _Watch, limits: Limits, backend: str, seconds: float, launcher_status: int | None
) -> Execution:
    outputs = {
        "stdout": bytes(watch.stdout),
        "stderr": bytes(watch.stderr),
        "stdout_truncated": watch.stdout_truncated,
        "stderr_truncated": watch.stderr_truncated,
        "backend": backend,
    }
    return classify(
        watch.events,
        limits,
        killed_for=watch.killed_for,
        phase=watch.phase,
        launcher_status=launcher_status,
        seconds=seconds,
        **outputs,
    )


def classify(
    events: list[dict[str, Any]],
    limits: Limits,
    *,
    killed_for: str | None,
    phase: str,
    launcher_status: int | None,
    seconds: float,
    stdout: bytes,
    stderr: bytes,
    stdout_truncated: bool = False,
    stderr_truncated: bool = False,
    backend: str,
) -> Execution:
    """The `Execution` for the launcher's reports and what the supervisor did (see the
    status rules in the module docstring)."""
    by_kind = {event.get("kind"): event for event in events if event.get("event") == "done"}
    failed = [event["detail"] for event in events if event.get("event") == "failed"]
    notes = [event["detail"] for event in events if event.get("event") == "note"]
    output = {"stdout": stdout, "stderr": stderr, "backend": backend}
    output.update(stdout_truncated=stdout_truncated, stderr_truncated=stderr_truncated)
    compiled = by_kind.get("compile")
    if failed or (compiled and compiled.get("exec_error")):
        detail = failed[0] if failed else compiled["exec_error"]  # type: ignore[index]
        return Execution(RunStatus.ERROR, None, wall_seconds=seconds, detail=detail, **output)
    if compiled and (compiled["wait_status"] != 0 or compiled.get("killed_for")):
        return _compile_failure(compiled, killed_for, seconds, output)
    done = by_kind.get("run")
    if done is None:
        return _no_report(killed_for, phase, launcher_status, limits, seconds, output)
    if done.get("exec_error"):
        return Execution(RunStatus.ERROR, None, detail=done["exec_error"], **output)
    exit_code = os.waitstatus_to_exitcode(done["wait_status"])
    signal_number = -exit_code if exit_code < 0 else None
    usage = {
        "wall_seconds": done["wall_seconds"],
        "cpu_seconds": done["cpu_seconds"],
        "peak_memory_mb": round(done["peak_rss_kb"] / 1024, 3),
    }
    status, detail = _status(done, killed_for, signal_number, exit_code, limits, stderr)
    if notes:
        detail = "; ".join(filter(None, [detail, *notes]))
    return Execution(status, exit_code, detail=detail, **usage, **output)


def _status(
    done: dict[str, Any],
    killed_for: str | None,
    signal_number: int | None,
    exit_code: int,
    limits: Limits,
    stderr: bytes,
) -> tuple[RunStatus, str]:
    if killed_for == "output":
        return RunStatus.OUTPUT_LIMIT, f"more than {limits.output_bytes} bytes of output"
    if killed_for == "wall" or done.get("killed_for") == "wall":
        return RunStatus.TIMEOUT, f"wall time limit of {limits.wall_seconds:g} s"
    cpu_limit = math.ceil(limits.cpu_seconds)
    if signal_number == signal.SIGXCPU or (
        signal_number == signal.SIGKILL and done["cpu_seconds"] >= cpu_limit
    ):
        return RunStatus.TIMEOUT, f"CPU time limit of {cpu_limit} s"
    if signal_number == signal.SIGXFSZ:
        return RunStatus.OUTPUT_LIMIT, f"a file over the {limits.file_size_mb} MB file size limit"
    if exit_code != 0 and any(marker in stderr[-8192:] for marker in _MEMORY_MARKERS):
        return RunStatus.MEMORY, f"memory limit of {limits.memory_mb} MB"
    if signal_number is not None:
        return RunStatus.KILLED, f"killed by {_signal_name(signal_number)}"
    return RunStatus.OK, ""


def _compile_failure(
    compiled: dict[str, Any], killed_for: str | None, seconds: float, output: dict[str, Any]
) -> Execution:
    message = compiled.get("output", "").strip()
    if compiled.get("killed_for") == "wall" or killed_for == "wall":
        why = "compilation exceeded its time limit"
    elif killed_for == "output":
        why = "compilation produced too much output"
    else:
        code = os.waitstatus_to_exitcode(compiled["wait_status"])
        why = f"compilation failed (exit code {code})"
        if code < 0:
            why = f"compilation failed ({_signal_name(-code)})"
    detail = f"{why}:\n{message}" if message else why
    usage = {"cpu_seconds": compiled["cpu_seconds"], "wall_seconds": seconds}
    return Execution(RunStatus.ERROR, None, detail=detail, **usage, **output)


def _no_report(
    killed_for: str | None,
    phase: str,
    launcher_status: int | None,
    limits: Limits,
    seconds: float,
    output: dict[str, Any],
) -> Execution:
    """The run step never reported: we killed the sandbox, or its launcher died."""
    if killed_for == "output":
        detail = f"more than {limits.output_bytes} bytes of output"
        return Execution(RunStatus.OUTPUT_LIMIT, -9, wall_seconds=seconds, detail=detail, **output)
    if killed_for == "wall" and phase == "run":
        detail = f"wall time limit of {limits.wall_seconds:g} s"
        return Execution(RunStatus.TIMEOUT, -9, wall_seconds=seconds, detail=detail, **output)
    if killed_for is not None:
        detail = f"the sandbox did not finish its {phase} step in time"
    else:
        detail = f"the sandbox's launcher ended without a report (status {launcher_status})"
    return Execution(RunStatus.ERROR, None, wall_seconds=seconds, detail=detail, **output)


def _signal_name(number: int) -> str:
    try:
        name = signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
    hint = {"SIGSEGV": " (segmentation fault)", "SIGABRT": " (abort)", "SIGBUS": " (bus error)"}
    return name + hint.get(name, "")

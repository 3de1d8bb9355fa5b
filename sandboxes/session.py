"""`SandboxSession`: one long-lived program in a sandbox, talked to over its stdin and stdout.

Jobs (`Executor.run`) are one-shot: files in, a run, output out. A proof assistant's
read-eval-print loop (``coqtop``, the Lean REPL) is a conversation instead: it starts
once, loads its libraries once, and then answers command after command. A session runs
such a program in the same bubblewrap sandbox as `BwrapExecutor`'s jobs (only ``/usr``
and the toolchain visible, read-only; every namespace new, so no network; uid nobody;
private ``/tmp`` as its work dir), or, where bubblewrap cannot run, as a plain child
with the same rlimits (uid nobody when we are root).

Limits: ``RLIMIT_AS`` (`memory_mb`), ``RLIMIT_FSIZE`` and no core dumps, set before the
sandbox starts and inherited by everything in it. Time is bounded per exchange by the
caller (`read_until`'s timeout), not per session; a caller that gives up kills the
session (`kill`) and starts another. `memory_mb_used` reads the resident memory of the
whole process tree from ``/proc``, so a pool can retire a session that grew too large.
"""

from __future__ import annotations

import contextlib
import os
import resource
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
import weakref
from collections.abc import Callable, Sequence

from sandboxes.base import SandboxError, SandboxUnavailable
from sandboxes.bwrap import BwrapExecutor, _bwrap_prefix
from sandboxes.languages import SANDBOX_UID, Toolchain

__all__ = ["SandboxSession", "SessionClosed"]

_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"}


class SessionClosed(SandboxError):
    """The session's program has exited (or was killed) and cannot answer."""


class SandboxSession:
    """A program started once in a sandbox; write to it and read its answers.

    Args:
        argv: the program and its arguments (an absolute path, or a name on ``/usr/bin``).
        memory_mb: address-space limit of every process in the session.
        file_size_mb: largest file it may write (its work dir is a small tmpfs).
        sandbox: ``"bwrap"``, ``"process"``, or None for bwrap where it runs, else process.
        read_only: more paths the program needs to see, read-only (a toolchain outside
            ``/usr``, a project with its built libraries).
        cwd: where it starts (default: its private work dir); must be visible to it.
        env: more environment variables (the sandbox starts from an empty environment).

    Raises:
        SandboxUnavailable: bwrap was asked for and cannot run here; the program is missing.
    """

    def __init__(
        self,
        argv: Sequence[str],
        *,
        memory_mb: int = 2048,
        file_size_mb: int = 16,
        sandbox: str | None = None,
        read_only: Sequence[str] = (),
        cwd: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        program = shutil.which(argv[0]) if not os.path.isabs(argv[0]) else argv[0]
        if program is None:
            raise SandboxUnavailable(f"{argv[0]} is not installed (not found on PATH)")
        if sandbox is None:
            sandbox = "bwrap" if BwrapExecutor.available() is None else "process"
        if sandbox not in ("bwrap", "process"):
            raise SandboxError(f"a session runs in 'bwrap' or 'process', not {sandbox!r}")
        if sandbox == "bwrap" and (why := BwrapExecutor.available()) is not None:
            raise SandboxUnavailable(f"the bwrap sandbox cannot run here: {why}")
        self.sandbox = sandbox
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        command = [program, *argv[1:]]
        variables = {**_ENV, **(env or {})}
        if sandbox == "bwrap":
            bwrap = shutil.which("bwrap") or "bwrap"
            scratch = 4 * (file_size_mb << 20)
            prefix = _bwrap_prefix(bwrap, Toolchain.detect(), scratch, file_size_mb << 20)
            # The prefix ends with "--remount-ro / --chdir / --": binds go before the
            # remount, and the program works in the private /tmp unless told otherwise.
            binds = [arg for path in read_only for arg in ("--ro-bind", path, path)]
            at = prefix.index("--remount-ro")
            prefix[at:at] = binds
            prefix[prefix.index("--chdir") + 1] = cwd or "/tmp"
            settings = [("HOME", "/tmp"), *(env or {}).items()]
            prefix[-1:-1] = [arg for k, v in settings for arg in ("--setenv", k, v)]
            command = [*prefix, *command]
            cwd = None
        else:
            if cwd is None:
                self._workdir = tempfile.TemporaryDirectory(prefix="rlvr-session-")
                os.chmod(self._workdir.name, 0o777)
                cwd = self._workdir.name
            variables.setdefault("HOME", cwd)
        if os.geteuid() == 0 and (setpriv := shutil.which("setpriv")):
            ids = [f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}", "--clear-groups"]
            command = [setpriv, *ids, "--", *command]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=variables,
            start_new_session=True,
            preexec_fn=_limits(memory_mb, file_size_mb),
        )
        assert self._process.stdout is not None and self._process.stdin is not None
        os.set_blocking(self._process.stdout.fileno(), False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._process.stdout, selectors.EVENT_READ)
        self._buffer = b""
        # A session dropped without kill() (an environment never closed) still ends its
        # program, at garbage collection or at exit.
        self._end = weakref.finalize(self, _end, self._process, self._selector, self._workdir)

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def write(self, data: bytes) -> None:
        """Send bytes to the program's stdin.

        Raises:
            SessionClosed: the program has exited.
        """
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(data)
            self._process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError) as exc:
            raise SessionClosed(f"the session's program has exited ({exc})") from None

    def read_until(self, done: Callable[[bytes], int | None], *, timeout: float) -> bytes:
        """Read until ``done(output)`` returns an end index; return the output up to it
        and keep the rest for the next read.

        Raises:
            TimeoutError: `timeout` seconds passed first (the session is left as it is:
                kill it, its state is unknown).
            SessionClosed: the program exited first.
        """
        deadline = time.monotonic() + timeout
        while True:
            end = done(self._buffer)
            if end is not None:
                answer, self._buffer = self._buffer[:end], self._buffer[end:]
                return answer
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no answer within {timeout:g} s")
            if not self._selector.select(timeout=min(left, 1.0)):
                if not self.alive:
                    self._drain()
                    if done(self._buffer) is None:
                        raise SessionClosed(self._closed_message())
                continue
            if not self._drain() and done(self._buffer) is None:
                raise SessionClosed(self._closed_message())

    def memory_mb_used(self) -> float:
        """Resident memory of every process of the session, in MB (0 once it has exited)."""
        total = 0
        for pid in _tree(self._process.pid):
            try:
                with open(f"/proc/{pid}/statm") as statm:
                    total += int(statm.read().split()[1])
            except (OSError, ValueError, IndexError):
                continue
        return total * os.sysconf("SC_PAGE_SIZE") / (1 << 20)

    def kill(self) -> None:
        """End the session and everything in it; idempotent."""
        self._end()

    def _drain(self) -> bool:
        """Append what is readable now; False at end of file."""
        assert self._process.stdout is not None
        got = False
        while True:
            try:
                chunk = os.read(self._process.stdout.fileno(), 1 << 16)
            except BlockingIOError:
                return True
            except OSError:
                return got
            if not chunk:
                return False
            got = True
            self._buffer += chunk

    def _closed_message(self) -> str:
        code = self._process.poll()
        tail = self._buffer[-300:].decode("utf-8", "replace").strip()
        return f"the session's program exited (code {code}); its last output: {tail!r}"

    def __enter__(self) -> SandboxSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()


def _end(
    process: subprocess.Popen[bytes],
    selector: selectors.BaseSelector,
    workdir: tempfile.TemporaryDirectory[str] | None,
) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    selector.close()
    if workdir is not None:
        workdir.cleanup()


def _limits(memory_mb: int, file_size_mb: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_mb << 20, file_size_mb << 20))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _tree(root: int) -> list[int]:
    """`root` and its descendants, from ``/proc/PID/task/TID/children``."""
    pids, queue = [], [root]
    while queue:
        pid = queue.pop()
        pids.append(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    queue.extend(int(child) for child in children.read().split())
            except (OSError, ValueError):
                continue
    return pids

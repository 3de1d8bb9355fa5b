"""The trusted harness of function tests: the main program of every function-test job, or
the resident service of a warm sandbox that answers those jobs in their stead (`answer`).

Runs in the sandbox, never on the host, and imports only the standard library and its
sibling modules, which ship with it (`rlvr_envs.verifiers.code.function_job.harness_files`):
`recorder` (the outcome of each assert recorded as a test), `candidate_process` (the
candidate's process, and the value encoding both sides share) and, only where the host
could not rewrite the test code, `asserts` (which does). Two processes:

- The **parent** (this module, as the job's main program) holds everything the candidate
  must not see or touch: the trusted test code and the expected values in it, the nonce
  that signs the result, and its stdout, where the result goes. Before any of it exists
  in its memory it makes itself non-dumpable (``PR_SET_DUMPABLE`` 0: a process of the same
  uid can neither ptrace it nor open its ``/proc/<pid>/fd``, ``mem`` or ``environ``),
  ignores every signal but SIGKILL and SIGSTOP, drops the job's folder and every writable
  entry from ``sys.path``, and starts the child. Only then does it read the spec from
  stdin. It imports whatever the trusted code imports before the candidate's code first
  runs, so no module the candidate plants (the work dir is its to write) is ever imported
  here.
- The **child** (`candidate_process`) runs the candidate's program, then answers calls of
  the entry point. The first one is a fork of the parent taken before the parent reads
  the spec (so nothing secret is in the memory it copies); later ones (after a timeout or
  a crash) are fresh interpreters started by ``posix_spawn``. Either way it holds no
  descriptor but /dev/null, its two capture pipes and its two protocol pipes before the
  candidate's code runs, and it runs in a session of its own; the parent kills that
  process group.

The test code runs in the parent, after the prompt's trusted code (so HumanEval/32's test
finds ``poly``), with every assert rewritten to record a test and go on (`asserts`; the
host sends it rewritten, as ``prepared``, else the original as ``test``). The
entry point's name, and ``check``'s ``candidate``, are bound to a proxy: a call sends the
arguments to the child, and the child answers with the return value encoded; the parent
decodes it into *new* plain values (None, bool, int, float, str, bytes, list, tuple, dict,
set, frozenset), so nothing the candidate built ever reaches a comparison here and no
monkeypatching in the child touches the parent. An exception in the candidate comes back
as an exception of the same builtin type (never AssertionError, never a BaseException).

A call that runs past ``test_timeout`` is killed with its process group and fails its
test; so does a call during which the child died or broke the protocol. The next call
gets a fresh child (a new interpreter, since the parent now holds the tests), which loads
the program again. Past the whole-verification ``timeout`` no call runs: the tests left
fail at once. A program that does not compile, fails while loading, or lacks the entry point fails
every test with that reason.

As a warm sandbox's service (`answer`; `sandboxes.warm`), the parent is long-lived and
holds every request's tests, so no candidate is ever forked from it: each candidate
process is a job of the sandbox, a fresh fork of its zygote (which never holds a
request), run as another uid than the service's where there are two. The sandbox has
made the service what `_isolate` makes a job's parent, and a later child after a timeout
or crash is simply another such job. One process per verification instead of two.

The parent's stdout carries one JSON object, then it exits 0: the nonce, the per-test
results (at most `MAX_REPORTED_TESTS`, failures first; the counts are exact), excerpts of
the candidate's output. A spec it cannot read is exit status 3. Its own failures are
``harness_error``, failures of the problem's trusted code (prompt, test code)
``reference_error``.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import fcntl
import importlib
import json
import os
import select
import signal
import sys
import time

from rlvr_envs.verifiers.code import candidate_process as wire
from rlvr_envs.verifiers.code.recorder import (
    RECORD_NAME,
    CandidateFailure,
    HarnessFault,
    Recorder,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

EXCERPT_BYTES = 2048
"""How much of the candidate's stdout and stderr the result keeps, each."""
MAX_REPORTED_TESTS = 200
"""Most per-test entries in the result (failures first); the counts are always exact."""
BAD_SPEC_EXIT = 3
"""Exit status of a parent that could not read its job spec."""

_PR_SET_DUMPABLE = 4
_CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "candidate_process.py")
_RAISABLE = {
    kind.__name__: kind
    for kind in (
        ArithmeticError,
        AttributeError,
        FloatingPointError,
        ImportError,
        IndexError,
        KeyError,
        LookupError,
        MemoryError,
        ModuleNotFoundError,
        NameError,
        NotImplementedError,
        OverflowError,
        RecursionError,
        RuntimeError,
        TypeError,
        UnboundLocalError,
        ValueError,
        ZeroDivisionError,
    )
}
"""Exceptions of the candidate raised again in the parent as (a subclass of) their type, so
test code that expects one (``except ValueError``) works."""
_RAISED_CLASSES: dict[str, type[CandidateFailure]] = {}


def _candidate_exception(name: str, text: str) -> CandidateFailure:
    reason = f"the candidate raised {wire.clip(text)}"
    base = _RAISABLE.get(name)
    if base is None:
        return CandidateFailure(reason)
    if name not in _RAISED_CLASSES:
        _RAISED_CLASSES[name] = type(f"Candidate{name}", (CandidateFailure, base), {})
    return _RAISED_CLASSES[name](reason)


class _Output:
    """The candidate's stdout or stderr over all its processes: a capped excerpt."""

    def __init__(self) -> None:
        self.kept = bytearray()
        self.total = 0

    def add(self, data: bytes) -> None:
        self.total += len(data)
        room = EXCERPT_BYTES - len(self.kept)
        if room > 0:
            self.kept += data[:room]

    def text(self) -> str:
        return self.kept.decode("utf-8", "replace")


class _Child:
    """One candidate process and the parent's ends of its four pipes."""

    def __init__(self, *, fork: bool = False) -> None:
        """`fork`: a forked copy of this process instead of a new interpreter, about 15 ms
        cheaper; only safe while this process holds no secret (see `Runner.start`)."""
        self.fork = fork
        fds: list[int] = []
        try:
            for _ in range(4):  # far above 0-4, so the dup2s below never clobber one
                read, write = os.pipe()
                for fd in (read, write):
                    fds.append(_moved_up(fd))
            (req_r, self.request, self.response, resp_w, out_r, out_w, err_r, err_w) = fds
            self._start(req_r, resp_w, out_w, err_w)
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
        for fd in (req_r, resp_w, out_w, err_w):
            os.close(fd)
        self.stdout, self.stderr = out_r, err_r
        for fd in (self.request, self.response, self.stdout, self.stderr):
            os.set_blocking(fd, False)
        self.received = bytearray()
        self.open_outputs = {self.stdout, self.stderr}
        self.status: int | None = None

    def _start(self, requests: int, answers: int, stdout: int, stderr: int) -> None:
        """Start the candidate's process on its ends of the pipes."""
        defaults = [n for n in signal.valid_signals() if n not in _UNCATCHABLE]
        if self.fork:
            self.pid = os.fork()
            if self.pid == 0:
                _become_candidate(requests, answers, stdout, stderr, defaults)
            return
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, stdout, 1),
            (os.POSIX_SPAWN_DUP2, stderr, 2),
            (os.POSIX_SPAWN_DUP2, requests, wire.REQUESTS_FD),
            (os.POSIX_SPAWN_DUP2, answers, wire.ANSWERS_FD),
        ]
        self.pid = os.posix_spawn(
            sys.executable,
            [sys.executable, "-I", _CHILD],
            dict(os.environ),
            file_actions=actions,
            setsid=True,
            setsigdef=defaults,
            setsigmask=[],
        )

    def exited(self) -> bool:
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
        return self.status is not None

    def kill(self) -> int | None:
        """Kill the child and its process group; its exit status (None: unknown)."""
        for kill in (os.killpg, os.kill):  # a fresh fork may not have left our group yet
            with contextlib.suppress(OSError):
                kill(self.pid, signal.SIGKILL)
        pause = 0.00005  # a killed process is usually gone within a tenth of a millisecond
        deadline = time.monotonic() + 5
        while not self.exited() and time.monotonic() < deadline:
            time.sleep(pause)
            pause = min(2 * pause, 0.005)
        return self.status

    def close(self) -> None:
        for fd in (self.request, self.response, self.stdout, self.stderr):
            os.close(fd)


_UNCATCHABLE = (signal.SIGKILL, signal.SIGSTOP)
_CANDIDATE_MAIN = f"from {wire.__name__} import serve\n\nserve()\n"


class _ZygoteChild(_Child):
    """A candidate process that is a job of the warm sandbox the service runs in (see
    `answer`): a fresh fork of its zygote, which holds nothing of any request, set up and
    cleaned up as the sandbox's own jobs are. Same pipes as `_Child`."""

    def __init__(self, jobs: Any, limits: dict[str, Any]) -> None:
        self.jobs = jobs
        self.limits = limits
        super().__init__()

    def _start(self, requests: int, answers: int, stdout: int, stderr: int) -> None:
        files = {"main.py": _CANDIDATE_MAIN}
        self.jobs.start(files, self.limits, stdout, stderr, [requests, answers])

    def exited(self) -> bool:
        if self.status is None and select.select([self.jobs], [], [], 0)[0]:
            self.status = self.jobs.result()["exit_code"]
        return self.status is not None

    def kill(self) -> int | None:
        if self.status is None:
            with contextlib.suppress(OSError):
                self.jobs.kill()
            self.status = self.jobs.result()["exit_code"]
        return self.status


def _become_candidate(
    requests: int, answers: int, stdout: int, stderr: int, defaults: list[int]
) -> NoReturn:
    """In a forked child: keep only /dev/null, the capture pipes and the protocol pipes
    (the parent's stdin, which will carry the spec, and its stdout, which will carry the
    result, are closed before any candidate code runs), restore the signals, leave the
    parent's session, and serve the candidate's program as `candidate_process` does."""
    code = 0
    try:
        os.setsid()
        devnull = os.open(os.devnull, os.O_RDONLY)
        for source, target in (
            (devnull, 0),
            (stdout, 1),
            (stderr, 2),
            (requests, wire.REQUESTS_FD),
            (answers, wire.ANSWERS_FD),
        ):
            os.dup2(source, target)  # dup2 clears close-on-exec on the target
        os.closerange(wire.ANSWERS_FD + 1, os.sysconf("SC_OPEN_MAX"))
        for number in defaults:
            with contextlib.suppress(OSError, ValueError):
                signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        wire.serve()
    except BaseException:
        code = 1
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        os._exit(code)


def _moved_up(fd: int) -> int:
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class Runner:
    """The parent's side of the candidate: spawns children, loads the program, makes calls.

    `start` before the spec is read; `configure` with it; then `call`. With `jobs` (the
    service's, see `answer`), every child is a job of the sandbox with `limits`, and
    `start` is not needed.
    """

    def __init__(self, jobs: Any = None, limits: dict[str, Any] | None = None) -> None:
        self.jobs = jobs
        self.limits = limits or {}
        self.child: _Child | None = None
        self.stdout = _Output()
        self.stderr = _Output()
        self.program = ""
        self.entry_point = ""
        self.test_timeout = 5.0
        self.deadline = float("inf")
        self.loaded = False
        self.load_failure: str | None = None
        self.calls = 0
        self.timed_out = False
        self.spawned = 0
        self.fault: str | None = None
        self._seq = 0

    def start(self) -> str | None:
        """Start the first child, before any secret is read; None, or why it failed.

        It is a fork of this process: nothing secret is in our memory yet, and the child
        closes our stdin and stdout before the candidate's code runs. Later children (after
        a timeout or a crash) are new interpreters, since by then we hold the tests."""
        try:
            self._spawn(fork=True)
        except OSError as exc:
            return f"could not start the candidate's process: {exc}"
        return None

    def configure(
        self, program: str, entry_point: str, test_timeout: float, deadline: float
    ) -> None:
        self.program = program
        self.entry_point = entry_point
        self.test_timeout = test_timeout
        self.deadline = deadline

    def call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Call the candidate's entry point: its return value, or `CandidateFailure`."""
        self.calls += 1
        try:
            message = {"args": wire.encode(list(args)), "kwargs": wire.encode(dict(kwargs))}
        except wire.Uncheckable as exc:
            raise CandidateFailure(f"the test's arguments cannot be sent: {exc}") from None
        self._load()
        self._seq += 1
        message.update(op="call", seq=self._seq)
        answer = self._exchange(message, "the call", "during the call")
        if answer.get("seq") != self._seq or len(answer) != 2:
            raise self._broken("an answer that does not match the call")
        if "value" in answer:
            try:
                return wire.decode(answer["value"])
            except wire.ProtocolError as exc:
                raise self._broken(str(exc)) from None
        raised = answer.get("raised")
        if type(raised) is list and len(raised) == 2 and all(type(x) is str for x in raised):
            raise _candidate_exception(raised[0], raised[1])
        if type(answer.get("uncheckable")) is str:
            why = wire.clip(answer["uncheckable"])
            raise CandidateFailure(f"the candidate returned a value that cannot be checked: {why}")
        raise self._broken("a malformed answer")

    def _load(self) -> None:
        if self.load_failure is not None:
            raise CandidateFailure(self.load_failure)
        if self.loaded:
            return
        if self.child is None:
            try:
                self._spawn()
            except OSError as exc:
                raise CandidateFailure(
                    f"no fresh process could be started for the candidate ({exc}); its "
                    "earlier processes may have used up the process limit"
                ) from None
        message = {"op": "load", "program": self.program, "entry_point": self.entry_point}
        try:
            answer = self._exchange(message, "loading the program", "while loading the program")
        except CandidateFailure as exc:
            if not self.timed_out:
                self.load_failure = exc.reason
            raise
        status, error = answer.get("load"), answer.get("error")
        if status == "ok":
            self.loaded = True
            return
        if type(error) is not str:
            self.load_failure = "the candidate's process broke the protocol while loading"
        elif status == "syntax_error":
            self.load_failure = f"the program does not compile: {wire.clip(error)}"
        elif status == "error":
            self.load_failure = f"the program failed while loading: {wire.clip(error)}"
        elif status == "missing":
            self.load_failure = wire.clip(error)
        else:
            self.load_failure = "the candidate's process broke the protocol while loading"
        self._discard_child()
        raise CandidateFailure(self.load_failure)

    def _spawn(self, *, fork: bool = False) -> None:
        """A fresh child. A spawn that fails for lack of processes (EAGAIN: the last
        child's processes may not all be reaped yet) is tried again for up to a second."""
        for attempt in range(20):
            try:
                if self.jobs is not None:
                    left = max(self.deadline - time.monotonic(), 0.0) + 1.0
                    limits = dict(self.limits, wall_seconds=min(left, self.limits["wall_seconds"]))
                    self.child = _ZygoteChild(self.jobs, limits)
                else:
                    self.child = _Child(fork=fork)
                break
            except BlockingIOError:
                if attempt == 19:
                    raise
                time.sleep(0.05)
        self.spawned += 1
        self.loaded = False

    def _exchange(self, message: dict[str, Any], what: str, when: str) -> dict[str, Any]:
        """Send one message and wait for the answer, draining the candidate's output."""
        child = self.child
        assert child is not None
        now = time.monotonic()
        if now >= self.deadline:
            self.timed_out = True
            self._discard_child()
            raise CandidateFailure("not run: the whole verification ran out of time")
        deadline = now + min(self.test_timeout, self.deadline - now)
        try:
            outgoing = memoryview(wire.pack(message))
        except wire.Uncheckable as exc:
            raise CandidateFailure(f"the test's arguments cannot be sent: {exc}") from None
        try:
            with contextlib.suppress(BlockingIOError):  # most messages fit in the pipe at once
                outgoing = outgoing[os.write(child.request, outgoing) :]
            poller = select.poll()
            poller.register(child.response, select.POLLIN)
            for fd in child.open_outputs:
                poller.register(fd, select.POLLIN)
            if outgoing:
                poller.register(child.request, select.POLLOUT)
            while True:
                answer = self._take_message(child)
                if answer is not None:
                    return answer
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._discard_child()
                    if deadline >= self.deadline:
                        self.timed_out = True
                        raise CandidateFailure(f"{what} ran out of the whole verification's time")
                    raise CandidateFailure(f"{what} timed out after {self.test_timeout:g} s")
                events = poller.poll(min(remaining, 0.05) * 1000)
                for fd, event in events:
                    if fd == child.request:
                        if event & (select.POLLERR | select.POLLHUP):
                            outgoing = memoryview(b"")
                        else:
                            outgoing = outgoing[os.write(fd, outgoing) :]
                        if not outgoing:
                            poller.unregister(fd)
                    elif fd == child.response:
                        if not self._receive(child):
                            raise self._died(when)
                    else:
                        self._drain(child, fd)
                        if fd not in child.open_outputs:
                            poller.unregister(fd)
                if not events and child.exited() and self._take_message(child) is None:
                    raise self._died(when)  # its pipes may live on in its orphans
        except CandidateFailure:
            raise
        except (BrokenPipeError, ConnectionResetError):
            raise self._died(when) from None
        except wire.ProtocolError as exc:
            raise self._broken(str(exc)) from None
        except Exception as exc:
            self.fault = _traceback()
            raise HarnessFault(repr(exc)) from exc

    def _receive(self, child: _Child) -> bool:
        """Read what the answer pipe holds; False at its end."""
        try:
            chunk = os.read(child.response, 1 << 20)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        child.received += chunk
        if len(child.received) > wire.MAX_MESSAGE_BYTES + wire.HEADER.size:
            raise wire.ProtocolError("a message longer than the protocol allows")
        return True

    def _take_message(self, child: _Child) -> dict[str, Any] | None:
        buffer = child.received
        if len(buffer) < wire.HEADER.size:
            return None
        (size,) = wire.HEADER.unpack(buffer[: wire.HEADER.size])
        if size > wire.MAX_MESSAGE_BYTES:
            raise wire.ProtocolError("a message longer than the protocol allows")
        end = wire.HEADER.size + size
        if len(buffer) < end:
            return None
        payload = bytes(buffer[wire.HEADER.size : end])
        del buffer[:end]
        return wire.unpack(payload)

    def _drain(self, child: _Child, fd: int, rounds: int = 1) -> None:
        for _ in range(rounds):
            try:
                chunk = os.read(fd, 1 << 16)
            except (BlockingIOError, OSError):
                return
            if not chunk:
                child.open_outputs.discard(fd)
                return
            (self.stdout if fd == child.stdout else self.stderr).add(chunk)

    def _died(self, when: str) -> CandidateFailure:
        status = self._discard_child()
        how = "ended" if status is None else _exit_description(status)
        return CandidateFailure(f"the candidate's process {how} {when}")

    def _broken(self, detail: str) -> CandidateFailure:
        self._discard_child()
        return CandidateFailure(f"the candidate's process broke the protocol: {wire.clip(detail)}")

    def _discard_child(self) -> int | None:
        child, self.child = self.child, None
        self.loaded = False
        if child is None:
            return None
        status = child.kill()
        for fd in list(child.open_outputs):  # what is in the pipe now, not what orphans add
            self._drain(child, fd, rounds=64)
        child.close()
        return status

    def close(self) -> None:
        self._discard_child()


def _exit_description(status: int) -> str:
    if status < 0:
        try:
            return f"was killed by {signal.Signals(-status).name}"
        except ValueError:
            return f"was killed by signal {-status}"
    return f"exited with status {status}"


class Candidate:
    """What the test code calls: each call runs in the candidate's process."""

    def __init__(self, runner: Runner, name: str) -> None:
        self._runner = runner
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._runner.call(args, kwargs)

    def __repr__(self) -> str:
        return f"<candidate {self.__name__}>"


class _ReferenceFault(Exception):
    """The problem's trusted code (prompt or tests) is broken."""


def run_tests(spec: dict[str, Any], runner: Runner) -> list[dict[str, Any]]:
    """Run the spec's test code against the candidate: the tests, in order."""
    namespace: dict[str, Any] = {"__name__": "__tests__", "__builtins__": builtins}
    if spec["prompt"].strip():
        try:
            exec(compile(spec["prompt"], "<prompt>", "exec"), namespace)
        except BaseException as exc:
            raise _ReferenceFault(
                f"the prompt's code fails: {wire.describe_exception(exc)}"
            ) from None
    code, sites, defines_check, imports = _test_code(spec)
    _import_ahead(imports)
    recorder = Recorder(sites)
    candidate = Candidate(runner, spec["entry_point"])
    namespace[RECORD_NAME] = recorder.record
    namespace[spec["entry_point"]] = candidate
    stopped: BaseException | None = None
    try:
        exec(code, namespace)
        if defines_check:
            namespace["check"](candidate)
    except HarnessFault:
        raise
    except BaseException as exc:
        stopped = exc
    if runner.fault is not None:  # raised in the test code, and swallowed by it
        raise HarnessFault(runner.fault)
    tests = recorder.tests
    if stopped is not None:
        if isinstance(stopped, CandidateFailure):
            why = stopped.reason
        else:
            why = f"the test code raised {wire.describe_exception(stopped)}"
        tests.append({"name": "the test code", "passed": False, "reason": wire.clip(why)})
        tests.extend(recorder.unreached())
    elif not tests:
        if runner.calls == 0:
            raise _ReferenceFault("the test code never calls the candidate")
        tests.append({"name": "the test code", "passed": True, "reason": ""})
    return tests


def _test_code(spec: dict[str, Any]) -> tuple[Any, list[str], bool, list[str]]:
    """The rewritten test code compiled, its assert sites, whether it defines ``check``,
    and the modules it imports: as the host prepared them (`asserts.prepared`), else
    rewritten here from the original."""
    prepared = spec.get("prepared")
    try:
        if prepared is not None:
            code = compile(prepared["source"], "<tests>", "exec")
            return code, prepared["sites"], prepared["defines_check"], prepared["imports"]
        from rlvr_envs.verifiers.code.asserts import imported_modules, instrument

        tree, sites, defines_check = instrument(spec["test"])
        code = compile(tree, "<tests>", "exec")
        return code, sites, defines_check, imported_modules(tree)
    except (SyntaxError, ValueError) as exc:
        raise _ReferenceFault(f"the test code does not compile: {exc}") from None


def _import_ahead(names: list[str]) -> None:
    """Import what the test code imports, now, before any of the candidate's code runs: a
    module imported after it could be one the candidate planted where Python looks."""
    for name in names:
        with contextlib.suppress(Exception):  # the test code meets the error itself
            importlib.import_module(name)


def _traceback() -> str:
    """The exception being handled, formatted: only for our own faults, so ``traceback``
    (a few milliseconds to import) is imported only then. It comes from the standard
    library wherever the candidate has run: `_isolate` left no writable entry on
    ``sys.path``."""
    import traceback

    return traceback.format_exc()


def _reported(tests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """At most `MAX_REPORTED_TESTS` entries, failures first, in their original order."""
    if len(tests) <= MAX_REPORTED_TESTS:
        return tests
    failed = [index for index, test in enumerate(tests) if not test["passed"]]
    passed = [index for index, test in enumerate(tests) if test["passed"]]
    keep = sorted((failed + passed)[:MAX_REPORTED_TESTS])
    return [tests[index] for index in keep]


def _isolate() -> str | None:
    """Make this process untouchable by the candidate's; None, or why it cannot be."""
    for number in signal.valid_signals():
        if number not in (*_UNCATCHABLE, signal.SIGCHLD):
            with contextlib.suppress(OSError, ValueError):
                signal.signal(number, signal.SIG_IGN)
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p and os.access(p, os.F_OK) and not _writable(p, here)]
    sys.path_importer_cache.clear()
    if os.geteuid() == 0:
        return (
            "the harness runs as root, so the candidate could ptrace it; the sandbox must "
            "run jobs as an unprivileged user"
        )
    if ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        return "could not make the harness non-dumpable (prctl PR_SET_DUMPABLE failed)"
    return None


def _writable(path: str, here: str) -> bool:
    """A ``sys.path`` entry the candidate could plant a module in: writable to us, or the
    job's own folder (which holds these files)."""
    path = os.path.abspath(path)
    return os.access(path, os.W_OK) or path == here or here.startswith(path + os.sep)


def main() -> int:
    """The harness as a job's program: the spec on stdin, the result on stdout."""
    started = time.monotonic()
    problem = _isolate()
    runner = Runner()
    if problem is None:
        problem = runner.start()
    try:
        spec = _read_spec(sys.stdin.buffer.read())
    except Exception as exc:
        runner.close()
        sys.stderr.write(f"harness: unreadable job spec: {type(exc).__name__}: {exc}\n")
        return BAD_SPEC_EXIT
    data = memoryview(_verify(spec, runner, started, problem))
    while data:
        data = data[os.write(1, data) :]
    return 0


def answer(request: bytes, limits: dict[str, Any], jobs: Any) -> bytes:
    """The harness as a warm sandbox's service (`sandboxes.warm`): one verification per
    request, its result as `main` prints it.

    The service is long-lived and holds every request's tests, so the candidate never
    runs in a fork of it: each candidate process is a job of the sandbox (`jobs`, with
    `limits`), a fresh fork of its zygote. What `_isolate` does for a job, the sandbox has
    done for the service (no job can signal, trace or read it), but for imports: the
    service imports nothing from the jobs' folder, where every module of ours that a job
    would find comes from.
    """
    started = time.monotonic()
    for name in list(sys.modules):  # ours all came with the service: none from the disk
        if name.split(".")[0] == "rlvr_envs" and hasattr(sys.modules[name], "__path__"):
            sys.modules[name].__path__ = []
    return _verify(_read_spec(request), Runner(jobs, limits), started, None)


def _read_spec(data: bytes) -> dict[str, Any]:
    spec = json.loads(data.decode("utf-8"))
    if type(spec.get("nonce")) is not str:
        raise TypeError("the nonce must be a string")
    return spec


def _verify(spec: dict[str, Any], runner: Runner, started: float, problem: str | None) -> bytes:
    """Run the spec's tests with `runner`: the signed result, one JSON line."""
    result: dict[str, Any] = {"nonce": spec["nonce"]}
    tests: list[dict[str, Any]] = []
    try:
        if problem is not None:
            raise HarnessFault(problem)
        deadline = started + float(spec["timeout"])
        test_timeout = float(spec["test_timeout"])
        runner.configure(spec["program"], spec["entry_point"], test_timeout, deadline)
        tests = run_tests(spec, runner)
    except _ReferenceFault as exc:
        result["reference_error"] = str(exc)
    except HarnessFault as exc:
        result["harness_error"] = wire.clip(str(exc), 2000)
    except Exception:
        result["harness_error"] = _traceback()[-2000:]
    finally:
        runner.close()
    passed = sum(test["passed"] for test in tests)
    result.update(
        passed=passed,
        failed=len(tests) - passed,
        total=len(tests),
        tests=_reported(tests),
        load_failure=runner.load_failure,
        timed_out=runner.timed_out,
        calls=runner.calls,
        processes=runner.spawned,
        stdout=runner.stdout.text(),
        stderr=runner.stderr.text(),
        stdout_bytes=runner.stdout.total,
        stderr_bytes=runner.stderr.total,
    )
    return (json.dumps(result) + "\n").encode("utf-8")

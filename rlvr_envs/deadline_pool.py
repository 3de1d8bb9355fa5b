"""Run our own CPU-bound functions in worker processes, each call under a hard deadline.

SymPy can hang on a model's answer (``9**9**9**9``, deep nesting) or eat all memory, and a
thread cannot be stopped, so a deadline is only real when the work runs in a process that
can be killed. math-verify's guard uses SIGALRM, which works only in the main thread; this
pool works from any thread, in any process, inside Ray or multiprocessing workers.

- Workers are long-lived processes serving one call at a time over a socket. The calling
  thread sends the pickled call and waits for the reply until the deadline (counted from
  when a worker gets the call, not from queueing), then SIGKILLs the worker, which nothing
  can catch or delay, not even C code holding the GIL. The slot's next call gets a new one.
- Workers are forked from a *zygote*, a small server process per pool, started by
  ``subprocess`` (fork+exec: safe in a multi-threaded parent), that imports ``preload`` and
  then only forks workers on request: safe, as it runs no threads of its own, and fast: a
  new worker with SymPy imported answers its first call 1.5 ms after a kill. Measured
  against that: ``spawn`` takes 260 ms (a new interpreter imports SymPy); ``fork`` of the
  caller is unsafe once it has threads (Ray, gRPC, tokenizers); multiprocessing's
  ``forkserver`` takes 10 ms, and it is one per process with the preload of whoever
  started it, fails in a forked child of a process that used it (ChildProcessError),
  refuses daemonic parents (``multiprocessing.Pool`` workers) and re-imports ``__main__``.
- Nothing outlives its owner. The zygote exits when its control socket closes (`close`,
  garbage collection, or the owner dying in any way), and its workers get SIGKILL then
  (``PR_SET_PDEATHSIG``; off Linux, idle workers exit on their socket's EOF). The zygote
  reaps a worker only when the owner asks, so the owner never signals a reused pid. A
  forked child closes its copies of every pool's sockets.
- ``RLIMIT_AS`` in each worker makes a runaway allocation a MemoryError (``ERROR``) rather
  than the OOM killer's business; ``RLIMIT_CORE`` 0 keeps crashes from dumping core.

Calls travel by pickle, so `fn` must be importable by name in a fresh interpreter (not a
lambda, not from ``__main__``); preload its module, or its first import in each new worker
counts against that call's deadline.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import enum
import importlib
import json
import math
import os
import pickle
import queue
import resource
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import warnings
import weakref
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, NamedTuple, NoReturn

__all__ = ["DeadlinePool", "Outcome", "OutcomeKind", "shared_pool"]

_WORD = struct.Struct("q")  # a pid or an exit code, on a zygote's control socket
_BOOT = """\
import importlib.util, json, sys
sys.path[:] = json.loads(sys.argv[1])
spec = importlib.util.spec_from_file_location("_rlvr_deadline_zygote", sys.argv[2])
module = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
module._zygote_main(*sys.argv[3:])
"""  # loads this file alone: a zygote needs neither rlvr_envs nor its dependencies


class OutcomeKind(enum.StrEnum):
    """How a call ended."""

    OK = "ok"
    TIMEOUT = "timeout"  # no result by the deadline; the worker was killed
    ERROR = "error"  # fn raised, or its arguments or result would not pickle
    CRASHED = "crashed"  # the worker died: segfault, OOM killer, os._exit


@dataclass(frozen=True)
class Outcome:
    """What became of one call; `seconds` runs from when a worker got the call."""

    kind: OutcomeKind
    value: Any = None
    error: str | None = None
    seconds: float = 0.0


class DeadlinePool:
    """Worker processes that run module-level functions, each call under a hard deadline.

    Thread-safe. `close` it (or use ``with``), or use the process's `shared_pool`.

    Args:
        workers: processes, default ``os.cpu_count()``, each started when first needed.
        memory_mb: address-space limit (``RLIMIT_AS``) of each worker; None for none.
        preload: modules imported once, in the zygote, so that every worker has them; an
            entry ``"module:function"`` also calls ``function()`` there (a cache warm-up).

    Raises:
        ImportError: a `preload` module cannot be imported, or its function fails.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        memory_mb: int | None = 2048,
        preload: Iterable[str] = (),
    ) -> None:
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        if self.workers < 1 or (memory_mb is not None and memory_mb < 1):
            raise ValueError(f"workers and memory_mb must be >= 1, got {workers}, {memory_mb}")
        self._memory_mb, self._preload, self._pid = memory_mb, tuple(preload), os.getpid()
        self._lock = threading.Lock()  # guards _zygote, _live and _closed
        self._idle: queue.SimpleQueue[_Worker | None] = queue.SimpleQueue()  # None: not started
        for _ in range(self.workers):
            self._idle.put(None)
        self._live: set[_Worker] = set()  # started and not reaped
        self._closed = False
        self._zygote = _Zygote(self._preload, memory_mb)
        _pools.add(self)

    def run(self, fn: Callable[..., Any], *args: Any, timeout: float) -> Outcome:
        """Call ``fn(*args)`` in a worker; kill it if it has no result after `timeout` s."""
        return self.map(fn, [args], timeout=timeout)[0]

    def map(
        self, fn: Callable[..., Any], args_list: Iterable[tuple[Any, ...]], *, timeout: float
    ) -> list[Outcome]:
        """`run` for each tuple of arguments, on every idle worker at once; in input order."""
        self._check(fn, timeout)
        todo = deque(enumerate(args_list))
        outcomes = [Outcome(OutcomeKind.ERROR)] * len(todo)
        running: dict[Connection, tuple[_Worker, int, float]] = {}
        dead = 0  # workers found dead when given a call
        try:
            while todo or running:
                worker = self._acquire(block=not running) if todo else None
                if worker is None:  # every worker we can have is busy
                    self._collect(running, timeout, outcomes)
                    continue
                index, args = todo.popleft()
                try:
                    request = pickle.dumps((fn, args), pickle.HIGHEST_PROTOCOL)
                except Exception as exc:
                    self._release(worker)
                    error = f"the arguments could not be pickled: {_describe(exc)}"
                    outcomes[index] = Outcome(OutcomeKind.ERROR, error=error)
                    continue
                try:
                    worker.conn.send_bytes(request)
                except OSError:  # it died while idle (killed from outside): a new one takes
                    code = self._discard(worker)  # the call, unless new ones die too
                    dead += 1
                    if dead <= self.workers:
                        todo.appendleft((index, args))
                    else:
                        outcomes[index] = Outcome(OutcomeKind.CRASHED, error=self._crash_text(code))
                    continue
                running[worker.conn] = (worker, index, time.monotonic())
        finally:
            for worker, _, _ in running.values():  # interrupted: stop what still runs
                self._discard(worker)
        return outcomes

    def close(self) -> None:
        """Kill and reap every worker and the zygote; calls running now crash. Idempotent."""
        if os.getpid() != self._pid:
            return  # a forked copy: the pool is the parent's to close
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for worker in self._live:
                worker.kill()
            self._live.clear()
            self._zygote.stop()
        with contextlib.suppress(queue.Empty):
            while True:  # close idle workers' sockets
                if (worker := self._idle.get_nowait()) is not None:
                    worker.conn.close()
        self._idle.put(None)  # wakes a waiting thread, whose spawn then raises

    def __enter__(self) -> DeadlinePool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _check(self, fn: Callable[..., Any], timeout: float) -> None:
        if os.getpid() != self._pid:
            raise RuntimeError("this DeadlinePool belongs to the parent process; use shared_pool()")
        if self._closed:
            raise RuntimeError("this DeadlinePool is closed; create a new one")
        if not (timeout > 0 and math.isfinite(timeout)):
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        try:
            pickle.dumps(fn)
        except Exception as exc:
            raise TypeError(f"fn must be a module-level function, got {fn!r}: {exc}") from None
        if getattr(fn, "__module__", None) == "__main__":
            raise TypeError(f"fn {fn!r} is defined in __main__, which workers do not import")

    def _acquire(self, *, block: bool) -> _Worker | None:
        """An idle worker, started if its slot has none; None if none is idle and not `block`."""
        try:
            worker = self._idle.get(block)
        except queue.Empty:
            return None
        if worker is None:
            try:
                worker = self._spawn()
            except BaseException:
                self._idle.put(None)
                raise
        return worker

    def _release(self, worker: _Worker | None) -> None:
        if worker is not None and self._closed:
            worker.conn.close()
            worker = None
        self._idle.put(worker)

    def _spawn(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise RuntimeError("this DeadlinePool is closed; create a new one")
            if not self._zygote.alive():  # killed from outside; its workers died with it
                self._zygote.stop()
                self._zygote = _Zygote(self._preload, self._memory_mb)
            ours, theirs = socket.socketpair()
            try:
                pid = self._zygote.request(b"S", fd=theirs.fileno())
            except BaseException:
                ours.close()
                raise
            finally:
                theirs.close()
            worker = _Worker(pid, Connection(ours.detach()), self._zygote)
            self._live.add(worker)
            return worker

    def _discard(self, worker: _Worker) -> int | None:
        """Kill `worker`, wait until it is gone and free its slot: its exit code, if known."""
        worker.conn.close()
        with self._lock:
            known = worker in self._live  # else close() has killed it
            self._live.discard(worker)
            code = worker.kill() if known else None
        self._release(None)
        return code

    def _collect(
        self,
        running: dict[Connection, tuple[_Worker, int, float]],
        timeout: float,
        outcomes: list[Outcome],
    ) -> None:
        """Wait for the first reply or deadline; record every call that has ended."""
        first = min(started for _, _, started in running.values())
        for conn in wait(list(running), max(0.0, first + timeout - time.monotonic())):
            worker, index, started = running.pop(conn)
            outcomes[index] = self._receive(worker, started)
        now = time.monotonic()
        for conn, (worker, index, started) in list(running.items()):
            if now - started >= timeout:
                del running[conn]
                self._discard(worker)
                error = f"no result within {timeout:g} s; the worker was killed"
                outcomes[index] = Outcome(OutcomeKind.TIMEOUT, error=error, seconds=now - started)

    def _receive(self, worker: _Worker, started: float) -> Outcome:
        try:
            reply = worker.conn.recv_bytes()
        except (EOFError, OSError):
            seconds = time.monotonic() - started
            error = self._crash_text(self._discard(worker))
            return Outcome(OutcomeKind.CRASHED, error=error, seconds=seconds)
        seconds = time.monotonic() - started
        self._release(worker)
        try:
            ok, value = pickle.loads(reply)
        except Exception as exc:
            error = f"the result could not be unpickled here: {_describe(exc)}"
            return Outcome(OutcomeKind.ERROR, error=error, seconds=seconds)
        if ok:
            return Outcome(OutcomeKind.OK, value=value, seconds=seconds)
        return Outcome(OutcomeKind.ERROR, error=value, seconds=seconds)

    def _crash_text(self, code: int | None) -> str:
        if self._closed:
            return "the pool was closed during the call"
        if code is None:
            return "the worker process died during the call"
        if code >= 0:
            return f"the worker process exited with status {code} during the call"
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = {"SIGKILL": " (out of memory?)", "SIGSEGV": " (segmentation fault)"}.get(name, "")
        return f"the worker process was killed by {name}{hint} during the call"


class _Worker(NamedTuple):
    pid: int
    conn: Connection
    zygote: _Zygote

    def kill(self) -> int | None:
        """SIGKILL the worker and have its zygote reap it: its exit code (None: unknown)."""
        if self.pid <= 0 or not self.zygote.alive():  # never os.kill(-1, ...)
            return None  # PR_SET_PDEATHSIG killed it with its zygote
        os.kill(self.pid, signal.SIGKILL)  # not reaped, so its pid is not reused: still ours
        try:
            return self.zygote.request(b"R", self.pid)
        except RuntimeError:
            return None


class _Zygote:
    """The owner's end of a zygote: start it, have it fork or reap a worker, stop it."""

    def __init__(self, preload: tuple[str, ...], memory_mb: int | None) -> None:
        self.control, theirs = socket.socketpair()
        path = json.dumps([str(entry) for entry in sys.path])
        with theirs:
            argv = [str(theirs.fileno()), str(memory_mb or 0), *preload]
            self.process = subprocess.Popen(
                [sys.executable, "-c", _BOOT, path, __file__, *argv],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
            )
        if (hello := self.control.recv(1)) != b"+":  # "+", or why the preload failed
            message = b"".join([hello, *iter(lambda: self.control.recv(4096), b"")]).decode()
            self.stop()
            raise ImportError(message) if message else RuntimeError("the zygote did not start")

    def alive(self) -> bool:
        return self.process.poll() is None

    def request(self, op: bytes, pid: int = 0, fd: int | None = None) -> int:
        """``S``: fork a worker serving `fd`, its pid. ``R``: reap `pid`, its exit code."""
        try:
            socket.send_fds(self.control, [op + _WORD.pack(pid)], [] if fd is None else [fd])
            answer = self.control.recv(_WORD.size, socket.MSG_WAITALL)
        except OSError:
            answer = b""
        if len(answer) != _WORD.size:
            raise RuntimeError("the worker zygote died; the pool starts a new one on next use")
        return _WORD.unpack(answer)[0]

    def stop(self) -> None:
        self.control.close()  # the zygote exits on EOF, its workers with it
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- in the zygote and its workers -------------------------------------------------------


def _zygote_main(control_fd: str, memory_mb: str, *preload: str) -> None:
    """Import `preload`, say ``+``, then fork or reap workers on request until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the owner, who stops us
    warnings.filterwarnings("ignore", "This process .* is multi-threaded", DeprecationWarning)
    control = socket.socket(fileno=int(control_fd))
    for name in preload:
        module_name, _, function = name.partition(":")
        try:
            module = importlib.import_module(module_name)
            if function:  # "module:function": warm caches once, for every worker to inherit
                getattr(module, function)()
        except BaseException as exc:
            control.sendall(f"preload {name!r} failed: {_describe(exc)}".encode())
            return
    control.sendall(b"+")
    zygote = os.getpid()
    while True:
        message, fds, _, _ = socket.recv_fds(control, 1 + _WORD.size, 1, socket.MSG_WAITALL)
        if len(message) != 1 + _WORD.size:
            return  # the owner closed the pool, or died
        if message[:1] == b"S":
            if (answer := os.fork()) == 0:
                _worker_main(control, fds[0], zygote, int(memory_mb))
            os.close(fds[0])
        else:
            answer = os.waitstatus_to_exitcode(os.waitpid(_WORD.unpack(message[1:])[0], 0)[1])
        control.sendall(_WORD.pack(answer))


def _worker_main(control: socket.socket, fd: int, zygote: int, memory_mb: int) -> NoReturn:
    code = 1
    try:
        control.close()
        libc = ctypes.CDLL(None)
        if hasattr(libc, "prctl"):  # Linux: die with the zygote, even when busy in C code
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != zygote:  # the zygote died before prctl took effect
            return
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if memory_mb:  # the hard limit too, so fn cannot lift it; a lower inherited one stays
            with contextlib.suppress(ValueError):
                resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
        _serve(Connection(fd))
        code = 0
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(BaseException):
                stream.flush()
        os._exit(code)  # never return into the zygote's loop


def _serve(conn: Connection) -> None:
    """Answer calls until the owner hangs up: ``(True, value)`` or ``(False, error)``."""
    while True:
        try:
            request = conn.recv_bytes()
        except EOFError:
            return
        try:
            fn, args = pickle.loads(request)
            reply: tuple[bool, Any] = (True, fn(*args))
        except BaseException as exc:
            reply = (False, _describe(exc))
        try:
            data = pickle.dumps(reply, pickle.HIGHEST_PROTOCOL)
        except BaseException as exc:
            data = pickle.dumps((False, f"the result could not be pickled: {_describe(exc)}"))
        del request, reply  # free them before waiting for the next call
        conn.send_bytes(data)


# -- one pool per process ----------------------------------------------------------------

_pools: weakref.WeakSet[DeadlinePool] = weakref.WeakSet()
_shared: dict[tuple[str, ...], DeadlinePool] = {}
_shared_lock = threading.Lock()


def shared_pool(preload: Iterable[str] = ()) -> DeadlinePool:
    """This process's pool for `preload` (default settings otherwise), made on first use.

    A forked child makes its own. Closed at exit.
    """
    key = tuple(sorted(set(preload)))
    if (pool := _shared.get(key)) is None or pool._pid != os.getpid() or pool._closed:
        with _shared_lock:
            if (pool := _shared.get(key)) is None or pool._pid != os.getpid() or pool._closed:
                pool = _shared[key] = DeadlinePool(preload=key)
    return pool


@atexit.register
def _close_shared_pools() -> None:
    for pool in list(_shared.values()):
        pool.close()


def _forget_pools_after_fork() -> None:
    """Close the child's copies of the parent's sockets: the parent's zygotes and workers
    must still see EOF when the parent dies, and the child must never use them."""
    global _shared_lock
    _shared_lock = threading.Lock()  # another thread may have held it at the fork
    for pool in list(_pools):
        pool._closed = True
        pool._zygote.control.close()
        for worker in pool._live:
            worker.conn.close()
    _pools.clear()


os.register_at_fork(after_in_child=_forget_pools_after_fork)

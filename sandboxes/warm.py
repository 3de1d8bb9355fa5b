"""Warm Python executors: a job costs about one ``fork`` of a warm interpreter.

A cold executor starts an interpreter per job, which costs more than most short programs
take to run; a verifier that runs thousands of them spends most of its time there. Here
each worker slot keeps one long-lived sandbox running a small trusted *zygote*
(`_warm_zygote`) that has imported the modules programs commonly use; per job it forks a
fresh child that applies the job's isolation to itself and runs the program. The child is
a copy of a process that never held any job's data, and everything a job leaves behind is
removed before the next one starts, so no job sees another.

``warm-bwrap`` (`WarmPythonExecutor`), per worker: a bubblewrap sandbox like
`BwrapExecutor`'s: a read-only root holding only ``/usr`` (and the ``/bin``, ``/lib*``
links), the dynamic linker's ``/etc`` files and the interpreter's prefix; a read-only
``/proc/sys``; private ``/tmp`` and ``/dev/shm`` (tmpfs, resized to each job's quota as the
cold backends size theirs); new user, pid, network (loopback only), IPC, UTS and cgroup
namespaces; a cleared environment; ``--die-with-parent``, ``--new-session``. The
interpreter is the cold backends' (`Toolchain.detect`, one uid 65534 can run), with the
same flags (``-E -s -B``), work dir (``/tmp/work``) and environment, so a program behaves
alike on every backend. The zygote runs as the sandbox's root with only the capabilities
it needs (SETUID, SETGID, KILL, DAC_OVERRIDE, FOWNER; SYS_ADMIN to resize ``/tmp``), all
confined to that user namespace; a job's process drops every one of them.

- **Jobs run as another uid than the zygote** (``nobody``) when we are root: the host maps
  two uids into the sandbox's user namespace (bwrap's ``--userns-block-fd``), so a job
  cannot signal, stop or ptrace the zygote, nor write anywhere but ``/tmp`` and
  ``/dev/shm``. Unprivileged, one uid is all we may map: jobs keep the zygote's uid with
  every capability dropped. The zygote is not dumpable (no ptrace, no ``/proc/<pid>/mem``),
  and as the sandbox's init it gets no signal a job sends. Should it die or fall silent
  anyway, that is detected (its socket closes, or it misses the wall limit by
  `BACKSTOP_SECONDS`) and the sandbox replaced; the job gets ``killed`` or ``timeout``
  with one uid (a job might have had a hand in it: that must not turn a failed run into an
  infrastructure failure), ``error`` with two, where no job can.
- **Per job, in the child** (details in `_warm_zygote`): the job's uid, no capabilities,
  no_new_privs, a seccomp filter (no new namespaces, no kernel keyrings, no io_uring, bpf,
  perf or userfaultfd), rlimits, stdin from a memfd, stdout and stderr straight into the
  host's pipes (the zygote never sees output), every other fd closed (no job can reach
  the control socket to forge a result), a fresh ``__main__``. With two uids the child is
  forked ahead, as soon as the previous job has its process, and warms up out of that
  job's reach (as the zygote's uid); once the previous job's processes are gone it takes
  the jobs' uid and gets ready while the host turns round: a job waits for neither the
  fork nor most of its setup.
- **After each job**, before its result is sent: every process it left in the sandbox is
  killed (daemons that ``setsid`` or double-fork included) and reaped, so their CPU time
  counts. Then, while the host takes the result and before the next job starts, ``/tmp``
  and ``/dev/shm`` are emptied and SysV IPC objects removed. What jobs of one slot share:
  the zygote's hash-randomisation seed, and the page cache.
- **No pid namespace per job**: its first process is its init, so a job would cost a
  second fork, plus the namespace's set-up and teardown: about a fork floor's worth again.
  The sandbox's own pid namespace holds nothing but the zygote, the spare, the service and
  the job, which is what makes "kill everything else" exact. The zygote is the namespace's
  init (bwrap's ``--as-pid-1``: no reaper of bwrap's, whose memory a job of its uid could
  write): the kernel drops every signal a job sends it, and with two uids a job cannot
  reach it at all.

**A resident service** (``service="module:function"``, usually of `modules`): a job that
names it (`Job.service`) is not run; its stdin goes to the service of the worker's
sandbox as a request, and the answer comes back as the job's stdout (an exception: exit
code 1 and its traceback on stderr). The service is forked from the zygote once and
lives on: what it holds, no job can reach (another uid when we are root, no
capabilities, undumpable; with one uid a job can kill or stop it, which ends that
request ``killed`` or ``timeout``, and a new one takes the next). It can run jobs of its
own in the sandbox, each a fresh fork of the zygote with the job's limits, isolation and
cleanup, that it talks to over pipes (`sandboxes._warm_zygote.Jobs`). A request past its
job's wall limit is a ``timeout``, and its service is replaced. The code verifier's harness
is one: its tests stay in the service, each candidate runs in a fresh job, and a
verification costs one process instead of two. Executors without the service run the
job's program, which must answer the same way.

``warm-process`` (`WarmProcessExecutor`), where bubblewrap cannot run: the zygote is a plain
child process; jobs get the same per-job treatment in a private work dir under a fresh
host temp dir, and leftovers are found through ``/proc`` and killed. As root, jobs run as
``nobody`` and the zygote unshares a network and an IPC namespace; otherwise jobs share our
uid and see the host's files and network, like ``process`` without namespaces.

Statuses are `sandboxes.supervise.classify`'s, the cold backends' rules, fed with what the
zygote observed (the wait status of the job's process, its and its leftovers' CPU time and
peak RSS, whether it killed the job at the wall limit) and what this side did (killed the
job for its output). In short: ``output_limit`` past ``Limits.output_bytes`` on stdout or
stderr; ``timeout`` at the wall limit, or SIGXCPU, or SIGKILL with the CPU time at the
limit; ``memory`` for a failure whose stderr ends in an allocator's out-of-memory report
(``RLIMIT_AS`` makes allocations fail, MemoryError); ``killed`` for other signals;
``error`` when the child could not be set up; else ``ok``.

Python jobs only: other languages go to the `fallback` executor if one was given, else
`run` raises `SandboxError` (a configuration mistake, not the job's fault).
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import json
import marshal
import os
import queue
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from sandboxes.base import Executor, SandboxError, SandboxUnavailable
from sandboxes.bwrap import BASE_DIRS, ETC_FILES
from sandboxes.job import Execution, Job, Language, Limits, RunStatus
from sandboxes.languages import SANDBOX_UID, Toolchain, third_party_package_dirs
from sandboxes.supervise import classify

__all__ = ["DEFAULT_PRELOAD", "WarmProcessExecutor", "WarmPythonExecutor", "warm_executor"]

DEFAULT_PRELOAD = (
    "math", "re", "collections", "itertools", "functools", "json", "string", "typing", "heapq",
    "bisect", "random", "operator",
)  # fmt: skip
"""Imported once in every zygote, so that jobs importing them pay nothing. Every module
here makes every fork a little dearer (a fork copies the page tables of what is loaded)."""

BACKSTOP_SECONDS = 3.0
"""How long past a job's wall limit the host waits for a silent zygote before replacing it."""

_ZYGOTE_SOURCE = Path(__file__).with_name("_warm_zygote.py").read_text(encoding="utf-8")
_PYTHON_FLAGS = ("-E", "-s", "-B")  # the cold backends' (sandboxes.languages)
_WORKDIR = "/tmp/work"
_CAPABILITIES = ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_DAC_OVERRIDE", "CAP_FOWNER")
_CAPABILITIES += ("CAP_SYS_ADMIN",)  # to size /tmp for each job (a tmpfs remount)
_START_TIMEOUT = 30.0
_DRAIN_SECONDS = 1.0


class WarmPythonExecutor(Executor):
    """Python jobs forked from a warm zygote in a bubblewrap sandbox per worker (see module).

    Thread-safe: `run` from any number of threads uses up to `workers` sandboxes at once.
    `close` it (or use ``with``); the sandboxes also die with this process.

    Args:
        workers: sandboxes, default ``os.cpu_count()``, each started when first needed (or
            all at once by `start`).
        fallback: the executor for jobs in other languages; without one they raise.
        preload: modules every zygote imports once (default `DEFAULT_PRELOAD`).
        modules: trusted modules of our own (dotted name -> Python source) every zygote
            executes once at start, in this order, as importing them from a job's files
            would (their ``__file__`` is where the job's work dir would hold them): jobs
            that import them pay nothing. For code that runs in every job of a kind (a
            harness); it must import nothing but the standard library and each other.
            Whatever a job finds in them, every job can read, so nothing secret.
        service: ``"module:function"`` (of `modules`, usually) that answers jobs naming
            it (`Job.service`) in their stead: see the module. None: no service.
        separate_uid: run jobs as ``nobody``, apart from the zygote. Default: when we are
            root (only root may map a second uid). False: jobs keep the zygote's uid.

    Raises:
        SandboxUnavailable: this backend cannot run here (`available` says why).
    """

    name: ClassVar[str] = "warm-bwrap"
    isolation: ClassVar[str] = (
        "bubblewrap sandbox per worker as bwrap's (no network, only /usr and the "
        "interpreter visible, private /tmp); per job a fresh fork with rlimits, seccomp and "
        "no capabilities, as another uid than its supervisor when root; leftovers killed "
        "and /tmp emptied after each job"
    )
    _refusal: ClassVar[dict[type, str | None]] = {}

    def __init__(
        self,
        workers: int | None = None,
        *,
        fallback: Executor | None = None,
        preload: Iterable[str] = DEFAULT_PRELOAD,
        modules: Mapping[str, str] | None = None,
        service: str | None = None,
        separate_uid: bool | None = None,
    ) -> None:
        if (reason := self.available()) is not None:
            raise SandboxUnavailable(f"the {self.name} sandbox cannot run here: {reason}")
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        if self.workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        root = os.geteuid() == 0
        self.separate_uid = root if separate_uid is None else separate_uid
        if self.separate_uid and not root:
            raise ValueError("separate_uid=True needs root: only root may map a second uid")
        self.fallback = fallback
        self.python = _interpreter(SANDBOX_UID if root else os.geteuid())
        self.tag = f"rlvr-warm-{uuid.uuid4().hex}"
        """In the zygotes' command lines, so that their processes can be found."""
        self._preload = tuple(preload)
        self._modules = dict(modules or {})
        self.service = service
        self._lock = threading.Lock()  # guards _live and _closed
        self._idle: queue.SimpleQueue[_Worker | None] = queue.SimpleQueue()  # None: not started
        for _ in range(self.workers):
            self._idle.put(None)
        self._live: set[_Worker] = set()
        self._closed = False
        self._pid = os.getpid()
        _executors.add(self)

    @classmethod
    def available(cls) -> str | None:
        if cls not in cls._refusal:
            cls._refusal[cls] = cls._refused()
        return cls._refusal[cls]

    @classmethod
    def _refused(cls) -> str | None:
        if (refusal := _platform_refusal()) is not None:
            return refusal
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            return "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
        try:  # one tiny sandbox tells whether bubblewrap can make its namespaces here
            probe = subprocess.run(
                [bwrap, "--unshare-all", "--unshare-user", "--ro-bind", "/", "/", "true"],
                capture_output=True,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bubblewrap cannot create its sandbox here: {exc}"
        if probe.returncode != 0:
            error = probe.stderr.decode(errors="replace").strip()
            return f"bubblewrap cannot create its sandbox here: {error}"
        return None

    def start(self) -> None:
        """Start every slot's sandbox now rather than on first use.

        Raises:
            SandboxError: a sandbox did not start (the message says why).
        """
        workers = []
        try:
            for _ in range(self.workers):
                workers.append(self._acquire())
        finally:
            for worker in workers:
                self._release(worker)

    def run(self, job: Job) -> Execution:
        if job.language is not Language.PYTHON:
            if self.fallback is None:
                raise SandboxError(
                    f"{type(self).__name__} runs Python jobs only, got a {job.language.value} "
                    "job; pass fallback=<an executor> to run the others"
                )
            return self.fallback.run(job)
        if os.getpid() != self._pid:
            raise RuntimeError(f"this {type(self).__name__} belongs to the parent process")
        request = _Request.of(job, service=job.service is not None and job.service == self.service)
        if isinstance(request, str):
            return Execution(RunStatus.ERROR, None, backend=self.name, detail=request)
        for _ in range(2):  # a worker found dead before the job started: once more
            try:
                worker = self._acquire()
            except SandboxError as exc:
                return Execution(RunStatus.ERROR, None, backend=self.name, detail=str(exc))
            try:
                execution = worker.run(request, job.limits, self.name)
            finally:
                self._release(worker)
            if execution is not None:
                return execution
        detail = "the warm sandbox died before the job started, twice"
        return Execution(RunStatus.ERROR, None, backend=self.name, detail=detail)

    def close(self) -> None:
        """Stop every sandbox and wait for it to be gone (a job running now ends killed).
        Idempotent."""
        if os.getpid() != self._pid:
            return
        with self._lock:
            if self._closed:
                return
            self._closed = True
            live, self._live = self._live, set()
        idle = set()
        with contextlib.suppress(queue.Empty):
            while True:
                if (worker := self._idle.get_nowait()) is not None:
                    idle.add(worker)
        for worker in live:
            if worker in idle:
                worker.stop()
            else:  # a thread is running a job on it; that thread closes its socket
                worker.interrupt()
        for _ in range(self.workers):
            self._idle.put(None)  # wakes waiting threads, whose start then raises
        if self.fallback is not None:
            self.fallback.close()

    def __enter__(self) -> WarmPythonExecutor:
        return self

    def _acquire(self) -> _Worker:
        worker = self._idle.get()
        if worker is not None:
            return worker
        try:
            if self._closed:
                raise SandboxError(f"this {type(self).__name__} is closed")
            worker = self._start_worker()
            with self._lock:
                closed = self._closed
                if not closed:
                    self._live.add(worker)
            if closed:
                worker.stop()
                raise SandboxError(f"this {type(self).__name__} is closed")
        except BaseException:
            self._idle.put(None)
            raise
        return worker

    def _release(self, worker: _Worker) -> None:
        if worker.broken or self._closed:
            worker.stop()
            with self._lock:
                self._live.discard(worker)
            self._idle.put(None)
        else:
            self._idle.put(worker)

    def _config(self, control_fd: int, **fields: Any) -> str:
        config = {
            "control_fd": control_fd,
            "host_pid": os.getpid(),
            "job_uid": SANDBOX_UID if self.separate_uid else None,
            "job_gid": SANDBOX_UID if self.separate_uid else None,
            "preload": list(self._preload),
            "modules": list(self._modules.items()),
            "service": self.service,
            "argv": [self.python, *_PYTHON_FLAGS],
            "tag": self.tag,
            **fields,
        }
        return json.dumps(config)

    def _start_worker(self) -> _Worker:
        control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        config = self._config(
            theirs.fileno(),
            sandboxed=True,
            work=_WORKDIR,
            scratch=["/tmp", "/dev/shm"],
            # one uid: bwrap (outside, but of our uid), the zygote and the service count too
            nproc_extra=0 if self.separate_uid else 2 + (self.service is not None),
            clean_ipc=True,
            unshare=False,
        )
        scratch, shm = (str(size) for size in _scratch_sizes(Limits(), 0))  # until a job's
        argv = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--unshare-user"]
        argv += ["--die-with-parent", "--new-session", "--hostname", "sandbox", "--clearenv"]
        argv += ["--as-pid-1"]  # the zygote is init: undumpable, and deaf to jobs' signals
        argv += ["--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8"]
        prefix = os.path.dirname(os.path.dirname(self.python))
        inside = any(prefix == base or prefix.startswith(base + "/") for base in BASE_DIRS)
        extra = [] if inside else [prefix]
        for path in [*BASE_DIRS, *ETC_FILES, *extra]:
            if os.path.islink(path):
                argv += ["--symlink", os.readlink(path), path]
            elif os.path.exists(path):
                argv += ["--ro-bind", path, path]
        for hidden in third_party_package_dirs():  # standard library only, as BwrapExecutor
            argv += ["--tmpfs", hidden]
        # /proc/sys read-only: with one uid, jobs are the root that owns the sandbox's
        # hostname and network sysctls, and could leave them changed for the next job
        argv += ["--proc", "/proc", "--ro-bind", "/proc/sys", "/proc/sys", "--dev", "/dev"]
        argv += ["--perms", "1777", "--size", scratch, "--tmpfs", "/tmp"]
        argv += ["--perms", "1777", "--size", shm, "--tmpfs", "/dev/shm"]
        argv += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", "/"]
        argv += ["--uid", "0", "--gid", "0", "--cap-drop", "ALL"]
        for capability in _CAPABILITIES:
            argv += ["--cap-add", capability]
        command = [self.python, *_PYTHON_FLAGS, "-c", _ZYGOTE_SOURCE, config]
        if not self.separate_uid:  # bubblewrap maps our uid to the sandbox's root
            return _Worker.launch([*argv, "--", *command], control, theirs, (), separate_uid=False)
        info_r, info_w = os.pipe()
        block_r, block_w = os.pipe()
        argv += ["--info-fd", str(info_w), "--userns-block-fd", str(block_r)]
        try:
            return _Worker.launch(
                [*argv, "--", *command],
                control,
                theirs,
                (info_w, block_r),  # closed by launch, once bubblewrap has them
                separate_uid=True,
                before_hello=lambda: _map_two_uids(info_r, block_w),
            )
        finally:
            os.close(info_r)
            os.close(block_w)


class WarmProcessExecutor(WarmPythonExecutor):
    """The warm path without bubblewrap: the zygote is a plain child process (see module).

    Same arguments as `WarmPythonExecutor`: `separate_uid` (default: when root) runs jobs as
    ``nobody`` and gives the zygote network and IPC namespaces of its own. There are no pid
    or mount namespaces (`namespaces` is False): a job sees the host's files and processes,
    and jobs of different workers share a uid (``RLIMIT_NPROC``, signals).
    """

    name: ClassVar[str] = "warm-process"
    namespaces: ClassVar[bool] = False
    """No pid or mount namespace: what the shared security tests call a backend that cannot
    contain attacks on the host's processes and files."""
    isolation: ClassVar[str] = (
        "a fork per job with rlimits, seccomp, its own session, a scrubbed environment and a "
        "private work dir; leftovers killed; as root: uid nobody and no network, else our "
        "uid and the host's files and network"
    )

    @classmethod
    def _refused(cls) -> str | None:
        return _platform_refusal()

    def _start_worker(self) -> _Worker:
        control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        root = tempfile.mkdtemp(prefix="rlvr-warm-")
        if self.separate_uid:  # the job makes its work dir in it, as nobody
            os.chown(root, SANDBOX_UID, SANDBOX_UID)
        config = self._config(
            theirs.fileno(),
            sandboxed=False,
            work=os.path.join(root, "work"),
            scratch=[root],
            nproc_extra=0,
            clean_ipc=self.separate_uid,  # only in an IPC namespace of its own
            unshare=self.separate_uid,
        )
        command = [self.python, *_PYTHON_FLAGS, "-c", _ZYGOTE_SOURCE, config]
        try:
            worker = _Worker.launch(
                command, control, theirs, (), separate_uid=self.separate_uid, cwd="/", env={}
            )
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        worker.cleanup = root
        return worker


def warm_executor(workers: int | None = None, **options: Any) -> WarmPythonExecutor:
    """The strongest warm executor that runs here: ``warm-bwrap``, else ``warm-process``.

    Raises:
        SandboxUnavailable: neither runs here.
    """
    if WarmPythonExecutor.available() is None:
        return WarmPythonExecutor(workers, **options)
    return WarmProcessExecutor(workers, **options)


def _scratch_sizes(limits: Limits, payload: int) -> tuple[int, int]:
    """The sizes of ``/tmp`` and ``/dev/shm`` for a job: the cold backends' (four largest
    files' worth plus the job's own files; one file's worth)."""
    return 4 * (limits.file_size_mb << 20) + payload, limits.file_size_mb << 20


def _interpreter(uid: int) -> str:
    """The cold backends' Python: one that `uid` can execute."""
    python = Toolchain.detect(uid=uid).python
    if python is None:
        raise SandboxUnavailable(f"no Python interpreter that uid {uid} can execute")
    return python


# -- one job's request ---------------------------------------------------------------------


def _platform_refusal() -> str | None:
    """Why no warm executor runs here (the kernel, or no interpreter for the jobs' user)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "pidfd_open"):
        return "it needs Linux 5.3 or later (pidfd_open)"
    try:
        _interpreter(SANDBOX_UID if os.geteuid() == 0 else os.geteuid())
    except SandboxUnavailable as exc:
        return str(exc)
    return None


class _Request:
    """A job as the zygote's child takes it: a memfd with the marshalled files, entry and
    argv, another with stdin (the zygote itself reads neither), and a JSON header with the
    limits."""

    def __init__(self, payload: bytes, stdin: bytes, header: bytes) -> None:
        self.payload = payload
        self.stdin = stdin
        self.header = header

    @classmethod
    def of(cls, job: Job, *, service: bool = False) -> _Request | str:
        """The request, or why the job cannot run; with `service`, one for the service."""
        files = job.files or {"main.py": job.source or ""}
        entry = job.entry or "main.py"
        if entry not in files:
            return f"the entry file {entry!r} is not among the job's files: {sorted(files)}"
        job_data = {"files": dict(files), "entry": entry, "argv": list(job.argv)}
        limits = job.limits
        payload = sum(len(data) for data in files.values())
        scratch, shm = _scratch_sizes(limits, payload)
        header = {
            "scratch_bytes": scratch,
            "shm_bytes": shm,
            "wall_seconds": limits.wall_seconds,
            "cpu_seconds": limits.cpu_seconds,
            "memory_mb": limits.memory_mb,
            "processes": limits.processes,
            "file_size_mb": limits.file_size_mb,
            "open_files": limits.open_files,
        }
        if service:  # the service has its program: only the request and the limits go
            return cls(b"", job.stdin_bytes, b"Q" + json.dumps(header).encode())
        return cls(marshal.dumps(job_data, 4), job.stdin_bytes, b"J" + json.dumps(header).encode())


# -- the host's end of one zygote --------------------------------------------------------


class _Worker:
    """One zygote (in its sandbox): start it, give it jobs, stop it."""

    def __init__(
        self, process: subprocess.Popen[bytes], control: socket.socket, separate_uid: bool
    ) -> None:
        self.process = process
        self.control = control
        self.separate_uid = separate_uid  # a job cannot touch its zygote
        self.broken = False
        self.closing = False  # interrupted by close()
        self.cleanup: str | None = None  # a host dir to remove when stopped

    @classmethod
    def launch(
        cls,
        argv: list[str],
        control: socket.socket,
        theirs: socket.socket,
        extra_fds: tuple[int, ...],
        *,
        separate_uid: bool,
        before_hello: Callable[[], None] | None = None,
        cwd: str | None = None,
        env: dict[str, str] | None = None,
    ) -> _Worker:
        try:
            with theirs:
                process = _spawner.popen(
                    argv,
                    pass_fds=(theirs.fileno(), *extra_fds),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                    cwd=cwd,
                    env=env,
                    start_new_session=True,
                )
        except OSError as exc:
            control.close()
            raise SandboxError(f"the warm sandbox could not be started: {exc}") from None
        finally:
            for fd in extra_fds:  # the child's ends: EOF on ours if it dies
                os.close(fd)
        worker = cls(process, control, separate_uid)
        hello = b""
        try:
            if before_hello is not None:
                before_hello()
            ready, _, _ = select.select([control], [], [], _START_TIMEOUT)
            hello = control.recv(4096) if ready else b""
            if hello[:1] != b"+":
                raise SandboxError("no answer")
        except (OSError, SandboxError) as exc:
            worker.stop(kill=True)
            assert process.stderr is not None
            error = process.stderr.read().decode(errors="replace").strip()
            why = hello[1:].decode(errors="replace") if hello[:1] == b"-" else error or str(exc)
            raise SandboxError(f"the warm sandbox did not start: {why}") from None
        assert process.stderr is not None
        process.stderr.close()  # from here on the zygote's stderr goes nowhere
        return worker

    def run(self, request: _Request, limits: Limits, backend: str) -> Execution | None:
        """Run one job: its execution, or None if the zygote was dead before it started."""
        memfd = os.memfd_create("rlvr-job", os.MFD_CLOEXEC)
        stdin = os.memfd_create("rlvr-stdin", os.MFD_CLOEXEC)
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        err_r, err_w = os.pipe2(os.O_CLOEXEC)
        try:
            for fd, data in ((memfd, request.payload), (stdin, request.stdin)):
                _write_all(fd, data)
                os.lseek(fd, 0, os.SEEK_SET)
            if request.header[:1] == b"Q":  # for the service: the request, and where to answer
                socket.send_fds(self.control, [request.header], [stdin, out_w, err_w])
            else:
                socket.send_fds(self.control, [request.header], [memfd, stdin, out_w, err_w])
        except OSError:
            self.broken = True
            os.close(out_r)
            os.close(err_r)
            return None
        finally:
            for fd in (memfd, stdin, out_w, err_w):
                os.close(fd)
        try:
            return self._supervise(out_r, err_r, limits, backend)
        finally:
            os.close(out_r)
            os.close(err_r)

    def _supervise(self, out_r: int, err_r: int, limits: Limits, backend: str) -> Execution:
        started = time.monotonic()
        outputs = {out_r: _Output(limits.output_bytes), err_r: _Output(limits.output_bytes)}
        poller = select.poll()
        for fd in (out_r, err_r, self.control.fileno()):
            poller.register(fd, select.POLLIN)
        result: dict[str, Any] | None = None
        failure = ""  # why the zygote gave no result
        killed_for: str | None = None
        give_up = started + limits.wall_seconds + BACKSTOP_SECONDS
        while result is None and not failure:
            remaining = give_up - time.monotonic()
            if remaining <= 0:
                failure = "silent"
                break
            for fd, _ in poller.poll(max(1, int(remaining * 1000))):
                if fd in outputs:
                    if not outputs[fd].read(fd):
                        poller.unregister(fd)
                    if killed_for is None and (outputs[out_r].over or outputs[err_r].over):
                        killed_for = "output"
                        with contextlib.suppress(OSError):
                            self.control.send(b"K")
                    continue
                try:
                    message = self.control.recv(1 << 16)
                except OSError:
                    message = b""
                if not message:
                    failure = "died"
                    break
                if message == b"R":  # the previous job's cleanup is done: ours starts now
                    give_up = time.monotonic() + limits.wall_seconds + BACKSTOP_SECONDS
                    continue
                result = json.loads(message)
        if failure:  # the zygote goes: a silent one at once, with whatever is left in its
            self.stop(kill=failure == "silent")  # sandbox; one that hung up, once it has
            # killed its job (warm-process: no namespace would take the job's processes along)
        _drain(outputs, time.monotonic() + (_DRAIN_SECONDS if result is not None else 0.2))
        out, err = outputs[out_r], outputs[err_r]
        common = {
            "stdout": bytes(out.data),
            "stderr": bytes(err.data),
            "stdout_truncated": out.over,
            "stderr_truncated": err.over,
            "backend": backend,
        }
        seconds = time.monotonic() - started
        if result is None:
            return self._lost(failure, killed_for, limits, seconds, common)
        if result.get("service_died") and self.separate_uid:  # no job can do that
            detail = "the warm sandbox's service died; a new one takes the next request"
            return Execution(RunStatus.ERROR, None, wall_seconds=seconds, detail=detail, **common)
        if result["setup_error"]:
            events = [{"event": "failed", "detail": f"job setup: {result['setup_error']}"}]
        else:
            done = {"event": "done", "kind": "run", "wait_status": result["wait_status"]}
            cpu = result["cpu_seconds"] + result["leftover_cpu_seconds"]  # as the cold ones
            done.update(cpu_seconds=cpu, peak_rss_kb=result["peak_kb"])
            done.update(wall_seconds=result["wall_seconds"])
            done["killed_for"] = "wall" if result["killed"] == "wall" else None
            events = [done]
        return classify(
            events,
            limits,
            killed_for=killed_for,
            phase="run",
            launcher_status=None,
            seconds=result["wall_seconds"],
            **common,
        )

    def _lost(
        self,
        failure: str,
        killed_for: str | None,
        limits: Limits,
        seconds: float,
        common: dict[str, Any],
    ) -> Execution:
        """The execution of a job whose zygote died or fell silent."""
        if killed_for == "output":
            detail = f"more than {limits.output_bytes} bytes of output"
            return Execution(
                RunStatus.OUTPUT_LIMIT, -9, wall_seconds=seconds, detail=detail, **common
            )
        if self.closing:
            detail = "the executor was closed during the job"
            return Execution(RunStatus.KILLED, None, wall_seconds=seconds, detail=detail, **common)
        if failure == "silent":
            what = f"did not answer within {BACKSTOP_SECONDS:g} s of the wall-time limit"
            status = RunStatus.TIMEOUT
        else:
            what = "died during the job"
            status = RunStatus.KILLED
        if self.separate_uid:  # no job can do that: ours to answer for
            status = RunStatus.ERROR
            detail = f"the warm sandbox {what}; it was replaced"
        else:
            detail = f"the warm sandbox {what} (stopped or killed by the job?); it was replaced"
        return Execution(status, None, wall_seconds=seconds, detail=detail, **common)

    def stop(self, *, kill: bool = False) -> None:
        """Close the control socket (the zygote kills its job and exits) and wait for it;
        only by the thread that holds the worker, or by anyone while it is idle."""
        self.broken = True
        with contextlib.suppress(OSError):
            self.control.close()
        self._wait(kill)
        if self.cleanup is not None:
            shutil.rmtree(self.cleanup, ignore_errors=True)
            self.cleanup = None

    def interrupt(self) -> None:
        """Stop a worker another thread is using: its job ends killed. The socket stays
        open (its fd number must not be reused while that thread polls it)."""
        self.closing = True
        with contextlib.suppress(OSError):
            self.control.shutdown(socket.SHUT_RDWR)
        self._wait(False)

    def _wait(self, kill: bool) -> None:
        if not kill:
            try:
                self.process.wait(5)
                return
            except subprocess.TimeoutExpired:  # stopped or stuck: bwrap's death takes it all
                pass
        with contextlib.suppress(OSError):
            os.killpg(self.process.pid, 9)  # its group: bwrap, or the process zygote
        self.process.wait()


class _Output:
    """One output stream: the first `cap` bytes, and whether there were more."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.data = bytearray()
        self.over = False

    def read(self, fd: int) -> bool:
        """Read what is there; False at EOF."""
        try:
            chunk = os.read(fd, 1 << 16)
        except OSError:
            return False
        if not chunk:
            return False
        room = self.cap - len(self.data)
        if len(chunk) > room:
            self.over = True
            chunk = chunk[: max(room, 0)]
        self.data += chunk
        return True


def _drain(outputs: dict[int, _Output], deadline: float) -> None:
    """Read both pipes to EOF: every writer is dead once the zygote has answered."""
    open_fds = set(outputs)
    while open_fds and (remaining := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select(list(open_fds), [], [], remaining)
        for fd in ready:
            if not outputs[fd].read(fd):
                open_fds.discard(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _map_two_uids(info_r: int, block_w: int) -> None:
    """Map the sandbox's root to us and its ``nobody`` to the host's, then let bwrap go on."""
    data = b""
    deadline = time.monotonic() + _START_TIMEOUT
    while True:
        ready, _, _ = select.select([info_r], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(info_r, 4096) if ready else b""
        if not chunk:
            raise SandboxError("bubblewrap exited before it made its namespaces")
        data += chunk
        with contextlib.suppress(ValueError):
            pid = json.loads(data)["child-pid"]
            break
    uid, gid = os.geteuid(), os.getegid()
    Path(f"/proc/{pid}/uid_map").write_text(f"0 {uid} 1\n{SANDBOX_UID} {SANDBOX_UID} 1\n")
    Path(f"/proc/{pid}/gid_map").write_text(f"0 {gid} 1\n{SANDBOX_UID} {SANDBOX_UID} 1\n")
    os.write(block_w, b"1")


# -- processes are started from one long-lived thread ------------------------------------


class _Spawner:
    """Starts the sandboxes from one thread that lives as long as the process.

    ``PR_SET_PDEATHSIG`` (bwrap's ``--die-with-parent``, the process zygote's own) fires when
    the *thread* that forked a process exits, and `run_many`'s threads come and go.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def popen(self, argv: list[str], **options: Any) -> subprocess.Popen[bytes]:
        future: concurrent.futures.Future[subprocess.Popen[bytes]] = concurrent.futures.Future()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name="warm-spawner")
                self._thread.daemon = True
                self._thread.start()
        self._queue.put((argv, options, future))
        return future.result()

    def _serve(self) -> None:
        while True:
            argv, options, future = self._queue.get()
            try:
                future.set_result(subprocess.Popen(argv, **options))
            except BaseException as exc:
                future.set_exception(exc)


_spawner = _Spawner()
_executors: weakref.WeakSet[WarmPythonExecutor] = weakref.WeakSet()


@atexit.register
def _close_executors() -> None:
    for executor in list(_executors):
        executor.close()


def _forget_after_fork() -> None:
    """A forked child closes its copies of the zygotes' sockets: they must still see EOF
    when their owner dies, and the child must never use them."""
    global _spawner
    _spawner = _Spawner()
    for executor in list(_executors):
        executor._closed = True
        for worker in executor._live:
            with contextlib.suppress(OSError):
                worker.control.close()
    _executors.clear()


os.register_at_fork(after_in_child=_forget_after_fork)

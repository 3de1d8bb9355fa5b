"""The trusted half of the warm Python executor: a zygote that forks one fresh child per job.

It runs inside each worker sandbox (``warm-bwrap``) or as a plain child process
(``warm-process``), started by `sandboxes.warm` as ``python -E -s -B -c <this file's text>
CONFIG`` (the flags the cold backends run programs with). Standard library only and
nothing from this repository, so the sandbox needs no more than the interpreter. The
zygote imports the modules programs commonly use once, and executes the host's own trusted
modules (``modules`` in CONFIG: a harness every job of a kind runs) as if a job imported
them; a job then costs a ``fork`` of this small, warm process instead of an interpreter
start-up and imports. A fork costs in proportion to the
memory it copies, so the zygote imports little of its own (no ``socket``, ``pickle`` or
``shutil``) and prepares before forking all a child needs that no job decides: the
environment, standard streams, signal mask, ctypes arguments, the seccomp program.

Protocol, on a SOCK_SEQPACKET socket to the host (one message per datagram):

- zygote → host ``+`` and a JSON object once ready (``-`` and why, if it cannot start);
  then per job a JSON result: raw facts only (how the child ended, its times and rusage,
  whether the zygote killed it and why, a setup error; the host decides the status), and
  ``R`` once the job's leftovers are cleaned up (a big cleanup delays the next job, which
  the host's backstop timer must not count against it).
- host → zygote ``J`` and a JSON header (the limits) with four fds: a memfd holding the
  marshalled job (files, entry, argv), a memfd holding its stdin, and the write ends of the
  stdout and stderr pipes, which the host reads directly. The zygote never reads the
  memfds: job data only ever enters the child's memory, so no job can find an earlier
  job's program or input in the heap it inherits (every child starts as a copy of the
  zygote). Nor does the child read stdin: it becomes the job's fd 0, so a job's program
  that forks before it reads its input (the code verifier's harness) gives its children
  no copy of it.
- host → zygote ``K``: kill the running job (its output passed the cap), or request.
- host → zygote ``Q``, when CONFIG names a ``service`` (``"module:function"``): a request
  for the service, with the job's header and three fds: a memfd holding the request, and
  the stdout and stderr pipes. The service is a child forked once (again if it dies or
  overruns a request): it keeps our uid, which is not the jobs' when there are two, with
  every capability dropped, no_new_privs, our seccomp filter, undumpable. It calls
  ``function(request, limits, jobs)`` and writes what it returns to stdout (a traceback to
  stderr and exit code 1 if it raises), then says ``D``. Meanwhile it may run jobs of its
  own through `Jobs`: ``J`` messages on its socket, as the host's, plus up to four fds the
  job gets as 3, 4, ... (pipes to talk to it); each is a fresh child like any job, killed
  on the service's ``K``, its result sent to the service. The host gets one result for the
  request (``killed`` ``wall`` when the service overran and was replaced, ``service_died``
  when it died). So the service may hold what no job may see (a code verifier's tests):
  the jobs are forks of the zygote, which never holds a request.
- EOF: the host is gone: kill every job process and exit.

One job, in the child, before any of the job's code runs: a new session; the job's uid
(``nobody`` when the host mapped two uids, else the zygote's uid with every capability
dropped); no_new_privs; ``dumpable`` again (the zygote is not, so no job can ptrace it or
read its memory); the work dir ``/tmp/work`` (0700, made by the job's uid); rlimits
(CPU, AS, NPROC, FSIZE, NOFILE, CORE 0, MSGQUEUE 0); a seccomp filter (x86-64 and arm64: no
new namespaces, no kernel keyrings, which are per uid and outlive a process, no io_uring,
bpf, perf or userfaultfd); stdin from a memfd, stdout and stderr onto the host's pipes,
every other fd closed (the control socket and the setup-error pipe too: a job cannot forge a
result); a fresh ``__main__``, ``sys.argv`` and ``sys.path[0]``. Then it runs the entry file
as ``python FILE`` would: SystemExit codes, a traceback and exit 1 for an uncaught exception,
non-daemon threads joined and atexit handlers run, streams flushed (a failed flush exits
120).

With two uids (we are root), the child is forked ahead of time: as soon as a job has its
process, the zygote forks a *spare* for the next one, which warms up (a dry run of a job's
part) as the zygote's uid, out of the running job's reach. Once the job's result is sent
(no process of it is left by then) the spare gets ``G``, takes the jobs' uid, sets up the
rest and waits for its job on a socket of its own, while the host takes the result and
sends the next job. With one uid a job could stop a waiting spare, so the child is forked
when its job arrives.

After each job, before its result is sent, every process the job left behind is killed and
reaped (the zygote is a child subreaper: orphans come back to it, and their CPU time
counts). In the sandbox's pid namespace, where the zygote is init, every process but the
zygote, the spare and the service is the job's: ``kill(-1, SIGKILL)`` (atomic against
forks) when there is neither spare nor service, else rounds of SIGKILL over ``/proc``
until none is left. Outside a sandbox
(``warm-process``) the zygote kills its descendants, found through ``/proc``. Then, once
the result is out and before the next job starts, the scratch directories (``/tmp`` and
``/dev/shm`` in the sandbox, the work root otherwise) are emptied and SysV IPC objects
removed, so the next job sees none of it. In the sandbox, ``/tmp`` and ``/dev/shm`` are
remounted to the sizes a job's limits give them, when those change: the quota of scratch
space is per job, as in the cold backends.
"""

from __future__ import annotations

import _socket
import atexit
import builtins
import contextlib
import ctypes
import fcntl
import gc
import importlib
import importlib.machinery
import io
import json
import marshal
import os
import resource
import select
import signal
import struct
import sys
import time
import types
from typing import Any, NoReturn

_PR_SET_PDEATHSIG = 1
_PR_SET_DUMPABLE = 4
_PR_SET_SECCOMP = 22
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_NO_NEW_PRIVS = 38
_PR_CAP_AMBIENT = 47
_PR_CAP_AMBIENT_CLEAR_ALL = 4
_CLONE_NEWIPC, _CLONE_NEWNET = 0x08000000, 0x40000000
_MS_NOSUID, _MS_NODEV, _MS_REMOUNT = 2, 4, 32
_SETUP_FAILED = 127  # the child's exit code when it failed before running the job
_MAX_MESSAGE = 1 << 16
_MAX_EXTRA_FDS = 4  # fds a service's job gets as 3, 4, ...
_BLOCKED = {
    signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2,
    signal.SIGALRM, signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU, signal.SIGPIPE,
}  # fmt: skip
_MB = 1 << 20

_libc = ctypes.CDLL(None, use_errno=True)


def main(config_text: str) -> None:
    config = json.loads(config_text)
    control = _socket.socket(fileno=config["control_fd"])
    try:
        zygote = _Zygote(control, config)
    except Exception as exc:
        control.send(f"-{type(exc).__name__}: {exc}".encode())
        return
    control.send(b"+" + json.dumps({"pid": os.getpid(), "uid": os.getuid()}).encode())
    zygote.serve()


class _Zygote:
    def __init__(self, control: _socket.socket, config: dict[str, Any]) -> None:
        self.control = control
        self.config = config
        self.sandboxed: bool = config["sandboxed"]
        self.job_ids: tuple[int, int] | None = None
        if config["job_uid"] is not None:
            self.job_ids = (config["job_uid"], config["job_gid"])
        self.prefork = self.sandboxed and self.job_ids is not None
        self.work: str = config["work"]
        self.scratch: list[str] = config["scratch"]  # what a job can write to, emptied after
        self.sizes = {"/tmp": 0, "/dev/shm": 0}  # as we last set them (0: as bwrap made them)
        self.spare: _Spare | None = None
        self.service: _Spare | None = None  # forked on the first request, again if it dies
        _prctl(_PR_SET_DUMPABLE, 0)  # no ptrace, no /proc/<pid>/mem for jobs of our uid
        _prctl(_PR_SET_CHILD_SUBREAPER, 1)  # a job's orphans come back to us to be reaped
        # The host stops us by closing the socket; these wait, blocked, and a child
        # unblocks them all with one call (pending signals are not inherited).
        signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED)
        if not self.sandboxed:
            _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # bubblewrap does this in the sandbox
            if os.getppid() != config["host_pid"]:
                raise RuntimeError("the host died while the zygote started")
            if config["unshare"] and _libc.unshare(_CLONE_NEWNET | _CLONE_NEWIPC) != 0:
                raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET | CLONE_NEWIPC)")
            # RLIMIT_NPROC counts every process of the uid, and outside a sandbox it has others
            config["nproc_extra"] += _count_processes(config["job_uid"] or os.getuid())
        if sys.path and sys.path[0] in ("", os.getcwd()):
            del sys.path[0]  # `-c` puts the working dir first; a job's own dir goes there
        for name in config["preload"]:
            with contextlib.suppress(Exception):
                importlib.import_module(name)
        for name, source in config["modules"]:  # ours: a failure is the executor's error
            _install_module(name, source, self.work)
        # What every child needs and no job decides, made once: environment, streams, the
        # fds they wrap (of the kinds the child's will be), the seccomp program, ctypes args.
        os.environ.clear()
        os.environ.update(PATH="/usr/local/bin:/usr/bin:/bin", HOME=self.work, LANG="C.UTF-8")
        _arrange_standard_fds()
        self.streams = _standard_streams()
        self.seccomp = _Seccomp.build()
        self.capabilities = ((ctypes.c_uint32 * 2)(0x20080522, 0), (ctypes.c_uint32 * 6)())
        self.hard_limits = {
            which: resource.getrlimit(which)[1]
            for which in (resource.RLIMIT_NPROC, resource.RLIMIT_CORE, resource.RLIMIT_MSGQUEUE,
                          resource.RLIMIT_FSIZE, resource.RLIMIT_NOFILE, resource.RLIMIT_AS,
                          resource.RLIMIT_CPU)
        }  # fmt: skip
        atexit._clear()
        gc.collect()
        gc.freeze()  # children's collections leave the zygote's objects (and pages) alone

    def serve(self) -> None:
        if self.prefork:
            self.spare = self.fork_spare()
            self.release_spare()
        while True:
            try:
                message, fds = _recv_fds(self.control, 4)
            except OSError:
                message, fds = b"", []
            if not message:
                for fd in fds:
                    os.close(fd)
                if self.service is not None:
                    self.end_service()
                self.kill_leftovers(spare_too=True)
                return
            if message[:1] == b"J" and len(fds) == 4:
                self.run_job(message, fds, self.control)
            elif message[:1] == b"Q" and len(fds) == 3 and self.config["service"]:
                self.run_request(message, fds)
            else:  # a late kill request, or nonsense: drop it
                for fd in fds:
                    os.close(fd)

    def fork_spare(self) -> _Spare:
        """A child that waits on a socketpair for ``G`` (it may become the job's), then for
        its job."""
        ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            ours.close()
            _child(self, theirs)
        theirs.close()
        return _Spare(pid, os.pidfd_open(pid), ours)

    def release_spare(self) -> None:
        """Let the spare take the job's uid and get ready: no process of a job is left."""
        if self.spare is not None:
            try:
                self.spare.socket.send(b"G")
            except OSError:  # it died: the next job forks one
                self.discard(self.spare)
                self.spare = None

    def run_job(
        self, header: bytes, fds: list[int], client: _socket.socket, deadline: float = 0.0
    ) -> dict[str, Any]:
        """Run one job for `client` (the host, or the service): kill requests come from it
        and the result goes to it. The job's fds: payload, stdin, stdout, stderr, then any
        it gets as 3, 4, ... (only the service sends those). `deadline`, if set, cuts the
        job's wall time short (the service's request ends then).

        Returns the result sent; a job for the host ends with its ``R``, and a gone host
        ends us.
        """
        limits = json.loads(header[1:])
        if self.sandboxed:
            self.resize("/tmp", limits["scratch_bytes"])
            self.resize("/dev/shm", limits["shm_bytes"])
        errors_r, errors_w = os.pipe2(os.O_CLOEXEC)
        started = time.monotonic()
        child = self.spare
        self.spare = None
        delivered = False
        if child is not None:
            try:  # the spare is ready (or nearly): hand it the job
                _send_fds(child.socket, header, [*fds, errors_w])
                delivered = True
            except OSError:  # it died; reap it and fork one now
                self.discard(child)
        if not delivered:
            child = self.fork_spare()
            child.socket.send(b"G")
            _send_fds(child.socket, header, [*fds, errors_w])
        assert child is not None
        for fd in (*fds, errors_w):
            os.close(fd)
        child.socket.close()
        if self.prefork:  # the next job's child warms up as this one runs: not yet its uid
            self.spare = self.fork_spare()
        stop = started + limits["wall_seconds"]
        killed, host_gone = self.supervise(child, min(stop, deadline) if deadline else stop, client)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - started
        os.close(child.pidfd)
        left_cpu, left_peak, leftovers = self.kill_leftovers()
        setup_error = _read_all(errors_r).decode("utf-8", "replace")
        os.close(errors_r)
        result = {
            "exit_code": os.waitstatus_to_exitcode(status),
            "wait_status": status,
            "wall_seconds": wall,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "leftover_cpu_seconds": left_cpu,
            "peak_kb": max(usage.ru_maxrss, left_peak),
            "killed": killed,
            "leftovers": leftovers,
            "setup_error": setup_error,
        }
        if host_gone:
            if self.service is not None:
                self.end_service()
            self.kill_leftovers(spare_too=True)
            self.clean_scratch()
            sys.exit(0)
        with contextlib.suppress(OSError):
            client.send(json.dumps(result).encode())
        _remove(self.work)  # before the spare makes its own; the host need not wait for it
        if self.prefork:  # no process of the job is left: the spare may take the jobs' uid
            if self.spare is None:
                self.spare = self.fork_spare()
            self.release_spare()
        self.clean_scratch()  # the next request waits in the socket until this is done
        if client is self.control:
            with contextlib.suppress(OSError):
                self.control.send(b"R")  # ready: the host times the next job from here
        return result

    def run_request(self, header: bytes, fds: list[int]) -> None:
        """Hand a request to the service and run its jobs until it answers ``D``, dies, or
        runs out of time (then it is killed, and forked anew for the next request); then
        tell the host as for a job. The answer itself went straight into the host's pipes
        (`fds`: the request's memfd, stdout, stderr), which we never read."""
        limits = json.loads(header[1:])
        started = time.monotonic()
        deadline = started + limits["wall_seconds"]
        if self.service is None:
            self.service = self.fork_service()
        service = self.service
        with contextlib.suppress(OSError):  # one that died since is reaped below
            _send_fds(service.socket, header, fds)
        for fd in fds:
            os.close(fd)
        killed, answer, status = "", None, None
        cpu, peak = 0.0, 0
        poller = select.poll()
        for fd in (service.pidfd, service.socket.fileno(), self.control.fileno()):
            poller.register(fd, select.POLLIN)
        while answer is None and status is None:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                killed, status = "wall", self.end_service()
                break
            for fd, _ in poller.poll(max(1, int(timeout * 1000) + 1)):
                if fd == self.control.fileno():
                    try:
                        request = self.control.recv(_MAX_MESSAGE)
                    except OSError:
                        request = b""
                    self.end_service()
                    if not request:  # the host is gone
                        self.kill_leftovers(spare_too=True)
                        self.clean_scratch()
                        sys.exit(0)
                    killed, status = "request", 0
                    break
                if fd == service.pidfd:  # it died by itself
                    status = self.end_service()
                    break
                try:
                    message, job_fds = _recv_fds(service.socket, 4 + _MAX_EXTRA_FDS)
                except OSError:
                    message, job_fds = b"", []
                if message[:1] == b"J" and len(job_fds) >= 4:
                    result = self.run_job(message, job_fds, service.socket, deadline)
                    cpu += result["cpu_seconds"] + result["leftover_cpu_seconds"]
                    peak = max(peak, result["peak_kb"])
                    if result["killed"] == "request":  # the host's kill was for the request
                        killed, status = "request", self.end_service()
                    break  # the deadline may have passed meanwhile
                for job_fd in job_fds:
                    os.close(job_fd)
                if message[:1] == b"D":
                    answer = json.loads(message[1:])
                    break
        exit_code = answer["exit_code"] if answer else None
        result = {
            "exit_code": exit_code,
            "wait_status": (exit_code & 0xFF) << 8 if answer else status,
            "wall_seconds": time.monotonic() - started,
            "cpu_seconds": cpu,
            "leftover_cpu_seconds": 0.0,
            "peak_kb": peak,
            "killed": killed,
            "leftovers": 0,
            "setup_error": "",
            "service_died": answer is None and not killed,
        }
        with contextlib.suppress(OSError):
            self.control.send(json.dumps(result).encode())
            self.control.send(b"R")

    def fork_service(self) -> _Spare:
        """The service: a child that answers the host's requests (`_service`)."""
        ours, theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            ours.close()
            _service(self, theirs)
        theirs.close()
        return _Spare(pid, os.pidfd_open(pid), ours)

    def end_service(self) -> int:
        """Kill the service and reap it: its wait status."""
        service, self.service = self.service, None
        assert service is not None
        if service.status is None:
            with contextlib.suppress(OSError):
                os.kill(service.pid, signal.SIGKILL)
            service.status = os.waitpid(service.pid, 0)[1]
        os.close(service.pidfd)
        service.socket.close()
        return service.status

    def resize(self, path: str, size: int) -> None:
        """Give the tmpfs at `path` the job's size (a job's quota of scratch space)."""
        if self.sizes[path] != size:
            flags = _MS_REMOUNT | _MS_NOSUID | _MS_NODEV
            if _libc.mount(None, path.encode(), None, flags, f"size={size}".encode()) == 0:
                self.sizes[path] = size

    def supervise(self, child: _Spare, deadline: float, client: _socket.socket) -> tuple[str, bool]:
        """Wait for the job's process to exit; kill the job at `deadline` or when asked.

        Returns why the zygote killed it (``""``: it did not; ``wall``; ``request``: the
        host asked, ``host``: the host is gone; ``service``: the service asked, or died)
        and whether the host is gone.
        """
        killed = ""
        host_gone = False
        poller = select.poll()
        poller.register(child.pidfd, select.POLLIN)
        for source in {self.control, client}:
            poller.register(source, select.POLLIN)
        while True:
            timeout = deadline - time.monotonic()
            if timeout <= 0 and not killed:
                killed = "wall"
                self.kill_job()
            wait_ms = None if killed else max(1, int(timeout * 1000) + 1)
            for fd, _ in poller.poll(wait_ms):
                if fd == child.pidfd:
                    return killed, host_gone
                source = self.control if fd == self.control.fileno() else client
                try:
                    request = source.recv(_MAX_MESSAGE)
                except OSError:
                    request = b""
                if not request:  # hung up: the executor was closed, the host or service died
                    poller.unregister(fd)
                    host_gone = host_gone or source is self.control
                why = "service" if source is not self.control else "request" if request else "host"
                if not killed:
                    killed = why
                    self.kill_job()

    def kill_job(self) -> None:
        """SIGKILL every process of the running job."""
        if self.sandboxed:
            self.kill_round()
        else:
            _kill_descendants(self.children())

    def children(self) -> list[_Spare]:
        """Our children that are no job's: the spare and the service."""
        return [child for child in (self.spare, self.service) if child is not None]

    def kill_round(self) -> bool:
        """One SIGKILL to every process of the sandbox but init, us, the spare and the
        service: whether there was any. Without the last two, ``kill(-1)`` does it
        atomically."""
        if self.spare is None and self.service is None:
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                return False
            return True
        keep = {"1", str(os.getpid()), *(str(child.pid) for child in self.children())}
        found = False
        for name in os.listdir("/proc"):
            if name.isdigit() and name not in keep:
                found = True
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(name), signal.SIGKILL)
        return found

    def kill_leftovers(self, *, spare_too: bool = False) -> tuple[float, int, int]:
        """Kill and reap every process the job left: their CPU seconds, peak KB, count."""
        if spare_too and self.spare is not None:
            self.discard(self.spare)
            self.spare = None
        cpu, peak, count = 0.0, 0, 0
        while True:
            alive = self.kill_round() if self.sandboxed else _kill_descendants(self.children())
            while True:  # reap what has died
                try:
                    pid, status, usage = os.wait4(-1, os.WNOHANG)
                except ChildProcessError:
                    return cpu, peak, count
                if pid == 0:
                    break
                if self.spare is not None and pid == self.spare.pid:
                    os.close(self.spare.pidfd)
                    self.spare.socket.close()
                    self.spare = None
                    continue
                if self.service is not None and pid == self.service.pid:
                    self.service.status = status  # its request, if any, learns it
                    continue
                cpu += usage.ru_utime + usage.ru_stime
                peak = max(peak, usage.ru_maxrss)
                count += 1
            if not alive and self.children():
                return cpu, peak, count  # the only children left are no job's
            time.sleep(0.0002)  # killed processes take a moment to exit

    def discard(self, spare: _Spare) -> None:
        with contextlib.suppress(OSError):
            os.kill(spare.pid, signal.SIGKILL)
        os.waitpid(spare.pid, 0)
        os.close(spare.pidfd)
        spare.socket.close()

    def clean_scratch(self) -> None:
        """Empty the directories a job can write to and drop SysV IPC objects."""
        for directory in self.scratch:
            try:
                names = os.listdir(directory)
            except OSError:
                continue
            for name in names:
                path = os.path.join(directory, name)
                if path != self.work:  # the spare's, by now
                    _remove(path)
        if self.config["clean_ipc"]:
            _remove_ipc_objects(self.job_ids[0] if self.job_ids else None)


class _Spare:
    """A forked child waiting for its job (or the service), as the zygote sees it."""

    def __init__(self, pid: int, pidfd: int, socket: _socket.socket) -> None:
        self.pid = pid
        self.pidfd = pidfd
        self.socket = socket
        self.status: int | None = None  # its wait status, once reaped


def _child(zygote: _Zygote, channel: _socket.socket) -> NoReturn:
    """Become the job's process: what no job decides once we have ``G``, then the job."""
    zygote.control.close()
    if zygote.spare is not None:
        zygote.spare.socket.close()
    os.setsid()
    if zygote.prefork:
        _warm_up(zygote)
    if channel.recv(16) != b"G":  # the zygote is gone
        os._exit(_SETUP_FAILED)
    failure: BaseException | None = None
    try:
        main = _prepare(zygote)
    except BaseException as exc:
        failure = exc
    errors_w = -1
    try:
        header, fds = _recv_fds(channel, 5 + _MAX_EXTRA_FDS)
        if len(fds) < 5:  # the zygote is gone
            os._exit(_SETUP_FAILED)
        channel.close()
        payload_fd, stdin_fd, stdout_fd, stderr_fd, *extra, errors_w = fds
        if extra:  # they go to 3, 4, ...: out of the way of those first
            errors_w, *extra = (_moved_up(fd) for fd in (errors_w, *extra))
        if failure is not None:
            raise failure
        job = marshal.loads(_read_all(payload_fd))
        for name, content in job["files"].items():  # before the limits, as cold backends do
            _write_file(name, content)
        limits = json.loads(header[1:])
        hard = zygote.hard_limits
        _set_limit(hard, resource.RLIMIT_NPROC, limits["processes"] + zygote.config["nproc_extra"])
        _set_limit(hard, resource.RLIMIT_CORE, 0)
        _set_limit(hard, resource.RLIMIT_MSGQUEUE, 0)
        _set_limit(hard, resource.RLIMIT_FSIZE, limits["file_size_mb"] * _MB)
        _set_limit(hard, resource.RLIMIT_NOFILE, limits["open_files"])
        _set_limit(hard, resource.RLIMIT_AS, limits["memory_mb"] * _MB)
        cpu = max(1, -int(-limits["cpu_seconds"] // 1))  # whole seconds, rounded up
        _set_limit(hard, resource.RLIMIT_CPU, cpu, cpu + 1)  # SIGXCPU, then SIGKILL
        os.dup2(stdin_fd, 0)  # dup2 leaves the copies inheritable
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        for number, fd in enumerate(extra, 3):
            os.dup2(fd, number)
        entry = os.path.join(zygote.work, job["entry"])
        main.__file__ = entry
        main.__loader__ = importlib.machinery.SourceFileLoader("__main__", entry)
        sys.argv[:] = [job["entry"], *job["argv"]]
        sys.orig_argv[:] = [*zygote.config["argv"], job["entry"], *job["argv"]]
        signal.pthread_sigmask(signal.SIG_SETMASK, ())
    except BaseException as exc:
        with contextlib.suppress(BaseException):
            os.write(errors_w, f"{type(exc).__name__}: {exc}".encode())
        os._exit(_SETUP_FAILED)
    os.closerange(3 + len(extra), 1 << 20)  # the setup-error pipe too: the job's turn now
    os._exit(_run_main(main, job["files"][job["entry"]]))


def _service(zygote: _Zygote, channel: _socket.socket) -> NoReturn:
    """Become the service: answer the host's requests with the configured handler until
    the zygote hangs up.

    The service holds the requests' data (the jobs it starts get none of it: each is a
    fresh fork of the zygote), so no job may reach it. It keeps the zygote's uid, which
    is not the jobs' when there are two, and gives up every capability: a job can neither
    signal nor trace it (nor, being undumpable, read its memory); with one uid, a job can
    only kill or stop it, which ends that request killed or timed out.
    """
    code = 1
    try:
        keep = channel.fileno()
        os.closerange(3, keep)
        os.closerange(keep + 1, 1 << 20)  # the control socket, the spare's, pidfds
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.close(devnull)
        os.setsid()
        if _libc.capset(*zygote.capabilities) != 0:
            raise OSError(ctypes.get_errno(), "capset")
        _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
        _prctl(_PR_SET_NO_NEW_PRIVS, 1)
        if not zygote.sandboxed:
            _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if zygote.seccomp is not None:
            zygote.seccomp.install()
        module, _, name = zygote.config["service"].partition(":")
        handler = getattr(importlib.import_module(module), name)
        jobs = Jobs(channel)
        while True:
            header, fds = _recv_fds(channel, 3)
            if not header:
                code = 0
                break
            if header[:1] == b"Q" and len(fds) == 3:
                exit_code = _answer(handler, json.loads(header[1:]), fds, jobs)
                channel.send(b"D" + json.dumps({"exit_code": exit_code}).encode())
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
    finally:
        os._exit(code)


def _answer(handler: Any, limits: dict[str, Any], fds: list[int], jobs: Jobs) -> int:
    """One request: the handler's answer to the request's data goes to its stdout, an
    exception's traceback to its stderr (exit code 1, as a crashed program's)."""
    request_fd, stdout_fd, stderr_fd = fds
    try:
        answer = handler(_read_all(request_fd), limits, jobs)
        _write_fd(stdout_fd, answer)
        return 0
    except BaseException:
        with contextlib.suppress(BaseException):
            import traceback  # only on a failure: the zygote stays small

            _write_fd(stderr_fd, traceback.format_exc().encode("utf-8", "replace"))
        return 1


class Jobs:
    """The service's way to run jobs in its sandbox: each one a fresh child of the zygote,
    as the host's jobs are, with the same isolation and cleanup; one at a time.

    A job: `files` ({name: text or bytes}, run as ``python ENTRY``), `limits` (the keys of
    the host's job header: ``wall_seconds``, ``cpu_seconds``, ``memory_mb``, ``processes``,
    ``open_files``, ``file_size_mb``, ``scratch_bytes``, ``shm_bytes``), its stdout and
    stderr fds, and up to four more fds it gets as 3, 4, ... (pipes to talk to it).
    """

    def __init__(self, channel: _socket.socket) -> None:
        self.channel = channel

    def start(
        self,
        files: dict[str, str | bytes],
        limits: dict[str, Any],
        stdout: int,
        stderr: int,
        extra: list[int],
        entry: str = "main.py",
    ) -> None:
        if len(extra) > _MAX_EXTRA_FDS:
            raise ValueError(f"a job gets at most {_MAX_EXTRA_FDS} more fds")
        payload = os.memfd_create("job", os.MFD_CLOEXEC)
        stdin = os.memfd_create("stdin", os.MFD_CLOEXEC)
        try:
            _write_fd(payload, marshal.dumps({"files": files, "entry": entry, "argv": []}))
            os.lseek(payload, 0, os.SEEK_SET)
            header = b"J" + json.dumps(limits).encode()
            _send_fds(self.channel, header, [payload, stdin, stdout, stderr, *extra])
        finally:
            os.close(payload)
            os.close(stdin)

    def fileno(self) -> int:
        """Readable when the running job's result has come."""
        return self.channel.fileno()

    def kill(self) -> None:
        """Kill the running job (its result still comes)."""
        self.channel.send(b"K")

    def result(self) -> dict[str, Any]:
        """The running job's result (blocks until it ends): how it ended, as the zygote
        tells the host (``exit_code``, ``killed``, ``cpu_seconds``, ...)."""
        message = self.channel.recv(_MAX_MESSAGE)
        if not message:
            raise EOFError("the zygote is gone")
        return json.loads(message)


def _warm_up(zygote: _Zygote) -> None:
    """A dry run of what a job's part will do (compiling costs most), in a spare forked
    ahead, while it waits for ``G``: forked pages are copied when first written, and better
    now than while the job waits. Before ``G`` the spare keeps the zygote's uid, so the
    job running meanwhile cannot reach it."""
    json.loads('{"wall_seconds": 1.0, "processes": 1}')
    marshal.loads(marshal.dumps({"files": {"main.py": "x"}, "argv": []}))
    compile("import sys\nprint(len(sys.argv))\n", zygote.work, "exec", dont_inherit=True)
    # The objects the job's setup and end write to (a new reference is a write), untouched
    importlib.machinery.SourceFileLoader("__main__", os.path.join(zygote.work, "main.py"))
    fd = os.open(os.devnull, os.O_WRONLY)
    _write_fd(fd, b"x")
    os.close(fd)
    for which in zygote.hard_limits:
        resource.setrlimit(which, resource.getrlimit(which))
    os.dup2(0, 0)
    signal.pthread_sigmask(signal.SIG_BLOCK, ())
    sys.argv[:] = list(sys.argv)
    sys.orig_argv[:] = list(sys.orig_argv)
    for stream in zygote.streams:
        stream.flush()
    atexit._ncallbacks()


def _prepare(zygote: _Zygote) -> types.ModuleType:
    """What no job decides: the job's uid, no capabilities, no_new_privs, the work dir,
    seccomp, the standard streams, a fresh ``__main__``."""
    if zygote.job_ids is not None:
        uid, gid = zygote.job_ids
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
    if _libc.capset(*zygote.capabilities) != 0:
        raise OSError(ctypes.get_errno(), "capset")
    _libc.prctl(_PR_CAP_AMBIENT, _PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    _prctl(_PR_SET_DUMPABLE, 1)  # the job's own processes are its to inspect
    if not zygote.sandboxed:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    os.mkdir(zygote.work, 0o700)  # as the job's uid, in a sticky world-writable dir
    os.chdir(zygote.work)
    if zygote.seccomp is not None:
        zygote.seccomp.install()
    # The streams over fds 0-2, which are the job's once it comes (dropping the
    # interpreter's own costs 0.1 ms: better now than while the job waits)
    sys.stdin, sys.stdout, sys.stderr = zygote.streams
    sys.__stdin__, sys.__stdout__, sys.__stderr__ = zygote.streams
    main = types.ModuleType("__main__")
    main.__cached__ = None
    main.__builtins__ = builtins
    main.__spec__ = None
    sys.modules["__main__"] = main
    sys.path.insert(0, zygote.work)
    return main


def _run_main(main: types.ModuleType, source: str | bytes) -> int:
    """Run `source` in `main` and finish like the interpreter does: the exit code."""
    code = 0
    try:
        exec(compile(source, main.__file__, "exec", dont_inherit=True), main.__dict__)
    except SystemExit as exc:
        code = _exit_code(exc)
    except BaseException as exc:
        if exc.__traceback__ is not None:  # start the traceback at the job's frame
            exc = exc.with_traceback(exc.__traceback__.tb_next)
        _print_uncaught(exc)
        code = -signal.SIGINT if isinstance(exc, KeyboardInterrupt) else 1
    with contextlib.suppress(BaseException):
        threading = sys.modules.get("threading")
        if threading is not None:
            threading._shutdown()  # join non-daemon threads, as interpreter exit does
    with contextlib.suppress(BaseException):  # Python reports these and carries on too
        atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            if code == 0:
                code = 120  # Python's code when flushing stdout at exit fails
    if code == -signal.SIGINT:  # an uncaught KeyboardInterrupt ends by SIGINT, as in Python
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        code = 130
    return code


def _exit_code(exc: SystemExit) -> int:
    value = exc.code
    if value is None:
        return 0
    if isinstance(value, int):
        return value & 0xFF if -(1 << 31) <= value < (1 << 31) else 255
    with contextlib.suppress(BaseException):
        sys.stderr.write(f"{value}\n")
    return 1


def _print_uncaught(exc: BaseException) -> None:
    sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, exc.__traceback__
    try:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    except BaseException:
        with contextlib.suppress(BaseException):
            sys.__excepthook__(type(exc), exc, exc.__traceback__)


def _install_module(name: str, source: str, work: str) -> None:
    """Execute `source` as module `name`, as if a job imported it from its work dir.

    Its parent packages, unless already imported, are made empty, with their folder in the
    work dir as their path: a job's own modules under them import as they would without us.
    """
    parts = name.split(".")
    for depth in range(1, len(parts)):
        package = ".".join(parts[:depth])
        if package not in sys.modules:
            module = types.ModuleType(package)
            module.__path__ = [os.path.join(work, *parts[:depth])]
            module.__file__ = os.path.join(work, *parts[:depth], "__init__.py")
            sys.modules[package] = module
    path = os.path.join(work, *parts) + ".py"
    module = types.ModuleType(name)
    module.__file__ = path
    module.__package__ = name.rpartition(".")[0]
    sys.modules[name] = module
    try:
        exec(compile(source, path, "exec", dont_inherit=True), module.__dict__)
    except BaseException:
        del sys.modules[name]
        raise
    if module.__package__:
        setattr(sys.modules[module.__package__], parts[-1], module)


# -- file descriptors and files ----------------------------------------------------------


def _arrange_standard_fds() -> None:
    """Fds 0-2 of the kinds a job's will be (stdin a memfd, stdout and stderr pipes), so
    that streams made over them now behave right once a child has put its own there."""
    stdin = os.memfd_create("stdin", 0)
    _, out_w = os.pipe()  # the read end stays open (never read: nothing is written)
    for source, target in ((stdin, 0), (out_w, 1), (out_w, 2)):
        os.dup2(source, target)
    os.close(stdin)
    os.close(out_w)


def _standard_streams() -> tuple[io.TextIOWrapper, io.TextIOWrapper, io.TextIOWrapper]:
    """What the interpreter makes for fds 0-2 in UTF-8 mode, when they are not terminals."""
    streams = []
    for fd, name in enumerate(("<stdin>", "<stdout>", "<stderr>")):
        mode = "r" if fd == 0 else "w"
        raw = io.FileIO(fd, mode, closefd=False)
        raw.name = name
        buffer = io.BufferedReader(raw) if fd == 0 else io.BufferedWriter(raw)
        errors = "backslashreplace" if fd == 2 else "surrogateescape"
        stream = io.TextIOWrapper(buffer, "utf-8", errors, "\n", line_buffering=fd == 2)
        stream.mode = mode
        streams.append(stream)
    return streams[0], streams[1], streams[2]


def _recv_fds(sock: _socket.socket, most: int) -> tuple[bytes, list[int]]:
    message, ancillary, _, _ = sock.recvmsg(_MAX_MESSAGE, _socket.CMSG_LEN(most * 4))
    fds: list[int] = []
    for level, kind, data in ancillary:
        if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS:
            count = len(data) // 4
            fds += struct.unpack(f"{count}i", data[: count * 4])
    return message, fds


def _send_fds(sock: _socket.socket, message: bytes, fds: list[int]) -> None:
    rights = struct.pack(f"{len(fds)}i", *fds)
    sock.sendmsg([message], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, rights)])


def _moved_up(fd: int) -> int:
    """`fd` moved to a number above 3 + `_MAX_EXTRA_FDS` (closing the old one)."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 4 + _MAX_EXTRA_FDS)
    os.close(fd)
    return moved


def _write_file(name: str, content: str | bytes) -> None:
    directory = os.path.dirname(name)
    if directory:
        os.makedirs(directory, 0o755, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    try:
        _write_fd(fd, data)
    finally:
        os.close(fd)


def _write_fd(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, _MB):
        chunks.append(chunk)
    return b"".join(chunks)


def _remove(path: str) -> None:
    """Remove a file or a whole tree whatever its modes (we may bypass them: DAC_OVERRIDE)."""
    try:
        if not os.path.isdir(path) or os.path.islink(path):
            os.unlink(path)
            return
        with contextlib.suppress(OSError):
            os.chmod(path, 0o700)  # without DAC_OVERRIDE, the owner can let itself in
        for name in os.listdir(path):
            _remove(os.path.join(path, name))
        os.rmdir(path)
    except OSError:
        pass


# -- processes ------------------------------------------------------------------------------


def _set_limit(hard: dict[int, int], which: int, soft: int, limit: int | None = None) -> None:
    """Set soft and hard limit (default: both `soft`), never above the hard limit we had."""
    limit = soft if limit is None else limit
    if hard[which] != resource.RLIM_INFINITY:
        soft, limit = min(soft, hard[which]), min(limit, hard[which])
    resource.setrlimit(which, (soft, limit))


def _prctl(option: int, value: int) -> None:
    if _libc.prctl(option, value, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl({option}): {os.strerror(errno)}")


def _count_processes(uid: int) -> int:
    count = 0
    for name in os.listdir("/proc"):
        with contextlib.suppress(OSError, ValueError):
            if name.isdigit() and os.stat(f"/proc/{name}").st_uid == uid:
                count += 1
    return count


def _kill_descendants(keep: list[_Spare]) -> bool:
    """SIGKILL every descendant of this process but `keep` and theirs (a /proc scan):
    whether there was any.

    Only when this process has children: a job's orphans come back to us (we are a child
    subreaper), so with none, there is nothing left to find.
    """
    try:
        if os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
            pass  # children exist, none has exited yet
    except ChildProcessError:
        return False
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as file:
                    fields = file.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(name))
    found = False
    kept = {child.pid for child in keep}
    todo = [pid for pid in children.get(os.getpid(), []) if pid not in kept]
    while todo:
        pid = todo.pop()
        found = True
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        todo += children.get(pid, [])
    return found


def _remove_ipc_objects(job_uid: int | None) -> None:
    """SysV shared memory, semaphores and message queues outlive their creators: remove every
    one in our IPC namespace, as their owner (IPC_RMID wants the owner or CAP_SYS_ADMIN)."""
    found = []
    for kind in ("shm", "sem", "msg"):
        try:
            with open(f"/proc/sysvipc/{kind}") as file:
                lines = file.read().splitlines()[1:]
        except OSError:
            continue
        found += [(kind, int(line.split()[1])) for line in lines if len(line.split()) > 1]
    if not found:
        return
    if job_uid is not None:
        os.seteuid(job_uid)
    try:
        for kind, ident in found:
            if kind == "sem":
                _libc.semctl(ident, 0, 0)  # IPC_RMID
            else:
                getattr(_libc, f"{kind}ctl")(ident, 0, None)
    finally:
        if job_uid is not None:
            os.seteuid(0)
            # A change of effective uid clears the parent-death signal (bwrap's
            # --die-with-parent, or our own outside a sandbox): without it, a zygote that no
            # longer reads its socket would outlive its sandbox's bubblewrap, or the host
            _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


# -- seccomp ------------------------------------------------------------------------------

# Per architecture: the AUDIT_ARCH value; the syscall numbers of keyctl, add_key,
# request_key, unshare, setns, bpf, perf_event_open, userfaultfd, io_uring_setup,
# io_uring_enter, io_uring_register; clone; clone3.
_SYSCALLS = {
    "x86_64": (0xC000003E, (250, 248, 249, 272, 308, 321, 298, 323, 425, 426, 427), 56, 435),
    "aarch64": (0xC00000B7, (219, 217, 218, 97, 268, 280, 241, 282, 425, 426, 427), 220, 435),
}
_NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
_EPERM, _ENOSYS = 1, 38


class _SockFprog(ctypes.Structure):
    _fields_ = (("len", ctypes.c_ushort), ("filter", ctypes.c_void_p))


class _Seccomp:
    """A classic-BPF seccomp filter, built once in the zygote and installed in each child.

    Refused with EPERM: the syscalls listed in `_SYSCALLS` and clone with a namespace flag;
    clone3 gets ENOSYS (its flags are behind a pointer; libc then falls back to clone).
    Syscalls of another ABI (x32, i386 on x86-64) get ENOSYS.
    """

    def __init__(self, program: bytes) -> None:
        self.filters = ctypes.create_string_buffer(program, len(program))
        self.fprog = _SockFprog(len(program) // 8, ctypes.cast(self.filters, ctypes.c_void_p))

    @classmethod
    def build(cls) -> _Seccomp | None:
        """None on an architecture we have no syscall table for."""
        table = _SYSCALLS.get(os.uname().machine)
        if table is None:
            return None
        arch, refused, clone, clone3 = table
        ld, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
        allow, eperm, enosys = 0x7FFF0000, 0x00050000 | _EPERM, 0x00050000 | _ENOSYS
        code: list[tuple[int, Any, Any, int]] = [(ld, 0, 0, 4), (jeq, 0, "enosys", arch)]
        code.append((ld, 0, 0, 0))
        if arch == 0xC000003E:
            code.append((jge, "enosys", 0, 0x40000000))  # the x32 ABI
        code += [(jeq, "eperm", 0, number) for number in refused]
        code += [(jeq, "enosys", 0, clone3), (jeq, 0, "allow", clone)]
        code += [(ld, 0, 0, 16), (jset, "eperm", "allow", _NAMESPACE_FLAGS)]  # clone's flags
        labels = {"allow": len(code), "eperm": len(code) + 1, "enosys": len(code) + 2}
        code += [(ret, 0, 0, allow), (ret, 0, 0, eperm), (ret, 0, 0, enosys)]
        program = bytearray()
        for index, (op, true, false, k) in enumerate(code):
            jt = labels[true] - index - 1 if isinstance(true, str) else true
            jf = labels[false] - index - 1 if isinstance(false, str) else false
            program += struct.pack("=HBBI", op, jt, jf, k)
        return cls(bytes(program))

    def install(self) -> None:
        if _libc.prctl(_PR_SET_SECCOMP, 2, ctypes.byref(self.fprog), 0, 0) != 0:  # FILTER mode
            errno = ctypes.get_errno()
            raise OSError(errno, f"seccomp: {os.strerror(errno)}")


if __name__ == "__main__":
    main(sys.argv[1])

"""The sandbox's own side: the launcher that sets a sandbox up and runs the job's steps.

Runs *inside* the sandbox, as the unprivileged sandbox user, under the toolchain's Python
(``python -I -S -c <this file's text> SPEC_FD STATUS_FD``), so it keeps to the standard
library and to Python 3.8, and imports only C modules (``ctypes``, ``marshal``,
``_signal``, ...): each job pays for this process's start, and ``json``, ``base64`` or
``signal`` would add 8 ms to it (they import ``re`` and ``enum``). Its text travels in
argv, so it needs no path the sandbox user can read. The supervisor
(``sandboxes/supervise.py``) starts it; it:

1. reads the spec (``marshal`` format 4, from the memfd ``SPEC_FD``): files, environment,
   the steps (a compile step, then the run step) with their rlimits and wall times; if
   started as root (``process`` mode), it becomes the spec's ``drop`` uid and gid first;
2. in ``process`` mode with namespaces: creates new user, mount, pid, network, IPC, UTS
   and cgroup namespaces (the user namespace maps only the sandbox uid, to itself), forks
   the pid namespace's init and, there, makes every mount read-only, mounts a fresh
   ``/proc``, an empty read-only tmpfs over each folder of the spec's ``hide``, a
   size-limited tmpfs on ``/tmp`` (which holds the work dir) and on ``/dev/shm``, and
   sets ``user.max_user_namespaces`` to 0 (no nested namespaces);
   in ``bwrap`` and ``docker`` mode that was done for it and it is already pid 1;
   without namespaces it is a child subreaper instead;
3. writes the job's files, then runs each step in a forked child: signals reset, fds
   0-2 set, every other fd closed, ``PR_SET_NO_NEW_PRIVS``, rlimits, ``execve`` with the
   job's environment;
4. waits for the step (reaping orphans too: their CPU time counts, their peak RSS is a
   maximum), kills it at its wall time, then kills everything else in the sandbox
   (``kill(-1)`` only in its own pid namespace; a sweep of its children otherwise);
5. reports one line per event on ``STATUS_FD``, a Python literal (``repr`` of a dict):
   ``step`` when a step starts, ``done`` when it ended (raw wait status, CPU seconds,
   peak RSS, wall seconds, whether *we* killed it and why), ``note`` for isolation it
   could not get, ``failed`` when the sandbox could not be set up. ``STATUS_FD`` -1 means
   "on stderr, after everything else, each line behind the spec's ``nonce``" (Docker,
   where no extra fd crosses), and the spec then comes on stdin.

The job cannot forge a report: it never holds ``STATUS_FD`` and never sees the nonce; the
launcher is its pid namespace's init (signals from inside cannot kill it) and is not
dumpable (the job cannot ptrace it or read its ``/proc`` files).
"""

from __future__ import annotations

import _signal
import ctypes
import fcntl
import marshal
import os
import resource
import sys
import time

_CLONE_NEWNS = 0x00020000
_CLONE_NEWCGROUP = 0x02000000
_CLONE_NEWUTS = 0x04000000
_CLONE_NEWIPC = 0x08000000
_CLONE_NEWUSER = 0x10000000
_CLONE_NEWPID = 0x20000000
_CLONE_NEWNET = 0x40000000
_MS = {"ro": 1, "nosuid": 2, "nodev": 4, "noexec": 8, "noatime": 1024, "nodiratime": 2048}
_MS.update(relatime=1 << 21, strictatime=1 << 24)
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18
_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_SET_CHILD_SUBREAPER, _PR_SET_NO_NEW_PRIVS = 1, 4, 36, 38
_SIGKILL, _SIGALRM, _SIGINT = _signal.SIGKILL, _signal.SIGALRM, _signal.SIGINT

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p]
_libc.mount.argtypes += [ctypes.c_ulong, ctypes.c_char_p]
_libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
_libc.prctl.argtypes += [ctypes.c_ulong]


class SetupError(Exception):
    """The sandbox could not be set up; reported as ``failed``."""


def _check(result: int, what: str) -> None:
    if result != 0:
        raise SetupError(f"{what}: {os.strerror(ctypes.get_errno())}")


def _prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, value, 0, 0, 0), f"prctl({option})")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    def enc(text: str | None) -> bytes | None:
        return text.encode() if text else None

    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def _quietly(function, *args) -> None:  # type: ignore[no-untyped-def]
    """Call `function`, ignoring OSError (a process already gone, a closed pipe)."""
    try:  # noqa: SIM105 - contextlib would cost every job 2 ms of imports
        function(*args)
    except OSError:
        pass


class Reporter:
    """Event lines to the supervisor, on a pipe or, with fd -1, at the end on stderr."""

    def __init__(self, fd: int) -> None:
        self.fd, self.nonce, self.held = fd, b"", []

    def send(self, **event: object) -> None:
        line = repr(event).encode() + b"\n"
        if self.fd < 0:
            self.held.append(b"\n" + self.nonce + line)
        else:
            _quietly(os.write, self.fd, line)  # the supervisor is gone: PDEATHSIG ends us

    def flush_to_stderr(self) -> None:
        for line in self.held:
            _quietly(os.write, 2, line)


# -- namespaces and mounts (process mode) ------------------------------------------------


def _enter_namespaces() -> None:
    """New user namespace (the sandbox uid mapped to itself) and the others it owns."""
    uid, gid = os.getuid(), os.getgid()
    flags = _CLONE_NEWUSER | _CLONE_NEWNS | _CLONE_NEWPID | _CLONE_NEWNET
    flags |= _CLONE_NEWIPC | _CLONE_NEWUTS | _CLONE_NEWCGROUP
    _check(_libc.unshare(flags), "unshare (user namespaces)")
    maps = (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1"))
    for name, text in maps:
        with open(f"/proc/self/{name}", "w") as file:
            file.write(text)


def _mountinfo() -> list[tuple[str, int]]:
    """Every mount point with the flags a read-only bind remount must keep."""
    mounts = []
    with open("/proc/self/mountinfo") as file:
        for line in file:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")
            flags = 0
            for option in fields[5].split(","):
                flags |= _MS.get(option, 0)
            mounts.append((point, flags))
    return mounts


def _private_mounts(spec: dict, report: Reporter) -> None:
    """In the new mount namespace: everything read-only, fresh /proc, private tmpfs."""
    _mount(None, "/", None, _MS_REC | _MS_PRIVATE)
    failed = []
    for point, flags in _mountinfo():
        try:
            _mount(None, point, None, _MS_REMOUNT | _MS_BIND | _MS["ro"] | flags)
        except SetupError:
            failed.append(point)
    if "/" in failed:
        raise SetupError("could not make the root file system read-only")
    safe = _MS["nosuid"] | _MS["nodev"]
    try:
        _mount("proc", "/proc", "proc", safe | _MS["noexec"])
    except SetupError as exc:  # a container that masks parts of /proc forbids a new one
        failed.append(f"/proc (kept the host's: {exc})")
    for folder in spec["hide"]:  # an empty read-only tmpfs over each
        if os.path.isdir(folder) and not os.path.islink(folder):
            try:
                _mount("tmpfs", folder, "tmpfs", safe | _MS["noexec"] | _MS["ro"], "size=4k")
            except SetupError:
                failed.append(folder)
    _mount("tmpfs", "/tmp", "tmpfs", safe, f"size={spec['scratch_bytes']},mode=0755")
    if os.path.isdir("/dev/shm"):
        _mount("tmpfs", "/dev/shm", "tmpfs", safe, f"size={spec['shm_bytes']},mode=1777")
    try:
        with open("/proc/sys/user/max_user_namespaces", "w") as file:
            file.write("0")
    except OSError:
        failed.append("user.max_user_namespaces")
    _check(_libc.sethostname(b"sandbox", 7), "sethostname")
    if failed:
        report.send(event="note", detail="not isolated: " + ", ".join(failed))


# -- steps --------------------------------------------------------------------------------


def _write_files(spec: dict) -> None:
    workdir = spec["workdir"]
    os.makedirs(workdir, mode=0o700, exist_ok=True)
    for name, content in spec["files"]:
        path = os.path.join(workdir, name)
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(path, "wb") as file:
            file.write(content)


def _exec_step(step: dict, spec: dict, fds: tuple[int, int, int], error_fd: int) -> None:
    """In the forked child: become the step's program, or report why not on `error_fd`."""
    try:
        for number in range(1, _signal.NSIG):
            try:  # noqa: SIM105 - as above, no contextlib
                _signal.signal(number, _signal.SIG_DFL)
            except (OSError, ValueError, RuntimeError):
                pass  # SIGKILL, SIGSTOP and the real-time signals glibc reserves
        _signal.pthread_sigmask(_signal.SIG_SETMASK, [])
        high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in fds]  # out of 0-2's way
        for target, fd in enumerate(high):
            os.dup2(fd, target)  # inheritable, unlike dup2 of an fd onto itself
        os.closerange(3, error_fd)
        os.closerange(error_fd + 1, 65536)
        os.chdir(spec["workdir"])
        os.umask(0o077)
        _prctl(_PR_SET_NO_NEW_PRIVS, 1)
        for name, (soft, hard) in step["rlimits"].items():
            resource.setrlimit(getattr(resource, "RLIMIT_" + name), (soft, hard))
        os.execve(step["argv"][0], step["argv"], spec["env"])
    except BaseException as exc:
        try:
            os.write(error_fd, f"cannot run {step['argv'][0]}: {exc}".encode()[:4000])
        finally:
            os._exit(127)


def _descendants() -> list[int]:
    pids = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as file:
                pids.extend(int(pid) for pid in file.read().split())
    except OSError:
        pass
    return pids


class _Usage:
    """CPU seconds and peak RSS (KB) of the processes a step's sandbox reaped."""

    def __init__(self) -> None:
        self.cpu, self.rss = 0.0, 0

    def add(self, usage: resource.struct_rusage) -> None:
        self.cpu += usage.ru_utime + usage.ru_stime
        self.rss = max(self.rss, usage.ru_maxrss)


def _kill_the_rest(own_pid_namespace: bool, usage: _Usage) -> None:
    """Kill every process the step left behind, and reap them."""
    for _ in range(1000):
        if own_pid_namespace:
            _quietly(os.kill, -1, _SIGKILL)  # all but us: we are the namespace's init
        else:
            for pid in _descendants():
                _quietly(os.kill, pid, _SIGKILL)
        try:
            while True:
                pid, _, rusage = os.wait4(-1, os.WNOHANG)
                if not pid:
                    break
                usage.add(rusage)
        except ChildProcessError:
            return
        time.sleep(0.001)


def _wait_step(pid: int, wall: float, usage: _Usage) -> tuple[int, str | None]:
    """Reap until `pid` ends, killing it at `wall` seconds: its wait status, killed_for.

    Blocks in ``wait4(-1)``, which also reaps the orphans that come to us (we are init or a
    subreaper), so that they free their ``RLIMIT_NPROC`` slots at once; a ``SIGALRM``
    timer interrupts it at the deadline (a SIGALRM the job sends before then is ignored).
    """
    deadline = time.monotonic() + wall
    killed_for: list[str] = []
    try:
        pidfd: int | None = os.pidfd_open(pid)  # type: ignore[attr-defined]
    except (AttributeError, OSError):
        pidfd = None

    def on_alarm(signum: int, frame: object) -> None:
        left = deadline - time.monotonic()
        if left > 0.001:
            _signal.setitimer(_signal.ITIMER_REAL, left)
        elif not killed_for:
            killed_for.append("wall")
            if pidfd is not None:  # a pidfd never names a reused pid
                _quietly(_signal.pidfd_send_signal, pidfd, _SIGKILL)  # type: ignore[attr-defined]
            else:
                _quietly(os.kill, pid, _SIGKILL)

    _signal.signal(_SIGALRM, on_alarm)
    _signal.setitimer(_signal.ITIMER_REAL, wall)
    try:
        while True:
            reaped, status, rusage = os.wait4(-1, 0)
            usage.add(rusage)
            if reaped == pid:
                return status, (killed_for[0] if killed_for else None)
    finally:
        _signal.setitimer(_signal.ITIMER_REAL, 0)
        _signal.signal(_SIGALRM, _signal.SIG_DFL)
        if pidfd is not None:
            os.close(pidfd)


def _run_step(step: dict, spec: dict, report: Reporter, own_pid_namespace: bool) -> dict:
    if step["kind"] == "compile":
        output = os.memfd_create("compile-output")
        null = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
        fds = (null, output, output)
    else:
        output = null = -1
        fds = (spec["stdin_fd"], 1, 2)
    error_read, error_write = os.pipe2(os.O_CLOEXEC)
    report.send(event="step", kind=step["kind"])
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _exec_step(step, spec, fds, error_write)
    os.close(error_write)
    exec_error = b""
    while chunk := os.read(error_read, 4096):  # EOF when the exec succeeded
        exec_error += chunk
    os.close(error_read)
    usage = _Usage()
    status, killed_for = _wait_step(pid, step["wall_seconds"], usage)
    wall = time.monotonic() - started
    _kill_the_rest(own_pid_namespace, usage)
    done = {"event": "done", "kind": step["kind"], "wait_status": status}
    done.update(cpu_seconds=usage.cpu, peak_rss_kb=usage.rss, wall_seconds=wall)
    done.update(killed_for=killed_for)
    if exec_error:
        done["exec_error"] = exec_error.decode("utf-8", "replace")
    if output >= 0:
        os.lseek(output, 0, os.SEEK_SET)
        done["output"] = os.read(output, spec["compile_output_bytes"]).decode("utf-8", "replace")
        os.close(output)
        os.close(null)
    return done


# -- main ---------------------------------------------------------------------------------


def _init(spec: dict, report: Reporter) -> None:
    """The sandbox's init: files, then the steps in order until one fails."""
    own_pid_namespace = spec["pid_namespace"] and os.getpid() == 1
    if not own_pid_namespace:
        _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    _signal.signal(_SIGINT, _signal.SIG_DFL)  # as pid 1, SIG_DFL means "ignored"
    _prctl(_PR_SET_DUMPABLE, 0)
    if spec.get("stdin") is not None:
        spec["stdin_fd"] = os.memfd_create("stdin")
        os.write(spec["stdin_fd"], spec.pop("stdin"))
        os.lseek(spec["stdin_fd"], 0, os.SEEK_SET)
    else:
        spec["stdin_fd"] = 0
    _write_files(spec)
    spec["files"] = []  # the steps fork from us: keep their inherited image small
    for step in spec["steps"]:
        done = _run_step(step, spec, report, own_pid_namespace)
        report.send(**done)
        if done["wait_status"] != 0 or done.get("exec_error"):
            return


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def main(argv: list[str]) -> None:
    spec_fd, status_fd = int(argv[1]), int(argv[2])
    report = Reporter(status_fd)
    try:
        spec = marshal.loads(_read_all(spec_fd if spec_fd >= 0 else 0))
        report.nonce = spec.get("nonce", "").encode()
        if spec.get("drop"):  # started as root: become the sandbox user before anything else
            uid, gid = spec["drop"]
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            _prctl(_PR_SET_DUMPABLE, 1)  # a uid change clears it, and /proc/self with it
        _prctl(_PR_SET_PDEATHSIG, _SIGKILL)  # after the uid change, which would clear it
        if spec.get("parent") and os.getppid() != spec["parent"]:
            os._exit(1)  # the supervisor died before PR_SET_PDEATHSIG took effect
        if spec["mode"] == "process" and spec["namespaces"]:
            _enter_namespaces()
            child = os.fork()
            if child:  # outside the pid namespace: wait for its init, hold nothing open
                os.closerange(0, 65536)
                os.waitpid(child, 0)
                os._exit(0)
            _prctl(_PR_SET_PDEATHSIG, _SIGKILL)
            _private_mounts(spec, report)
        _init(spec, report)
    except SetupError as exc:
        report.send(event="failed", detail=str(exc))
    except BaseException as exc:
        report.send(event="failed", detail=f"{type(exc).__name__}: {exc}")
    report.flush_to_stderr()
    os._exit(0)  # no interpreter shutdown: nothing is left to flush


if __name__ == "__main__":
    main(sys.argv)

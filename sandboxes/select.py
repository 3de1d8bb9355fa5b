"""Choosing a backend: by name, or the strongest one that works on this machine.

`default_executor` takes the first available of `PREFERENCE`:

1. ``bwrap``: the strongest isolation that needs no daemon (only ``/usr`` and the
   toolchain visible, every namespace new), for about the same cost per job as
   ``process`` (one more exec and a few mounts);
2. ``process``: always there on Linux; with user namespaces (the default where the kernel
   allows) the job gets its own pid, network and mount namespaces but sees the host's
   files that nobody may read; without them, only rlimits, uid nobody and a session.

``default_executor(warm=True)`` sends Python jobs to ``warm-bwrap`` where it runs: a
bubblewrap sandbox like bwrap's per worker, kept warm, a fresh fork of a clean zygote per
job and everything the job leaves removed after it (`sandboxes.warm`); other languages go
to the default. Never to ``warm-process``: without bubblewrap, the cold ``process`` backend
isolates more (its namespaces).

``docker`` is never picked by default, even when an engine answers: a container start per
job costs hundreds of milliseconds and needs a daemon. Ask for it by name. What was
picked is always visible: ``executor.name``, and `describe_backends` says for each
backend whether it can run here, why not, and what it isolates.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from typing import Any

from sandboxes.base import Executor, SandboxError, SandboxUnavailable
from sandboxes.bwrap import BwrapExecutor
from sandboxes.docker import DockerExecutor
from sandboxes.process import ProcessExecutor
from sandboxes.warm import WarmProcessExecutor, WarmPythonExecutor

__all__ = [
    "BACKENDS",
    "PREFERENCE",
    "BackendInfo",
    "default_executor",
    "describe_backends",
    "get_executor",
]

BACKENDS: dict[str, type[Executor]] = {
    BwrapExecutor.name: BwrapExecutor,
    ProcessExecutor.name: ProcessExecutor,
    DockerExecutor.name: DockerExecutor,
    WarmPythonExecutor.name: WarmPythonExecutor,
    WarmProcessExecutor.name: WarmProcessExecutor,
}
"""Every backend by name."""
PREFERENCE = (BwrapExecutor.name, ProcessExecutor.name)
"""What `default_executor` tries, in order."""


@dataclass(frozen=True)
class BackendInfo:
    """One backend as seen from this machine."""

    name: str
    available: bool
    reason: str
    """Why it cannot run here; or, when it can, a note on how (may be empty)."""
    isolation: str
    default: bool
    """Whether `default_executor` picks it here."""

    def __str__(self) -> str:
        state = "default" if self.default else "available" if self.available else "unavailable"
        reason = f" ({self.reason})" if self.reason else ""
        return f"{self.name:8} {state}{reason}\n         {self.isolation}"


def get_executor(name: str, **options: Any) -> Executor:
    """The backend called `name`, built with `options` (its constructor's keywords).

    Raises:
        SandboxError: no backend has that name (the message lists them).
        SandboxUnavailable: it cannot run here (the message says why).
    """
    try:
        backend = BACKENDS[name]
    except KeyError:
        close = difflib.get_close_matches(name, BACKENDS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        available = [known for known, cls in BACKENDS.items() if cls.available() is None]
        raise SandboxError(
            f"unknown sandbox backend {name!r}; the backends are {', '.join(BACKENDS)} "
            f"(available here: {', '.join(available) or 'none'}).{hint}"
        ) from None
    if (why := backend.available()) is not None:
        raise SandboxUnavailable(f"the {name} sandbox cannot run here: {why}")
    return backend(**options)


def default_executor(*, warm: bool = False, **warm_options: Any) -> Executor:
    """The first backend of `PREFERENCE` that runs here.

    With `warm`, Python jobs go to ``warm-bwrap`` where the default is ``bwrap`` (built
    with `warm_options`), the others to the default as its fallback: for callers that run
    many short Python programs (see the module).

    Raises:
        SandboxUnavailable: none does (the message gives each one's reason).
    """
    reasons = []
    for name in PREFERENCE:
        try:
            chosen = get_executor(name)
        except SandboxUnavailable as exc:
            reasons.append(str(exc))
            continue
        if warm and name == BwrapExecutor.name and WarmPythonExecutor.available() is None:
            return WarmPythonExecutor(fallback=chosen, **warm_options)
        return chosen
    raise SandboxUnavailable("no sandbox backend runs here: " + "; ".join(reasons))


def describe_backends() -> list[BackendInfo]:
    """Each backend: can it run here, why not (or how), what it isolates, the default?"""
    infos = []
    for name, backend in BACKENDS.items():
        reason = backend.available() or ""
        available = not reason
        if available and backend is ProcessExecutor:
            try:
                namespaces = ProcessExecutor().namespaces
            except SandboxUnavailable as exc:
                available, reason = False, str(exc)
            else:
                reason = "with namespaces" if namespaces else "without namespaces"
        infos.append(BackendInfo(name, available, reason, backend.isolation, default=False))
    usable = {info.name for info in infos if info.available}
    chosen = next((name for name in PREFERENCE if name in usable), None)
    return [dataclasses.replace(info, default=info.name == chosen) for info in infos]

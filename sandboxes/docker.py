"""`DockerExecutor`: a job in a single-use Docker container, from a warm pool.

Needs the ``docker`` extra (``pip install 'rlvr-envs[docker]'``, the Docker SDK, imported
only here and only when used) and a Docker engine that answers. Each job runs in its own
container, created ahead of time by a small pool (`pool_size` per set of limits) and
removed after the job: a container is never reused, so nothing a job leaves behind
(files, daemons, a poisoned interpreter) reaches the next one. The pool hides the create
cost; the start (a few hundred ms) remains, which is why `default_executor` never picks
this backend by itself.

Each container has no network (``network_mode="none"``), a read-only root file system,
``/tmp`` (with the work dir ``/tmp/work``) as a size-limited tmpfs, user 65534:65534, no
capabilities, ``no-new-privileges``, a private IPC namespace, one CPU, a memory limit
(the job's memory plus the launcher's and the tmpfs', no swap) and a pids limit. Inside,
the same launcher as the other backends (``sandboxes/_child.py``) is pid 1: it reads its
spec from stdin, applies the rlimits (except ``RLIMIT_NPROC``, which Docker does not
namespace: the pids limit replaces it), runs the steps and, after killing every other
process, reports on stderr behind a random nonce that the job never sees. A container the
kernel's OOM killer stopped is status ``memory``.

`toolchain` names paths *inside the image* (default: ``python:3.11-slim``, Python only);
use an image with gcc and node, and say where they are, for the other languages.
"""

from __future__ import annotations

import contextlib
import dataclasses
import secrets
import socket
import struct
import threading
import time
from collections import defaultdict
from typing import Any, ClassVar

from sandboxes.base import Executor, SandboxUnavailable
from sandboxes.job import Execution, Job, Limits, RunStatus
from sandboxes.languages import COMPILE_LIMITS, SANDBOX_UID, Toolchain, plan
from sandboxes.supervise import (
    BACKSTOP_SECONDS,
    SETUP_SECONDS,
    build_spec,
    classify,
    decode_event,
    encode_spec,
    launcher_command,
    scratch_bytes,
)

__all__ = ["DockerExecutor"]

_WORKDIR = "/tmp/work"
_LAUNCHER_MB = 64
"""Memory the container needs beyond the job: the launcher's interpreter, page cache."""
_FRAME = struct.Struct(">BxxxL")  # Docker's multiplexed stream header: stream, length
_DEFAULT_TOOLCHAIN = Toolchain(python="/usr/local/bin/python3", cc=None, cxx=None, node=None)


class DockerExecutor(Executor):
    """Runs each job in a fresh, locked-down container (see the module docstring).

    Args:
        image: the image; it must hold the toolchain (pulled beforehand: this never pulls).
        toolchain: absolute paths of the tools inside `image`.
        pool_size: containers kept created, ahead of use, per distinct set of limits.
        compile_limits: limits of the compile step of C and C++ jobs.
        client: a ``docker.DockerClient`` (default: ``docker.from_env()``).

    Raises:
        SandboxUnavailable: no Docker SDK, no engine, or no such image.
    """

    name: ClassVar[str] = "docker"
    isolation: ClassVar[str] = (
        "Docker container per job: no network, read-only root, tmpfs /tmp, uid nobody, "
        "no capabilities, cgroup memory and pids limits; plus rlimits"
    )

    def __init__(
        self,
        image: str = "python:3.11-slim",
        *,
        toolchain: Toolchain = _DEFAULT_TOOLCHAIN,
        pool_size: int = 2,
        compile_limits: Limits = COMPILE_LIMITS,
        client: Any = None,
    ) -> None:
        if client is None:
            if (why := self.available()) is not None:
                raise SandboxUnavailable(why)
            import docker

            client = docker.from_env()
        self.client = client
        self.image = image
        self.toolchain = toolchain
        self.pool_size = pool_size
        self.compile_limits = compile_limits
        try:
            client.images.get(image)
        except Exception as exc:
            raise SandboxUnavailable(
                f"the Docker image {image!r} is not available ({exc}); run: docker pull {image}"
            ) from None
        self._pool: defaultdict[tuple[int, ...], list[Any]] = defaultdict(list)
        self._lock = threading.Lock()
        self._closed = False

    @classmethod
    def available(cls) -> str | None:
        try:
            import docker
        except ImportError:
            return "the Docker SDK is not installed: pip install 'rlvr-envs[docker]'"
        try:
            client = docker.from_env(timeout=5)
            client.ping()
            client.close()
        except Exception as exc:
            return f"no Docker engine answers ({type(exc).__name__}: {exc})"
        return None

    def run(self, job: Job) -> Execution:
        try:
            build = plan(job, self.toolchain)
        except SandboxUnavailable as exc:
            return Execution(RunStatus.ERROR, None, backend=self.name, detail=str(exc))
        spec = build_spec(
            job,
            build,
            mode="docker",
            workdir=_WORKDIR,
            namespaces=False,
            pid_namespace=True,
            compile_limits=self.compile_limits,
            launcher_processes=1,
        )
        for step in spec["steps"]:  # Docker counts uids across containers: pids limit instead
            step["rlimits"].pop("NPROC")
        spec["nonce"] = secrets.token_hex(16)
        spec["stdin"] = job.stdin_bytes
        key = _pool_key(job.limits, scratch_bytes(job.limits, build))
        started = time.monotonic()
        try:
            container = self._take(key)
        except Exception as exc:
            detail = f"cannot create a container: {type(exc).__name__}: {exc}"
            return Execution(RunStatus.ERROR, None, backend=self.name, detail=detail)
        try:
            return self._run_in(container, spec, job.limits, started)
        except Exception as exc:  # the engine failed us, not the job
            detail = f"the Docker engine failed: {type(exc).__name__}: {exc}"
            return Execution(RunStatus.ERROR, None, backend=self.name, detail=detail)
        finally:
            threading.Thread(target=_remove, args=(container,), daemon=True).start()
            self._refill(key)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pooled = [container for containers in self._pool.values() for container in containers]
            self._pool.clear()
        for container in pooled:
            _remove(container)

    # -- containers ---------------------------------------------------------------------

    def _take(self, key: tuple[int, ...]) -> Any:
        with self._lock:
            if self._pool[key]:
                return self._pool[key].pop()
        return self._create(key)

    def _refill(self, key: tuple[int, ...]) -> None:
        def fill() -> None:
            while True:
                with self._lock:
                    if self._closed or len(self._pool[key]) >= self.pool_size:
                        return
                try:
                    container = self._create(key)
                except Exception:
                    return  # the next run creates one itself, and reports the error
                with self._lock:
                    if self._closed:
                        break
                    self._pool[key].append(container)
            _remove(container)

        threading.Thread(target=fill, daemon=True).start()

    def _create(self, key: tuple[int, ...]) -> Any:
        memory_mb, processes, scratch, shm = key
        memory = (memory_mb + _LAUNCHER_MB) * 2**20 + scratch + shm  # tmpfs is charged too
        assert self.toolchain.python is not None
        return self.client.containers.create(
            self.image,
            command=[*launcher_command(self.toolchain.python), "-1", "-1"],
            stdin_open=True,  # with detach=False this sets StdinOnce: EOF reaches the launcher
            user=f"{SANDBOX_UID}:{SANDBOX_UID}",
            working_dir="/",
            environment={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
            hostname="sandbox",
            network_mode="none",
            read_only=True,
            tmpfs={"/tmp": f"size={scratch},mode=1777"},
            shm_size=shm,
            ipc_mode="private",
            cap_drop=["ALL"],
            security_opt=["no-new-privileges"],
            mem_limit=memory,
            memswap_limit=memory,
            pids_limit=processes + 1,
            nano_cpus=10**9,
            labels={"rlvr-envs.sandbox": "1"},
        )

    # -- one job ------------------------------------------------------------------------

    def _run_in(
        self, container: Any, spec: dict[str, Any], limits: Limits, started: float
    ) -> Execution:
        stream = container.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
        sock: socket.socket = getattr(stream, "_sock", stream)
        container.start()
        sock.sendall(encode_spec(spec))
        sock.shutdown(socket.SHUT_WR)
        walls = sum(step["wall_seconds"] for step in spec["steps"])
        deadline = started + SETUP_SECONDS + walls + BACKSTOP_SECONDS * len(spec["steps"])
        streams: dict[int, bytearray] = {1: bytearray(), 2: bytearray()}
        truncated = {1: False, 2: False}
        killed_for: str | None = None
        nonce = b"\n" + spec["nonce"].encode()
        for kind, data in _frames(sock, deadline):
            if kind not in streams:
                continue
            streams[kind] += data
            if kind == 2 and nonce in streams[2]:
                continue  # the reports have begun: nothing counts against the cap now
            if killed_for is None and len(streams[kind]) > limits.output_bytes:
                truncated[kind] = True
                killed_for = "output"
                _kill(container)
        if killed_for is None and time.monotonic() >= deadline:
            killed_for = "wall"
            _kill(container)
        stream.close()
        stderr, _, reports = bytes(streams[2]).partition(nonce)
        events = [event for line in reports.split(nonce) if (event := decode_event(line))]
        stdout = bytes(streams[1][: limits.output_bytes])
        try:
            status_code = container.wait(timeout=10).get("StatusCode")
            container.reload()
            oom_killed = bool(container.attrs["State"].get("OOMKilled"))
        except Exception:
            status_code, oom_killed = None, False
        execution = classify(
            events,
            limits,
            killed_for=killed_for,
            phase="run" if any(e.get("kind") == "run" for e in events) else "setup",
            launcher_status=status_code,
            seconds=time.monotonic() - started,
            stdout=stdout,
            stderr=stderr[: limits.output_bytes],
            stdout_truncated=truncated[1],
            stderr_truncated=truncated[2],
            backend=self.name,
        )
        if oom_killed and execution.status in (RunStatus.KILLED, RunStatus.ERROR):
            detail = f"the container's memory limit ({limits.memory_mb} MB) was reached"
            return dataclasses.replace(execution, status=RunStatus.MEMORY, detail=detail)
        return execution


def _pool_key(limits: Limits, scratch: int) -> tuple[int, ...]:
    """Containers are made for a set of limits; scratch rounds up to 16 MB so that jobs
    with slightly different file sizes share a pool."""
    step = 16 << 20
    scratch = -(-scratch // step) * step
    return (limits.memory_mb, limits.processes, scratch, limits.file_size_mb << 20)


def _frames(sock: socket.socket, deadline: float) -> Any:
    """(stream, data) frames of an attached non-TTY container until EOF or `deadline`."""
    buffer = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return
        sock.settimeout(left)
        try:
            data = sock.recv(1 << 16)
        except (TimeoutError, OSError):
            return
        if not data:
            return
        buffer += data
        while len(buffer) >= _FRAME.size:
            kind, size = _FRAME.unpack_from(buffer)
            if len(buffer) < _FRAME.size + size:
                break
            yield kind, buffer[_FRAME.size : _FRAME.size + size]
            buffer = buffer[_FRAME.size + size :]


def _kill(container: Any) -> None:
    with contextlib.suppress(Exception):  # it has already stopped
        container.kill()


def _remove(container: Any) -> None:
    with contextlib.suppress(Exception):  # gone; else labelled rlvr-envs.sandbox=1 for cleaning
        container.remove(force=True)

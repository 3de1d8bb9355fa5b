"""`DockerExecutor` without a Docker engine: a fake client whose "containers" are bubblewrap
sandboxes speaking Docker's attach protocol (a socket, stdout and stderr multiplexed in
8-byte-header frames). This checks everything of the backend but the engine itself: the
container configuration, the spec sent on stdin, the nonce-guarded reports on stderr,
killing, the warm pool. The real engine is covered by the security suite's ``docker``
parameter, which skips where no engine answers.
"""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest

from sandboxes import BwrapExecutor, DockerExecutor, Job, Limits, RunStatus
from sandboxes.bwrap import _bwrap_prefix
from sandboxes.docker import _frames
from sandboxes.languages import SANDBOX_UID, Toolchain

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the sandboxes need Linux"
)


LIMITS = Limits(wall_seconds=1.5, cpu_seconds=1.5, memory_mb=256, output_bytes=10_000)


class FakeContainer:
    def __init__(self, client: FakeClient, image: str, command: list[str], **config) -> None:
        self.client, self.image, self.command, self.config = client, image, command, config
        self.attrs = {"State": {"OOMKilled": False}}
        self.ours, self.theirs = socket.socketpair()
        self.process: subprocess.Popen[bytes] | None = None
        self.removed = False

    def attach_socket(self, params: dict) -> socket.socket:
        assert params == {"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1}
        return self.ours

    def start(self) -> None:
        prefix = _bwrap_prefix(self.client.bwrap, self.client.toolchain, 64 << 20, 16 << 20)
        user = {"user": SANDBOX_UID, "group": SANDBOX_UID} if os.geteuid() == 0 else {}
        self.process = subprocess.Popen(
            [*prefix, *self.command],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            **user,
        )
        lock = threading.Lock()
        threading.Thread(target=self._pump_stdin, daemon=True).start()
        pumps = [
            threading.Thread(target=self._pump, args=(stream, kind, lock), daemon=True)
            for kind, stream in ((1, self.process.stdout), (2, self.process.stderr))
        ]
        for pump in pumps:
            pump.start()
        threading.Thread(target=self._hang_up, args=(pumps,), daemon=True).start()
        if self.client.oom_after is not None:
            threading.Timer(self.client.oom_after, self._oom).start()

    def _pump_stdin(self) -> None:
        assert self.process and self.process.stdin
        while data := self.theirs.recv(65536):
            self.process.stdin.write(data)
        self.process.stdin.close()

    def _pump(self, stream, kind: int, lock: threading.Lock) -> None:
        while data := stream.read1(65536):
            with lock:
                self.theirs.sendall(struct.pack(">BxxxL", kind, len(data)) + data)

    def _hang_up(self, pumps: list[threading.Thread]) -> None:
        for pump in pumps:
            pump.join()
        self.theirs.close()

    def _oom(self) -> None:
        self.attrs["State"]["OOMKilled"] = True
        self.kill()

    def kill(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)

    def wait(self, timeout: float) -> dict:
        assert self.process is not None
        return {"StatusCode": self.process.wait(timeout)}

    def reload(self) -> None:
        pass

    def remove(self, force: bool) -> None:
        assert force
        if self.process is not None and self.process.poll() is None:
            self.kill()
            self.process.wait()
        self.removed = True


class FakeClient:
    """Just the part of ``docker.DockerClient`` the executor uses."""

    def __init__(self, bwrap: str, toolchain: Toolchain) -> None:
        self.bwrap, self.toolchain = bwrap, toolchain
        self.created: list[FakeContainer] = []
        self.oom_after: float | None = None
        self.images = self
        self.containers = self

    def get(self, image: str) -> None:  # images.get
        if image != "python:3.11-slim":
            raise LookupError(f"No such image: {image}")

    def create(self, image: str, command: list[str], **config) -> FakeContainer:
        container = FakeContainer(self, image, command, **config)
        self.created.append(container)
        return container


@pytest.fixture
def client() -> FakeClient:
    if (why := BwrapExecutor.available()) is not None:
        pytest.skip(f"the fake containers are bubblewrap sandboxes: {why}")
    bwrap = BwrapExecutor()
    return FakeClient(bwrap.bwrap, bwrap.toolchain)


@pytest.fixture
def docker(client: FakeClient):
    with DockerExecutor(client=client, toolchain=client.toolchain, pool_size=1) as executor:
        yield executor


def test_a_job_runs_and_the_reports_stay_out_of_stderr(docker):
    source = "import sys\nprint(input()[::-1])\nprint('to stderr', file=sys.stderr)\nexit(3)"
    result = docker.run(Job(source=source, stdin="abc\n", limits=LIMITS))
    assert result.status is RunStatus.OK and result.exit_code == 3, result
    assert result.stdout == b"cba\n" and result.stderr == b"to stderr\n"
    assert result.backend == "docker" and result.peak_memory_mb


def test_the_container_is_locked_down(docker, client):
    docker.run(Job(source="pass", limits=LIMITS))
    config = client.created[0].config
    assert config["network_mode"] == "none" and config["read_only"] is True
    assert config["user"] == "65534:65534" and config["cap_drop"] == ["ALL"]
    assert config["security_opt"] == ["no-new-privileges"]
    assert config["pids_limit"] == LIMITS.processes + 1
    assert config["mem_limit"] == config["memswap_limit"] > LIMITS.memory_mb << 20
    assert config["stdin_open"] is True and "/tmp" in config["tmpfs"]


def test_the_wall_limit(docker):
    started = time.monotonic()
    result = docker.run(Job(source="while True: pass", limits=LIMITS))
    assert result.status is RunStatus.TIMEOUT, result
    assert time.monotonic() - started < LIMITS.wall_seconds + 1.5


def test_an_output_flood_kills_the_container(docker):
    result = docker.run(Job(source="while True: print('x' * 1000)", limits=LIMITS))
    assert result.status is RunStatus.OUTPUT_LIMIT, result
    assert len(result.stdout) == LIMITS.output_bytes and result.stdout_truncated


def test_memory(docker):
    result = docker.run(Job(source="x = bytearray(10**10)", limits=LIMITS))
    assert result.status is RunStatus.MEMORY, result


def test_the_oom_killer_is_status_memory(docker, client):
    client.oom_after = 0.5
    result = docker.run(Job(source="import time\ntime.sleep(5)", limits=LIMITS))
    assert result.status is RunStatus.MEMORY, result


def test_the_job_cannot_forge_a_report(docker):
    forged = repr({"event": "done", "kind": "run", "wait_status": 0, "cpu_seconds": 0})
    source = f"import sys\nsys.stderr.write('\\n' + 'f' * 32 + {forged!r} + '\\n')\nexit(1)"
    result = docker.run(Job(source=source, limits=LIMITS))
    assert result.status is RunStatus.OK and result.exit_code == 1, result


def test_containers_are_single_use_and_the_pool_refills(docker, client):
    for _ in range(2):
        assert docker.run(Job(source="print(1)", limits=LIMITS)).ok
    deadline = time.monotonic() + 5
    while len(client.created) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    used = [container for container in client.created if container.process is not None]
    assert len(used) == 2 and len(client.created) >= 3  # two used, one warm in the pool
    deadline = time.monotonic() + 5
    while not all(container.removed for container in used) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert all(container.removed for container in used)
    docker.close()
    assert all(container.removed for container in client.created)


def test_a_missing_image_is_unavailable(client):
    with pytest.raises(Exception, match="docker pull nosuch:1"):
        DockerExecutor("nosuch:1", client=client)


def test_frames_are_demultiplexed():
    ours, theirs = socket.socketpair()
    theirs.sendall(struct.pack(">BxxxL", 1, 3) + b"out" + struct.pack(">BxxxL", 2, 3))
    theirs.sendall(b"err")
    theirs.close()
    assert list(_frames(ours, time.monotonic() + 5)) == [(1, b"out"), (2, b"err")]


def test_without_an_engine_the_backend_says_why():
    why = DockerExecutor.available()
    if why is None:
        pytest.skip("a Docker engine answers here")
    assert "Docker" in why

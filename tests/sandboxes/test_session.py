"""`SandboxSession`: a long-lived program in the sandbox, talked to over stdin and stdout."""

from __future__ import annotations

import os

import pytest

from sandboxes import BwrapExecutor, SandboxSession, SessionClosed

pytestmark = pytest.mark.timeout(60)
PYTHON = "/usr/bin/python3"  # the system's: a virtualenv's is not visible in the sandbox
SANDBOXES = [
    pytest.param(
        "bwrap",
        marks=pytest.mark.skipif(
            BwrapExecutor.available() is not None, reason=str(BwrapExecutor.available())
        ),
    ),
    "process",
]


def line_count(count: int):
    def done(buffer: bytes) -> int | None:
        return len(buffer) if buffer.count(b"\n") >= count else None

    return done


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_session_answers_exchange_after_exchange(sandbox):
    with SandboxSession(["cat"], sandbox=sandbox) as session:
        for word in (b"one", b"two"):
            session.write(word + b"\n")
            assert session.read_until(line_count(1), timeout=10) == word + b"\n"
        assert session.alive and session.memory_mb_used() > 0
    assert not session.alive


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_a_silent_session_times_out_and_an_ended_one_says_so(sandbox):
    with SandboxSession(["cat"], sandbox=sandbox) as session, pytest.raises(TimeoutError):
        session.read_until(line_count(1), timeout=0.3)
    ended = SandboxSession(["true"], sandbox=sandbox)
    with ended, pytest.raises(SessionClosed, match="exited"):
        ended.read_until(line_count(1), timeout=10)


@pytest.mark.skipif(BwrapExecutor.available() is not None, reason="bubblewrap cannot run here")
def test_the_bwrap_session_sees_only_the_toolchain_and_no_network():
    script = (
        "import os, socket, sys\n"
        "print(os.getuid())\n"
        "print(os.path.exists('/root'), os.path.exists('/home'), os.path.exists(sys.argv[1]))\n"
        "s = socket.socket()\n"
        "try:\n    s.connect(('1.1.1.1', 53)); print('net')\nexcept OSError: print('no-net')\n"
    )
    here = os.path.dirname(os.path.abspath(__file__))
    with SandboxSession([PYTHON, "-c", script, here], sandbox="bwrap") as session:
        output = session.read_until(line_count(3), timeout=20).decode()
    first, second, third = output.splitlines()
    assert first == ("65534" if os.geteuid() == 0 else str(os.geteuid()))
    assert second == "False False False"  # no /root, no /home, not this project
    assert third == "no-net"


@pytest.mark.parametrize("sandbox", SANDBOXES)
def test_the_memory_limit_holds(sandbox):
    script = "try:\n    x = bytearray(800 << 20)\n    print('got')\n"
    script += "except MemoryError:\n    print('refused')"
    with SandboxSession([PYTHON, "-c", script], memory_mb=256, sandbox=sandbox) as session:
        assert session.read_until(line_count(1), timeout=20) == b"refused\n"

"""Hostile programs against every available backend: each is contained, the host is
unaffected, and the status says what happened.

Each test writes its own attack; the ``executor`` fixture (conftest.py) runs it on every
backend that works here. The suite must pass as root, which is how CI and most training
containers run, and where a sandbox that forgets to drop privileges is caught.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from sandboxes import Job, Limits, RunStatus

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the sandboxes need Linux"
)

# -- resource exhaustion -----------------------------------------------------------------

FORK_BOMB = """
import os, sys, time
end = time.time() + 1.0
while time.time() < end:
    try:
        os.fork()
    except OSError:
        pass
print("done", flush=True)
"""


def test_fork_bomb_is_contained_and_leaves_nothing_behind(limits, run, marker, host_pids_with):
    started = time.monotonic()
    result = run(FORK_BOMB, argv=(marker,))
    assert time.monotonic() - started < limits.wall_seconds + 1.5
    assert result.status in (RunStatus.OK, RunStatus.TIMEOUT), result
    assert host_pids_with(marker) == []


def test_a_fork_bomb_does_not_starve_a_job_running_beside_it(limits, executor, marker):
    count_children = """
import os, time
pids = []
for _ in range(5):
    pid = os.fork()
    if pid == 0:
        time.sleep(0.5)
        os._exit(0)
    pids.append(pid)
print(len(pids))
"""
    jobs = [
        Job(source=FORK_BOMB, argv=(marker,), limits=limits),
        Job(source="import time; time.sleep(0.3)\n" + count_children, limits=limits),
    ]
    bomb, neighbour = executor.run_many(jobs, workers=2)
    assert neighbour.ok and neighbour.stdout == b"5\n", neighbour
    assert bomb.status in (RunStatus.OK, RunStatus.TIMEOUT)


def test_memory_bomb_is_status_memory(limits, run):
    result = run("blocks = []\nwhile True:\n    blocks.append(bytearray(10**7))\n")
    assert result.status is RunStatus.MEMORY, result
    assert result.peak_memory_mb is not None and result.peak_memory_mb <= limits.memory_mb


def test_one_huge_allocation_is_status_memory(run):
    assert run("data = bytearray(10**10)").status is RunStatus.MEMORY


def test_infinite_loop_times_out_within_a_second_of_the_wall_limit(run):
    limits = Limits(wall_seconds=1, cpu_seconds=10, memory_mb=256)
    started = time.monotonic()
    result = run("while True:\n    pass\n", limits=limits)
    assert result.status is RunStatus.TIMEOUT, result
    assert time.monotonic() - started < limits.wall_seconds + 1.0
    assert result.exit_code == -9


def test_cpu_limit_is_a_timeout(run):
    limits = Limits(wall_seconds=5, cpu_seconds=1, memory_mb=256)
    started = time.monotonic()
    result = run("while True:\n    pass\n", limits=limits)
    assert result.status is RunStatus.TIMEOUT, result
    assert "CPU" in result.detail
    assert time.monotonic() - started < 3.5


def test_ignoring_sigterm_does_not_help(run):
    source = """
import signal, time
for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU):
    signal.signal(number, signal.SIG_IGN)
while True:
    time.sleep(0.01)
"""
    limits = Limits(wall_seconds=1, cpu_seconds=10, memory_mb=256)
    started = time.monotonic()
    result = run(source, limits=limits)
    assert result.status is RunStatus.TIMEOUT, result
    assert time.monotonic() - started < limits.wall_seconds + 1.0


def test_a_daemon_does_not_outlive_the_run(run, marker, host_pids_with):
    source = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.closerange(0, 3)
        time.sleep(30)
        os._exit(0)
    os._exit(0)
time.sleep(0.2)
print("parent done")
"""
    started = time.monotonic()
    result = run(source, argv=(marker,))
    assert result.ok and result.stdout == b"parent done\n", result
    assert time.monotonic() - started < 1.5  # the daemon did not keep the run open
    assert host_pids_with(marker) == []


def test_a_daemon_holding_stdout_does_not_keep_the_run_open(run, marker, host_pids_with):
    source = """
import os, time
if os.fork() == 0:
    os.setsid()
    time.sleep(30)
print("bye", flush=True)
"""
    started = time.monotonic()
    result = run(source, argv=(marker,))
    assert result.ok and result.stdout == b"bye\n", result
    assert time.monotonic() - started < 1.5
    assert host_pids_with(marker) == []


def test_output_flood_is_cut_at_the_limit(limits, run):
    started = time.monotonic()
    result = run("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n")
    assert result.status is RunStatus.OUTPUT_LIMIT, result
    assert result.stdout_truncated and len(result.stdout) == limits.output_bytes
    assert time.monotonic() - started < 2.0


def test_stderr_flood_is_cut_at_the_limit(limits, run):
    result = run("import os\nwhile True:\n    os.write(2, b'e' * 65536)\n")
    assert result.status is RunStatus.OUTPUT_LIMIT, result
    assert result.stderr_truncated and len(result.stderr) == limits.output_bytes


def test_disk_fill_stops_at_the_sandbox_quota(limits, run):
    before = shutil.disk_usage("/").free
    source = """
import os
written = 0
try:
    for i in range(10**6):
        with open(f"fill{i}", "wb") as file:
            file.write(b"x" * (1 << 20))
        written += 1
except OSError as exc:
    print(written, exc.strerror)
"""
    result = run(source)
    assert result.ok, result
    written, why = result.stdout.decode().split(" ", 1)
    assert int(written) <= 4 * limits.file_size_mb + 1
    assert "No space left" in why or "Read-only" in why
    assert abs(shutil.disk_usage("/").free - before) < 200 << 20


def test_one_huge_file_stops_at_the_file_size_limit(run):
    source = """
try:
    with open("big", "wb") as file:
        file.write(b"x" * (64 << 20))
except OSError as exc:
    print(exc.strerror)
"""
    result = run(source)
    assert result.ok and b"File too large" in result.stdout, result


def test_file_descriptor_exhaustion_is_contained(limits, run):
    source = """
files = []
try:
    while True:
        files.append(open("/dev/null"))
except OSError as exc:
    print(len(files), exc.strerror)
"""
    result = run(source)
    assert result.ok, result
    count, why = result.stdout.decode().split(" ", 1)
    assert int(count) < limits.open_files and "Too many open files" in why


def test_thread_exhaustion_is_contained(limits, run):
    source = """
import threading, time
stop = threading.Event()
threads = []
try:
    while True:
        thread = threading.Thread(target=stop.wait)
        thread.start()
        threads.append(thread)
except RuntimeError as exc:
    print(len(threads), exc)
stop.set()
"""
    result = run(source)
    assert result.ok, result
    assert int(result.stdout.split()[0]) < limits.processes


# -- the network -------------------------------------------------------------------------

CONNECT = """
import socket, sys
host, port = sys.argv[1], int(sys.argv[2])
try:
    socket.create_connection((host, port), timeout=1).close()
    print("connected")
except OSError as exc:
    print("blocked", exc.strerror)
"""


def test_no_connection_to_a_listener_on_the_host_loopback(run):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        result = run(CONNECT, argv=("127.0.0.1", str(port)))
        with pytest.raises(TimeoutError):
            listener.accept()
    assert result.ok and result.stdout.startswith(b"blocked"), result


def test_no_connection_to_the_internet(run):
    result = run(CONNECT, argv=("1.1.1.1", "80"))
    assert result.ok and result.stdout.startswith(b"blocked"), result


def test_no_network_interface_but_loopback(run):
    result = run("import socket\nprint(sorted(name for _, name in socket.if_nameindex()))")
    assert result.ok and result.stdout in (b"['lo']\n", b"[]\n"), result


# -- secrets -----------------------------------------------------------------------------


def test_the_host_environment_is_invisible(run, monkeypatch):
    secret = f"s3cret-{uuid.uuid4().hex}"
    monkeypatch.setenv("RLVR_TEST_SECRET", secret)
    source = """
import os
print(dict(os.environ))
for path in ("/proc/self/environ", "/proc/1/environ", f"/proc/{os.getppid()}/environ"):
    try:
        print(open(path, "rb").read())
    except OSError as exc:
        print(path, exc.strerror)
"""
    result = run(source)
    assert result.ok, result
    assert secret.encode() not in result.stdout + result.stderr
    assert b"RLVR_TEST_SECRET" not in result.stdout


def test_files_outside_the_work_dir_are_unreadable(run, tmp_path, other_user):
    secret = f"s3cret-{uuid.uuid4().hex}"
    in_tmp = tmp_path / "secret.txt"  # a private temp dir, under the host's /tmp
    in_tmp.write_text(secret)
    folder = Path(tempfile.mkdtemp(dir="/var/tmp"))  # a folder anyone may enter
    try:
        folder.chmod(0o755)
        visible = folder / "secret.txt"
        visible.write_text(secret)
        visible.chmod(0o600)
        source = """
import os, sys
for path in sys.argv[1:]:
    try:
        if os.path.isdir(path):
            print(path, sorted(os.listdir(path)))
        else:
            print(path, open(path).read())
    except OSError as exc:
        print(path, exc.strerror)
"""
        paths = (in_tmp, tmp_path, visible, "/root", "/root/.bashrc")
        result = run(source, argv=tuple(map(str, paths)))
    finally:
        shutil.rmtree(folder)
    assert result.ok, result
    assert secret.encode() not in result.stdout
    assert b"['secret.txt']" not in result.stdout
    for line in result.stdout.decode().splitlines():
        if line.startswith("/root "):
            assert line in (
                "/root []",
                "/root No such file or directory",
                "/root Permission denied",
            )


def test_bwrap_shows_nothing_of_the_host_but_the_toolchain(executor, run):
    if executor.name != "bwrap":
        pytest.skip("bwrap's promise: only /usr and the toolchain are visible")
    project = str(Path(__file__).resolve().parents[2])
    source = (
        "import os, sys\nprint(sorted(os.listdir('/')), [os.path.exists(p) for p in sys.argv[1:]])"
    )
    result = run(source, argv=(project, "/root", "/home", "/etc/passwd", "/var", "/run"))
    assert result.ok, result
    listed, exists = result.stdout.decode().rsplit("] [", 1)
    assert "root" not in listed and "home" not in listed and "var" not in listed
    assert "True" not in exists


def test_the_project_we_run_in_is_invisible(run, monkeypatch, other_user):
    project = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(project)
    source = "import os, sys\nprint(os.path.exists(sys.argv[1]), os.path.exists(sys.argv[2]))"
    result = run(source, argv=(str(project / "pyproject.toml"), str(project / "sandboxes")))
    assert result.ok and result.stdout == b"False False\n", result


def test_writing_or_deleting_outside_the_work_dir_fails(run, namespaces):
    folder = Path(tempfile.mkdtemp(dir="/var/tmp"))
    try:
        folder.chmod(0o777)
        target = folder / "host-file.txt"
        target.write_text("original")
        target.chmod(0o666)
        source = """
import os, sys
path = sys.argv[1]
attempts = [
    lambda: open(path, "w").write("overwritten"),
    lambda: open(path, "a").write("appended"),
    lambda: os.remove(path),
    lambda: os.rename(path, path + ".moved"),
    lambda: os.chmod(path, 0o000),
    lambda: open(os.path.join(os.path.dirname(path), "new.txt"), "w").write("new"),
]
for attempt in attempts:
    try:
        attempt()
        print("succeeded")
    except OSError as exc:
        print("failed", exc.strerror)
"""
        result = run(source, argv=(str(target),))
        assert result.ok, result
        assert b"succeeded" not in result.stdout, result.stdout
        assert target.read_text() == "original"
        assert stat.S_IMODE(target.stat().st_mode) == 0o666
        assert sorted(path.name for path in folder.iterdir()) == ["host-file.txt"]
    finally:
        shutil.rmtree(folder)


def test_nothing_persists_between_runs(limits, executor):
    first = executor.run(Job(source="open('/tmp/left-behind', 'w').write('x')", limits=limits))
    assert first.ok, first
    second = executor.run(
        Job(source="import os\nprint(os.path.exists('/tmp/left-behind'))", limits=limits)
    )
    assert second.stdout == b"False\n", second


# -- the host's processes ----------------------------------------------------------------


def test_killing_the_parent_and_everyone_leaves_the_host_alive(limits, executor, namespaces):
    killer = """
import os, signal
for target in (os.getppid(), -1, 1):
    try:
        os.kill(target, signal.SIGKILL)
        print("sent", target)
    except OSError as exc:
        print("refused", target, exc.strerror)
print("still here")
"""
    bystander = "import time\ntime.sleep(0.5)\nprint('survived')"
    jobs = [Job(source=killer, limits=limits), Job(source=bystander, limits=limits)]
    threads_before = threading.active_count()
    attack, neighbour = executor.run_many(jobs, workers=2)
    assert attack.status in (RunStatus.OK, RunStatus.KILLED), attack
    assert neighbour.ok and neighbour.stdout == b"survived\n", neighbour
    assert threading.active_count() == threads_before
    os.kill(os.getpid(), 0)  # we are alive, and so is our parent:
    os.kill(os.getppid(), 0)


def test_init_cannot_be_traced_and_shows_nothing_of_the_host(run, monkeypatch):
    secret = f"s3cret-{uuid.uuid4().hex}"
    monkeypatch.setenv("RLVR_TEST_SECRET", secret)
    source = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH = 16
for pid in {1, os.getppid()}:
    result = libc.ptrace(PTRACE_ATTACH, pid, None, None)
    print("attach", pid, result, os.strerror(ctypes.get_errno()) if result else "ok")
    for name in ("environ", "mem", "cmdline"):
        try:
            print(name, open(f"/proc/{pid}/{name}", "rb").read(200))
        except OSError as exc:
            print(name, exc.strerror)
"""
    result = run(source)
    assert result.ok, result
    assert secret.encode() not in result.stdout
    for line in result.stdout.decode().splitlines():
        if line.startswith("attach"):
            assert line.split()[2] == "-1", line


def test_proc_sys_is_read_only(run):
    # Writes back the value it read, so even a failing test changes nothing on the host.
    source = """
for path in ("/proc/sys/kernel/core_pattern", "/proc/sys/vm/overcommit_memory",
             "/proc/sys/kernel/hostname", "/proc/sysrq-trigger"):
    try:
        value = open(path).read() if "sysrq" not in path else ""
        with open(path, "w") as file:
            file.write(value)
        print("wrote", path)
    except OSError as exc:
        print("refused", path, exc.strerror)
"""
    result = run(source)
    assert result.ok, result
    assert b"wrote" not in result.stdout, result.stdout


def test_the_job_has_no_privileges(run):
    source = """
import os
print(os.getuid(), os.geteuid(), os.getgid())
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(status["CapEff"].strip(), status["CapPrm"].strip(), status["NoNewPrivs"].strip())
for attempt in (lambda: os.setuid(0), lambda: os.setgid(0), lambda: os.chroot("/")):
    try:
        attempt()
        print("succeeded")
    except OSError as exc:
        print("failed", exc.strerror)
"""
    result = run(source)
    assert result.ok, result
    ids, caps, *attempts = result.stdout.decode().splitlines()
    assert "0" not in ids.split()
    assert caps == "0000000000000000 0000000000000000 1"
    assert all(line.startswith("failed") for line in attempts), attempts


def test_no_nested_user_namespace(run, namespaces):
    source = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print(libc.unshare(0x10000000))  # CLONE_NEWUSER
"""
    result = run(source)
    assert result.ok and result.stdout == b"-1\n", result

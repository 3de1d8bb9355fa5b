"""The warm executors (sandboxes/warm.py): Python jobs forked from a warm zygote.

A job runs as ``python main.py`` would; the statuses are the cold backends'; the sandbox
isolates as bwrap does; nothing one job does reaches the next one on the same worker
(files, environment, modules, processes, IPC, memory, the zygote itself); a dead zygote is
replaced; threads share the workers; `close` leaves no process behind. The shared
hostile-program suite (test_security.py) runs against these executors too.

Three configurations: ``bwrap`` (jobs as nobody, apart from the zygote, when we are root),
``bwrap-one-uid`` (what an unprivileged user gets: jobs keep the zygote's uid) and
``process`` (no bubblewrap). Every executor here has one worker, so a second job runs in
the same sandbox as the first.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import json
import os
import secrets
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandboxes import warm
from sandboxes.base import Executor, SandboxError, SandboxUnavailable
from sandboxes.job import Execution, Job, Language, Limits, RunStatus
from sandboxes.warm import WarmProcessExecutor, WarmPythonExecutor

LIMITS = Limits(
    wall_seconds=5.0,
    cpu_seconds=5.0,
    memory_mb=256,
    processes=16,
    output_bytes=100_000,
    file_size_mb=4,
    open_files=32,
)
ROOT = os.geteuid() == 0
KINDS = ("bwrap", "bwrap-one-uid", "process")


def _build(kind: str, workers: int = 1, **options: object) -> WarmPythonExecutor:
    try:
        if kind == "process":
            return WarmProcessExecutor(workers, **options)  # type: ignore[arg-type]
        if kind == "bwrap-one-uid":
            return WarmPythonExecutor(workers, separate_uid=False, **options)  # type: ignore[arg-type]
        return WarmPythonExecutor(workers, **options)  # type: ignore[arg-type]
    except SandboxUnavailable as exc:
        pytest.skip(f"{kind}: {exc}")


@pytest.fixture(scope="module", params=KINDS)
def executor(request: pytest.FixtureRequest) -> Iterator[WarmPythonExecutor]:
    with _build(request.param) as built:
        built.kind = request.param  # type: ignore[attr-defined]
        yield built


@pytest.fixture(scope="module", params=("bwrap", "bwrap-one-uid"))
def sandboxed(request: pytest.FixtureRequest) -> Iterator[WarmPythonExecutor]:
    with _build(request.param) as built:
        built.kind = request.param  # type: ignore[attr-defined]
        yield built


@pytest.fixture(scope="module")
def default() -> Iterator[WarmPythonExecutor]:
    with _build("bwrap") as built:
        yield built


def run(executor: Executor, source: str, **fields: object) -> Execution:
    fields.setdefault("limits", LIMITS)
    return executor.run(Job(source=source, **fields))  # type: ignore[arg-type]


def jobs_are_apart(executor: WarmPythonExecutor) -> bool:
    """Whether jobs run as another uid than the zygote (so cannot signal it)."""
    return executor.separate_uid


# -- a job runs as ``python main.py`` would ------------------------------------------------

MAIN = """
import os, sys
print(__name__, __file__ == os.path.join(os.getcwd(), "main.py"), sys.argv)
print(os.path.basename(os.getcwd()), repr(sys.stdin.read()))
print(sys.flags.ignore_environment, sys.flags.no_user_site, sys.flags.dont_write_bytecode)
print(sorted(os.environ), os.environ["HOME"] == os.getcwd())
print("to stderr", file=sys.stderr)
exit(3)
"""


def test_a_job_runs_as_python_main_py_would(executor):
    result = run(executor, MAIN, stdin="a\r\nb\n", argv=("x", "y z"))
    assert result.status is RunStatus.OK and result.exit_code == 3, result
    assert result.stdout.decode().splitlines() == [
        "__main__ True ['main.py', 'x', 'y z']",
        "work 'a\\r\\nb\\n'",
        "1 1 1",
        "['HOME', 'LANG', 'PATH'] True",
    ]
    assert result.stderr == b"to stderr\n"
    assert result.backend == executor.name
    assert result.cpu_seconds > 0 and result.wall_seconds > 0 and result.peak_memory_mb


@pytest.mark.parametrize(
    ("source", "code", "stderr_end"),
    [
        ("pass", 0, b""),
        ("raise SystemExit", 0, b""),
        ("import sys; sys.exit(7)", 7, b""),
        ("import sys; sys.exit('bye')", 1, b"bye\n"),
        ("quit(4)", 4, b""),
        ("import os; os._exit(5)", 5, b""),
        ("print('unflushed', end='')\nimport sys; sys.exit(256 + 2)", 2, b""),
        ("raise ValueError('boom')", 1, b"ValueError: boom\n"),
        ("1 +", 1, b"SyntaxError: invalid syntax\n"),
    ],
)
def test_exit_codes_and_tracebacks_are_pythons(default, source, code, stderr_end):
    result = run(default, source)
    assert result.status is RunStatus.OK and result.exit_code == code, result
    assert result.stderr.endswith(stderr_end), result.stderr
    if code == 2:
        assert result.stdout == b"unflushed"


def test_a_traceback_starts_at_the_job(default):
    result = run(default, "def f():\n    raise KeyError('k')\nf()\n")
    assert result.exit_code == 1, result
    lines = result.stderr.decode().splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert lines[1] == '  File "/tmp/work/main.py", line 3, in <module>', lines
    assert lines[-1] == "KeyError: 'k'"


def test_files_an_entry_and_a_sibling_module(executor):
    files = {
        "app.py": "import helper\nprint(helper.VALUE, open('data/in.bin', 'rb').read())",
        "helper.py": "VALUE = 42",
        "data/in.bin": b"\x00\xffraw",
    }
    result = executor.run(Job(files=files, entry="app.py", limits=LIMITS))
    assert result.ok and result.stdout == b"42 b'\\x00\\xffraw'\n", result


TRUSTED = {
    "kit.base": "CALLS = []\ndef record(x):\n    CALLS.append(x)\n    return len(CALLS)\n",
    "kit.tool": "from kit.base import record\nimport json\nTOOL = json.dumps([1])\n",
}


@pytest.mark.parametrize("kind", KINDS)
def test_trusted_modules_are_loaded_once_per_worker_and_fresh_in_each_job(kind):
    probe = """
import sys, kit.tool, kit.base
from kit import extra  # the job's own module in a loaded package's folder
where = kit.tool.__file__ == __file__.replace("main.py", "kit/tool.py")
print(kit.tool.TOOL, kit.base.record("a"), extra.VALUE, where)
print(sorted(name for name in sys.modules if name.startswith("kit")))
"""
    files = {"main.py": probe, "kit/extra.py": "VALUE = 7"}
    with _build(kind, modules=TRUSTED) as executor:
        first, second = (executor.run(Job(files=files, limits=LIMITS)) for _ in range(2))
    assert first.ok, first
    assert first.stdout == second.stdout  # the job's record() call did not reach the zygote
    lines = first.stdout.decode().splitlines()
    assert lines[0] == "[1] 1 7 True", lines
    assert lines[1] == str(["kit", "kit.base", "kit.extra", "kit.tool"])


def test_a_trusted_module_that_fails_is_the_executors_error(default):
    with _build("bwrap", modules={"broken": "raise ValueError('no good')"}) as executor:
        result = run(executor, "print(1)")
    assert result.status is RunStatus.ERROR, result
    assert "ValueError: no good" in result.detail


def test_an_entry_that_is_not_among_the_files_is_an_error(default):
    result = default.run(Job(files={"a.py": "pass"}, entry="b.py", limits=LIMITS))
    assert result.status is RunStatus.ERROR and "b.py" in result.detail


def test_threads_atexit_and_subprocesses_finish_as_in_python(executor):
    source = """
import atexit, subprocess, sys, threading, time
atexit.register(print, "atexit")
threading.Thread(target=lambda: (time.sleep(0.1), print("thread"))).start()
print(subprocess.run([sys.executable, "-c", "print(2)"], capture_output=True).stdout)
"""
    result = run(executor, source)
    assert result.ok and result.stdout == b"b'2\\n'\nthread\natexit\n", result


def test_large_input_and_output_arrive_whole(default):
    data = secrets.token_hex(500_000)
    source = "import sys\nsys.stdout.write(sys.stdin.read()[::-1])"
    result = run(default, source, stdin=data, limits=Limits(output_bytes=2_000_000))
    assert result.ok and result.stdout == data[::-1].encode(), result.detail


# -- statuses --------------------------------------------------------------------------------


def test_wall_time_limit_is_a_timeout(default):
    started = time.monotonic()
    limits = Limits(wall_seconds=1, cpu_seconds=10, memory_mb=256)
    result = run(default, "import time\nwhile True:\n    time.sleep(0.01)", limits=limits)
    assert result.status is RunStatus.TIMEOUT and result.exit_code == -9, result
    assert "wall" in result.detail
    assert time.monotonic() - started < 3.0


def test_cpu_time_limit_is_a_timeout(default):
    limits = Limits(wall_seconds=10, cpu_seconds=1, memory_mb=256)
    result = run(default, "while True:\n    pass", limits=limits)
    assert result.status is RunStatus.TIMEOUT and "CPU" in result.detail, result
    assert result.cpu_seconds > 0.5  # rusage and RLIMIT_CPU count ticks a little apart


@pytest.mark.parametrize("kind", ["bwrap", "process"])
def test_memory_output_and_signals(kind):
    with _build(kind) as executor:
        memory = run(executor, "data = bytearray(10**9)")
        assert memory.status is RunStatus.MEMORY and memory.exit_code == 1, memory
        flood = run(executor, "while True:\n    print('x' * 1000)")
        assert flood.status is RunStatus.OUTPUT_LIMIT and flood.stdout_truncated, flood
        assert len(flood.stdout) == LIMITS.output_bytes
        crash = run(executor, "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)")
        assert crash.status is RunStatus.KILLED and crash.exit_code == -11, crash
        assert run(executor, "print('after')").stdout == b"after\n"


# -- isolation -------------------------------------------------------------------------------


def test_no_network_no_host_files_no_secrets(monkeypatch):
    secret = f"s3cret-{secrets.token_hex(8)}"
    monkeypatch.setenv("RLVR_TEST_SECRET", secret)
    source = """
import os, socket, sys
print(sorted(name for _, name in socket.if_nameindex()))
try:
    socket.create_connection(("1.1.1.1", 80), timeout=1)
    print("connected")
except OSError:
    print("no connection")
print(sorted(os.listdir("/")), [os.path.exists(p) for p in sys.argv[1:]])
print(open("/proc/self/environ", "rb").read(), dict(os.environ))
"""
    project = str(Path(__file__).resolve().parents[2])
    with _build("bwrap") as executor:
        result = run(executor, source, argv=(project, "/root", "/home", "/var", "/etc/passwd"))
    assert result.ok, result
    lines = result.stdout.decode().splitlines()
    assert lines[0] in ("['lo']", "[]") and lines[1] == "no connection"
    assert lines[2].endswith("[False, False, False, False, False]"), lines[2]
    assert "'root'" not in lines[2] and "'home'" not in lines[2]
    assert secret not in result.stdout.decode() and "RLVR_TEST_SECRET" not in lines[3]


def test_the_job_is_unprivileged_and_confined(sandboxed):
    source = """
import ctypes, os
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
fields = ("CapEff", "NoNewPrivs", "Seccomp")
print(os.getuid(), *(status[name].strip() for name in fields))
libc = ctypes.CDLL(None, use_errno=True)
print(libc.unshare(0x10000000), libc.syscall(250, 0, -4) if os.uname().machine == "x86_64" else -1)
for path in ("/usr/evil", "/etc/evil", "/evil", "/dev/evil", "/proc/sys/kernel/hostname"):
    try:
        open(path, "w").write("x")
        print("wrote", path)
    except OSError:
        pass
"""
    result = run(sandboxed, source)
    assert result.ok, result
    ids, calls, *writes = result.stdout.decode().splitlines()
    uid, caps, no_new_privs, seccomp = ids.split()
    assert caps == "0000000000000000" and no_new_privs == "1" and seccomp == "2"
    assert uid == ("65534" if jobs_are_apart(sandboxed) else "0")
    assert calls == "-1 -1", calls  # unshare(CLONE_NEWUSER), keyctl: refused
    assert writes == []


# -- nothing leaks from one job to the next ------------------------------------------------


def test_files_left_anywhere_are_gone_for_the_next_job(executor):
    sandbox = executor.kind != "process"  # type: ignore[attr-defined]
    first = """
import os, sys
os.makedirs("deep/er", exist_ok=True)
open("deep/er/file", "w").write("x")
os.chmod("deep/er", 0)
for path in sys.argv[1:]:
    open(path, "w").write("left")
print(sorted(os.listdir(".")))
"""
    places = ("/tmp/left", "/dev/shm/left") if sandbox else ()
    result = run(executor, first, argv=places)
    assert result.ok and result.stdout == b"['deep', 'main.py']\n", result
    second = (
        "import os, sys\nprint(sorted(os.listdir('.')), [os.path.exists(p) for p in sys.argv[1:]])"
    )
    result = run(executor, second, argv=places)
    assert result.ok, result
    assert result.stdout == f"['main.py'] {[False] * len(places)}\n".encode(), result.stdout


def test_environment_and_module_changes_do_not_carry_over(executor):
    first = """
import builtins, json, math, os, random, sys
os.environ["LEAK"] = "1"
json.dumps = None
math.pi = 3
sys.path.append("/leak")
builtins.leak = True
random.seed(1)
sys.setrecursionlimit(50)
print(random.random())
"""
    second = """
import builtins, json, math, os, random, sys
print("LEAK" in os.environ, json.dumps([1]), math.pi, "/leak" in sys.path)
print(hasattr(builtins, "leak"), sys.getrecursionlimit() > 50, random.random())
"""
    first_result = run(executor, first)
    assert first_result.ok, first_result
    result = run(executor, second)
    assert result.ok, result
    lines = result.stdout.decode().splitlines()
    assert lines[0] == "False [1] 3.141592653589793 False"
    assert lines[1].startswith("False True ")
    assert lines[1].split()[2] != first_result.stdout.decode().strip()  # reseeded per job


DAEMON = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    daemon = os.fork()
    if daemon == 0:
        os.closerange(0, 3)
        time.sleep(30)
        os._exit(0)
    print(daemon, flush=True)
    os._exit(0)
time.sleep(0.2)
if os.fork() == 0:
    time.sleep(30)  # holds stdout open
"""


ALIVE = """
import sys
def cmdline(pid):
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        return None
print(cmdline(sys.argv[1]) == cmdline("self"))  # a fork of the zygote, as we are
"""


def test_a_daemon_is_killed_before_the_next_job(executor):
    started = time.monotonic()
    result = run(executor, DAEMON)
    assert result.ok, result
    assert time.monotonic() - started < 5.0  # nothing held the run open for 30 s
    second = run(executor, ALIVE, argv=(result.stdout.decode().strip(),))
    assert second.stdout == b"False\n", second


SPARE = """
import os, subprocess, time
subprocess.Popen(["sleep", "30"], start_new_session=True, stdout=subprocess.DEVNULL)
deadline = time.monotonic() + 5
while time.monotonic() < deadline:  # the zygote forks it as we start: wait to see it
    waiting = [
        name for name in os.listdir("/proc")
        if name.isdigit() and int(name) not in (1, os.getpid())
        and os.stat(f"/proc/{name}").st_uid != os.getuid()
    ]
    if waiting:
        break
    time.sleep(0.01)
print(*waiting)
"""


def test_the_next_jobs_process_outlives_the_killing_of_leftovers(default):
    """The spare, forked while a job runs, is not among what the job left behind."""
    if not default.separate_uid:
        pytest.skip("with one uid no process is forked ahead of a job")
    first = run(default, SPARE)
    assert first.ok, first
    spare = first.stdout.split()
    assert len(spare) == 1, first  # the zygote's next child, not of the jobs' uid
    second = run(default, "import os; print(os.getpid())")
    assert second.stdout.split() == spare, (first, second)


def test_the_zygote_cannot_be_killed_or_stopped_by_a_job(executor, monkeypatch):
    monkeypatch.setattr(warm, "BACKSTOP_SECONDS", 0.5)
    source = """
import os, signal, sys
try:
    os.kill(os.getppid(), getattr(signal, sys.argv[1]))
    print("sent")
except OSError as exc:
    print("refused", exc.strerror)
import time; time.sleep(0.2)
"""
    limits = Limits(wall_seconds=1, cpu_seconds=5, memory_mb=256)
    for name in ("SIGSTOP", "SIGKILL"):
        result = run(executor, source, argv=(name,), limits=limits)
        if jobs_are_apart(executor):
            assert result.ok and result.stdout.startswith(b"refused"), result
        elif executor.kind != "process":  # the sandbox's init: the kernel drops the signal
            assert result.ok and result.stdout.startswith(b"sent"), result
        else:  # the job could: its run fails, and the sandbox is replaced
            assert result.status in (RunStatus.KILLED, RunStatus.TIMEOUT), result
            assert "replaced" in result.detail
        assert run(executor, "print('next')").stdout == b"next\n"


def test_no_other_process_of_the_sandbox_is_open_to_a_job(sandboxed):
    """Not even with one uid: a process whose memory a job could write (bubblewrap's own
    init, say) would carry its code into every later job."""
    source = """
import os
opened = []
for pid in (int(p) for p in os.listdir("/proc") if p.isdigit()):
    for what in ("mem", "environ"):
        try:
            with open(f"/proc/{pid}/{what}", "rb"):
                if pid != os.getpid():
                    opened.append((pid, what))
        except OSError:
            pass
print(opened)
"""
    run(sandboxed, "pass")  # a job before: the spare, if any, waits
    result = run(sandboxed, source)
    assert result.ok and result.stdout == b"[]\n", result


def test_a_full_tmpfs_is_empty_again_for_the_next_job(sandboxed):
    fill = """
import os
count = 0
try:
    while True:
        with open(f"/tmp/fill{count}", "wb") as file:
            file.write(b"x" * (4 << 20))
        count += 1
except OSError as exc:
    print(count > 0, exc.strerror)
"""
    result = run(sandboxed, fill)
    assert result.ok and result.stdout == b"True No space left on device\n", result
    result = run(sandboxed, "open('/tmp/ok', 'wb').write(b'x' * (3 << 20))\nprint('ok')")
    assert result.ok and result.stdout == b"ok\n", result


def test_a_long_cleanup_is_not_counted_against_the_next_job(default, monkeypatch):
    monkeypatch.setattr(warm, "BACKSTOP_SECONDS", 0.2)
    many = """
import os
os.mkdir("/tmp/many")
for i in range(20000):
    os.close(os.open(f"/tmp/many/{i}", os.O_CREAT | os.O_WRONLY))
"""
    assert run(default, many).ok
    quick = Limits(wall_seconds=0.2, cpu_seconds=1, memory_mb=256)
    result = run(default, "print('on time')", limits=quick)
    assert result.ok and result.stdout == b"on time\n", result


def test_sysv_ipc_objects_do_not_outlive_the_job(sandboxed):
    source = """
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
if sys.argv[1] == "make":
    print(libc.shmget(0x5EC, 4096, 0o1600) >= 0, libc.semget(0x5ED, 1, 0o1600) >= 0)
else:
    print(libc.shmget(0x5EC, 0, 0), libc.semget(0x5ED, 0, 0))
"""
    assert run(sandboxed, source, argv=("make",)).stdout == b"True True\n"
    assert run(sandboxed, source, argv=("look",)).stdout == b"-1 -1\n"


def test_a_stuck_zygote_dies_with_its_sandbox_after_removing_ipc_objects():
    """Removing a job's SysV IPC objects takes the job's uid for a moment, which clears the
    zygote's parent-death signal: set again, a zygote that no longer reads its socket still
    dies with its bubblewrap."""
    with _build("bwrap") as executor:
        if not executor.separate_uid:
            pytest.skip("with one uid the zygote never changes its uid")
        made = "import ctypes; print(ctypes.CDLL(None).shmget(0x5EE, 4096, 0o1600) >= 0)"
        assert run(executor, made).stdout == b"True\n"
        [zygote] = _zygote_pids(executor)
        bubblewrap = int(Path(f"/proc/{zygote}/stat").read_bytes().rsplit(b")", 1)[1].split()[1])
        try:
            os.kill(zygote, signal.SIGSTOP)  # stuck: it will not see its socket close
            os.kill(bubblewrap, signal.SIGKILL)
            deadline = time.monotonic() + 5
            while not _dead(zygote) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _dead(zygote)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(zygote, signal.SIGKILL)


SCAN = """
import re, sys
pattern = re.compile(bytes.fromhex(sys.argv[1]) + b"[0-9a-f]{32}")
found = []
with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
    for line in maps:
        where, perms = line.split()[:2]
        if "r" not in perms:
            continue
        start, end = (int(x, 16) for x in where.split("-"))
        try:
            mem.seek(start)
            chunk = mem.read(end - start)
        except (OSError, OverflowError, ValueError):
            continue
        found += pattern.findall(chunk)
print(sorted({f.hex() for f in found}))
"""


def test_no_trace_of_an_earlier_job_in_a_jobs_memory(executor):
    prefix = b"LEAKCANARY"
    source_secret, stdin_secret, own = (prefix + secrets.token_hex(16).encode() for _ in "abc")
    source = f"import sys\nS = {source_secret!r}\nprint(len(sys.stdin.read()))"
    assert run(executor, source, stdin=stdin_secret).ok
    reading = "import sys\nOWN = sys.stdin.buffer.read()\n" + SCAN
    result = run(executor, reading, argv=(prefix.hex(),), stdin=own)
    assert result.ok, result
    seen = {bytes.fromhex(h) for h in ast.literal_eval(result.stdout.decode())}
    assert own in seen  # the scan sees what this job holds: its own stdin, once read
    assert source_secret not in seen and stdin_secret not in seen


def test_a_job_holds_no_copy_of_its_stdin_before_it_reads_it(executor):
    """So a job that forks before it reads its input (the code verifier's harness, whose
    input holds the tests) gives its children none of it."""
    own = b"LEAKCANARY" + secrets.token_hex(16).encode()
    result = run(executor, SCAN + "sys.stdin.read()", argv=(b"LEAKCANARY".hex(),), stdin=own)
    assert result.ok, result
    assert ast.literal_eval(result.stdout.decode()) == []


def test_a_job_cannot_forge_its_result_or_reach_the_control_socket(executor):
    source = """
import json, os
fake = b'{"exit_code": 0, "wait_status": 0, "wall_seconds": 0, "cpu_seconds": 0, ' \\
    b'"leftover_cpu_seconds": 0, "peak_kb": 0, "killed": "", "leftovers": 0, "setup_error": ""}'
print(sorted(int(fd) for fd in os.listdir("/proc/self/fd")), flush=True)
for fd in range(1024):
    for message in (fake, b"+" + fake, b"G", b"K"):
        try:
            os.write(fd, message)
        except OSError:
            pass
os._exit(3)
"""
    result = run(executor, source)
    assert result.status is RunStatus.OK and result.exit_code == 3, result
    assert result.stdout.startswith(b"[0, 1, 2, 3]\n")  # 3: the listing's own fd
    assert run(executor, "print('next')").stdout == b"next\n"


# -- a dead zygote is replaced ---------------------------------------------------------------


def _tagged(executor: WarmPythonExecutor) -> dict[int, tuple[bool, int]]:
    """The executor's processes on the host (their command lines hold its tag): pid ->
    (whether it is bubblewrap, parent pid)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                cmdline = (entry / "cmdline").read_bytes()
                if executor.tag.encode() in cmdline:
                    parent = int((entry / "stat").read_bytes().rsplit(b")", 1)[1].split()[1])
                    found[int(entry.name)] = (b"bwrap" in cmdline.split(b"\0")[0], parent)
    return found


def _zygote_pids(executor: WarmPythonExecutor) -> list[int]:
    """The zygotes: tagged, not bubblewrap, and not forked by another tagged Python."""
    tagged = _tagged(executor)
    return [
        pid
        for pid, (bwrap, parent) in tagged.items()
        if not bwrap and (parent not in tagged or tagged[parent][0])
    ]


def _dead(pid: int) -> bool:
    """Gone or a zombie: its fds are closed (a dying process loses its command line first)."""
    try:
        return Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()[0] == b"Z"
    except OSError:
        return True


def _kill_zygotes(executor: WarmPythonExecutor) -> None:
    pids = _zygote_pids(executor)
    assert pids
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while not all(map(_dead, pids)) and time.monotonic() < deadline:
        time.sleep(0.01)


@pytest.mark.parametrize("kind", ["bwrap", "process"])
def test_a_zygote_killed_while_idle_is_replaced_unnoticed(kind):
    with _build(kind) as executor:
        assert run(executor, "print(1)").ok
        _kill_zygotes(executor)
        result = run(executor, "print(2)")
        assert result.ok and result.stdout == b"2\n", result


def test_a_zygote_killed_during_a_job_fails_that_job_only():
    with _build("bwrap") as executor:
        assert run(executor, "print(1)").ok
        threading.Timer(0.3, _kill_zygotes, (executor,)).start()
        result = run(executor, "import time\ntime.sleep(3)")
        assert result.status is RunStatus.ERROR and "replaced" in result.detail, result
        assert run(executor, "print(2)").stdout == b"2\n"


# -- threads, close, languages ---------------------------------------------------------------


def test_run_many_uses_every_worker_from_threads():
    with _build("bwrap", workers=2) as executor:
        jobs = [
            Job(source=f"import time\ntime.sleep(0.05)\nprint({i})", limits=LIMITS)
            for i in range(8)
        ]
        results = executor.run_many(jobs, workers=4)
        assert [r.stdout for r in results] == [f"{i}\n".encode() for i in range(8)]
        assert len(_zygote_pids(executor)) == 2


@pytest.mark.parametrize("kind", ["bwrap", "process"])
def test_close_leaves_no_process_behind(kind):
    executor = _build(kind, workers=2)
    executor.start()
    outcome: list[Execution] = []
    thread = threading.Thread(
        target=lambda: outcome.append(run(executor, DAEMON + "\ntime.sleep(5)"))
    )
    thread.start()
    time.sleep(0.5)
    assert len(_zygote_pids(executor)) == 2
    executor.close()
    thread.join(5)
    assert outcome and outcome[0].status is RunStatus.KILLED, outcome
    assert _tagged(executor) == {}
    with pytest.raises(SandboxError, match="closed"):
        executor.start()


SERVICE_SOURCE = """
import json, os, time

COUNT = [0]


def handle(request, limits, jobs):
    COUNT[0] += 1
    order = json.loads(request)
    reply = {"count": COUNT[0], "limits": sorted(limits)}
    if "job" in order:  # a job that reads fd 3 and answers on fd 4
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        out_r, out_w = os.pipe()
        job_limits = dict(limits, wall_seconds=order.get("job_wall", 5.0))
        jobs.start({"main.py": order["job"]}, job_limits, out_w, out_w, [to_r, from_w])
        for fd in (to_r, from_w, out_w):
            os.close(fd)
        os.write(to_w, order.get("send", "").encode())
        os.close(to_w)
        reply["from_job"] = os.read(from_r, 1 << 16).decode()
        if order.get("kill"):
            jobs.kill()
        result = jobs.result()
        reply.update(job_exit=result["exit_code"], killed=result["killed"])
        reply["job_out"] = b"".join(iter(lambda: os.read(out_r, 1 << 16), b"")).decode()
    if order.get("raise"):
        raise ValueError("asked to")
    time.sleep(order.get("sleep", 0))
    return json.dumps(reply).encode()
"""
SERVICE = "svc:handle"
ECHO_JOB = "import os\nos.write(4, os.read(3, 100)[::-1])\nprint('job stdout')\n"


def _with_service(kind: str) -> WarmPythonExecutor:
    return _build(kind, modules={"svc": SERVICE_SOURCE}, service=SERVICE)


def ask(executor: Executor, order: dict, wall: float = 5.0) -> tuple[Execution, dict | None]:
    limits = dataclasses.replace(LIMITS, wall_seconds=wall)
    job = Job(source="print('the program ran')", stdin=json.dumps(order), limits=limits)
    result = executor.run(dataclasses.replace(job, service=SERVICE))
    answered = result.ok and result.exit_code == 0 and result.stdout.startswith(b"{")
    return result, json.loads(result.stdout) if answered else None


@pytest.mark.parametrize("kind", KINDS)
def test_a_service_answers_jobs_that_name_it_and_runs_jobs_of_its_own(kind):
    with _with_service(kind) as executor:
        first, answer = ask(executor, {"job": ECHO_JOB, "send": "ping"})
        assert answer is not None, first
        assert answer["count"] == 1 and answer["from_job"] == "gnip"
        assert answer["job_exit"] == 0 and answer["job_out"] == "job stdout\n", answer
        assert "memory_mb" in answer["limits"] and "scratch_bytes" in answer["limits"]
        _, answer = ask(executor, {})
        assert answer is not None and answer["count"] == 2  # one service, alive between
        plain = run(executor, "print('the program ran')")  # no service named: the program
        assert plain.stdout == b"the program ran\n", plain
    with _build(kind) as executor:  # an executor without the service runs the program
        result, _ = ask(executor, {})
        assert result.stdout == b"the program ran\n", result


@pytest.mark.parametrize("kind", KINDS)
def test_a_service_past_its_time_is_a_timeout_and_is_replaced(kind):
    with _with_service(kind) as executor:
        ask(executor, {})
        result, _ = ask(executor, {"sleep": 30}, wall=0.5)
        assert result.status is RunStatus.TIMEOUT, result
        assert result.wall_seconds < 3
        _, answer = ask(executor, {})
        assert answer is not None and answer["count"] == 1  # a new service


def test_a_service_that_raises_is_a_failed_program_and_lives_on(default):
    with _with_service("bwrap") as executor:
        result, _ = ask(executor, {"raise": True})
        assert result.status is RunStatus.OK and result.exit_code == 1, result
        assert b"ValueError: asked to" in result.stderr
        _, answer = ask(executor, {})
        assert answer is not None and answer["count"] == 2


@pytest.mark.parametrize("kind", KINDS)
def test_a_services_job_is_killed_on_request_and_its_leftovers_are_gone(kind):
    daemon = (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    time.sleep(30)\n"
        "os.write(4, str(os.getpid()).encode())\n"
        "time.sleep(30)\n"
    )
    probe = (
        "import os\n"
        "others = [os.stat(f'/proc/{p}').st_uid for p in os.listdir('/proc')\n"
        "          if p.isdigit() and int(p) != os.getpid()]\n"
        "os.write(4, repr((os.getuid(), others)).encode())\n"
    )
    with _with_service(kind) as executor:
        started = time.monotonic()
        _, answer = ask(executor, {"job": daemon, "kill": True})
        assert answer is not None and answer["killed"] == "service", answer
        assert answer["job_exit"] == -signal.SIGKILL
        assert time.monotonic() - started < 3
        _, answer = ask(executor, {"job": probe})
        assert answer is not None and answer["count"] == 2
        if kind != "process":  # in its pid namespace: the zygote (init), the service, us,
            uid, others = ast.literal_eval(answer["from_job"])  # and a spare of the zygote's
            if executor.separate_uid:  # uid, waiting for the next job: none of the job's
                assert uid not in others and 2 <= len(others) <= 3, answer
            else:
                assert len(others) == 2, answer


@pytest.mark.parametrize("kind", KINDS)
def test_a_job_can_neither_read_a_request_nor_keep_the_service_from_its_answer(kind):
    prefix = b"LEAKCANARY"
    secret, own = ((prefix + secrets.token_hex(16).encode()).decode() for _ in "ab")
    attack = (
        f"import os, signal\nOWN = {own!r}.encode()\n"
        "try:\n"
        "    os.kill(-1, signal.SIGKILL)  # every process it may signal but itself\n"
        "except OSError:\n"
        "    pass\n"
        + SCAN.replace("bytes.fromhex(sys.argv[1])", repr(prefix))
        + "os.write(4, repr(found).encode())\n"
    )
    with _with_service(kind) as executor:
        result, answer = ask(executor, {"job": attack, "secret": secret})
        if kind == "bwrap" and ROOT:  # another uid than the service's: out of its reach
            assert answer is not None, result
        if answer is not None:  # else it killed the service (one uid): no answer, no pass
            assert answer["job_exit"] == 0
            seen = set(ast.literal_eval(answer["from_job"]))
            assert own.encode() in seen  # the scan sees what the job holds
            assert secret.encode() not in seen
        else:
            assert result.status is RunStatus.KILLED, result
        _, answer = ask(executor, {})
        assert answer is not None


@pytest.mark.parametrize("kind", KINDS)
def test_close_with_a_service_leaves_no_process_behind(kind):
    executor = _with_service(kind)
    outcome: list[tuple[Execution, dict | None]] = []
    thread = threading.Thread(target=lambda: outcome.append(ask(executor, {"sleep": 5})))
    thread.start()
    time.sleep(0.5)
    executor.close()
    thread.join(5)
    assert outcome and outcome[0][0].status is RunStatus.KILLED, outcome
    assert _tagged(executor) == {}


class _Recorder(Executor):
    name = "recorder"
    isolation = "none"

    def __init__(self) -> None:
        self.jobs: list[Job] = []

    def run(self, job: Job) -> Execution:
        self.jobs.append(job)
        return Execution(RunStatus.OK, 0, backend=self.name)


def test_other_languages_go_to_the_fallback_or_raise(default):
    job = Job(source="int main() { return 0; }", language=Language.C, limits=LIMITS)
    with pytest.raises(SandboxError, match="Python jobs only"):
        default.run(job)
    fallback = _Recorder()
    with _build("bwrap", fallback=fallback) as executor:
        assert executor.run(job).backend == "recorder"
    assert fallback.jobs == [job]

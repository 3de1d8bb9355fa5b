"""stdin/stdout tests: one sandbox run of the program per test, judged on the host.

Each test runs the response's program (any language of `sandboxes.Language`) with the
test's ``stdin``, under ``test_timeout`` of wall and CPU time and ``memory_mb``. Its stdout
is compared with ``expected_output`` here, outside the sandbox, so nothing the program
prints can pass for a verdict. C and C++ compile in each test's job again: a `Job` is one
build-and-run, and the sandbox offers no way to keep a binary between jobs; the compile
step runs under the sandbox's own compile limits (`sandboxes.languages.COMPILE_LIMITS`:
30 s), and a program the compiler rejects fails every test with its first error line.

Output comparison: both texts are decoded as UTF-8 (invalid bytes replaced), ``\\r\\n``
read as ``\\n``, and split into lines; each line's trailing whitespace is dropped, and so
are empty lines at the end. The remaining lines must be equal: leading whitespace, blank
lines in between, letter case and number formatting (``1.0`` vs ``1``) all count.

The tests of one verification run concurrently, a wave of up to one per core at a time.
The verification's clock (``timeout``) is the sum, over waves, of the longest run of its
own in each; a test that would start after it ran out fails without running, and a test
that starts with less than ``test_timeout`` left gets only what is left.

Reasons shown for a failed test name the test's stdin and the first differing line,
expected and actual: that is the feedback a multi-turn task gives the policy.
"""

from __future__ import annotations

from rlvr_envs.verifiers.code.options import CodeOptions
from rlvr_envs.verifiers.code.spec import IoCase, IoTests
from rlvr_envs.verifiers.code.work import Outcome, Work
from sandboxes.job import Execution, Job, Language, Limits, RunStatus

__all__ = ["IoWork", "first_difference", "output_lines"]

_SHOWN_CHARS = 80


def output_lines(text: str) -> list[str]:
    """The lines that count: trailing whitespace of each, and empty lines at the end, dropped."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def first_difference(actual: str, expected: str) -> str | None:
    """Where `actual` output first differs from `expected`, in words; None if it does not."""
    got, want = output_lines(actual), output_lines(expected)
    for number, (line, wanted) in enumerate(zip(got, want, strict=False), start=1):
        if line != wanted:
            return f"line {number} is {_shown(line)}, expected {_shown(wanted)}"
    if len(got) < len(want):
        if not got:
            return f"the program printed nothing, expected {_shown(want[0])} first"
        return f"the output ends after {len(got)} lines, expected {len(want)}"
    if len(got) > len(want):
        return f"the output has {len(got) - len(want)} extra lines, from {_shown(got[len(want)])}"
    return None


class IoWork(Work):
    """The runs of one stdin/stdout verification."""

    def __init__(self, spec: IoTests, code: str, options: CodeOptions) -> None:
        self.spec = spec
        self.code = code
        self.options = options
        self.language = Language(spec.language)
        self.used = 0.0
        """Seconds of the verification's clock spent (see the module docstring)."""
        self._next = 0
        self._pending: list[int] = []
        self._wave_seconds = 0.0
        self._results: list[dict[str, object] | None] = [None] * len(spec.tests)
        self._error: str | None = None
        self._compile_error: str | None = None

    def next_job(self) -> Job | None:
        left = self.options.timeout - self.used
        if self._next >= len(self.spec.tests) or left <= 0 or self._error:
            return None
        case = self.spec.tests[self._next]
        self._pending.append(self._next)
        self._next += 1
        seconds = min(self.options.test_timeout, left)
        return Job(
            source=self.code,
            language=self.language,
            stdin=case.stdin,
            limits=Limits(
                wall_seconds=seconds, cpu_seconds=seconds, memory_mb=self.options.memory_mb
            ),
        )

    def take(self, result: Execution | Exception) -> None:
        index = self._pending.pop(0)
        if isinstance(result, Exception):
            self._error = f"the sandbox failed: {type(result).__name__}: {result}"
            return
        self._wave_seconds = max(self._wave_seconds, result.wall_seconds)
        self._results[index] = self._judge(self.spec.tests[index], index, result)

    def end_wave(self) -> None:
        self.used += self._wave_seconds
        self._wave_seconds = 0.0

    def outcome(self) -> Outcome:
        if self._error:
            return Outcome(error=self._error, seconds=self.used)
        tests = []
        ran_out = False
        for index, result in enumerate(self._results):
            if result is None:
                ran_out = True
                result = {
                    "name": _name(self.spec.tests[index], index),
                    "passed": False,
                    "reason": f"not run: the whole verification ran past its "
                    f"{self.options.timeout:g} s limit",
                }
            tests.append(result)
        passed = sum(bool(test["passed"]) for test in tests)
        headline = None
        if self._compile_error and passed == 0:
            headline = self._compile_error
        elif ran_out:
            headline = f"the whole verification ran past its {self.options.timeout:g} s limit"
        details = {"language": self.spec.language}
        if ran_out:
            details["timed_out"] = True
        return Outcome(
            tests=tests,
            passed=passed,
            total=len(tests),
            headline=headline,
            details=details,
            seconds=self.used,
        )

    def _judge(self, case: IoCase, index: int, execution: Execution) -> dict[str, object]:
        name = _name(case, index)

        def failed(reason: str) -> dict[str, object]:
            return {"name": name, "passed": False, "reason": reason}

        status = execution.status
        limit = execution.detail or ""
        if status is RunStatus.OK and execution.exit_code == 0:
            difference = first_difference(execution.stdout.decode("utf-8", "replace"),
                                          case.expected_output)  # fmt: skip
            if difference is None:
                return {"name": name, "passed": True, "reason": ""}
            return failed(f"wrong output: {difference}")
        if status is RunStatus.OK:
            return failed(f"the program exited with status {execution.exit_code}"
                          f"{_last_line(execution.stderr)}")  # fmt: skip
        if status is RunStatus.TIMEOUT:
            return failed(f"the program ran past its time limit ({limit or 'timeout'})")
        if status is RunStatus.MEMORY:
            return failed(f"the program ran past the {self.options.memory_mb} MB memory limit")
        if status is RunStatus.OUTPUT_LIMIT:
            return failed("the program wrote more output than the limit allows")
        if status is RunStatus.KILLED:
            return failed(f"the program was killed ({limit or f'exit {execution.exit_code}'})")
        if _is_compile_error(execution):
            self._compile_error = f"the program does not compile: {_compiler_error(limit)}"
            return failed(self._compile_error)
        self._error = f"the sandbox could not run the program: {limit or 'no detail'}"
        return failed(self._error)


def _is_compile_error(execution: Execution) -> bool:
    """An ``error`` execution that is the program's fault: the compiler rejected it (or ran
    past its limits), which the sandbox reports as ``compilation failed ...``,
    ``compilation exceeded ...``, ``compilation produced ...``."""
    return execution.detail.startswith("compilation ")


def _name(case: IoCase, index: int) -> str:
    return f"test {index + 1} (stdin {_shown(case.stdin)})"


def _shown(text: str) -> str:
    return repr(text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "...")


def _compiler_error(detail: str) -> str:
    """The line that says why: an undefined reference (the linker), else the first error
    line, else the first line."""
    lines = [line.strip() for line in detail.strip().splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line]
    linker = [line for line in lines if "undefined reference" in line]
    chosen = (linker or errors or lines or ["no message"])[0]
    return chosen[:200]


def _last_line(stderr: bytes) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    return f": {lines[-1].strip()[:200]}" if lines else ""

"""Function tests on the host's side: the harness job, and reading its signed result.

One job per verification: the trusted harness (`rlvr_envs.verifiers.code.harness`, see
`harness_files`; where the executor runs it as a service, `HARNESS_SERVICE`, the service
answers the job instead) with the spec on stdin: the program, the prompt, the test code (rewritten
here, once per problem: `asserts.prepared`), the time limits and a fresh random nonce. The
harness runs the tests and prints its result, which is believed only if it is one JSON
object carrying that nonce: the candidate runs in another process that never holds the
harness's stdout nor sees the nonce, so it cannot write a result, and anything else on
stdout fails closed.

==============================================  =============================================
what came back                                  verdict
==============================================  =============================================
a result with the nonce                         its tests (``reference_error``,
                                                ``harness_error``: ``verifier_error``)
exit 0 without a well-formed, signed result     every test failed (fail closed)
killed at the time limit, memory, output cap,   every test failed: only the candidate's
killed by a signal                              processes can cause it
an unreadable spec (exit 3), a Python crash     ``verifier_error``: the harness failed
of the harness, a sandbox ``error``
==============================================  =============================================
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import importlib.util
import json
import marshal
import sys
from importlib import resources
from typing import Any

from rlvr_envs.verifiers.code.asserts import prepared
from rlvr_envs.verifiers.code.options import CodeOptions
from rlvr_envs.verifiers.code.spec import FunctionTests
from rlvr_envs.verifiers.code.work import Outcome, Work
from sandboxes.base import Executor
from sandboxes.job import Execution, Job, Language, Limits, RunStatus

__all__ = [
    "GRACE_SECONDS",
    "HARNESS_SERVICE",
    "FunctionWork",
    "code_executor",
    "harness_files",
    "harness_modules",
    "program_of",
    "read_result",
]

GRACE_SECONDS = 2.0
"""Time the sandbox allows on top of ``timeout`` (plus a tenth of it): the harness keeps
``timeout`` itself, and needs a moment to start and to report."""
_RESULT_KEYS = {"tests": list, "passed": int, "failed": int, "total": int}


_HARNESS_MODULES = ("candidate_process.py", "recorder.py", "harness.py")
"""In import order: each imports only the standard library and those before it."""
HARNESS_SERVICE = f"{__package__}.harness:answer"
"""The harness as a warm sandbox's service (`harness.answer`): with `harness_modules`, a
`sandboxes.warm.WarmPythonExecutor` answers a function-test job with it, and a job then
costs one process (the candidate's) instead of two."""
_REWRITER_MODULE = "asserts.py"
"""Shipped only with test code the host could not rewrite (`asserts.prepared`)."""
_MAIN = """import sys

for name, fingerprint in {fingerprints!r}.items():
    if getattr(sys.modules.get(name), "__fingerprint__", None) != fingerprint:
        # not preloaded by a warm executor, or another version: ours, from the files
        for loaded in [known for known in sys.modules if known.split(".")[0] == "rlvr_envs"]:
            del sys.modules[loaded]
        break

from rlvr_envs.verifiers.code.harness import main

sys.exit(main())
"""


@functools.cache
def harness_modules() -> dict[str, str]:
    """The harness's modules, for a warm executor to execute once per worker rather than
    once per job (`sandboxes.warm.WarmPythonExecutor`'s ``modules``): dotted name ->
    source, in import order. Each source ends by setting ``__fingerprint__``, which the
    job's ``main.py`` checks, so a worker holding another version is never used."""
    package = resources.files(__package__)
    modules = {}
    for name in _HARNESS_MODULES:
        source = package.joinpath(name).read_text(encoding="utf-8")
        modules[f"{__package__}.{name.removesuffix('.py')}"] = (
            f"{source}\n__fingerprint__ = {_fingerprint(source)!r}\n"
        )
    return modules


def code_executor(workers: int | None = None) -> Executor:
    """The code verifier's own sandbox: ``sandboxes.default_executor(warm=True)`` with the
    harness as each warm worker's service (`HARNESS_SERVICE`): Python in ``warm-bwrap``
    where it runs, one process a verification; other languages, and machines without
    bubblewrap, in the default backend. `workers`: warm sandboxes (default: one a core).

    Raises:
        SandboxUnavailable: no sandbox runs here.
    """
    from sandboxes import default_executor  # the backends load only when needed

    warm: dict[str, Any] = {"modules": harness_modules(), "service": HARNESS_SERVICE}
    if workers is not None:
        warm["workers"] = workers
    return default_executor(warm=True, **warm)


def _fingerprint(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:32]


@functools.cache
def harness_files(*, rewriter: bool = False) -> dict[str, str | bytes]:
    """The files of a function-test job: the harness's modules at their package paths
    (under empty package ``__init__`` files, so their imports work as they do here), each
    with its bytecode (`_bytecode`), and a ``main.py`` that runs it; with `rewriter`, the
    module that rewrites test code too."""
    package = resources.files(__package__)
    fingerprints = {
        f"{__package__}.{name.removesuffix('.py')}": _fingerprint(
            package.joinpath(name).read_text(encoding="utf-8")
        )
        for name in _HARNESS_MODULES
    }
    files: dict[str, str | bytes] = {"main.py": _MAIN.format(fingerprints=fingerprints)}
    folder = __package__.replace(".", "/")
    parts = folder.split("/")
    for depth in range(1, len(parts) + 1):
        files["/".join(parts[:depth]) + "/__init__.py"] = ""
    modules = (*_HARNESS_MODULES, _REWRITER_MODULE) if rewriter else _HARNESS_MODULES
    for name in modules:
        path = f"{folder}/{name}"
        files[path] = source = package.joinpath(name).read_text(encoding="utf-8")
        if (cached := _bytecode(path, source)) is not None:
            files.update([cached])
    return files


def _bytecode(path: str, source: str) -> tuple[str, bytes] | None:
    """Where the interpreter looks for the compiled module at `path`, and a checked
    hash-based ``.pyc`` (PEP 552) of `source` for it, made by this interpreter.

    Compiling the harness's modules is most of a job's start-up (about 6 ms). A sandbox
    interpreter of this version loads this instead (after checking it against the source);
    another version looks for a file of another name, and compiles the source.
    """
    tag = sys.implementation.cache_tag
    if tag is None:
        return None
    folder, _, name = path.rpartition("/")
    data = source.encode("utf-8")
    code = compile(data, path, "exec", dont_inherit=True, optimize=0)
    flags = 0b11  # hash-based, checked
    pyc = importlib.util.MAGIC_NUMBER + flags.to_bytes(4, "little")
    pyc += importlib.util.source_hash(data) + marshal.dumps(code)
    return f"{folder}/__pycache__/{name.removesuffix('.py')}.{tag}.pyc", pyc


@functools.lru_cache(maxsize=256)
def _prepared_tests(test: str) -> dict[str, Any] | None:
    """`asserts.prepared`, once per test code: a verifier grades many responses to one
    problem."""
    return prepared(test)


def program_of(spec: FunctionTests, code: str) -> str:
    """The candidate's program: the prompt followed by the code in mode ``complete``."""
    if spec.mode == "full" or not spec.prompt:
        return code
    separator = "" if spec.prompt.endswith("\n") else "\n"
    return f"{spec.prompt}{separator}{code}\n"


class FunctionWork(Work):
    """The one harness job of a function-test verification."""

    def __init__(self, spec: FunctionTests, code: str, options: CodeOptions, nonce: str):
        self.nonce = nonce
        self.options = options
        stdin = {
            "nonce": nonce,
            "program": program_of(spec, code),
            "entry_point": spec.entry_point,
            "prompt": spec.prompt,
            "test_timeout": options.test_timeout,
            "timeout": options.timeout,
        }
        tests = _prepared_tests(spec.test)
        if tests is None:
            stdin["test"] = spec.test
        else:
            stdin["prepared"] = tests
        seconds = options.timeout * 1.1 + GRACE_SECONDS
        self._job: Job | None = Job(
            files=harness_files(rewriter=tests is None),
            entry="main.py",
            language=Language.PYTHON,
            stdin=json.dumps(stdin),
            limits=Limits(wall_seconds=seconds, cpu_seconds=seconds, memory_mb=options.memory_mb),
            service=None if tests is None else HARNESS_SERVICE,  # it cannot rewrite tests
        )
        self._result: Execution | Exception | None = None

    @property
    def first_wave_only(self) -> bool:
        return True

    def next_job(self) -> Job | None:
        job, self._job = self._job, None
        return job

    def take(self, result: Execution | Exception) -> None:
        self._result = result

    def outcome(self) -> Outcome:
        result = self._result
        if isinstance(result, Exception):
            return Outcome(error=f"the sandbox failed: {type(result).__name__}: {result}")
        assert result is not None, "outcome() before the job ran"
        outcome = read_result(result, self.nonce, self.options)
        outcome.seconds = result.wall_seconds
        return outcome


def read_result(execution: Execution, nonce: str, options: CodeOptions) -> Outcome:
    """What the harness's execution says; see the module docstring for the rules."""
    status = execution.status
    if status is RunStatus.ERROR:
        return Outcome(error=f"the sandbox could not run the harness: {execution.detail}")
    if status is RunStatus.OK and execution.exit_code == 0:
        result = _signed_result(execution.stdout, nonce)
        if result is None:
            return _all_failed("the harness's result is missing or not signed by this job")
        return _from_result(result)
    if status is RunStatus.OK and (execution.exit_code or 0) > 0:
        stderr = execution.stderr.decode("utf-8", "replace").strip()
        last = stderr.splitlines()[-1] if stderr else "no message"
        return Outcome(
            error=f"the harness failed with exit status {execution.exit_code}: {last[:300]}",
            details={"stderr": stderr[-2000:]},
        )
    if status is RunStatus.TIMEOUT:
        return _all_failed(f"the whole verification ran past its {options.timeout:g} s limit")
    if status is RunStatus.MEMORY:
        return _all_failed("the candidate's processes ran out of memory")
    if status is RunStatus.OUTPUT_LIMIT:
        return _all_failed("the harness's output was flooded past its limit")
    return _all_failed(  # KILLED, or OK with a negative exit code
        f"the harness was killed ({execution.detail or f'exit code {execution.exit_code}'}); "
        "only the candidate's processes could have done it"
    )


def _signed_result(stdout: bytes, nonce: str) -> dict[str, Any] | None:
    try:
        result = json.loads(stdout.decode("utf-8"))
    except ValueError:
        return None
    if not isinstance(result, dict) or not isinstance(result.get("nonce"), str):
        return None
    if not hmac.compare_digest(result["nonce"].encode(), nonce.encode()):
        return None
    return result


def _from_result(result: dict[str, Any]) -> Outcome:
    if result.get("harness_error"):
        return Outcome(error=f"the harness failed: {result['harness_error']}")
    if result.get("reference_error"):
        return Outcome(error=f"the problem's trusted code is broken: {result['reference_error']}")
    for key, kind in _RESULT_KEYS.items():
        if not isinstance(result.get(key), kind):
            return Outcome(error=f"the harness's result has no valid {key!r}")
    details = {
        key: result[key]
        for key in ("calls", "processes", "stdout", "stderr", "stdout_bytes", "stderr_bytes")
        if key in result
    }
    headline = result.get("load_failure")
    if result.get("timed_out"):
        details["timed_out"] = True
        headline = headline or "the whole verification ran out of time"
    return Outcome(
        tests=result["tests"],
        passed=result["passed"],
        total=result["total"],
        headline=headline,
        details=details,
    )


def _all_failed(reason: str) -> Outcome:
    test = {"name": "the tests", "passed": False, "reason": reason}
    return Outcome(tests=[test], passed=0, total=1, headline=reason)

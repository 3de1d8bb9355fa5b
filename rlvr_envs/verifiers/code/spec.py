"""The test spec of a code problem (its ``Problem.reference``), and builders for it.

Two kinds, told apart by ``kind``::

    {"kind": "function", "prompt": str, "entry_point": str, "test": str, "mode": "complete"}
    {"kind": "io", "language": "python", "tests": [{"stdin": str, "expected_output": str}]}

Function tests (HumanEval, MBPP): ``test`` is trusted Python that checks the function
``entry_point``: HumanEval's ``def check(candidate): assert ...`` (called with the
candidate) or MBPP's top-level ``assert f(...) == ...`` lines (``f`` is the candidate),
with any imports and helpers it needs. ``prompt`` is trusted Python that the test code may
use too (HumanEval/32's ``poly``); it runs before the tests, empty for none. ``mode``:
``complete``: the program is the prompt followed by the response's code (a HumanEval
completion, or a whole function that replaces the stub); ``full``: the response's code
alone is the program.

stdin/stdout tests: each test runs the program once with ``stdin`` and compares its
standard output with ``expected_output`` (see `rlvr_envs.verifiers.code.io_runs`).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import pydantic

from rlvr_envs.schema import STRICT, validate

__all__ = [
    "FunctionTests",
    "IoCase",
    "IoTests",
    "TestSpec",
    "function_tests",
    "humaneval_tests",
    "io_tests",
    "parse_spec",
]


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class FunctionTests:
    entry_point: str
    """The function under test; the test code calls it by this name or as ``candidate``."""
    test: str
    """Trusted test code: ``def check(candidate)`` or top-level asserts."""
    prompt: str = ""
    """Trusted code the tests may use, and the start of the program in mode ``complete``."""
    mode: Literal["complete", "full"] = "complete"
    """``complete``: program = prompt + response's code; ``full``: the response's code."""
    kind: Literal["function"] = "function"

    def __post_init__(self) -> None:
        if not self.entry_point.isidentifier():
            raise ValueError(f"entry_point must be a Python name, got {self.entry_point!r}")
        if not self.test.strip():
            raise ValueError("test must hold test code, got an empty string")


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class IoCase:
    stdin: str
    expected_output: str


@pydantic.dataclasses.dataclass(frozen=True, config=STRICT)
class IoTests:
    tests: tuple[IoCase, ...]
    """Each test: the program's stdin and the stdout expected of it."""
    language: Literal["python", "c", "cpp", "javascript"] = "python"
    """The language the response must be written in."""
    kind: Literal["io"] = "io"

    def __post_init__(self) -> None:
        if not self.tests:
            raise ValueError("tests must hold at least one test")


TestSpec = FunctionTests | IoTests


def parse_spec(reference: Any) -> TestSpec:
    """The test spec of a problem's reference (a mapping, or its JSON text).

    Raises:
        rlvr_envs.errors.TaskSpecError: it is not a valid spec; the message names the field.
    """
    if isinstance(reference, str):
        with contextlib.suppress(ValueError):
            reference = json.loads(reference)
    kind = reference.get("kind") if isinstance(reference, Mapping) else None
    cls: type[TestSpec] = IoTests if kind == "io" else FunctionTests
    return validate(cls, reference, where="the problem's test spec")


def function_tests(
    *, entry_point: str, test: str, prompt: str = "", mode: Literal["complete", "full"] = "full"
) -> dict[str, Any]:
    """A function-test spec: MBPP-style asserts with the default ``mode="full"``
    (``test="assert add(1, 2) == 3\\n..."``), or HumanEval-style with ``mode="complete"``."""
    spec = FunctionTests(entry_point=entry_point, test=test, prompt=prompt, mode=mode)
    return _plain(spec)


def humaneval_tests(record: Mapping[str, Any]) -> dict[str, Any]:
    """The spec of a HumanEval record (``prompt``, ``entry_point``, ``test``): the response
    completes the prompt, and ``check(candidate)`` decides."""
    return function_tests(
        entry_point=record["entry_point"],
        test=record["test"],
        prompt=record["prompt"],
        mode="complete",
    )


def io_tests(
    tests: Iterable[Mapping[str, str] | tuple[str, str]],
    *,
    language: Literal["python", "c", "cpp", "javascript"] = "python",
) -> dict[str, Any]:
    """A stdin/stdout spec from ``{"stdin", "expected_output"}`` mappings or
    ``(stdin, expected_output)`` pairs."""
    cases = tuple(IoCase(**test) if isinstance(test, Mapping) else IoCase(*test) for test in tests)
    return _plain(IoTests(tests=cases, language=language))


def _plain(spec: TestSpec) -> dict[str, Any]:
    return pydantic.TypeAdapter(type(spec)).dump_python(spec, mode="json")

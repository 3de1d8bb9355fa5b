"""Coq whole-proof checks per second: a cold process per check against the warm pool, in one run.

    apt-get install coq && python benchmarks/proof_checker.py

Items: the 49 bundled Coq theorems (``tasks/proof/data/coq_basics.jsonl``) with their
proofs from the tests (each must be accepted) and, for each, a wrong proof (each must be
rejected): ``Proof. intros. reflexivity. Qed.``, or, where that happens to prove the
theorem, ``Proof. Qed.``. Items go in file order, so problems with different preambles
(none, ``Arith``, ``Lia``, ``List``) alternate as they do in the task. Configurations:

* ``cold``: `CoqBackend(warm=False)`: per check, one sandbox job (``bwrap`` where it runs)
  that compiles the response's file with ``coqc``, then our check file (statement check
  and ``Print Assumptions``) with a second ``coqc``;
* ``warm, N workers``: `CoqBackend(warm=True, workers=N)`: sandboxed ``coqtop`` sessions
  kept across checks, each going back to the loaded preamble after every check;
* ``bare coqc`` (reference, not a checker): one unsandboxed ``coqc`` of the response's
  file per item, no second file, no ``Print Assumptions``: the floor a cold process costs.

Reported: verdicts as expected, checks per second, p50 and p99 latency of single checks
(one worker), and the load average, since other jobs share the machine. The section goes
to "Proof checker" in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))

from results_file import write_section  # noqa: E402

from rlvr_envs.verifiers.proof import CoqBackend, Theorem  # noqa: E402

PROBLEMS = ROOT / "tasks" / "proof" / "data" / "coq_basics.jsonl"
PROOFS = ROOT / "tests" / "rlvr_envs" / "proofs" / "data" / "coq_basics_proofs.json"
WRONG = "Proof. intros. reflexivity. Qed."
EMPTY = "Proof. Qed."

Item = tuple[Theorem, str, bool]


def items() -> list[Item]:
    proofs = json.loads(PROOFS.read_text(encoding="utf-8"))
    out: list[Item] = []
    for line in PROBLEMS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        theorem = Theorem(record["statement"], record.get("preamble", ""), name=record["id"])
        out.append((theorem, proofs[record["id"]], True))
        out.append((theorem, WRONG, False))
    return out


def fix_wrong(backend: CoqBackend, work: list[Item]) -> list[Item]:
    """Replace a 'wrong' proof that happens to prove its theorem by the empty proof."""
    fixed = []
    for theorem, proof, expected in work:
        if not expected and backend.check(theorem, proof).accepted:
            proof = EMPTY
        fixed.append((theorem, proof, expected))
    return fixed


def run_backend(backend: CoqBackend, work: list[Item], workers: int) -> dict:
    for theorem, proof, _ in work[:4]:  # warm up: sessions started, libraries in the cache
        backend.check(theorem, proof)
    latencies: list[float] = []
    wrong = 0

    def one(item: Item) -> float:
        started = time.perf_counter()
        verdict = backend.check(item[0], item[1])
        return (time.perf_counter() - started, verdict.accepted == item[2])

    started = time.perf_counter()
    if workers == 1:
        results = [one(item) for item in work]
    else:
        with ThreadPoolExecutor(max_workers=workers) as threads:
            results = list(threads.map(one, work))
    elapsed = time.perf_counter() - started
    latencies = [seconds for seconds, _ in results]
    wrong = sum(1 for _, right in results if not right)
    return {"elapsed": elapsed, "latencies": latencies, "disagreements": wrong}


def run_bare(work: list[Item]) -> dict:
    coqc = shutil.which("coqc")
    latencies = []
    disagreements = 0
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        for index, (theorem, proof, expected) in enumerate(work):
            path = Path(folder) / f"B{index}.v"
            text = f"{theorem.preamble}\nTheorem goal : {theorem.statement}.\n{proof}\n"
            path.write_text(text, encoding="utf-8")
            one = time.perf_counter()
            done = subprocess.run([coqc, "-q", path.name], cwd=folder, capture_output=True)
            latencies.append(time.perf_counter() - one)
            disagreements += (done.returncode == 0) != expected
        elapsed = time.perf_counter() - started
    return {"elapsed": elapsed, "latencies": latencies, "disagreements": disagreements}


def row(name: str, result: dict, count: int) -> str:
    lat = sorted(result["latencies"])
    p50 = statistics.median(lat) * 1000
    p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))] * 1000
    rate = count / result["elapsed"]
    agree = count - result["disagreements"]
    return f"| {name} | {agree}/{count} | {rate:.1f} | {p50:.0f} | {p99:.0f} |"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    args = parser.parse_args()
    if shutil.which("coqc") is None:
        print("Coq is not installed: apt-get install coq", file=sys.stderr)
        return 2
    load_before = os.getloadavg()
    with CoqBackend(warm=True) as probe:
        work = fix_wrong(probe, items())
    rows = []
    results = {}
    with CoqBackend(warm=False) as cold:
        results["cold (coqc job per check), 1 worker"] = run_backend(cold, work, 1)
        results["cold (coqc job per check), 2 workers"] = run_backend(cold, work, 2)
    with CoqBackend(warm=True, workers=1) as warm:
        results["warm pool, 1 session"] = run_backend(warm, work, 1)
    with CoqBackend(warm=True, workers=2) as warm:
        results["warm pool, 2 sessions"] = run_backend(warm, work, 2)
    results["bare coqc, no sandbox, no check file (reference)"] = run_bare(work)
    load_after = os.getloadavg()
    rows = [row(name, result, len(work)) for name, result in results.items()]
    cold_rate = len(work) / results["cold (coqc job per check), 2 workers"]["elapsed"]
    warm_rate = len(work) / results["warm pool, 2 sessions"]["elapsed"]
    cold_one = len(work) / results["cold (coqc job per check), 1 worker"]["elapsed"]
    warm_one = len(work) / results["warm pool, 1 session"]["elapsed"]
    version = subprocess.run(["coqc", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    accepted = sum(1 for _, _, expected in work if expected)
    section = "\n".join(
        [
            "## Proof checker",
            "",
            "Command: `python benchmarks/proof_checker.py`  ",
            f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}; {version}; {len(work)} checks: "
            f"the {accepted} bundled Coq theorems with their proofs (to accept) and one wrong "
            f"proof each (to reject). Load average {load_before[0]:.1f} before, "
            f"{load_after[0]:.1f} after (other jobs share the machine).",
            "",
            "| configuration | verdicts as expected | checks/s | p50 ms | p99 ms |",
            "|---|---|---|---|---|",
            *rows,
            "",
            f"The warm pool checks {warm_one / cold_one:.1f}× as many proofs per second as a "
            f"cold sandboxed process per check with one worker, {warm_rate / cold_rate:.1f}× "
            "with two. A cold check pays the sandbox, two `coqc` starts and the libraries "
            "of its preamble (`Lia` alone is about 0.3 s) every time; a warm session pays "
            "them once per preamble and goes back (`BackTo`) to the loaded preamble after "
            "each check. The wrong proofs fail fast on either path, so the latencies are "
            "bimodal: p50 is dominated by them, p99 by `lia` proofs.",
        ]
    )
    print(section)
    if not args.no_write:
        write_section("## Proof checker", section + "\n")
    disagreements = sum(result["disagreements"] for result in results.values())
    return 1 if disagreements else 0


if __name__ == "__main__":
    sys.exit(main())

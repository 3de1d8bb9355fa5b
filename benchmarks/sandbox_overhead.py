"""Per-execution overhead of the sandboxes on ``print(1)``: the fork floor, an interpreter
start, the warm executors and the cold backends.

    python benchmarks/sandbox_overhead.py [--runs 300] [--cold-runs 200] [--jobs 300]

Prints a markdown section (it writes no file). For each configuration: latency p50/p99 of
one execution at a time (from the call to the result), its p50 as a multiple of the fork
floor's, throughput with 1 and 2 workers (jobs per second over ``--jobs`` jobs, the
executor's own `run_many`), and one line on what it isolates.

- **Fork floor**: ``fork()``, the child ``os._exit(0)``, ``waitpid`` — timed inside a warm
  interpreter like the zygote (the interpreter the sandboxes run, with the zygote's
  preloaded modules), not in this bigger process: a fork costs in proportion to the memory
  mapped, so this floor is the lower one. The floor in this process is shown too.
- The floor and the warm executors are sampled in turn (one fork, one job, ...), so that
  a busy machine slows both alike; their ratio is the figure of merit.
- **Interpreter start**: ``subprocess.run([python, "-c", "print(1)"])``, the same
  interpreter, no isolation at all: what any cold sandbox pays at least.
- The cold backends (``process``, ``bwrap``) run when ``sandboxes`` has them.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sandboxes.base import Executor, SandboxUnavailable
from sandboxes.job import Job, Limits
from sandboxes.languages import Toolchain
from sandboxes.warm import DEFAULT_PRELOAD, WarmProcessExecutor, WarmPythonExecutor

JOB = Job(source="print(1)", limits=Limits(wall_seconds=10, cpu_seconds=10))

# A warm interpreter that times its own forks, one per line read from stdin.
FLOOR = f"""
import os, sys, time
for name in {list(DEFAULT_PRELOAD)!r} + ["ctypes", "json", "marshal", "select", "_socket"]:
    __import__(name)
for _ in sys.stdin:
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    print(time.perf_counter() - started, flush=True)
"""


@dataclass
class Row:
    name: str
    latencies: list[float]
    throughput: dict[int, float]
    isolation: str

    def quantile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class ForkFloor:
    """A warm interpreter like the zygote that forks on request and says how long it took."""

    def __init__(self, python: str) -> None:
        self.process = subprocess.Popen(
            [python, "-E", "-s", "-B", "-c", FLOOR],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def sample(self) -> float:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline())

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


def fork_here() -> float:
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return time.perf_counter() - started


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def throughput(executor: Executor, jobs: int, workers: int) -> float:
    started = time.perf_counter()
    results = executor.run_many([JOB] * jobs, workers=workers)
    seconds = time.perf_counter() - started
    assert all(result.ok and result.stdout == b"1\n" for result in results), results[0]
    return jobs / seconds


def measure_warm(
    factory: type[WarmPythonExecutor], floor: ForkFloor, args: argparse.Namespace
) -> tuple[Row, list[float]] | None:
    """The warm executor's row, and the fork-floor samples taken in turn with its runs."""
    try:
        executor = factory(1)
    except SandboxUnavailable as exc:
        print(f"<!-- {factory.name} skipped: {exc} -->")
        return None
    with executor:
        executor.start()
        for _ in range(20):  # untimed: the first forks, page faults, caches
            executor.run(JOB)
        latencies, floors = [], []
        for _ in range(args.runs):
            floors.append(floor.sample())
            started = time.perf_counter()
            result = executor.run(JOB)
            latencies.append(time.perf_counter() - started)
            assert result.ok and result.stdout == b"1\n", result
        rates = {1: throughput(executor, args.jobs, 1)}
    with factory(2) as executor:
        executor.start()
        executor.run_many([JOB] * 20, workers=2)
        rates[2] = throughput(executor, args.jobs, 2)
    return Row(factory.name, latencies, rates, factory.isolation), floors


def measure_cold(name: str, args: argparse.Namespace) -> Row | None:
    try:
        import sandboxes

        factory = getattr(sandboxes, name)
        executor = factory()
    except (ImportError, AttributeError, SandboxUnavailable) as exc:
        print(f"<!-- {name} skipped: {exc} -->")
        return None
    with executor:
        for _ in range(5):
            executor.run(JOB)
        latencies = [timed(lambda: executor.run(JOB)) for _ in range(args.cold_runs)]
        jobs = max(20, args.jobs // 5)
        rates = {workers: throughput(executor, jobs, workers) for workers in (1, 2)}
    return Row(executor.name, latencies, rates, executor.isolation)


def measure_interpreter(python: str, args: argparse.Namespace) -> Row:
    command = [python, "-c", "print(1)"]

    def once() -> None:
        subprocess.run(command, capture_output=True, check=True)

    for _ in range(5):
        once()
    latencies = [timed(once) for _ in range(args.cold_runs)]
    rates = {}
    jobs = max(20, args.jobs // 5)
    for workers in (1, 2):
        with ThreadPoolExecutor(workers) as pool:
            started = time.perf_counter()
            list(pool.map(lambda _: once(), range(jobs)))
            rates[workers] = jobs / (time.perf_counter() - started)
    return Row("interpreter start", latencies, rates, "none: a bare `python -c`")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="timed runs: floor and warm")
    parser.add_argument("--cold-runs", type=int, default=200, help="timed runs: the others")
    parser.add_argument("--jobs", type=int, default=300, help="jobs per throughput pass")
    args = parser.parse_args()

    python = Toolchain.detect().python  # the interpreter every sandbox runs jobs with
    if python is None:
        print("no Python interpreter the sandbox user can run", file=sys.stderr)
        return 1
    floor = ForkFloor(python)
    rows: list[Row] = []
    floors: list[float] = []
    for factory in (WarmPythonExecutor, WarmProcessExecutor):
        measured = measure_warm(factory, floor, args)
        if measured is not None:
            rows.append(measured[0])
            floors += measured[1]
    floor.close()
    here = [fork_here() for _ in range(args.runs)]
    floor_row = Row("fork floor", floors, {}, "none: fork + `os._exit(0)` + waitpid")
    here_row = Row("fork floor, this process", here, {}, "none (a bigger process: dearer forks)")
    rows = [floor_row, here_row, *rows, measure_interpreter(python, args)]
    for name in ("ProcessExecutor", "BwrapExecutor"):
        if (row := measure_cold(name, args)) is not None:
            rows.append(row)

    base = floor_row.quantile(0.5)
    print("## Sandbox overhead\n")
    print("Command: `python benchmarks/sandbox_overhead.py`  ")
    print(
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()} (jobs: {python}), "
        f"Linux {platform.release()}; `print(1)`, {args.runs} runs (floor, warm), "
        f"{args.cold_runs} (the others), throughput over {args.jobs} jobs "
        f"({max(20, args.jobs // 5)} for the cold ones).\n"
    )
    print("| configuration | p50 ms | p99 ms | p50 / fork floor | jobs/s, 1 worker | "
          "jobs/s, 2 workers | isolation |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        rates = [f"{row.throughput[w]:.0f}" if w in row.throughput else "" for w in (1, 2)]
        print(
            f"| {row.name} | {row.quantile(0.5) * 1e3:.2f} | {row.quantile(0.99) * 1e3:.2f} | "
            f"{row.quantile(0.5) / base:.2f}× | {rates[0]} | {rates[1]} | {row.isolation} |"
        )
    warm = next((row for row in rows if row.name == WarmPythonExecutor.name), None)
    if warm is not None:
        print(
            f"\nWarm ({warm.name}) p50 / fork floor p50: **{warm.quantile(0.5) / base:.2f}×** "
            f"(p99 / p99: {warm.quantile(0.99) / floor_row.quantile(0.99):.2f}×); "
            f"fork floor p50 {base * 1e3:.2f} ms, sampled in turn with the warm runs."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Running a suite: plan the answers still missing, generate them in batches, verify each
batch in a pool while the next one generates, write every result as it is verified, then
summarise.

An output folder holds one run: ``run.json`` (the suite and the model, so a rerun resumes
only the same run), ``results.jsonl`` (one line per answer, see
`rlvr_envs.evaluation.results`), and once every answer is in, ``summary.json``,
``summary.md`` and the plots. Rerunning the same command after a kill continues where
the run stopped; rerunning a finished run only rewrites its summary.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlvr_envs.errors import ConfigError, DatasetError
from rlvr_envs.evaluation.metrics import metric_seed
from rlvr_envs.evaluation.plots import PASS_AT_K_PNG, TASKS_PNG
from rlvr_envs.evaluation.report import SUMMARY_JSON, SUMMARY_MD, write_report
from rlvr_envs.evaluation.results import Mode, ResultsFile, read_results
from rlvr_envs.evaluation.sources import (
    Generation,
    GenerationRequest,
    GenerationSettings,
    ModelSource,
)
from rlvr_envs.evaluation.suite import Suite, SuiteTask, difficulty_of
from rlvr_envs.registry import TaskRegistry
from rlvr_envs.sources.base import Problem
from rlvr_envs.task import Task

__all__ = ["RESULTS_FILE", "RUN_FILE", "EvalRun", "clear_run", "evaluate", "plan_size"]

RUN_FILE = "run.json"
RESULTS_FILE = "results.jsonl"
_IN_FLIGHT = 2  # verification batches queued behind the one generating: bounds memory


@dataclass(frozen=True)
class EvalRun:
    """What `evaluate` did."""

    output_dir: Path
    summary: dict[str, Any]
    total: int
    """Answers in the suite."""
    produced: int
    """Answers generated and scored by this call (the rest were already there)."""
    seconds: float


@dataclass(frozen=True)
class _Work:
    """Answers still missing for one problem in one mode."""

    entry: SuiteTask
    task: Task
    problem: Problem
    mode: Mode
    indices: tuple[int, ...]
    difficulty: str
    request: GenerationRequest


ProgressHook = Callable[[int], None]


def evaluate(
    suite: Suite,
    source: ModelSource,
    output_dir: Path,
    *,
    registry: TaskRegistry,
    verify_workers: int = 2,
    on_start: Callable[[int, int], None] | None = None,
    on_scored: ProgressHook | None = None,
    plots: bool = True,
) -> EvalRun:
    """Evaluate `source` on `suite` into `output_dir`, resuming what is already there.

    Args:
        verify_workers: verification batches run at once beside generation.
        on_start: called with (answers in the suite, answers already scored).
        on_scored: called with the number of answers each time some are written.
        plots: draw the PNG plots (needs matplotlib; skipped with a note without it).

    Raises:
        ConfigError: the folder holds a different run, or a task of the suite is unusable.
    """
    started = time.perf_counter()
    output_dir.mkdir(parents=True, exist_ok=True)
    tasks = {entry.task: _resolve(registry, entry) for entry in suite.tasks}
    _claim(output_dir, suite, source)
    with ResultsFile(output_dir / RESULTS_FILE) as results:
        plan = list(_plan(suite, tasks, results.done))
        total = plan_size(suite, tasks)
        missing = sum(len(work.indices) for work in plan)
        if on_start is not None:
            on_start(total, total - missing)
        with ThreadPoolExecutor(max_workers=verify_workers) as pool:
            pending: list[Future[None]] = []
            for batch in _batches(plan, source.batch_rows):
                generations = source.generate([work.request for work in batch])
                _check_counts(batch, generations, source)
                job = pool.submit(_verify_and_write, batch, generations, results, on_scored)
                pending.append(job)
                while len(pending) > _IN_FLIGHT:
                    pending.pop(0).result()  # re-raises a verification failure here
            for future in pending:
                future.result()
    records = list(read_results(output_dir / RESULTS_FILE))
    summary = write_report(output_dir, suite, source.name, records, plots=plots)
    return EvalRun(
        output_dir=output_dir,
        summary=summary,
        total=total,
        produced=missing,
        seconds=time.perf_counter() - started,
    )


def clear_run(output_dir: Path) -> None:
    """Delete the files a run wrote into `output_dir` (and nothing else there)."""
    for name in (RUN_FILE, RESULTS_FILE, SUMMARY_JSON, SUMMARY_MD, TASKS_PNG, PASS_AT_K_PNG):
        (output_dir / name).unlink(missing_ok=True)


def plan_size(suite: Suite, tasks: dict[str, tuple[str, Task]]) -> int:
    """How many answers the suite asks for."""
    total = 0
    for entry in suite.tasks:
        count = len(_problems(entry, tasks[entry.task][1]))
        total += count * (int(entry.greedy) + entry.samples)
    return total


def _claim(output_dir: Path, suite: Suite, source: ModelSource) -> None:
    """Record which run the folder holds, or check that it holds this one."""
    run_file = output_dir / RUN_FILE
    # Through JSON and back, so tuples compare equal to the lists a file holds.
    identity = json.loads(json.dumps({"suite": suite.to_dict(), "model": source.name}))
    if run_file.exists():
        recorded = json.loads(run_file.read_text(encoding="utf-8"))
        if {key: recorded.get(key) for key in identity} != identity:
            raise ConfigError(
                f"{output_dir} holds a run of suite {recorded.get('suite', {}).get('suite')!r} "
                f"with model {recorded.get('model')!r}, not this one (suite {suite.name!r}, "
                f"model {source.name!r}, or the same with other settings); choose another "
                "--output, or --fresh to start this folder over"
            )
        return
    run_file.write_text(json.dumps(identity, indent=2) + "\n", encoding="utf-8")


def _resolve(registry: TaskRegistry, entry: SuiteTask) -> tuple[str, Task]:
    task = registry.task(entry.task)
    task.source.check_split(entry.split)
    if task.source.size(entry.split) is None:
        raise ConfigError(
            f"suite task {entry.task!r}: split {entry.split!r} is unbounded (procedural); "
            "evaluate on a finite split such as 'test'"
        )
    return task.id, task


def _problems(entry: SuiteTask, task: Task) -> list[Problem]:
    problems = []
    for problem in task.source.iter_split(entry.split):
        if entry.problems is not None and len(problems) == entry.problems:
            break
        problems.append(problem)
    if entry.problems is not None and len(problems) < entry.problems:
        raise DatasetError(
            f"suite task {entry.task!r} asks for {entry.problems} problems but split "
            f"{entry.split!r} holds {len(problems)}; lower 'problems' or leave it out (all)"
        )
    return problems


def _plan(
    suite: Suite, tasks: dict[str, tuple[str, Task]], done: set[tuple[str, str, str, int]]
) -> Iterator[_Work]:
    """Every (problem, mode) with answers missing from the results: task by task, each
    mode's problems together, so that batches fill up (a batch holds one task and mode)."""
    for entry in suite.tasks:
        task_id, task = tasks[entry.task]
        problems = _problems(entry, task)
        counts: list[tuple[Mode, int]] = [("greedy", int(entry.greedy)), ("sampled", entry.samples)]
        for mode, count in counts:
            for problem in problems:
                indices = tuple(
                    i for i in range(count) if (task_id, problem.id, mode, i) not in done
                )
                if not indices:
                    continue
                request = GenerationRequest(
                    messages=task.messages(problem),
                    settings=_settings(entry, mode),
                    seed=_seed(suite, task_id, problem.id, mode, indices[0]),
                    task=task_id,
                    problem_id=problem.id,
                    mode=mode,
                    indices=indices,
                )
                yield _Work(
                    entry=entry,
                    task=task,
                    problem=problem,
                    mode=mode,
                    indices=indices,
                    difficulty=difficulty_of(problem, task),
                    request=request,
                )


def _batches(plan: list[_Work], rows: int) -> Iterator[list[_Work]]:
    """Consecutive work of one task and mode, at most `rows` answers a batch (at least one
    item, however many answers it asks for)."""
    batch: list[_Work] = []
    size = 0
    for work in plan:
        same_kind = not batch or (batch[0].task is work.task and batch[0].mode == work.mode)
        if batch and (not same_kind or size + len(work.indices) > rows):
            yield batch
            batch, size = [], 0
        batch.append(work)
        size += len(work.indices)
    if batch:
        yield batch


def _check_counts(
    batch: list[_Work], generations: list[list[Generation]], source: ModelSource
) -> None:
    if len(generations) != len(batch) or any(
        len(answers) != len(work.indices) for work, answers in zip(batch, generations, strict=False)
    ):
        raise RuntimeError(
            f"model source {source.name!r} returned answers that do not match the requests "
            f"({[len(a) for a in generations]} for {[len(w.indices) for w in batch]})"
        )


def _verify_and_write(
    batch: list[_Work],
    generations: list[list[Generation]],
    results: ResultsFile,
    on_scored: ProgressHook | None,
) -> None:
    task = batch[0].task
    flat = [
        (work, index, answer)
        for work, answers in zip(batch, generations, strict=True)
        for index, answer in zip(work.indices, answers, strict=True)
    ]
    verdicts = task.verify_batch([(work.problem, answer.text) for work, _, answer in flat])
    records = [
        {
            "task": task.id,
            "problem_id": work.problem.id,
            "split": work.entry.split,
            "mode": work.mode,
            "sample": index,
            "difficulty": work.difficulty,
            "response": answer.text,
            "tokens": answer.tokens,
            "truncated": answer.truncated,
            "reward": task.reward(verdict),
            "status": verdict.status.value,
            "verification": verdict.to_dict(),
        }
        for (work, index, answer), verdict in zip(flat, verdicts, strict=True)
    ]
    results.write(records)
    if on_scored is not None:
        on_scored(len(records))


def _settings(entry: SuiteTask, mode: Mode) -> GenerationSettings:
    return GenerationSettings(
        max_new_tokens=entry.max_new_tokens,
        temperature=0.0 if mode == "greedy" else entry.temperature,
        top_p=1.0 if mode == "greedy" else entry.top_p,
        stop=entry.stop,
    )


def _seed(suite: Suite, task_id: str, problem_id: str, mode: Mode, first_index: int) -> int:
    return metric_seed(suite.seed, f"{task_id}|{problem_id}|{mode}|{first_index}")

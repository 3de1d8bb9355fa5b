"""Evaluation: score a model on a suite of tasks with the tasks' own verifiers.

    from pathlib import Path

    import rlvr_envs
    from rlvr_envs.evaluation import evaluate, find_suite, suite_folders
    from rlvr_envs.evaluation.endpoint import EndpointSource

    suite = find_suite("smoke", suite_folders())
    run = evaluate(suite, EndpointSource("http://localhost:8000/v1", model="m"),
                   Path("runs/eval"), registry=rlvr_envs.default_registry())
    run.summary["overall"]["greedy_accuracy"]

- `suite`: suites (``*.suite.yaml``) and how a suite task is evaluated;
- `sources`: what answers prompts (`ModelSource`); `endpoint` (OpenAI-compatible chat
  completions), `response_source` (a JSONL file of answers); models run in this process
  come from packages through the ``rlvr_envs.model_sources`` entry points
  (``trainers`` provides ``transformers``);
- `runner`: plan, generate, verify in a pool beside generation, write each result, resume;
- `results`: the per-sample JSONL file;
- `metrics`: pass@k (unbiased), seeded bootstrap intervals, paired bootstrap deltas;
- `summary`, `report`, `plots`: the numbers, ``summary.json``/``summary.md``, PNG plots;
- `compare`: per-task deltas between two runs, with significance.

Nothing here imports torch, transformers or trainers.
"""

from rlvr_envs.evaluation.compare import Delta, compare_runs
from rlvr_envs.evaluation.metrics import Interval, bootstrap_mean, pass_at_k
from rlvr_envs.evaluation.runner import EvalRun, evaluate
from rlvr_envs.evaluation.sources import (
    Generation,
    GenerationRequest,
    GenerationSettings,
    ModelSource,
    open_model_source,
)
from rlvr_envs.evaluation.suite import Suite, SuiteTask, find_suite, load_suite_file, suite_folders

__all__ = [
    "Delta",
    "EvalRun",
    "Generation",
    "GenerationRequest",
    "GenerationSettings",
    "Interval",
    "ModelSource",
    "Suite",
    "SuiteTask",
    "bootstrap_mean",
    "compare_runs",
    "evaluate",
    "find_suite",
    "load_suite_file",
    "open_model_source",
    "pass_at_k",
    "suite_folders",
]

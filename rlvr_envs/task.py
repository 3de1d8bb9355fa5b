"""A task made usable: its spec resolved into a dataset, a verifier and reward shaping.

`Task` is what environments, ``rlvr verify`` and trainers share: it draws problems,
renders their chat messages, verifies responses and maps verdicts to rewards. Building
one checks the verifier options and generator parameters at once; the dataset itself is
read on first use.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import numpy as np

from rlvr_envs.errors import DatasetError, TaskSpecError, VerifierConfigError
from rlvr_envs.generators import find_generator
from rlvr_envs.packages import find_package
from rlvr_envs.schema import validate
from rlvr_envs.sources.base import Problem, ProblemSource
from rlvr_envs.sources.huggingface import load_huggingface_source
from rlvr_envs.sources.jsonl import load_jsonl_source
from rlvr_envs.sources.packaged import load_packaged_source
from rlvr_envs.sources.procedural import Generator, ProceduralSource
from rlvr_envs.spec import DatasetSpec, TaskSpec, template_fields
from rlvr_envs.verification import Verification
from rlvr_envs.verifiers import Verifier, find_verifier

__all__ = ["Message", "Task"]

Message = dict[str, str]


class Task:
    """A task ready to draw problems and score responses.

    Args:
        spec: the task specification.
        where: how to name the spec in errors (its file), default ``task '<id>'``.

    Raises:
        TaskSpecError: unknown verifier or generator, or options they do not take.
    """

    def __init__(self, spec: TaskSpec, *, where: str | None = None) -> None:
        self.spec = spec
        where = where or f"task {spec.id!r}"
        self.verifier = _build_verifier(spec, where)
        self._generator = _build_generator(spec.dataset, where)
        self._prompt_fields = template_fields(spec.prompt)
        if spec.system_prompt:
            self._prompt_fields += template_fields(spec.system_prompt)

    @property
    def id(self) -> str:
        return self.spec.id

    @functools.cached_property
    def source(self) -> ProblemSource:
        """The dataset, read on first use."""
        dataset = self.spec.dataset
        if isinstance(dataset, ProblemSource):
            return dataset
        if self._generator is not None:
            assert dataset.splits is not None  # checked by DatasetSpec
            return ProceduralSource(self._generator, dataset.splits, seed=dataset.seed)
        if dataset.package is not None:
            return load_packaged_source(
                find_package(dataset.package)(), required_fields=self._prompt_fields
            )
        file_options: dict[str, Any] = {
            "id_field": dataset.id_field,
            "reference_field": dataset.reference_field,
            "required_fields": self._prompt_fields,
            "record_format": dataset.format,
        }
        if dataset.jsonl is not None:
            return load_jsonl_source(dataset.jsonl, **file_options)
        assert dataset.huggingface is not None  # checked by DatasetSpec
        return load_huggingface_source(
            dataset.huggingface.builder, dataset.huggingface.files, **file_options
        )

    def problem(self, split: str, problem_id: str) -> Problem:
        return self.source.get(split, problem_id)

    def sample(self, split: str, rng: np.random.Generator) -> Problem:
        return self.source.sample(split, rng)

    def prompt(self, problem: Problem) -> str:
        return _render(self.spec.prompt, problem, "prompt")

    def messages(self, problem: Problem) -> list[Message]:
        """The opening chat messages: the system prompt if any, then the user prompt."""
        messages = []
        if self.spec.system_prompt:
            messages.append(
                {
                    "role": "system",
                    "content": _render(self.spec.system_prompt, problem, "system_prompt"),
                }
            )
        messages.append({"role": "user", "content": self.prompt(problem)})
        return messages

    def split_of(self, problem_id: str, default: str | None = None) -> str:
        """The split a problem id belongs to: its ``<split>/`` prefix, else `default` (the
        task's default split unless given)."""
        prefix = problem_id.split("/", 1)[0]
        if prefix in self.spec.split_names:
            return prefix
        return default if default is not None else self.spec.default_split

    def retry_message(self, verification: Verification) -> str:
        return self.spec.retry_prompt.format(reason=verification.reason)

    def verify(self, problem: Problem, response: object) -> Verification:
        """Verify one response; never raises because of the response."""
        return self.verifier.verify(response, problem, max_chars=self.spec.max_response_chars)

    def verify_batch(self, items: Iterable[tuple[Problem, object]]) -> list[Verification]:
        return self.verifier.verify_batch(
            ((response, problem) for problem, response in items),
            max_chars=self.spec.max_response_chars,
        )

    def reward(self, verification: Verification) -> float:
        return self.spec.reward.reward(verification)

    def describe_source(self) -> str:
        """One line naming the dataset, without reading it."""
        dataset = self.spec.dataset
        if isinstance(dataset, ProblemSource):
            return dataset.describe()
        if dataset.generator:
            return f"generator {dataset.generator}"
        if dataset.package is not None:
            return f"package {dataset.package}"
        shown_format = "" if dataset.format == "records" else f" ({dataset.format})"
        if dataset.jsonl is not None:
            files = ", ".join(f"{s}={p.name}" for s, p in dataset.jsonl.items())
            return f"jsonl {files}{shown_format}"
        assert dataset.huggingface is not None
        return f"huggingface {dataset.huggingface.builder}{shown_format}"

    def split_sizes(self) -> dict[str, int | None]:
        return {split: self.source.size(split) for split in self.source.splits}


def _build_verifier(spec: TaskSpec, where: str) -> Verifier:
    if isinstance(spec.verifier, Verifier):
        return spec.verifier
    try:
        verifier_cls = find_verifier(spec.verifier.name)
    except VerifierConfigError as exc:  # it knows the name, not the file the name is in
        raise TaskSpecError(f"{where}: field 'verifier.name': {exc}") from exc
    options = validate(
        verifier_cls.Options, spec.verifier.options, where=where, prefix="verifier.options"
    )
    return verifier_cls(options)


def _build_generator(dataset: DatasetSpec | ProblemSource, where: str) -> Generator | None:
    if isinstance(dataset, ProblemSource) or dataset.generator is None:
        return None
    try:
        generator_cls = find_generator(dataset.generator)
    except TaskSpecError as exc:  # it knows the name, not the file the name is in
        raise TaskSpecError(f"{where}: field 'dataset.generator': {exc}") from exc
    params = validate(generator_cls.Params, dataset.params, where=where, prefix="dataset.params")
    return generator_cls(params)


def _render(template: str, problem: Problem, what: str) -> str:
    try:
        return template.format_map(problem.fields)
    except KeyError as exc:
        raise DatasetError(
            f"problem {problem.id!r} has no field {exc.args[0]!r} that the {what} needs "
            f"(it has {sorted(problem.fields)})"
        ) from None

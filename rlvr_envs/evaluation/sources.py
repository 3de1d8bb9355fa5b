"""Model sources: what answers the suite's prompts.

A `ModelSource` turns batches of `GenerationRequest` (chat messages, how many answers,
sampling settings, a seed) into `Generation` texts. The same suite scores any source the
same way:

* an OpenAI-compatible chat-completions endpoint (`rlvr_envs.evaluation.endpoint`);
* responses produced elsewhere, from a JSONL file (`rlvr_envs.evaluation.response_source`);
* models run in this process, from packages that declare a factory in the entry-point
  group ``rlvr_envs.model_sources``: ``trainers`` declares ``transformers`` (a local
  Hugging Face checkpoint folder, a ``rlvr train`` checkpoint or run folder, the embedded
  default model). ``rlvr_envs`` never imports such a package; it loads the entry point
  when it is asked for, as the ``rlvr`` command does for ``rlvr train``.

A factory is called as ``factory(model, batch_size=..., threads=..., precision=...)``
(`model` None: its default model; None options: its defaults) and returns a `ModelSource`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points

from rlvr_envs.errors import ConfigError, did_you_mean

__all__ = [
    "MODEL_SOURCE_GROUP",
    "Generation",
    "GenerationRequest",
    "GenerationSettings",
    "ModelSource",
    "open_model_source",
]

MODEL_SOURCE_GROUP = "rlvr_envs.model_sources"

Message = dict[str, str]


@dataclass(frozen=True)
class GenerationSettings:
    max_new_tokens: int
    temperature: float = 0.0
    """0 means greedy decoding."""
    top_p: float = 1.0
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class GenerationRequest:
    """Answers to one problem of a suite task: one per index in `indices`."""

    messages: list[Message]
    settings: GenerationSettings
    seed: int
    """Derived from the suite's seed and the problem, so sampling is reproducible."""
    task: str
    problem_id: str
    mode: str
    """``greedy`` or ``sampled``."""
    indices: tuple[int, ...]
    """The sample numbers wanted (all of them, or those a killed run did not finish)."""

    @property
    def n(self) -> int:
        return len(self.indices)


@dataclass(frozen=True)
class Generation:
    text: str
    tokens: int | None = None
    """Tokens generated, where the source knows them."""
    truncated: bool | None = None
    """Cut at ``max_new_tokens`` without ending, where the source knows it."""


class ModelSource(ABC):
    """Answers prompts. Subclasses set `name` (shown in reports) and `batch_rows` (how many
    answers one `generate` call should carry for good throughput)."""

    name: str = "model"
    batch_rows: int = 32

    @abstractmethod
    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Generation]]:
        """For each request, its `n` answers, in order."""

    def close(self) -> None:  # noqa: B027 - most sources hold nothing to release
        """Release what the source holds (connections, a loaded model)."""


def open_model_source(
    backend: str,
    model: str | None,
    *,
    batch_size: int | None = None,
    threads: int | None = None,
    precision: str | None = None,
) -> ModelSource:
    """A source from the entry-point group ``rlvr_envs.model_sources``.

    Raises:
        ConfigError: no installed package provides `backend`, with what to install.
    """
    factories = {ep.name: ep for ep in entry_points(group=MODEL_SOURCE_GROUP)}
    if backend not in factories:
        hint = (
            " It comes with the trainers: pip install 'rlvr-envs[train]'."
            if backend == "transformers"
            else did_you_mean(backend, factories)
        )
        raise ConfigError(
            f"no model source {backend!r} is installed (installed: "
            f"{', '.join(sorted(factories)) or 'none'}).{hint} Other models: --endpoint URL "
            "(an OpenAI-compatible server) or --responses FILE.jsonl."
        )
    factory: Callable[..., ModelSource] = factories[backend].load()
    return factory(model, batch_size=batch_size, threads=threads, precision=precision)

"""``rlvr eval``'s model source for models run here: a local Hugging Face checkpoint folder,
a ``rlvr train`` checkpoint folder (a ``save_pretrained`` folder, loaded as-is) or run
folder (its newest checkpoint), or the embedded default model.

It answers with the trainers' own sampler (`trainers.core.rollout.sample_responses`):
batched, with the key-value cache, finished rows dropped at once, stop strings, and the
token counts and truncation flags the length statistics need. ``rlvr_envs`` finds it
through the ``rlvr_envs.model_sources`` entry point ``transformers``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import torch

from rlvr_envs import ConfigError as RlvrConfigError
from rlvr_envs.evaluation import Generation, GenerationRequest, ModelSource
from trainers.checkpoint import latest_checkpoint
from trainers.config import DEFAULT_MODEL, ConfigError
from trainers.core.rollout import SamplingSettings, sample_responses
from trainers.models import LoadedModel, load_model

__all__ = ["TransformersSource", "open_source"]

DEFAULT_BATCH_ROWS = 64
PRECISIONS = {"bf16-mixed": torch.bfloat16, "fp32": None}


class TransformersSource(ModelSource):
    """Answers from a loaded model.

    Args:
        loaded: the model and its (left-padding) tokenizer.
        name: how reports name the model.
        batch_rows: answers generated together.
        autocast_dtype: run the forward passes under autocast to this dtype (the trainer's
            ``bf16-mixed``), None for the model's own dtype.
    """

    def __init__(
        self,
        loaded: LoadedModel,
        *,
        name: str,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        autocast_dtype: torch.dtype | None = None,
    ) -> None:
        self.loaded = loaded
        self.name = name
        self.batch_rows = batch_rows
        self.autocast_dtype = autocast_dtype

    def generate(self, requests: Sequence[GenerationRequest]) -> list[list[Generation]]:
        # The sampler takes one setting and one group size per call.
        groups: dict[tuple, list[int]] = defaultdict(list)
        for position, request in enumerate(requests):
            groups[(request.settings, request.n)].append(position)
        answers: list[list[Generation]] = [[] for _ in requests]
        for (settings, n), positions in groups.items():
            generator = torch.Generator(device=self.loaded.model.device)
            generator.manual_seed(requests[positions[0]].seed)
            rollouts = sample_responses(
                self.loaded.model,
                self.loaded.tokenizer,
                [requests[position].messages for position in positions],
                SamplingSettings(
                    max_new_tokens=settings.max_new_tokens,
                    temperature=settings.temperature,
                    top_p=settings.top_p,
                    stop=settings.stop,
                ),
                group_size=n,
                generator=generator,
                autocast_dtype=self.autocast_dtype,
            )
            lengths = rollouts.lengths.tolist()
            truncated = rollouts.truncated.tolist()
            for slot, position in enumerate(positions):
                rows = range(slot * n, (slot + 1) * n)
                answers[position] = [
                    Generation(
                        text=rollouts.texts[row],
                        tokens=int(lengths[row]),
                        truncated=bool(truncated[row]),
                    )
                    for row in rows
                ]
        return answers


def open_source(
    model: str | None,
    *,
    batch_size: int | None = None,
    threads: int | None = None,
    precision: str | None = None,
) -> TransformersSource:
    """The ``transformers`` model source.

    Args:
        model: ``smollm2-135m-instruct`` (the default when None), a checkpoint folder, or a
            ``rlvr train`` output folder (its newest checkpoint).
        batch_size: answers generated together (default 64).
        threads: torch CPU threads (default: torch's own choice).
        precision: ``bf16-mixed`` (the default, as in training: bfloat16 autocast, about
            twice as fast on a CPU) or ``fp32``.
    """
    precision = precision or "bf16-mixed"
    if precision not in PRECISIONS:
        raise RlvrConfigError(f"precision is {precision!r}; choose {' or '.join(PRECISIONS)}")
    if threads:
        torch.set_num_threads(threads)
    name = model or DEFAULT_MODEL
    path = Path(name)
    if name != DEFAULT_MODEL and not (path / "config.json").is_file():
        newest = latest_checkpoint(path / "checkpoints")
        if newest is not None:
            name = str(newest.path)
    try:
        loaded = load_model(name)
    except ConfigError as exc:  # the trainers' own; `rlvr` reports rlvr_envs errors as usage
        raise RlvrConfigError(str(exc)) from None
    return TransformersSource(
        loaded,
        name=name,
        batch_rows=batch_size or DEFAULT_BATCH_ROWS,
        autocast_dtype=PRECISIONS[precision],
    )

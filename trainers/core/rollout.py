"""Response sampling: G responses per prompt, with the sampler's own per-token log-probs.

Why a sampling loop of our own rather than ``model.generate``: the trainer needs the
log-probability of every sampled token at the sampling temperature (the anchor of the
ratio for DPPO and DRPO, and the "old" policy for GRPO), and ``generate`` only returns
processed scores; and a row that has finished (EOS or a stop string) is dropped from the
batch and its key-value cache at once, so the long tail of one chatty response does not
keep the whole batch computing. The forward passes are the model's own, with its
key-value cache; on the CPU its fp32 linear layers run in the layout that reads their
weights fastest at a few rows (`trainers.core.weight_major`).

Log-probs come from ``log_softmax(logits / T)`` of the full distribution, also when top-p
restricts what is drawn, as in TRL and verl: the trainer recomputes exactly this quantity.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor
from transformers import PreTrainedModel
from transformers import PreTrainedTokenizerBase as Tokenizer

from trainers.core.weight_major import weight_major_linears

__all__ = ["Rollouts", "SamplingSettings", "encode_prompts", "sample_responses"]

Message = dict[str, str]


@dataclass(frozen=True)
class SamplingSettings:
    max_new_tokens: int
    temperature: float = 1.0
    """0 means greedy decoding (log-probs are then taken at temperature 1)."""
    top_p: float = 1.0
    stop: tuple[str, ...] = ()
    min_new_tokens: int = 0
    """End tokens cannot be drawn before this many tokens (fixed-length benchmarks)."""


@dataclass
class Rollouts:
    """Sampled responses, N = prompts × G rows, ready for the loss.

    Prompts are left-padded and responses right-padded, so each row reads
    ``prompt_ids ++ response_ids`` with the response starting at the same column.
    """

    prompt_ids: Tensor  # (N, P) long
    prompt_mask: Tensor  # (N, P) long, 1 on real prompt tokens
    response_ids: Tensor  # (N, R) long, pad after the end
    response_mask: Tensor  # (N, R) float, 1 on generated tokens (EOS included)
    logprobs: Tensor  # (N, R) float, the sampler's log-prob of each token, 0 on padding
    texts: list[str]  # decoded responses, special tokens and stop strings kept out
    truncated: Tensor  # (N,) bool: cut at max_new_tokens without ending
    prompt_index: Tensor  # (N,) long: which prompt each row answers

    @property
    def lengths(self) -> Tensor:
        return self.response_mask.sum(dim=1)

    def __len__(self) -> int:
        return len(self.texts)


def encode_prompts(tokenizer: Tokenizer, conversations: Sequence[list[Message]]) -> dict:
    """Chat-template the conversations and tokenize them left-padded."""
    texts = [
        tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        for messages in conversations
    ]
    return tokenizer(
        texts, return_tensors="pt", padding=True, padding_side="left", add_special_tokens=False
    )


def end_token_ids(model: PreTrainedModel, tokenizer: Tokenizer) -> list[int]:
    ids = model.generation_config.eos_token_id
    ids = [ids] if isinstance(ids, int) else list(ids or [])
    if tokenizer.eos_token_id is not None and tokenizer.eos_token_id not in ids:
        ids.append(tokenizer.eos_token_id)
    return ids


@torch.no_grad()
def sample_responses(
    model: PreTrainedModel,
    tokenizer: Tokenizer,
    conversations: Sequence[list[Message]],
    settings: SamplingSettings,
    *,
    group_size: int = 1,
    generator: torch.Generator | None = None,
    autocast_dtype: torch.dtype | None = None,
) -> Rollouts:
    """Sample `group_size` responses to each conversation.

    Args:
        autocast_dtype: run the forward passes under CPU/GPU autocast to this dtype
            (``torch.bfloat16`` for mixed precision), None for the model's own dtype.
    """
    device = model.device
    encoded = encode_prompts(tokenizer, conversations)
    unique_ids = encoded["input_ids"].to(device)
    unique_mask = encoded["attention_mask"].to(device)
    prompt_ids = unique_ids.repeat_interleave(group_size, dim=0)
    prompt_mask = unique_mask.repeat_interleave(group_size, dim=0)
    rows = prompt_ids.shape[0]
    ends = torch.tensor(end_token_ids(model, tokenizer), device=device)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else int(ends[0])

    tokens = torch.full((rows, settings.max_new_tokens), pad, dtype=torch.long, device=device)
    logprobs = torch.zeros(rows, settings.max_new_tokens, device=device)
    lengths = torch.zeros(rows, dtype=torch.long, device=device)
    ended = torch.zeros(rows, dtype=torch.bool, device=device)
    stop_cut: dict[int, str] = {}

    active = torch.arange(rows, device=device)  # rows still generating, in cache order
    attention = prompt_mask.clone()
    positions = (prompt_mask.cumsum(dim=1) - 1).clamp(min=0)
    autocast = (
        torch.autocast(device.type, dtype=autocast_dtype)
        if autocast_dtype is not None
        else contextlib.nullcontext()
    )
    # fp32 weights, read faster at a few rows; autocast's bf16 products have no such gap
    linears = weight_major_linears(model) if autocast_dtype is None else contextlib.nullcontext()
    with autocast, linears:
        # Each prompt is read once; its cache is then copied for the group's responses.
        output = model(
            input_ids=unique_ids,
            attention_mask=unique_mask,
            position_ids=(unique_mask.cumsum(dim=1) - 1).clamp(min=0),
            use_cache=True,
            logits_to_keep=1,
        )
        cache = output.past_key_values
        cache.batch_repeat_interleave(group_size)
        logits = output.logits[:, -1, :].float().repeat_interleave(group_size, dim=0)
        next_position = positions[:, -1:] + 1
        for step in range(settings.max_new_tokens):
            if step < settings.min_new_tokens:
                logits[:, ends] = -torch.inf
            chosen, chosen_logprobs = _draw(logits, settings, generator)
            tokens[active, step] = chosen
            logprobs[active, step] = chosen_logprobs
            lengths[active] += 1
            finished = torch.isin(chosen, ends)
            if settings.stop:
                finished |= _hit_stop(tokenizer, tokens, active, step, settings.stop, stop_cut)
            ended[active[finished]] = True
            if step + 1 == settings.max_new_tokens:
                break
            keep = ~finished
            if not keep.any():
                break
            if not keep.all():
                active, attention, next_position = (
                    active[keep],
                    attention[keep],
                    next_position[keep],
                )
                chosen = chosen[keep]
                cache.batch_select_indices(keep.nonzero().squeeze(1))
            attention = torch.cat([attention, attention.new_ones(len(active), 1)], dim=1)
            output = model(
                input_ids=chosen.unsqueeze(1),
                attention_mask=attention,
                position_ids=next_position,
                past_key_values=cache,
                use_cache=True,
            )
            logits = output.logits[:, -1, :].float()
            next_position = next_position + 1

    width = int(lengths.max()) if rows else 0
    tokens, logprobs = tokens[:, :width], logprobs[:, :width]
    response_mask = (torch.arange(width, device=device) < lengths.unsqueeze(1)).float()
    logprobs = logprobs * response_mask
    texts = [
        stop_cut.get(row, tokenizer.decode(tokens[row, : lengths[row]], skip_special_tokens=True))
        for row in range(rows)
    ]
    return Rollouts(
        prompt_ids=prompt_ids,
        prompt_mask=prompt_mask,
        response_ids=tokens,
        response_mask=response_mask,
        logprobs=logprobs,
        texts=texts,
        truncated=~ended,
        prompt_index=torch.arange(len(conversations), device=device).repeat_interleave(group_size),
    )


def _draw(
    logits: Tensor, settings: SamplingSettings, generator: torch.Generator | None
) -> tuple[Tensor, Tensor]:
    """The next token of each row and its log-prob at the sampling temperature."""
    if settings.temperature == 0:
        chosen = logits.argmax(dim=-1)
        return chosen, torch.log_softmax(logits, dim=-1).gather(1, chosen[:, None]).squeeze(1)
    log_probs = torch.log_softmax(logits / settings.temperature, dim=-1)
    probs = log_probs.exp()
    if settings.top_p < 1.0:
        sorted_probs, order = probs.sort(dim=-1, descending=True)
        # Keep the smallest prefix whose mass reaches top_p (always at least one token).
        outside = sorted_probs.cumsum(dim=-1) - sorted_probs >= settings.top_p
        sorted_probs = sorted_probs.masked_fill(outside, 0.0)
        probs = torch.zeros_like(probs).scatter(1, order, sorted_probs)
    chosen = torch.multinomial(probs, 1, generator=generator).squeeze(1)
    return chosen, log_probs.gather(1, chosen[:, None]).squeeze(1)


def _hit_stop(
    tokenizer: Tokenizer,
    tokens: Tensor,
    active: Tensor,
    step: int,
    stop: tuple[str, ...],
    stop_cut: dict[int, str],
) -> Tensor:
    """Which active rows now contain a stop string; records their text cut after it."""
    hits = torch.zeros(len(active), dtype=torch.bool)
    for position, row in enumerate(active.tolist()):
        text = tokenizer.decode(tokens[row, : step + 1], skip_special_tokens=True)
        for marker in stop:
            at = text.find(marker)
            if at >= 0:
                hits[position] = True
                stop_cut[row] = text[: at + len(marker)]
                break
    return hits.to(tokens.device)

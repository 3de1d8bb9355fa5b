"""The trainer-side log-probs of sampled responses, at the sampling temperature."""

from __future__ import annotations

import torch
from torch import Tensor
from transformers import PreTrainedModel

__all__ = ["response_logprobs"]


def response_logprobs(
    model: PreTrainedModel,
    prompt_ids: Tensor,
    prompt_mask: Tensor,
    response_ids: Tensor,
    response_mask: Tensor,
    *,
    temperature: float,
    prompt_index: Tensor | None = None,
    with_entropy: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """``log_softmax(logits / T)`` of each response token, shape (B, R), and optionally the
    entropy of each position's distribution (detached).

    Args:
        prompt_index: which prompt each row answers, equal for consecutive rows of a group.
            Given, each distinct prompt goes through the model once and its key-value cache
            (with its autograd graph) is shared by the group's responses: the same values and
            gradients as one pass per row, for 1/G of the prompt's cost.

    Only positions that predict response tokens go through the output layer: the vocabulary
    projection of the prompt is never computed.
    """
    width = response_ids.shape[1]
    attention = torch.cat([prompt_mask, response_mask.to(prompt_mask.dtype)], dim=1)
    positions = (attention.cumsum(dim=1) - 1).clamp(min=0)
    if prompt_index is None:
        logits = model(
            input_ids=torch.cat([prompt_ids, response_ids], dim=1),
            attention_mask=attention,
            position_ids=positions,
            use_cache=False,
            logits_to_keep=width + 1,
        ).logits[:, :-1, :]
    else:
        logits = _shared_prompt_logits(
            model, prompt_ids, prompt_mask, response_ids, attention, positions, prompt_index
        )
    scaled = logits.float()  # a vocabulary-wide tensor per token: copies are kept to few
    if temperature not in (0.0, 1.0):
        scaled = scaled / temperature
    normaliser = scaled.logsumexp(dim=-1)
    logprobs = scaled.gather(-1, response_ids.unsqueeze(-1)).squeeze(-1) - normaliser
    entropy = None
    if with_entropy:
        with torch.no_grad():  # row by row: the probabilities never exist for the whole batch
            entropy = torch.stack(
                [
                    total - (torch.softmax(row, dim=-1) * row).sum(dim=-1)
                    for row, total in zip(scaled.detach(), normaliser.detach(), strict=True)
                ]
            )
    return logprobs, entropy


def _shared_prompt_logits(
    model: PreTrainedModel,
    prompt_ids: Tensor,
    prompt_mask: Tensor,
    response_ids: Tensor,
    attention: Tensor,
    positions: Tensor,
    prompt_index: Tensor,
) -> Tensor:
    """Logits predicting each response token, with each distinct prompt run once."""
    _, row_to_prompt = torch.unique_consecutive(prompt_index, return_inverse=True)
    first_rows = torch.cat(
        [torch.zeros(1, dtype=torch.long, device=prompt_index.device),
         (row_to_prompt[1:] != row_to_prompt[:-1]).nonzero().squeeze(1) + 1]
    )  # fmt: skip
    width = prompt_ids.shape[1]
    prompt_pass = model(
        input_ids=prompt_ids[first_rows],
        attention_mask=prompt_mask[first_rows],
        position_ids=positions[first_rows, :width],
        use_cache=True,
        logits_to_keep=1,
    )
    cache = prompt_pass.past_key_values
    cache.reorder_cache(row_to_prompt)  # an index_select: gradients flow back to the prompt
    response_pass = model(
        input_ids=response_ids,
        attention_mask=attention,
        position_ids=positions[:, width:],
        past_key_values=cache,
        use_cache=True,
    )
    first = prompt_pass.logits[row_to_prompt]  # predicts the first response token
    return torch.cat([first, response_pass.logits[:, :-1, :]], dim=1)

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
    with_entropy: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """``log_softmax(logits / T)`` of each response token, shape (B, R), and optionally the
    entropy of each position's distribution (detached).

    Only the R + 1 last positions go through the output layer (``logits_to_keep``): the
    vocabulary projection of the prompt is never computed.
    """
    width = response_ids.shape[1]
    input_ids = torch.cat([prompt_ids, response_ids], dim=1)
    attention = torch.cat([prompt_mask, response_mask.to(prompt_mask.dtype)], dim=1)
    positions = (attention.cumsum(dim=1) - 1).clamp(min=0)
    logits = model(
        input_ids=input_ids,
        attention_mask=attention,
        position_ids=positions,
        use_cache=False,
        logits_to_keep=width + 1,
    ).logits[:, :-1, :]
    scaled = logits.float() / (temperature if temperature > 0 else 1.0)
    normaliser = scaled.logsumexp(dim=-1)
    logprobs = scaled.gather(-1, response_ids.unsqueeze(-1)).squeeze(-1) - normaliser
    entropy = None
    if with_entropy:
        with torch.no_grad():
            probs = torch.softmax(scaled, dim=-1)
            entropy = normaliser - (probs * scaled).sum(dim=-1)
    return logprobs, entropy

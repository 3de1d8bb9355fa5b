"""The trainer-side log-probs of sampled responses, at the sampling temperature.

The vocabulary-wide logits (tokens × vocabulary floats, the largest tensors of an update:
16 responses of 64 tokens over SmolLM2's 49,152 words are 200 MB in fp32) never exist for
a whole micro-batch: the model returns its last hidden states, and `TokenLogprobs` runs the
output layer a chunk of tokens at a time, in the forward pass and again in the backward
(about a fifth of a forward pass more work, for a model of SmolLM2's shape). A model
whose logits are not its output layer applied to its last hidden states (a logit scale
or soft cap) is found on every call, from the one position the model still projects,
and gets the logits as the model makes them instead.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor
from transformers import PreTrainedModel

__all__ = ["TOKEN_CHUNK", "TokenLogprobs", "response_logprobs"]

TOKEN_CHUNK = 256
"""Tokens whose logits exist at once (256 × 49,152 fp32 logits: 50 MB)."""


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
    attention = torch.cat([prompt_mask, response_mask.to(prompt_mask.dtype)], dim=1)
    positions = (attention.cumsum(dim=1) - 1).clamp(min=0)
    inputs = (prompt_ids, prompt_mask, response_ids, attention, positions, prompt_index)
    hidden, checks = _predicting(model, *inputs, hidden=True)
    head = model.get_output_embeddings()
    if not all(_is_output_layer(head, *check) for check in checks):
        logits, _ = _predicting(model, *inputs, hidden=False)
        return _from_logits(logits, response_ids, temperature, with_entropy)
    rows, width, size = hidden.shape
    logprobs, entropy = TokenLogprobs.apply(
        hidden.reshape(rows * width, size),
        head.weight,
        response_ids.reshape(-1),
        temperature,
        with_entropy,
    )
    entropy = entropy.view(rows, width) if with_entropy else None
    return logprobs.view(rows, width), entropy


class TokenLogprobs(torch.autograd.Function):
    """``log_softmax(hidden @ weightᵀ / T)[target]`` per token (N), from hidden states
    (N, H), the output layer's weight (V, H) and the targets (N); with the entropy of each
    distribution too (detached) when asked, else an empty tensor.

    Logits are made `TOKEN_CHUNK` tokens at a time, in the forward pass and again in the
    backward (``∂/∂logits = (onehot(target) − softmax) · grad / T``), under the autocast
    the forward pass ran under: never for all N at once.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: torch.autograd.function.FunctionCtx,
        hidden: Tensor,
        weight: Tensor,
        targets: Tensor,
        temperature: float,
        with_entropy: bool,
    ) -> tuple[Tensor, Tensor]:
        device = hidden.device.type
        ctx.amp = (device, torch.get_autocast_dtype(device), torch.is_autocast_enabled(device))
        count = hidden.shape[0]
        exact = torch.promote_types(hidden.dtype, torch.float32)  # at least fp32
        logprobs = torch.empty(count, dtype=exact, device=hidden.device)
        normalisers = torch.empty_like(logprobs)
        entropy = torch.empty_like(logprobs) if with_entropy else logprobs.new_empty(0)
        for start in range(0, count, TOKEN_CHUNK):
            end = min(start + TOKEN_CHUNK, count)
            logits = _logits(hidden[start:end], weight, temperature)
            normaliser = logits.logsumexp(dim=-1)
            picked = logits.gather(-1, targets[start:end, None]).squeeze(-1)
            logprobs[start:end] = picked - normaliser
            normalisers[start:end] = normaliser
            if with_entropy:
                entropy[start:end] = normaliser - (logits.softmax(dim=-1) * logits).sum(dim=-1)
        ctx.save_for_backward(hidden, weight, targets, normalisers)
        ctx.temperature = temperature
        ctx.mark_non_differentiable(entropy)
        return logprobs, entropy

    @staticmethod
    def backward(  # type: ignore[override]
        ctx: torch.autograd.function.FunctionCtx, grad: Tensor, _: Tensor
    ) -> tuple[Tensor | None, ...]:
        hidden, weight, targets, normalisers = ctx.saved_tensors
        want_hidden, want_weight = ctx.needs_input_grad[:2]
        exact = normalisers.dtype
        grad_hidden = torch.zeros_like(hidden) if want_hidden else None
        grad_weight = torch.zeros_like(weight, dtype=exact) if want_weight else None
        device, dtype, enabled = ctx.amp
        with torch.autocast(device, dtype=dtype, enabled=enabled):
            for start in range(0, hidden.shape[0], TOKEN_CHUNK):
                end = min(start + TOKEN_CHUNK, hidden.shape[0])
                chunk_grad = grad[start:end, None]
                logits = _logits(hidden[start:end], weight, ctx.temperature)
                upstream = (logits - normalisers[start:end, None]).exp_().mul_(-chunk_grad)
                upstream.scatter_add_(-1, targets[start:end, None], chunk_grad)
                upstream = upstream.div_(ctx.temperature).to(hidden.dtype)  # ∂/∂(hidden @ Wᵀ)
                if grad_hidden is not None:
                    grad_hidden[start:end] = upstream @ weight
                if grad_weight is not None:
                    grad_weight += (upstream.t() @ hidden[start:end]).to(exact)
        if grad_weight is not None:
            grad_weight = grad_weight.to(weight.dtype)
        return grad_hidden, grad_weight, None, None, None


def _logits(hidden: Tensor, weight: Tensor, temperature: float) -> Tensor:
    logits = hidden @ weight.t()
    logits = logits.to(torch.promote_types(logits.dtype, torch.float32))
    return logits / temperature if temperature not in (0.0, 1.0) else logits


def _predicting(
    model: PreTrainedModel,
    prompt_ids: Tensor,
    prompt_mask: Tensor,
    response_ids: Tensor,
    attention: Tensor,
    positions: Tensor,
    prompt_index: Tensor | None,
    *,
    hidden: bool,
) -> tuple[Tensor, list[tuple[Tensor, Tensor]]]:
    """What predicts each response token, (B, R, ·): the model's last hidden states
    (`hidden`), or its logits. With `prompt_index`, each distinct prompt runs once and its
    key-value cache (with its autograd graph) is shared by the group's rows.

    With `hidden`, also (hidden state, logits) of each pass's one projected position, to
    check the logits are the output layer applied to the hidden states."""
    width, length = prompt_ids.shape[1], response_ids.shape[1]

    def forward(**inputs: Any) -> tuple[Any, Tensor]:
        if hidden:
            inputs.update(output_hidden_states=True, logits_to_keep=1)
        output = model(**inputs)
        return output, output.hidden_states[-1] if hidden else output.logits

    def check(output: Any, states: Tensor) -> tuple[Tensor, Tensor]:
        return states[:, -1].detach(), output.logits[:, -1].detach()

    if prompt_index is None:
        output, states = forward(
            input_ids=torch.cat([prompt_ids, response_ids], dim=1),
            attention_mask=attention,
            position_ids=positions,
            use_cache=False,
            **({} if hidden else {"logits_to_keep": length + 1}),
        )
        predicting = states[:, -length - 1 : -1]
        return predicting, [check(output, states)] if hidden else []
    first_rows, row_to_prompt = _prompt_rows(prompt_index)
    prompt_output, prompt_states = forward(
        input_ids=prompt_ids[first_rows],
        attention_mask=prompt_mask[first_rows],
        position_ids=positions[first_rows, :width],
        use_cache=True,
        **({} if hidden else {"logits_to_keep": 1}),
    )
    cache = prompt_output.past_key_values
    cache.reorder_cache(row_to_prompt)  # an index_select: gradients flow back to the prompt
    output, states = forward(
        input_ids=response_ids,
        attention_mask=attention,
        position_ids=positions[:, width:],
        past_key_values=cache,
        use_cache=True,
    )
    first = prompt_states[row_to_prompt, -1:]  # predicts the first response token
    predicting = torch.cat([first, states[:, :-1]], dim=1)
    checks = [check(prompt_output, prompt_states), check(output, states)] if hidden else []
    return predicting, checks


def _prompt_rows(prompt_index: Tensor) -> tuple[Tensor, Tensor]:
    """The first row of each distinct prompt, and each row's prompt among them."""
    _, row_to_prompt = torch.unique_consecutive(prompt_index, return_inverse=True)
    first_rows = torch.cat(
        [torch.zeros(1, dtype=torch.long, device=prompt_index.device),
         (row_to_prompt[1:] != row_to_prompt[:-1]).nonzero().squeeze(1) + 1]
    )  # fmt: skip
    return first_rows, row_to_prompt


def _is_output_layer(head: torch.nn.Module | None, hidden: Tensor, logits: Tensor) -> bool:
    """Whether the model's logits are `head`'s weight applied to its last hidden states."""
    if not isinstance(head, torch.nn.Linear) or head.bias is not None:
        return False
    with torch.no_grad():
        mine = hidden @ head.weight.t()
    return torch.allclose(mine.float(), logits.float(), rtol=1e-3, atol=1e-3)


def _from_logits(
    logits: Tensor, response_ids: Tensor, temperature: float, with_entropy: bool
) -> tuple[Tensor, Tensor | None]:
    """The log-probs (and entropies) from the logits the model makes, all at once."""
    scaled = logits.float()
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

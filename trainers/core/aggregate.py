"""Loss aggregation: per-token losses ``(B, T)`` → one scalar, weighted by ``ω`` from global counts.

``aggregate(l, m, mode, counts) = Σ_{i,t} ω_{i,t} · l_{i,t}``, with ``n_i = Σ_t m_{i,t}``:

=========================== ================================ ======================================
mode                        ω_{i,t}                          used by
=========================== ================================ ======================================
``token-mean``              ``m / N_tokens``                 DAPO, TRL ``dapo``, verl default
``seq-mean-token-mean``     ``m / (n_i · N_seqs)``           original GRPO, TRL ``grpo``
``seq-mean-token-sum``      ``m / N_seqs``                   Dr.GRPO objective as written
``seq-mean-token-sum-norm`` ``m / (N_seqs · H)``             Dr.GRPO in practice, TRL ``dr_grpo``,
                                                             DPPO/DRPO recipes (H = 8192)
=========================== ================================ ======================================

``N_tokens`` and ``N_seqs`` are counted over the whole optimizer step (every micro-batch and data
parallel rank), never per micro-batch: then the micro-batch contributions sum to the full-batch
value, and the loss does not depend on how the batch was split. A sequence with no valid token
does not count in ``N_seqs``, and every divisor is clamped to at least 1, so empty rows and empty
batches give 0, not NaN.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import torch
from torch import Tensor

__all__ = ["Aggregation", "GlobalCounts", "aggregate", "aggregation_weights", "global_counts"]


class Aggregation(StrEnum):
    """How per-token losses are reduced; the weights are in the module docstring."""

    TOKEN_MEAN = "token-mean"
    SEQ_MEAN_TOKEN_MEAN = "seq-mean-token-mean"
    SEQ_MEAN_TOKEN_SUM = "seq-mean-token-sum"
    SEQ_MEAN_TOKEN_SUM_NORM = "seq-mean-token-sum-norm"


@dataclass(frozen=True)
class GlobalCounts:
    """Normalisers counted over the whole optimizer step (all micro-batches and ranks)."""

    tokens: float
    """Number of valid (mask 1) tokens."""
    sequences: float
    """Number of sequences with at least one valid token."""

    def __post_init__(self) -> None:
        if self.tokens < 0 or self.sequences < 0:
            raise ValueError(
                f"GlobalCounts(tokens={self.tokens}, sequences={self.sequences}): counts must be "
                ">= 0. Build them with global_counts(masks) over every micro-batch of the step."
            )


def global_counts(masks: Iterable[Tensor]) -> GlobalCounts:
    """Count valid tokens and non-empty sequences over every micro-batch mask of one step.

    Under data parallelism, sum the two numbers across ranks before use.
    """
    tokens = 0.0
    sequences = 0.0
    for mask in masks:
        valid = mask != 0
        tokens += float(valid.sum())
        sequences += float(valid.any(dim=-1).sum())
    return GlobalCounts(tokens=tokens, sequences=sequences)


def aggregation_weights(
    mask: Tensor, mode: Aggregation, counts: GlobalCounts, *, horizon: int
) -> Tensor:
    """The detached weights ``ω`` of `aggregate` for one micro-batch.

    Args:
        mask: ``(B, T)`` loss mask (bool or 0/1).
        mode: The reduction; see the module docstring.
        counts: Step-wide counts from `global_counts`.
        horizon: ``H`` of ``seq-mean-token-sum-norm``, the fixed length normaliser (the maximum
            response length; the DPPO/DRPO recipes use 8192). Ignored by the other modes.

    Returns:
        ``(B, T)`` float weights, zero where the mask is 0.

    Raises:
        ValueError: for an unknown mode, a mask that is not 2-D, or ``horizon < 1``.
    """
    try:
        mode = Aggregation(mode)
    except ValueError:
        known = ", ".join(m.value for m in Aggregation)
        raise ValueError(f"Unknown aggregation {mode!r}; use one of: {known}.") from None
    if mask.ndim != 2:
        raise ValueError(
            f"mask has shape {tuple(mask.shape)}, but must be (sequences, tokens). Pad the "
            "responses of a micro-batch into one 2-D mask."
        )
    if horizon < 1:
        raise ValueError(f"horizon={horizon}, but it must be >= 1: pass the max response length.")
    dtype = mask.dtype if mask.is_floating_point() else torch.get_default_dtype()
    valid = (mask != 0).to(dtype)
    sequences = max(counts.sequences, 1.0)
    match mode:
        case Aggregation.TOKEN_MEAN:
            weights = valid / max(counts.tokens, 1.0)
        case Aggregation.SEQ_MEAN_TOKEN_MEAN:
            lengths = valid.sum(dim=-1, keepdim=True).clamp(min=1.0)
            weights = valid / (lengths * sequences)
        case Aggregation.SEQ_MEAN_TOKEN_SUM:
            weights = valid / sequences
        case Aggregation.SEQ_MEAN_TOKEN_SUM_NORM:
            weights = valid / (sequences * horizon)
    return weights.detach()


def aggregate(
    token_loss: Tensor, mask: Tensor, mode: Aggregation, counts: GlobalCounts, *, horizon: int
) -> Tensor:
    """``Σ ω · l`` for one micro-batch; summing the results over a step gives the step's loss.

    Masked positions are dropped before weighting, so a NaN or inf there (padding) never reaches
    the result.

    Args:
        token_loss: ``(B, T)`` per-token loss.
        mask: ``(B, T)`` loss mask, same shape.
        mode: The reduction; see the module docstring.
        counts: Step-wide counts from `global_counts`.
        horizon: ``H`` of ``seq-mean-token-sum-norm``; see `aggregation_weights`.

    Returns:
        A scalar tensor, differentiable with respect to ``token_loss``.
    """
    if token_loss.shape != mask.shape:
        raise ValueError(
            f"token_loss has shape {tuple(token_loss.shape)} but mask has {tuple(mask.shape)}; "
            "they must match."
        )
    weights = aggregation_weights(mask, mode, counts, horizon=horizon).to(token_loss.dtype)
    kept = torch.where(mask != 0, token_loss, torch.zeros_like(token_loss))
    return (weights * kept).sum()

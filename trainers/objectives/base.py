"""The contract every policy objective follows: per-token terms in, aggregation elsewhere.

An objective maps the current log-probs ``ℓ`` of the sampled tokens, the anchor log-probs
``ℓ^a`` (the rollout engine's ``μ`` or the trainer's ``π_old``) and the advantages ``A`` to a
per-token loss. It also returns the loss's detached gradient coefficient ``g`` with
``∂loss_t/∂ℓ_t = −g_t``. Every method in the unified view (DeepSeekMath §5.2.1; survey
arXiv 2407.16216 §2) is ``∇J = Σ ω_t · g_t · ∇ℓ_t``, so ``g`` is what tests and diagnostics compare.
Reducing the ``(B, T)`` terms to a scalar is `trainers.core.aggregate`'s job, never the objective's.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

__all__ = [
    "LOG_RATIO_LIMIT",
    "Objective",
    "TokenTerms",
    "broadcast_inputs",
    "clamped_log_ratio",
]

LOG_RATIO_LIMIT = 20.0
"""``log r`` is clamped to ``±LOG_RATIO_LIMIT`` before ``exp`` (verl, Stable-RL, UniRL), so a
token whose log-probs disagree wildly cannot overflow the ratio."""


@dataclass(frozen=True)
class TokenTerms:
    """Per-token output of an objective; every tensor is ``(B, T)``."""

    loss: Tensor
    """Loss to minimise, differentiable with respect to ``logp``."""
    coefficient: Tensor
    """Detached ``g_t`` with ``∂loss_t/∂logp_t = −g_t``."""
    outside_trust_region: Tensor
    """Bool: the token is clipped (GRPO), masked (DPPO) or past the δ boundary (DRPO). Tokens
    with ``A = 0`` are never counted, so clip fractions measure only tokens that carry a signal."""
    ratio: Tensor
    """Detached importance ratio ``r_t = exp(logp − anchor_logp)`` (after the clamp)."""


class Objective(ABC):
    """A policy-gradient objective; see the module docstring for the contract."""

    name: ClassVar[str]
    """The key in `trainers.objectives.OBJECTIVES` and in configs."""

    @abstractmethod
    def token_terms(self, logp: Tensor, anchor_logp: Tensor, advantages: Tensor) -> TokenTerms:
        """Per-token loss and diagnostics.

        Args:
            logp: ``(B, T)`` log-probs of the sampled tokens under the current policy, at the
                sampling temperature; differentiable.
            anchor_logp: ``(B, T)`` log-probs under the anchor policy; treated as constants.
            advantages: Broadcastable to ``(B, T)`` (one value per response as ``(B, 1)``, or per
                token); treated as constants.

        Returns:
            The `TokenTerms`; masking and reduction happen in `trainers.core.aggregate`.
        """


def broadcast_inputs(
    logp: Tensor, anchor_logp: Tensor, advantages: Tensor
) -> tuple[Tensor, Tensor]:
    """The detached anchor and advantages, checked and broadcast to ``logp``'s shape."""
    if anchor_logp.shape != logp.shape:
        raise ValueError(
            f"anchor_logp has shape {tuple(anchor_logp.shape)} but logp has {tuple(logp.shape)}; "
            "both must be the log-probs of the same sampled tokens."
        )
    try:
        advantages = torch.broadcast_to(advantages, logp.shape)
    except RuntimeError:
        raise ValueError(
            f"advantages of shape {tuple(advantages.shape)} do not broadcast to the log-probs' "
            f"shape {tuple(logp.shape)}. Pass one advantage per response as (B, 1), or one per "
            "token."
        ) from None
    return anchor_logp.detach(), advantages.detach().to(logp.dtype)


def clamped_log_ratio(logp: Tensor, anchor_logp: Tensor) -> tuple[Tensor, Tensor]:
    """``log r`` clamped to ``±LOG_RATIO_LIMIT``, and where the clamp lets the gradient through.

    ``torch.clamp`` has zero gradient outside its range, so a coefficient derived from ``r``
    must be zeroed there too to equal autograd.
    """
    raw = logp - anchor_logp
    return raw.clamp(-LOG_RATIO_LIMIT, LOG_RATIO_LIMIT), raw.detach().abs() <= LOG_RATIO_LIMIT

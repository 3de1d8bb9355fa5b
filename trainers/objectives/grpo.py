"""GRPO / PPO clipped surrogate, with DAPO's clip-higher and the dual-clip for negative A."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from trainers.objectives.base import Objective, TokenTerms, broadcast_inputs, clamped_log_ratio

__all__ = ["GRPOObjective"]


class GRPOObjective(Objective):
    """``l_t = max(−A_t r_t, −A_t clip(r_t, 1 − ε_low, 1 + ε_high))``, then
    ``l_t = min(l_t, −A_t c)`` where ``A_t < 0`` when a dual-clip ``c`` is set.

    ``r_t = exp(ℓ_t − ℓ^a_t)``. The clipped surrogate is PPO's (Schulman et al. 2017, eq. 7), which
    GRPO uses per token (DeepSeekMath, arXiv 2402.03300). Its gradient coefficient is
    ``g_t = A_t r_t`` while the unclipped branch is active and 0 once a clip binds. The KL penalty
    of GRPO lives in `trainers.objectives.kl`, and aggregation in `trainers.core.aggregate`.

    Args:
        clip_low: ``ε_low``; the ratio's lower clip is ``1 − clip_low``. Defaults to ``0.2``
            (PPO; TRL and verl).
        clip_high: ``ε_high``; the upper clip is ``1 + clip_high``. Defaults to ``0.2``. DAPO's
            clip-higher (arXiv 2503.14476) uses ``0.28``.
        dual_clip: ``c`` of the dual-clip (Ye et al. 2020, arXiv 1912.09729), which bounds the
            loss of a negative-advantage token at ``−A c`` however large its ratio grows.
            Defaults to ``None`` (off); verl's default when enabled is ``3``.

    Raises:
        ValueError: unless ``0 < clip_low < 1``, ``clip_high > 0`` and ``dual_clip`` is None or
            greater than 1.
    """

    name: ClassVar[str] = "grpo"

    def __init__(
        self, *, clip_low: float = 0.2, clip_high: float = 0.2, dual_clip: float | None = None
    ) -> None:
        if not 0 < clip_low < 1:
            raise ValueError(
                f"clip_low={clip_low}, but 0 < clip_low < 1 is required so that the lower clip "
                "1 - clip_low stays positive. PPO uses 0.2."
            )
        if not clip_high > 0:
            raise ValueError(
                f"clip_high={clip_high}, but it must be > 0. PPO uses 0.2, DAPO's clip-higher 0.28."
            )
        if dual_clip is not None and not dual_clip > 1:
            raise ValueError(
                f"dual_clip={dual_clip}, but it must be > 1 (it bounds the loss at -A*c, beyond "
                "the upper clip), or None to turn it off. verl uses 3."
            )
        self.clip_low = clip_low
        self.clip_high = clip_high
        self.dual_clip = dual_clip

    def token_terms(self, logp: Tensor, anchor_logp: Tensor, advantages: Tensor) -> TokenTerms:
        anchor_logp, advantages = broadcast_inputs(logp, anchor_logp, advantages)
        log_ratio, ratio_has_gradient = clamped_log_ratio(logp, anchor_logp)
        ratio = torch.exp(log_ratio)

        unclipped_loss = -advantages * ratio
        clipped_loss = -advantages * ratio.clamp(1 - self.clip_low, 1 + self.clip_high)
        loss = torch.maximum(unclipped_loss, clipped_loss)
        clipped = clipped_loss > unclipped_loss
        if self.dual_clip is not None:
            dual_clip_loss = -advantages * self.dual_clip
            dual_clipped = (advantages < 0) & (dual_clip_loss < loss)
            loss = torch.where(dual_clipped, dual_clip_loss, loss)
            clipped = clipped | dual_clipped

        ratio = ratio.detach()
        coefficient = torch.where(clipped | ~ratio_has_gradient, 0.0, advantages * ratio)
        return TokenTerms(
            loss=loss,
            coefficient=coefficient,
            outside_trust_region=clipped & (advantages != 0),
            ratio=ratio,
        )

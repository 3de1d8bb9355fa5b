"""DRPO: DPPO's Binary-TV trust region as a smooth, advantage-weighted quadratic penalty."""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor

from trainers.objectives.base import Objective, TokenTerms, broadcast_inputs, clamped_log_ratio

__all__ = ["DRPOObjective"]


class DRPOObjective(Objective):
    """``l_t = −A_t r_t + |A_t| · q_t · (r_t − 1)² / (2δ)``, with ``q_t = exp ℓ^a_t`` held constant.

    Divergence Regularized Policy Optimization (Yao et al., arXiv 2606.09821, Eq. 8; the code
    is Tencent-Hunyuan/UniRL ``unirl/algorithms/drpo.py``, which matches the authors' verl loss
    ``spo_adaptive_eps``). DPPO's region ``|p − q| ≤ δ`` is the ratio region ``|r − 1| ≤ δ/q``, and
    putting that per-token width into SPO's penalty ``|A|(r − 1)²/(2ε)`` gives the loss above. No
    mask and no truncation are applied, and ``r`` stays differentiable. The gradient is

        ``∂l_t/∂ℓ_t = −A_t r_t w_t``, with ``w_t = 1 − sign(A_t) · (p_t − q_t) / δ``

    (paper Table 1). ``w`` equals 1 at ``p = q`` and does not depend on ``|A|``. A move in the
    advantage's direction is damped to ``w = 0`` at ``|p − q| = δ``, DPPO's boundary, and corrected
    (``w < 0``) beyond it. A move back toward the anchor is amplified (``w > 1``). Because
    ``|p − q| ≤ 1``, ``w`` stays in ``[1 − 1/δ, 1 + 1/δ]`` even for rare tokens, where SPO's
    ratio-based weight is unbounded.

    Args:
        delta: δ, the "regularization threshold". Defaults to ``12.5``, the value of the
            paper's experiments (§4: "For SPO and DRPO, we set the regularization threshold to
            12.5"; the authors' verl run uses ``clip_ratio: 12.5``). Note what that means: with
            ``δ ≥ 1`` the boundary ``|p − q| = δ`` cannot be reached, and at 12.5 the weight stays
            within ``[0.92, 1.08]``, so the published setting is an unclipped importance-weighted
            policy gradient with a mild pull toward the anchor. The value appears to be carried
            over from SPO, where the threshold is in ratio units. For the damped and corrective
            regime described above, set ``δ < 1``, e.g. ``0.15`` (DPPO's Binary-TV threshold); that
            operating point has not been tested by the authors.

    Raises:
        ValueError: unless ``delta > 0``.
    """

    name: ClassVar[str] = "drpo"

    def __init__(self, *, delta: float = 12.5) -> None:
        if not delta > 0:
            raise ValueError(
                f"delta={delta}, but it must be > 0. The paper uses 12.5; values below 1 make the "
                "trust-region boundary reachable (0.15 matches DPPO's Binary-TV threshold)."
            )
        self.delta = delta

    def token_terms(self, logp: Tensor, anchor_logp: Tensor, advantages: Tensor) -> TokenTerms:
        anchor_logp, advantages = broadcast_inputs(logp, anchor_logp, advantages)
        log_ratio, ratio_has_gradient = clamped_log_ratio(logp, anchor_logp)
        ratio = torch.exp(log_ratio)
        anchor_prob = anchor_logp.exp()

        policy_gradient_loss = -advantages * ratio
        penalty = advantages.abs() * anchor_prob * (ratio - 1).square() / (2 * self.delta)
        loss = policy_gradient_loss + penalty

        ratio = ratio.detach()
        shift = anchor_prob * ratio - anchor_prob  # p − q, as autograd sees it (clamped r)
        weight = 1 - torch.sign(advantages) * shift / self.delta
        coefficient = torch.where(ratio_has_gradient, advantages * ratio * weight, 0.0)
        return TokenTerms(
            loss=loss,
            coefficient=coefficient,
            outside_trust_region=(weight <= 0) & (advantages != 0),
            ratio=ratio,
        )

"""DPPO: PPO's trust region measured by the sampled token's policy divergence, not its ratio."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

import torch
from torch import Tensor

from trainers.objectives.base import Objective, TokenTerms, broadcast_inputs, clamped_log_ratio

__all__ = ["DPPOObjective", "Divergence"]

# Keeps log(1 − p) finite when a probability rounds to 1 (Stable-RL's constant).
_BERNOULLI_EPS = 1e-8


class Divergence(StrEnum):
    """How DPPO measures the shift of the sampled token between anchor ``q`` and current ``p``."""

    BINARY_TV = "binary-tv"
    """``|p − q|``: total variation between Bernoulli(q) and Bernoulli(p)."""
    BINARY_KL = "binary-kl"
    """``q log(q/p) + (1 − q) log((1 − q)/(1 − p))``: KL(Bernoulli(q) ‖ Bernoulli(p))."""


_DEFAULT_DELTA = {Divergence.BINARY_TV: 0.15, Divergence.BINARY_KL: 0.05}


class DPPOObjective(Objective):
    """``l_t = −A_t · sg(min(r_t, C)) · M_t · ℓ_t``, so ``∂l_t/∂ℓ_t = −A_t · min(r_t, C) · M_t``.

    The REINFORCE form of ``J = E_μ[Σ_t M_t r_t A_t]`` with the mask ``M`` held constant
    (Divergence Proximal Policy Optimization, Qi et al., arXiv 2602.04879; the authors' code is
    sail-sg/Stable-RL ``compute_policy_loss_with_mask``). The loss *value* has no meaning; only its
    gradient does. The anchor should be the rollout engine's log-probs μ ("bypass mode"), which the
    authors recommend over a recomputed π_old.

    ``M_t = 0`` when the token has moved past δ in the direction its advantage pushes it
    (``p = exp ℓ``, ``q = exp ℓ^a``, ``D`` the divergence):

    ============= ================================ ================================
    divergence    masked if ``A_t > 0``            masked if ``A_t ≤ 0``
    ============= ================================ ================================
    Binary-TV     ``p − q > delta_high``           ``p − q < −delta_low``
    Binary-KL     ``D > delta_high`` and ``p > q`` ``D > delta_low`` and ``p < q``
    ============= ================================ ================================

    A move against the advantage is never masked. The mask is computed from detached
    probabilities, so it has no gradient path.

    Args:
        divergence: Which divergence the trust region bounds. Defaults to
            ``Divergence.BINARY_TV``.
        delta_low: δ for tokens the advantage pushes down. Defaults to ``0.15`` for Binary-TV
            and ``0.05`` for Binary-KL (verl's ``run_qwen30b_dppo.sh``; a summary of the paper's
            appendix gives 0.2 for TV).
        delta_high: δ for tokens the advantage pushes up; defaults as ``delta_low``.
        is_cap: ``C``, the truncation of the detached importance weight (TIS). Defaults to ``10``
            (Stable-RL); verl's loss uses 20. The authors advise a large cap because truncation
            biases against rare, informative tokens; ``None`` turns truncation off.

    Raises:
        ValueError: for an unknown divergence, a δ that is not positive, or a cap that is not
            positive.
    """

    name: ClassVar[str] = "dppo"

    def __init__(
        self,
        *,
        divergence: Divergence = Divergence.BINARY_TV,
        delta_low: float | None = None,
        delta_high: float | None = None,
        is_cap: float | None = 10.0,
    ) -> None:
        try:
            divergence = Divergence(divergence)
        except ValueError:
            known = ", ".join(d.value for d in Divergence)
            raise ValueError(f"Unknown divergence {divergence!r}; use one of: {known}.") from None
        default = _DEFAULT_DELTA[divergence]
        delta_low = default if delta_low is None else delta_low
        delta_high = default if delta_high is None else delta_high
        for label, delta in (("delta_low", delta_low), ("delta_high", delta_high)):
            if not delta > 0:
                raise ValueError(
                    f"{label}={delta}, but it must be > 0. The {divergence.value} default is "
                    f"{default}."
                )
        if is_cap is not None and not is_cap > 0:
            raise ValueError(
                f"is_cap={is_cap}, but it must be > 0, or None for no truncation. Stable-RL uses "
                "10."
            )
        self.divergence = divergence
        self.delta_low = delta_low
        self.delta_high = delta_high
        self.is_cap = is_cap

    def _moved_too_far(self, p: Tensor, q: Tensor) -> tuple[Tensor, Tensor]:
        """(too far up, too far down) for each token, ignoring the advantage."""
        if self.divergence is Divergence.BINARY_TV:
            shift = p - q
            return shift > self.delta_high, shift < -self.delta_low
        divergence = q * (q.log() - p.log()) + (1 - q) * torch.log(
            (1 - q + _BERNOULLI_EPS) / (1 - p + _BERNOULLI_EPS)
        )
        return (divergence > self.delta_high) & (p > q), (divergence > self.delta_low) & (p < q)

    def token_terms(self, logp: Tensor, anchor_logp: Tensor, advantages: Tensor) -> TokenTerms:
        anchor_logp, advantages = broadcast_inputs(logp, anchor_logp, advantages)
        log_ratio, _ = clamped_log_ratio(logp.detach(), anchor_logp)
        ratio = torch.exp(log_ratio)
        too_far_up, too_far_down = self._moved_too_far(logp.detach().exp(), anchor_logp.exp())
        # As Stable-RL: A = 0 takes the "≤ 0" branch; it has no gradient either way.
        outside = torch.where(advantages > 0, too_far_up, too_far_down)
        is_weight = ratio if self.is_cap is None else ratio.clamp(max=self.is_cap)
        coefficient = torch.where(outside, 0.0, advantages * is_weight)
        return TokenTerms(
            loss=-coefficient * logp,
            coefficient=coefficient,
            outside_trust_region=outside & (advantages != 0),
            ratio=ratio,
        )

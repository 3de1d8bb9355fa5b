"""Per-token KL estimators between the policy π and a reference π_ref (Schulman's k1, k2, k3)."""

from __future__ import annotations

from enum import StrEnum

import torch
from torch import Tensor

from trainers.objectives.base import LOG_RATIO_LIMIT

__all__ = ["KLEstimator", "kl_terms"]


class KLEstimator(StrEnum):
    """Estimators of KL(π ‖ π_ref) from one sampled token, with ``u = ℓ^ref − ℓ``.

    From J. Schulman, "Approximating KL Divergence" (2020); the gradient notes are derived.
    """

    K1 = "k1"
    """``−u``: unbiased value, but zero expected gradient on-policy; use it in the reward."""
    K2 = "k2"
    """``u²/2``: biased value; on-policy its expected gradient is ∇KL(π ‖ π_ref)."""
    K3 = "k3"
    """``e^u − u − 1 ≥ 0``: unbiased, low-variance value; its gradient ``(1 − π_ref/π)∇ℓ`` has the
    on-policy expectation ∇KL(π_ref ‖ π), the forward KL. GRPO's choice (DeepSeekMath)."""


def kl_terms(logp: Tensor, ref_logp: Tensor, estimator: KLEstimator) -> tuple[Tensor, Tensor]:
    """Per-token KL penalty and its detached gradient coefficient.

    ``u`` is clamped to ``±LOG_RATIO_LIMIT`` (as verl does); verl additionally clamps the k3
    value to ``[−10, 10]``, which this function does not.

    Args:
        logp: ``(B, T)`` log-probs of the sampled tokens under π; differentiable.
        ref_logp: ``(B, T)`` log-probs under the reference; treated as constants.
        estimator: Which estimator; see `KLEstimator`.

    Returns:
        ``(value, coefficient)``: the ``(B, T)`` estimate, differentiable with respect to
        ``logp``, and the detached ``g`` with ``∂value/∂logp = −g`` (k1: −1, k2: ``u``, k3:
        ``π_ref/π − 1``). Add ``β · value`` to the token loss before aggregation.

    Raises:
        ValueError: for an unknown estimator or mismatched shapes.
    """
    try:
        estimator = KLEstimator(estimator)
    except ValueError:
        known = ", ".join(e.value for e in KLEstimator)
        raise ValueError(f"Unknown KL estimator {estimator!r}; use one of: {known}.") from None
    if ref_logp.shape != logp.shape:
        raise ValueError(
            f"ref_logp has shape {tuple(ref_logp.shape)} but logp has {tuple(logp.shape)}; both "
            "must be the log-probs of the same sampled tokens."
        )
    raw = ref_logp.detach() - logp
    u = raw.clamp(-LOG_RATIO_LIMIT, LOG_RATIO_LIMIT)
    u_has_gradient = raw.detach().abs() <= LOG_RATIO_LIMIT
    match estimator:
        case KLEstimator.K1:
            value = -u
            coefficient = -torch.ones_like(u)
        case KLEstimator.K2:
            value = u.square() / 2
            coefficient = u
        case KLEstimator.K3:
            value = u.exp() - u - 1
            coefficient = u.exp() - 1
    coefficient = torch.where(u_has_gradient, coefficient.detach(), 0.0)
    return value, coefficient

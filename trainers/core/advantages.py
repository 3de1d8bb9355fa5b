"""Group advantages for outcome rewards, and DAPO's reward shaping and group filter.

Every estimator here works on a ``(P, G)`` grid: ``P`` prompts, ``G`` responses each. The
advantage of response ``i`` is broadcast to all of its tokens by the caller.

``valid=False`` marks a response whose reward is missing because the infrastructure failed (a
verifier timeout, a crashed worker), not because the response was bad. Such a response gets
advantage 0, and it is left out of its group's statistics, so it changes no other response's
advantage. A group with fewer than two valid responses has no baseline and gets advantage 0.
"""

from __future__ import annotations

from enum import StrEnum

import torch
from torch import Tensor

__all__ = [
    "AdvantageEstimator",
    "group_advantages",
    "nonconstant_groups",
    "overlong_penalty",
]


class AdvantageEstimator(StrEnum):
    """How a group of rewards becomes advantages; ``R`` is the group's valid rewards."""

    GRPO = "grpo"
    """``(R_i − mean R) / (std R + eps)``, unbiased std as in verl and TRL (DeepSeekMath)."""
    GRPO_POPULATION_STD = "grpo-population-std"
    """As ``GRPO`` but with the population std, as the 2407.16216 survey writes it."""
    DR_GRPO = "dr-grpo"
    """``R_i − mean R``: no std division, which removes the question-difficulty bias (Dr.GRPO)."""
    RLOO = "rloo"
    """``R_i − mean_{j≠i} R_j``: leave-one-out baseline (2407.16216, eq. 2.5.1.5)."""


def _check_grid(rewards: Tensor, valid: Tensor) -> None:
    if rewards.ndim != 2:
        raise ValueError(
            f"rewards has shape {tuple(rewards.shape)}, but must be (prompts, responses). "
            "Reshape the flat rewards to (P, G) with one row per prompt."
        )
    if valid.shape != rewards.shape or valid.dtype != torch.bool:
        raise ValueError(
            f"valid is a {valid.dtype} tensor of shape {tuple(valid.shape)}, but must be a bool "
            f"tensor of the rewards' shape {tuple(rewards.shape)}. Pass the per-response "
            "'reward is usable' flags as a bool tensor."
        )


def _spread(rewards: Tensor, valid: Tensor) -> tuple[Tensor, Tensor]:
    """Per group: whether the valid rewards differ, and how many are valid."""
    count = valid.sum(dim=1)
    largest = torch.where(valid, rewards, -torch.inf).amax(dim=1)
    smallest = torch.where(valid, rewards, torch.inf).amin(dim=1)
    return (largest > smallest) & (count >= 2), count


def group_advantages(
    rewards: Tensor,
    valid: Tensor,
    estimator: AdvantageEstimator,
    *,
    eps: float = 1e-6,
) -> Tensor:
    """Advantages of ``G`` responses per prompt from their scalar rewards.

    Args:
        rewards: ``(P, G)`` float rewards. Entries where ``valid`` is False are ignored (they may
            be NaN).
        valid: ``(P, G)`` bool; False marks an infrastructure failure (see the module docstring).
        estimator: Which baseline and scale to use; see `AdvantageEstimator`.
        eps: Added to the std by the GRPO estimators. Defaults to ``1e-6`` (verl; TRL uses 1e-4).

    Returns:
        ``(P, G)`` advantages: 0 for invalid responses, for groups with fewer than two valid
        responses, and for groups whose valid rewards are all equal. That last case is set to
        exactly 0, because float round-off in ``R − mean`` divided by a std of about 1e-17 would
        otherwise give advantages of order 1.

    Raises:
        ValueError: for an unknown estimator, mismatched shapes or dtypes, or a negative ``eps``.
    """
    _check_grid(rewards, valid)
    if eps < 0:
        raise ValueError(f"eps={eps}, but it must be >= 0. Use the default 1e-6.")
    try:
        estimator = AdvantageEstimator(estimator)
    except ValueError:
        known = ", ".join(e.value for e in AdvantageEstimator)
        raise ValueError(
            f"Unknown advantage estimator {estimator!r}; use one of: {known}."
        ) from None
    rewards = torch.where(valid, rewards, torch.zeros_like(rewards))
    informative, count = _spread(rewards, valid)
    n = count.to(rewards.dtype).unsqueeze(1)
    total = rewards.sum(dim=1, keepdim=True)
    mean = total / n.clamp(min=1)
    centred = rewards - mean

    match estimator:
        case AdvantageEstimator.DR_GRPO:
            advantages = centred
        case AdvantageEstimator.RLOO:
            # R_i − (S − R_i)/(n − 1) = n/(n − 1) · (R_i − mean).
            advantages = centred * n / (n - 1).clamp(min=1)
        case AdvantageEstimator.GRPO | AdvantageEstimator.GRPO_POPULATION_STD:
            squares = torch.where(valid, centred.square(), torch.zeros_like(centred))
            dof = n - 1 if estimator is AdvantageEstimator.GRPO else n
            std = (squares.sum(dim=1, keepdim=True) / dof.clamp(min=1)).sqrt()
            advantages = centred / (std + eps)

    keep = valid & informative.unsqueeze(1)
    return torch.where(keep, advantages, torch.zeros_like(advantages))


def nonconstant_groups(rewards: Tensor, valid: Tensor) -> Tensor:
    """DAPO dynamic sampling: which groups carry a learning signal.

    A group is kept when at least two of its responses are valid and their rewards are not all
    equal (for binary rewards: ``0 < #correct < #valid``). Dropped groups would get advantage 0
    everywhere and only cost compute.

    Args:
        rewards: ``(P, G)`` float rewards.
        valid: ``(P, G)`` bool; False marks an infrastructure failure.

    Returns:
        ``(P,)`` bool keep-mask.
    """
    _check_grid(rewards, valid)
    informative, _ = _spread(rewards, valid)
    return informative


def overlong_penalty(lengths: Tensor, *, max_length: int, buffer: int) -> Tensor:
    """DAPO's soft overlong penalty, added to the correctness reward.

    ``0`` when ``|y| ≤ L_max − L_c``; ``(L_max − L_c − |y|) / L_c`` when
    ``L_max − L_c < |y| ≤ L_max``; ``−1`` beyond ``L_max`` (DAPO, arXiv 2503.14476, eq. 13).

    Args:
        lengths: Response lengths in tokens, any shape.
        max_length: ``L_max``, the expected maximum length. DAPO used 20480.
        buffer: ``L_c``, the length of the ramp before ``L_max``. DAPO used 4096.

    Returns:
        Float penalties in ``[−1, 0]``, shaped like ``lengths``.

    Raises:
        ValueError: unless ``0 < buffer <= max_length``.
    """
    if not 0 < buffer <= max_length:
        raise ValueError(
            f"buffer={buffer} and max_length={max_length}, but 0 < buffer <= max_length is "
            "required. DAPO used max_length=20480, buffer=4096."
        )
    ramp_start = max_length - buffer
    overshoot = lengths.to(torch.get_default_dtype()) - ramp_start
    return (-overshoot / buffer).clamp(min=-1.0, max=0.0)

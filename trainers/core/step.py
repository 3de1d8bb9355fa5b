"""One policy update: epochs over a scored rollout batch, micro-batched, one optimizer step
per epoch.

Per micro-batch the objective's per-token terms (plus ``β``·KL to the frozen reference when
``kl_beta`` > 0) are reduced with counts taken over the *whole* batch, so the gradient does
not depend on how the batch is cut into micro-batches (ALGORITHMS.md §3).
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import torch
from torch import Tensor
from transformers import PreTrainedModel

from trainers.core.aggregate import Aggregation, aggregate, global_counts
from trainers.core.logprobs import response_logprobs
from trainers.core.rollout import Rollouts
from trainers.objectives.base import Objective
from trainers.objectives.kl import KLEstimator, kl_terms

__all__ = ["PolicyUpdate", "UpdateBatch"]


@dataclass
class UpdateBatch:
    """What an update consumes: rollouts, one advantage per response, and the loss mask."""

    rollouts: Rollouts
    advantages: Tensor  # (N,)
    loss_mask: Tensor  # (N, R): response tokens of responses that count
    reference_logprobs: Tensor | None = None  # (N, R), when a KL term is used


@dataclass
class PolicyUpdate:
    model: PreTrainedModel
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    objective: Objective
    aggregation: Aggregation
    temperature: float
    horizon: int
    """The constant H of ``seq-mean-token-sum-norm``: the response length limit."""
    micro_batch: int = 32
    epochs: int = 1
    kl_beta: float = 0.0
    kl_estimator: KLEstimator = KLEstimator.K3
    max_grad_norm: float = 1.0
    autocast_dtype: torch.dtype | None = None

    def __call__(self, batch: UpdateBatch) -> dict[str, float]:
        rollouts = batch.rollouts
        rows = len(rollouts)
        spans = [
            (start, min(start + self.micro_batch, rows))
            for start in range(0, rows, self.micro_batch)
        ]
        counts = global_counts(batch.loss_mask[a:b] for a, b in spans)
        signal = batch.loss_mask * (batch.advantages != 0).unsqueeze(1)
        totals = _Totals()
        self.model.train()
        for _ in range(self.epochs):
            self.optimizer.zero_grad(set_to_none=True)
            for start, end in spans:
                mask = batch.loss_mask[start:end]
                if not mask.any():
                    continue
                with self._autocast():
                    logp, entropy = response_logprobs(
                        self.model,
                        rollouts.prompt_ids[start:end],
                        rollouts.prompt_mask[start:end],
                        rollouts.response_ids[start:end],
                        rollouts.response_mask[start:end],
                        temperature=self.temperature,
                        prompt_index=rollouts.prompt_index[start:end],
                        with_entropy=True,
                    )
                terms = self.objective.token_terms(
                    logp, rollouts.logprobs[start:end], batch.advantages[start:end, None]
                )
                token_loss = terms.loss
                if self.kl_beta > 0:
                    assert batch.reference_logprobs is not None
                    kl, _ = kl_terms(logp, batch.reference_logprobs[start:end], self.kl_estimator)
                    token_loss = token_loss + self.kl_beta * kl
                    totals.add("kl", kl.detach(), mask)
                loss = aggregate(token_loss, mask, self.aggregation, counts, horizon=self.horizon)
                loss.backward()
                totals.loss += float(loss.detach())
                totals.add("entropy", entropy, mask)
                totals.add("ratio", terms.ratio, mask)
                # k3 estimate of KL(anchor ‖ current) over the sampled tokens: how far the
                # update has moved the policy from the one that sampled (CleanRL's approx_kl).
                totals.add("approx_kl", terms.ratio - 1 - terms.ratio.log(), mask)
                totals.add(
                    "outside_trust_region", terms.outside_trust_region.float(), signal[start:end]
                )
                totals.ratio_max = max(totals.ratio_max, float((terms.ratio * mask).max()))
            grad_norm = self._clip_gradients()
            self.optimizer.step()
            totals.grad_norm = max(totals.grad_norm, grad_norm)
        self.scheduler.step()
        self.model.eval()
        metrics = totals.means(self.epochs)
        metrics["lr"] = self.scheduler.get_last_lr()[0]
        return metrics

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.model.device.type, dtype=self.autocast_dtype)

    def _clip_gradients(self) -> float:
        parameters = [p for p in self.model.parameters() if p.grad is not None]
        if not parameters:
            return 0.0
        limit = self.max_grad_norm if self.max_grad_norm > 0 else math.inf
        return float(torch.nn.utils.clip_grad_norm_(parameters, limit))


class _Totals:
    """Masked sums of per-token diagnostics over an update."""

    def __init__(self) -> None:
        self.loss = 0.0
        self.grad_norm = 0.0
        self.ratio_max = 0.0
        self.sums: dict[str, float] = {}
        self.weights: dict[str, float] = {}

    def add(self, name: str, values: Tensor | None, mask: Tensor) -> None:
        if values is None:
            return
        self.sums[name] = self.sums.get(name, 0.0) + float((values.detach() * mask).sum())
        self.weights[name] = self.weights.get(name, 0.0) + float(mask.sum())

    def means(self, epochs: int) -> dict[str, float]:
        metrics = {
            name: self.sums[name] / self.weights[name] if self.weights[name] else 0.0
            for name in self.sums
        }
        metrics["loss"] = self.loss / epochs
        metrics["grad_norm"] = self.grad_norm
        metrics["ratio_max"] = self.ratio_max
        return metrics

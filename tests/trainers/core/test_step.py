"""One policy update on a tiny model: micro-batching changes no number, masked and
zero-advantage responses move nothing."""

from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")

from trainers.core.aggregate import Aggregation  # noqa: E402
from trainers.core.rollout import SamplingSettings, sample_responses  # noqa: E402
from trainers.core.step import PolicyUpdate, UpdateBatch  # noqa: E402
from trainers.objectives import DPPOObjective, DRPOObjective, GRPOObjective  # noqa: E402

CONVERSATIONS = [[{"role": "user", "content": f"What is {a} + {a}?"}] for a in (3, 14, 59)]


def rollouts_of(tiny_model):
    return sample_responses(
        tiny_model.model,
        tiny_model.tokenizer,
        CONVERSATIONS,
        SamplingSettings(max_new_tokens=6),
        group_size=4,
        generator=torch.Generator().manual_seed(0),
    )


def update_with(model, objective, aggregation, micro_batch, batch, epochs=1):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    update = PolicyUpdate(
        model=model,
        optimizer=optimizer,
        scheduler=torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0),
        objective=objective,
        aggregation=aggregation,
        temperature=1.0,
        horizon=6,
        micro_batch=micro_batch,
        epochs=epochs,
        max_grad_norm=0.0,
    )
    return update(batch)


@pytest.mark.parametrize("aggregation", list(Aggregation))
@pytest.mark.parametrize("objective", [GRPOObjective(), DPPOObjective(), DRPOObjective(delta=0.15)])
def test_micro_batching_changes_nothing(tiny_model, aggregation, objective):
    rollouts = rollouts_of(tiny_model)
    advantages = torch.linspace(-1.5, 1.5, len(rollouts))
    batch = UpdateBatch(rollouts, advantages, rollouts.response_mask.clone())
    results = []
    for micro_batch in (12, 5, 1):
        model = copy.deepcopy(tiny_model.model)
        metrics = update_with(model, objective, aggregation, micro_batch, batch, epochs=2)
        results.append((metrics["loss"], [p.detach() for p in model.parameters()]))
    (loss, params), *others = results
    for other_loss, other_params in others:
        assert other_loss == pytest.approx(loss, abs=1e-5)
        for a, b in zip(params, other_params, strict=True):
            assert torch.allclose(a, b, atol=1e-5)


def test_masked_and_zero_advantage_responses_move_nothing(tiny_model):
    rollouts = rollouts_of(tiny_model)
    model = copy.deepcopy(tiny_model.model)
    before = [p.detach().clone() for p in model.parameters()]
    mask = rollouts.response_mask.clone()
    mask[::2] = 0  # these carry big advantages, but are masked (an infrastructure failure)
    advantages = torch.zeros(len(rollouts))
    advantages[::2] = 5.0
    update_with(
        model, GRPOObjective(), Aggregation.TOKEN_MEAN, 4, UpdateBatch(rollouts, advantages, mask)
    )
    for a, b in zip(before, model.parameters(), strict=True):
        assert torch.equal(a, b)

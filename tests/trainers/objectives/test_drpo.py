"""DRPO against hand-computed single-token values, SPO, and its closed-form gradient."""

import re

import pytest

torch = pytest.importorskip("torch")

from trainers.objectives import OBJECTIVES, DRPOObjective  # noqa: E402

ATOL = 1e-5


@pytest.mark.parametrize(
    ("A", "q", "p", "delta", "weight", "loss", "gradient"),
    [
        pytest.param(1.0, 0.5, 0.6, 0.15, 1 / 3, -1.133333, -0.4, id="damped"),
        pytest.param(1.0, 0.5, 0.65, 0.15, 0.0, -1.15, 0.0, id="boundary"),
        pytest.param(1.0, 0.5, 0.7, 0.15, -1 / 3, -1.133333, 0.466667, id="corrective"),
        pytest.param(-1.0, 0.5, 0.3, 0.15, -1 / 3, 0.866667, -0.2, id="corrective-negative"),
        pytest.param(-1.0, 0.5, 0.6, 0.15, 5 / 3, 1.266667, 2.0, id="converging"),
        pytest.param(0.5, 0.5, 0.6, 0.15, 1 / 3, -0.566667, -0.2, id="weight-independent-of-A"),
        pytest.param(1.0, 0.5, 0.6, 12.5, 0.992, -1.1992, -1.1904, id="published-delta"),
        pytest.param(1.0, 1e-4, 1e-2, 0.15, 0.934, -96.733, -93.4, id="rare-token"),
    ],
)
def test_loss_and_gradient_match_hand_computed_values(
    one_token, A, q, p, delta, weight, loss, gradient
):
    value, autograd, terms = one_token(DRPOObjective(delta=delta), q, p, A)
    assert value == pytest.approx(loss, abs=ATOL)
    assert autograd == pytest.approx(gradient, abs=ATOL)
    assert -terms.coefficient.item() == pytest.approx(gradient, abs=ATOL)
    assert terms.coefficient.item() == pytest.approx(A * (p / q) * weight, abs=ATOL)
    assert terms.outside_trust_region.item() is (weight <= 1e-12)


def spo_loss(logp, anchor_logp, advantages, epsilon):
    """SPO (arXiv 2401.16025): ``−A r + |A| (r − 1)² / (2ε)``."""
    ratio = torch.exp(logp - anchor_logp)
    return -advantages * ratio + advantages.abs() * (ratio - 1).square() / (2 * epsilon)


def test_spo_weight_is_unbounded_on_the_rare_token_where_drpo_stays_bounded():
    logp = torch.log(torch.tensor([[1e-2]], dtype=torch.float64)).requires_grad_()
    anchor = torch.log(torch.tensor([[1e-4]], dtype=torch.float64))
    advantage = torch.ones(1, 1, dtype=torch.float64)
    (spo_gradient,) = torch.autograd.grad(spo_loss(logp, anchor, advantage, 0.2).sum(), logp)
    # w_SPO = 1 − 99/0.2 = −494, so dl/dℓ = −A r w = +49400.
    assert spo_gradient.item() == pytest.approx(49400.0, rel=1e-9)
    drpo = DRPOObjective(delta=0.15).token_terms(logp, anchor, advantage)
    assert drpo.coefficient.item() == pytest.approx(93.4, rel=1e-9)


@pytest.mark.parametrize("delta", [0.15, 0.5, 12.5])
def test_drpo_equals_spo_when_the_anchor_probability_is_one(delta):
    generator = torch.Generator().manual_seed(2)
    logp = -torch.rand(6, 5, generator=generator, dtype=torch.float64).requires_grad_()
    anchor = torch.zeros(6, 5, dtype=torch.float64)
    advantages = torch.randn(6, 1, generator=generator, dtype=torch.float64)
    drpo = DRPOObjective(delta=delta).token_terms(logp, anchor, advantages).loss
    torch.testing.assert_close(drpo, spo_loss(logp, anchor, advantages, delta))
    drpo_gradient = torch.autograd.grad(drpo.sum(), logp)[0]
    spo_gradient = torch.autograd.grad(spo_loss(logp, anchor, advantages, delta).sum(), logp)[0]
    torch.testing.assert_close(drpo_gradient, spo_gradient)


@pytest.mark.parametrize("delta", [0.15, 1.0, 12.5])
def test_gradient_is_minus_advantage_times_ratio_times_bounded_weight(delta):
    generator = torch.Generator().manual_seed(3)
    logp = torch.log(torch.rand(8, 7, generator=generator, dtype=torch.float64) + 1e-3)
    logp.requires_grad_()
    anchor = torch.log(torch.rand(8, 7, generator=generator, dtype=torch.float64) + 1e-3)
    advantages = torch.randn(8, 1, generator=generator, dtype=torch.float64)
    terms = DRPOObjective(delta=delta).token_terms(logp, anchor, advantages)
    (gradient,) = torch.autograd.grad(terms.loss.sum(), logp)
    p, q = logp.detach().exp(), anchor.exp()
    weight = 1 - torch.sign(advantages) * (p - q) / delta
    torch.testing.assert_close(gradient, -advantages * (p / q) * weight)
    assert (weight >= 1 - 1 / delta).all() and (weight <= 1 + 1 / delta).all()
    beyond = torch.sign(advantages) * (p - q) >= delta
    assert torch.equal(terms.outside_trust_region, beyond & (advantages != 0))


def test_published_delta_is_the_default_and_never_reaches_the_boundary(one_token):
    assert DRPOObjective().delta == 12.5
    _, _, terms = one_token(DRPOObjective(), 1e-6, 1.0, 1.0)
    assert not terms.outside_trust_region.item()
    assert terms.coefficient.item() / terms.ratio.item() == pytest.approx(1 - 1 / 12.5, rel=1e-5)


def test_registered_under_its_name():
    assert OBJECTIVES["drpo"] is DRPOObjective


@pytest.mark.parametrize("delta", [0.0, -0.15])
def test_non_positive_delta_is_rejected(delta):
    with pytest.raises(ValueError, match=re.escape(f"delta={delta}, but it must be > 0")):
        DRPOObjective(delta=delta)

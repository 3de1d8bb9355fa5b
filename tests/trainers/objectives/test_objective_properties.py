"""Properties every objective must have, on random tensors and every aggregation mode.

T-EQ: autograd of the aggregated natural loss equals autograd of ``−Σ ω · sg(g) · ℓ``, so the
coefficient each objective reports is the gradient it actually produces.
"""

import pytest

torch = pytest.importorskip("torch")

from trainers.core.aggregate import Aggregation, aggregate, aggregation_weights, global_counts  # noqa: E402
from trainers.objectives import (  # noqa: E402
    Divergence,
    DPPOObjective,
    DRPOObjective,
    GRPOObjective,
    KLEstimator,
    kl_terms,
)

OBJECTIVES = [
    pytest.param(GRPOObjective(), id="grpo"),
    pytest.param(GRPOObjective(clip_high=0.28, dual_clip=3.0), id="grpo-clip-higher-dual"),
    pytest.param(DPPOObjective(), id="dppo-tv"),
    pytest.param(DPPOObjective(divergence=Divergence.BINARY_KL), id="dppo-kl"),
    pytest.param(DPPOObjective(is_cap=None), id="dppo-tv-uncapped"),
    pytest.param(DRPOObjective(delta=0.15), id="drpo-0.15"),
    pytest.param(DRPOObjective(), id="drpo-default"),
]
HORIZON = 12


def random_batch(seed, rows=6, length=10):
    """Log-probs that move by up to e^±1.5 from the anchor, so clips and masks do bind."""
    generator = torch.Generator().manual_seed(seed)
    anchor = torch.log(
        torch.rand(rows, length, generator=generator, dtype=torch.float64) * 0.98 + 0.01
    )
    shift = torch.randn(rows, length, generator=generator, dtype=torch.float64) * 0.6
    logp = (anchor + shift).clamp(max=-1e-3)
    advantages = torch.randn(rows, 1, generator=generator, dtype=torch.float64)
    advantages[0] = 0.0  # a response whose group had no signal
    mask = torch.rand(rows, length, generator=generator) < 0.7
    mask[1] = False  # an empty response
    return logp.requires_grad_(), anchor, advantages, mask


def natural_and_surrogate_gradients(terms, logp, mask, mode):
    counts = global_counts([mask])
    (natural,) = torch.autograd.grad(
        aggregate(terms.loss, mask, mode, counts, horizon=HORIZON), logp, retain_graph=True
    )
    weights = aggregation_weights(mask, mode, counts, horizon=HORIZON)
    surrogate_loss = -(weights * terms.coefficient.detach() * logp).sum()
    (surrogate,) = torch.autograd.grad(surrogate_loss, logp)
    return natural, surrogate


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("mode", list(Aggregation))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coefficient_is_the_gradient_of_the_natural_loss(objective, mode, seed):
    logp, anchor, advantages, mask = random_batch(seed)
    terms = objective.token_terms(logp, anchor, advantages)
    natural, surrogate = natural_and_surrogate_gradients(terms, logp, mask, mode)
    torch.testing.assert_close(natural, surrogate, atol=1e-10, rtol=1e-8)
    assert natural.abs().sum() > 0  # the comparison is not between two zero tensors


@pytest.mark.parametrize("estimator", list(KLEstimator))
@pytest.mark.parametrize("mode", list(Aggregation))
def test_kl_coefficient_is_the_gradient_of_the_kl_value(estimator, mode):
    logp, ref_logp, _, mask = random_batch(5)
    value, coefficient = kl_terms(logp, ref_logp, estimator)
    counts = global_counts([mask])
    (natural,) = torch.autograd.grad(aggregate(value, mask, mode, counts, horizon=HORIZON), logp)
    weights = aggregation_weights(mask, mode, counts, horizon=HORIZON)
    (surrogate,) = torch.autograd.grad(-(weights * coefficient * logp).sum(), logp)
    torch.testing.assert_close(natural, surrogate, atol=1e-10, rtol=1e-8)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_the_equivalence_check_catches_a_wrong_coefficient(objective):
    logp, anchor, advantages, mask = random_batch(0)
    terms = objective.token_terms(logp, anchor, advantages)
    wrong = type(terms)(
        loss=terms.loss,
        coefficient=terms.coefficient * 1.01,
        outside_trust_region=terms.outside_trust_region,
        ratio=terms.ratio,
    )
    natural, surrogate = natural_and_surrogate_gradients(wrong, logp, mask, Aggregation.TOKEN_MEAN)
    assert not torch.allclose(natural, surrogate, atol=1e-10, rtol=1e-8)


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("mode", list(Aggregation))
def test_zero_advantage_and_masked_tokens_get_exactly_zero_gradient(objective, mode):
    logp, anchor, advantages, mask = random_batch(3)
    terms = objective.token_terms(logp, anchor, advantages)
    (gradient,) = torch.autograd.grad(
        aggregate(terms.loss, mask, mode, global_counts([mask]), horizon=HORIZON), logp
    )
    assert (gradient[0] == 0).all()
    assert (gradient[~mask] == 0).all()
    assert (terms.coefficient[0] == 0).all()
    assert not terms.outside_trust_region[0].any()


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("mode", list(Aggregation))
def test_empty_responses_and_an_empty_batch_give_no_nan(objective, mode):
    logp, anchor, advantages, mask = random_batch(4)
    # Padding may hold anything; here the log-prob of a padded position is -inf.
    logp = logp.detach().clone()
    logp[1] = -torch.inf
    logp.requires_grad_()
    for batch_mask in (mask, torch.zeros_like(mask)):
        terms = objective.token_terms(logp, anchor, advantages)
        value = aggregate(
            terms.loss, batch_mask, mode, global_counts([batch_mask]), horizon=HORIZON
        )
        (gradient,) = torch.autograd.grad(value, logp)
        assert torch.isfinite(value)
        assert torch.isfinite(gradient).all()
        assert (gradient[1] == 0).all()


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_outputs_have_the_documented_shapes_and_detachment(objective):
    logp, anchor, advantages, _ = random_batch(6)
    terms = objective.token_terms(logp, anchor, advantages)
    for tensor in (terms.loss, terms.coefficient, terms.outside_trust_region, terms.ratio):
        assert tensor.shape == logp.shape
    assert terms.loss.requires_grad
    assert not terms.coefficient.requires_grad and not terms.ratio.requires_grad
    assert terms.outside_trust_region.dtype == torch.bool
    torch.testing.assert_close(terms.ratio, (logp - anchor).exp().detach())


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_ratio_is_clamped_so_extreme_log_ratios_stay_finite(objective):
    logp = torch.tensor([[-1e-3, -60.0]], dtype=torch.float64, requires_grad=True)
    anchor = torch.tensor([[-50.0, -1e-3]], dtype=torch.float64)
    terms = objective.token_terms(logp, anchor, torch.tensor([[1.0]], dtype=torch.float64))
    assert terms.ratio[0].tolist() == pytest.approx([torch.e**20, torch.e**-20], rel=1e-12)
    assert torch.isfinite(terms.loss).all()
    (gradient,) = torch.autograd.grad(terms.loss.sum(), logp)
    torch.testing.assert_close(gradient, -terms.coefficient)

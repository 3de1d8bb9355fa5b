"""k1/k2/k3 KL estimators against hand-computed values and their gradients."""

import math
import re

import pytest

torch = pytest.importorskip("torch")

from trainers.objectives import KLEstimator, kl_terms  # noqa: E402

ATOL = 1e-5


@pytest.mark.parametrize(
    ("estimator", "value", "gradient"),
    [
        (KLEstimator.K1, 0.693147, 1.0),
        (KLEstimator.K2, 0.240227, 0.693147),
        (KLEstimator.K3, 0.193147, 0.5),
    ],
)
def test_estimators_match_hand_computed_values(estimator, value, gradient):
    logp = torch.tensor([[math.log(0.5)]], dtype=torch.float64, requires_grad=True)
    ref_logp = torch.tensor([[math.log(0.25)]], dtype=torch.float64)
    estimate, coefficient = kl_terms(logp, ref_logp, estimator)
    (autograd,) = torch.autograd.grad(estimate.sum(), logp)
    assert estimate.item() == pytest.approx(value, abs=ATOL)
    assert autograd.item() == pytest.approx(gradient, abs=ATOL)
    assert -coefficient.item() == pytest.approx(gradient, abs=ATOL)
    assert not coefficient.requires_grad


def test_k3_is_nonnegative_and_its_coefficient_is_the_grpo_kl_term():
    generator = torch.Generator().manual_seed(4)
    logp = torch.randn(5, 6, generator=generator, dtype=torch.float64)
    ref_logp = torch.randn(5, 6, generator=generator, dtype=torch.float64)
    value, coefficient = kl_terms(logp, ref_logp, "k3")
    assert (value >= 0).all()
    torch.testing.assert_close(coefficient, (ref_logp - logp).exp() - 1)


@pytest.mark.parametrize("estimator", list(KLEstimator))
def test_estimates_vanish_when_the_policies_agree(estimator):
    logp = torch.log(torch.tensor([[0.3, 0.9]]))
    value, coefficient = kl_terms(logp, logp.clone(), estimator)
    assert value.abs().max().item() == 0.0
    if estimator is not KLEstimator.K1:
        assert coefficient.abs().max().item() == 0.0


def test_bad_arguments_are_rejected():
    logp = torch.zeros(2, 3)
    with pytest.raises(ValueError, match=re.escape("Unknown KL estimator 'k4'; use one of: k1")):
        kl_terms(logp, logp, "k4")
    with pytest.raises(ValueError, match="ref_logp has shape"):
        kl_terms(logp, torch.zeros(3, 2), "k3")

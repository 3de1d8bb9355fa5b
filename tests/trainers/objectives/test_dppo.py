"""DPPO masks and capped IS weights against hand-computed single-token values."""

import math
import re

import pytest

torch = pytest.importorskip("torch")

from trainers.objectives import OBJECTIVES, Divergence, DPPOObjective, GRPOObjective  # noqa: E402

ATOL = 1e-5

# (A, q, p, kept by the Binary-TV mask, Binary-KL value, kept by the Binary-KL mask,
#  kept by PPO with ε = 0.2)
ROWS = [
    pytest.param(1.0, 0.5, 0.7, False, 0.08718, False, False, id="up-past-delta"),
    pytest.param(1.0, 0.5, 0.6, True, 0.02041, True, True, id="up-inside"),
    pytest.param(1.0, 0.5, 0.2, True, 0.22314, True, True, id="against-advantage"),
    pytest.param(-1.0, 0.5, 0.3, False, 0.08718, False, False, id="down-past-delta"),
    pytest.param(-1.0, 0.5, 0.8, True, 0.22314, True, True, id="negative-against-advantage"),
    pytest.param(1.0, 1e-5, 1e-3, True, 0.00094, True, False, id="rare-token"),
    pytest.param(-1.0, 0.99, 0.80, False, 0.18100, False, True, id="common-token"),
]


def binary_kl(q, p):
    return q * math.log(q / p) + (1 - q) * math.log((1 - q + 1e-8) / (1 - p + 1e-8))


@pytest.mark.parametrize(("A", "q", "p", "tv_kept", "kl_value", "kl_kept", "ppo_kept"), ROWS)
@pytest.mark.parametrize("cap", [10.0, 20.0, None])
def test_masks_and_gradients_match_hand_computed_values(
    one_token, A, q, p, tv_kept, kl_value, kl_kept, ppo_kept, cap
):
    assert binary_kl(q, p) == pytest.approx(kl_value, abs=1e-5)
    ratio = p / q
    weight = ratio if cap is None else min(ratio, cap)
    for divergence, kept in ((Divergence.BINARY_TV, tv_kept), (Divergence.BINARY_KL, kl_kept)):
        objective = DPPOObjective(divergence=divergence, is_cap=cap)
        value, gradient, terms = one_token(objective, q, p, A)
        expected = -A * weight if kept else 0.0
        assert gradient == pytest.approx(expected, abs=ATOL), divergence
        assert -terms.coefficient.item() == pytest.approx(expected, abs=ATOL)
        assert terms.outside_trust_region.item() is (not kept)
        assert value == pytest.approx(-A * weight * math.log(p) if kept else 0.0, abs=ATOL)
        assert terms.ratio.item() == pytest.approx(ratio, rel=1e-9)
    _, _, ppo = one_token(GRPOObjective(), q, p, A)
    assert ppo.outside_trust_region.item() is (not ppo_kept)


def test_rare_token_gradient_for_each_cap(one_token):
    gradients = [
        one_token(DPPOObjective(is_cap=cap), 1e-5, 1e-3, 1.0)[1] for cap in (10.0, 20.0, None)
    ]
    assert gradients == pytest.approx([-10.0, -20.0, -100.0], rel=1e-6)


def test_code_form_loss_value(one_token):
    value, _, _ = one_token(DPPOObjective(), 0.5, 0.6, 1.0)
    assert value == pytest.approx(0.61299, abs=ATOL)


def test_mask_has_no_gradient_path_and_masked_tokens_ignore_p():
    objective = DPPOObjective()
    anchor = torch.log(torch.tensor([[0.5, 0.5, 0.5]], dtype=torch.float64))
    advantages = torch.tensor([[1.0]], dtype=torch.float64)
    for masked_p in (0.7, 0.9, 0.99):
        logp = torch.log(torch.tensor([[0.55, masked_p, 0.3]], dtype=torch.float64))
        logp.requires_grad_()
        terms = objective.token_terms(logp, anchor, advantages)
        assert not terms.outside_trust_region.requires_grad
        assert not terms.coefficient.requires_grad
        assert terms.outside_trust_region.tolist() == [[False, True, False]]
        (gradient,) = torch.autograd.grad(terms.loss.sum(), logp)
        assert terms.loss[0, 1].item() == 0.0
        assert gradient[0, 1].item() == 0.0


def test_zero_advantage_tokens_are_not_counted_as_masked(one_token):
    _, gradient, terms = one_token(DPPOObjective(), 0.5, 0.2, 0.0)
    assert gradient == 0.0
    assert not terms.outside_trust_region.item()


def test_deltas_default_by_divergence_and_can_be_asymmetric(one_token):
    tv = DPPOObjective()
    kl = DPPOObjective(divergence="binary-kl")
    assert (tv.delta_low, tv.delta_high) == (0.15, 0.15)
    assert (kl.delta_low, kl.delta_high) == (0.05, 0.05)
    assert kl.divergence is Divergence.BINARY_KL
    loose_up = DPPOObjective(delta_high=0.25)
    assert one_token(loose_up, 0.5, 0.7, 1.0)[1] == pytest.approx(-1.4)
    assert one_token(loose_up, 0.5, 0.3, -1.0)[1] == 0.0


def test_registered_under_its_name():
    assert OBJECTIVES["dppo"] is DPPOObjective


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"delta_low": 0.0}, "delta_low=0.0, but it must be > 0. The binary-tv default is 0.15."),
        (
            {"divergence": "binary-kl", "delta_high": -1.0},
            "delta_high=-1.0, but it must be > 0. The binary-kl default is 0.05.",
        ),
        ({"is_cap": 0.0}, "is_cap=0.0, but it must be > 0, or None for no truncation"),
        (
            {"divergence": "topk-tv"},
            "Unknown divergence 'topk-tv'; use one of: binary-tv, binary-kl",
        ),
    ],
)
def test_invalid_settings_are_rejected(settings, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        DPPOObjective(**settings)

"""GRPO / PPO clipped surrogate against hand-computed single-token values."""

import re

import pytest

torch = pytest.importorskip("torch")

from trainers.objectives import OBJECTIVES, GRPOObjective  # noqa: E402

ATOL = 1e-5


@pytest.mark.parametrize(
    ("q", "p", "advantage", "settings", "loss", "gradient", "clipped"),
    [
        pytest.param(0.5, 0.55, 1.0, {}, -1.1, -1.1, False, id="inside"),
        pytest.param(0.4, 0.6, 1.0, {}, -1.2, 0.0, True, id="clipped-high"),
        pytest.param(0.4, 0.2, -1.0, {}, 0.8, 0.0, True, id="clipped-low"),
        pytest.param(0.4, 0.6, -1.0, {}, 1.5, 1.5, False, id="negative-A-ratio-up"),
        pytest.param(0.4, 0.2, 1.0, {}, -0.5, -0.5, False, id="positive-A-ratio-down"),
        pytest.param(0.1, 0.4, -1.0, {}, 4.0, 4.0, False, id="no-dual-clip"),
        pytest.param(0.1, 0.4, -1.0, {"dual_clip": 3.0}, 3.0, 0.0, True, id="dual-clip"),
        pytest.param(0.4, 0.5, 1.0, {"clip_high": 0.28}, -1.25, -1.25, False, id="clip-higher"),
        pytest.param(0.4, 0.5, 1.0, {"clip_high": 0.2}, -1.2, 0.0, True, id="clip-symmetric"),
    ],
)
def test_clipped_surrogate_matches_hand_computed_values(
    one_token, q, p, advantage, settings, loss, gradient, clipped
):
    value, autograd, terms = one_token(GRPOObjective(**settings), q, p, advantage)
    assert value == pytest.approx(loss, abs=ATOL)
    assert autograd == pytest.approx(gradient, abs=ATOL)
    assert -terms.coefficient.item() == pytest.approx(gradient, abs=ATOL)
    assert terms.outside_trust_region.item() is clipped
    assert terms.ratio.item() == pytest.approx(p / q, abs=ATOL)


def test_dual_clip_leaves_positive_advantages_alone(one_token):
    plain = one_token(GRPOObjective(), 0.1, 0.4, 1.0)
    dual = one_token(GRPOObjective(dual_clip=3.0), 0.1, 0.4, 1.0)
    assert plain[:2] == dual[:2]


def test_zero_advantage_is_never_counted_as_clipped(one_token):
    _, gradient, terms = one_token(GRPOObjective(), 0.1, 0.9, 0.0)
    assert gradient == 0.0
    assert not terms.outside_trust_region.item()


def test_registered_under_its_name():
    assert OBJECTIVES["grpo"] is GRPOObjective
    assert GRPOObjective.name == "grpo"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"clip_low": 1.0}, "clip_low=1.0, but 0 < clip_low < 1 is required"),
        ({"clip_low": 0.0}, "clip_low=0.0, but 0 < clip_low < 1 is required"),
        ({"clip_high": 0.0}, "clip_high=0.0, but it must be > 0"),
        ({"dual_clip": 1.0}, "dual_clip=1.0, but it must be > 1"),
    ],
)
def test_invalid_settings_are_rejected(settings, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        GRPOObjective(**settings)


def test_hyperparameters_are_keyword_only():
    with pytest.raises(TypeError):
        GRPOObjective(0.2)


def test_mismatched_shapes_are_rejected():
    logp = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="anchor_logp has shape"):
        GRPOObjective().token_terms(logp, torch.zeros(2, 4), torch.zeros(2, 1))
    with pytest.raises(ValueError, match=re.escape("Pass one advantage per response as (B, 1)")):
        GRPOObjective().token_terms(logp, torch.zeros(2, 3), torch.zeros(2, 2))

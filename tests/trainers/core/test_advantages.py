"""Group advantages, DAPO's group filter and its overlong penalty, against hand-computed values."""

import math
import re

import pytest

torch = pytest.importorskip("torch")

from trainers.core.advantages import (  # noqa: E402
    AdvantageEstimator,
    group_advantages,
    nonconstant_groups,
    overlong_penalty,
)

ATOL = 1e-5


def advantages_of(rewards, estimator, valid=None):
    rewards = torch.tensor([rewards], dtype=torch.float64)
    valid = torch.ones_like(rewards, dtype=torch.bool) if valid is None else torch.tensor([valid])
    return group_advantages(rewards, valid, estimator)[0].tolist()


@pytest.mark.parametrize(
    ("rewards", "estimator", "expected"),
    [
        ([1, 0, 0, 0], AdvantageEstimator.GRPO, [1.5, -0.5, -0.5, -0.5]),
        ([1, 0, 0, 0], AdvantageEstimator.GRPO_POPULATION_STD, [3**0.5, *[-(3**-0.5)] * 3]),
        ([1, 0, 0, 0], AdvantageEstimator.DR_GRPO, [0.75, -0.25, -0.25, -0.25]),
        ([1, 0, 0, 0], AdvantageEstimator.RLOO, [1.0, -1 / 3, -1 / 3, -1 / 3]),
        ([1, 1, 1, 0], AdvantageEstimator.GRPO, [0.5, 0.5, 0.5, -1.5]),
        ([1, 1, 1, 0], AdvantageEstimator.DR_GRPO, [0.25, 0.25, 0.25, -0.75]),
    ],
)
def test_group_advantages_match_the_spec_oracle(rewards, estimator, expected):
    # eps=1e-6 shifts the GRPO values by about 1e-6, inside the tolerance.
    assert advantages_of(rewards, estimator) == pytest.approx(expected, abs=ATOL)


@pytest.mark.parametrize("estimator", list(AdvantageEstimator))
def test_a_constant_group_gets_zero_and_no_nan(estimator):
    assert advantages_of([1, 1, 1, 1], estimator) == [0.0] * 4
    # 0.1 is not exact in binary: R − mean is ~1e-17 and would blow up without the guard.
    assert advantages_of([0.1, 0.1, 0.1], estimator) == [0.0] * 3


@pytest.mark.parametrize("estimator", list(AdvantageEstimator))
def test_grpo_estimators_match_a_direct_formula(estimator):
    rewards = torch.tensor([[0.3, -1.2, 2.0, 0.7, 0.0]], dtype=torch.float64)
    valid = torch.ones_like(rewards, dtype=torch.bool)
    r = rewards[0]
    mean = r.mean()
    direct = {
        AdvantageEstimator.GRPO: (r - mean) / (r.std(correction=1) + 1e-6),
        AdvantageEstimator.GRPO_POPULATION_STD: (r - mean) / (r.std(correction=0) + 1e-6),
        AdvantageEstimator.DR_GRPO: r - mean,
        AdvantageEstimator.RLOO: r - (r.sum() - r) / (len(r) - 1),
    }[estimator]
    torch.testing.assert_close(group_advantages(rewards, valid, estimator)[0], direct)


@pytest.mark.parametrize("estimator", list(AdvantageEstimator))
def test_invalid_responses_get_zero_and_do_not_change_the_others(estimator):
    rewards = [1.0, 0.0, math.nan, 0.0, 5.0]
    valid = [True, True, False, True, False]
    with_failures = advantages_of(rewards, estimator, valid)
    without = advantages_of([1.0, 0.0, 0.0], estimator)
    assert with_failures[2] == 0.0 and with_failures[4] == 0.0
    assert [with_failures[i] for i in (0, 1, 3)] == pytest.approx(without, abs=1e-12)


@pytest.mark.parametrize("estimator", list(AdvantageEstimator))
def test_groups_with_fewer_than_two_valid_responses_get_zero(estimator):
    assert advantages_of([1.0, 0.0, 0.0], estimator, [True, False, False]) == [0.0] * 3
    assert advantages_of([1.0, 0.0], estimator, [False, False]) == [0.0] * 2


def test_groups_are_independent():
    rewards = torch.tensor([[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 0.0]])
    valid = torch.ones_like(rewards, dtype=torch.bool)
    both = group_advantages(rewards, valid, AdvantageEstimator.GRPO)
    for row in range(2):
        alone = group_advantages(rewards[row : row + 1], valid[row : row + 1], "grpo")
        torch.testing.assert_close(both[row : row + 1], alone)


def test_bad_inputs_are_rejected_with_the_fix():
    rewards = torch.zeros(2, 3)
    with pytest.raises(ValueError, match=re.escape("must be (prompts, responses)")):
        group_advantages(rewards.flatten(), torch.ones(6, dtype=torch.bool), "grpo")
    with pytest.raises(ValueError, match="must be a bool tensor"):
        group_advantages(rewards, torch.ones(2, 3), "grpo")
    with pytest.raises(ValueError, match=re.escape("eps=-1.0, but it must be >= 0")):
        group_advantages(rewards, torch.ones(2, 3, dtype=torch.bool), "grpo", eps=-1.0)
    with pytest.raises(
        ValueError, match=re.escape("Unknown advantage estimator 'gae'; use one of: grpo,")
    ):
        group_advantages(rewards, torch.ones(2, 3, dtype=torch.bool), "gae")


def test_dynamic_sampling_keeps_only_groups_with_a_learning_signal():
    rewards = torch.tensor(
        [[1.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0], [1.0, 0.0, 1.0, 1.0]]
    )
    valid = torch.ones_like(rewards, dtype=torch.bool)
    assert nonconstant_groups(rewards, valid).tolist() == [True, False, False, True]
    # The only differing reward belongs to a failed response: nothing to learn from.
    valid[0, 0] = False
    assert nonconstant_groups(rewards, valid).tolist() == [False, False, False, True]


@pytest.mark.parametrize(
    ("length", "expected"),
    [(16000, 0.0), (16384, 0.0), (18432, -0.5), (20480, -1.0), (20481, -1.0), (40000, -1.0)],
)
def test_overlong_penalty_matches_the_spec_oracle(length, expected):
    penalty = overlong_penalty(torch.tensor([length]), max_length=20480, buffer=4096)
    assert penalty.item() == pytest.approx(expected, abs=ATOL)


def test_overlong_penalty_is_linear_on_the_ramp():
    lengths = torch.arange(16384, 20481, 512)
    penalty = overlong_penalty(lengths, max_length=20480, buffer=4096)
    expected = (16384 - lengths.double()) / 4096
    torch.testing.assert_close(penalty.double(), expected)


@pytest.mark.parametrize(("max_length", "buffer"), [(100, 0), (100, 101), (100, -5)])
def test_overlong_penalty_rejects_a_bad_buffer(max_length, buffer):
    with pytest.raises(ValueError, match=re.escape("0 < buffer <= max_length")):
        overlong_penalty(torch.tensor([1]), max_length=max_length, buffer=buffer)

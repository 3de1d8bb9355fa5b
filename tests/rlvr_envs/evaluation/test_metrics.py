"""pass@k against hand-computed values and the closed form; bootstrap intervals seeded."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rlvr_envs.evaluation.metrics import (
    bootstrap_mean,
    metric_seed,
    paired_bootstrap_delta,
    pass_at_k,
    stratified_bootstrap_mean,
)


@pytest.mark.parametrize(
    ("n", "c", "k", "expected"),
    [
        (5, 2, 1, 2 / 5),  # 1 - C(3,1)/C(5,1) = 1 - 3/5
        (5, 2, 2, 7 / 10),  # 1 - C(3,2)/C(5,2) = 1 - 3/10
        (5, 2, 3, 9 / 10),  # 1 - C(3,3)/C(5,3) = 1 - 1/10
        (5, 2, 4, 1.0),  # only 3 wrong answers: any 4 hold a correct one
        (4, 0, 2, 0.0),
        (4, 4, 1, 1.0),
        (1, 1, 1, 1.0),
        (10, 3, 5, 11 / 12),  # 1 - C(7,5)/C(10,5) = 1 - 21/252
        (200, 1, 100, 0.5),  # 1 - C(199,100)/C(200,100) = 1 - 100/200
    ],
)
def test_pass_at_k_matches_hand_computed_values(n, c, k, expected):
    assert pass_at_k(n, c, k) == pytest.approx(expected, abs=1e-12)


def test_pass_at_k_matches_the_closed_form_everywhere_small():
    for n in range(1, 16):
        for c in range(n + 1):
            for k in range(1, n + 1):
                closed = 1 - math.comb(n - c, k) / math.comb(n, k)
                assert pass_at_k(n, c, k) == pytest.approx(closed, abs=1e-12), (n, c, k)


def test_pass_at_1_is_the_fraction_correct_and_large_n_stays_finite():
    assert pass_at_k(200, 37, 1) == pytest.approx(37 / 200)
    # C(1000, 500) overflows a float; the product form does not.
    value = pass_at_k(1000, 3, 500)
    assert value == pytest.approx(1 - math.comb(997, 500) / math.comb(1000, 500), rel=1e-9)


@pytest.mark.parametrize(("n", "c", "k"), [(3, 4, 1), (3, -1, 1), (3, 1, 0), (3, 1, 4)])
def test_pass_at_k_refuses_impossible_counts(n, c, k):
    with pytest.raises(ValueError, match="pass_at_k needs"):
        pass_at_k(n, c, k)


def test_bootstrap_is_seeded_and_reproducible():
    values = np.random.default_rng(7).integers(0, 2, size=60).astype(float)
    first = bootstrap_mean(values, seed=3)
    assert bootstrap_mean(values, seed=3) == first
    assert bootstrap_mean(values, seed=4) != first
    assert first.low <= first.value <= first.high
    assert first.value == pytest.approx(values.mean())
    # Pinned: the same data and seed give these bounds on every machine.
    assert (round(first.low, 6), round(first.high, 6)) == (0.433333, 0.7)


def test_bootstrap_interval_has_the_textbook_width():
    values = np.array([0.0, 1.0] * 200)  # p = 0.5, n = 400: half-width 1.96 * 0.025
    interval = bootstrap_mean(values, seed=0)
    assert interval.high - interval.low == pytest.approx(2 * 1.96 * 0.025, rel=0.15)


def test_bootstrap_edge_cases():
    assert bootstrap_mean([1.0, 1.0, 1.0], seed=0).to_dict() == {
        "value": 1.0,
        "low": 1.0,
        "high": 1.0,
        "n": 3,
    }
    empty = bootstrap_mean([], seed=0)
    assert empty.n == 0 and math.isnan(empty.value)
    with pytest.raises(ValueError, match="confidence level"):
        bootstrap_mean([1.0, 0.0], seed=0, level=95)


def test_paired_bootstrap_sees_a_consistent_gain_that_an_unpaired_look_would_blur():
    rng = np.random.default_rng(1)
    difficulty = rng.uniform(0, 1, size=40)  # problems differ a lot
    before = difficulty
    after = difficulty + 0.05  # every problem gains a little
    delta = paired_bootstrap_delta(before, after, seed=0)
    assert delta.value == pytest.approx(0.05)
    assert delta.excludes_zero()
    assert not paired_bootstrap_delta(before, before, seed=0).excludes_zero()
    with pytest.raises(ValueError, match="same problems"):
        paired_bootstrap_delta([1.0], [1.0, 0.0], seed=0)


def test_stratified_bootstrap_weighs_tasks_equally():
    big = [1.0] * 100
    small = [0.0] * 4
    interval = stratified_bootstrap_mean([big, small], seed=0)
    assert interval.value == pytest.approx(0.5)  # not 100/104
    assert interval.n == 104
    assert stratified_bootstrap_mean([big, small], seed=0) == interval


def test_metric_seeds_are_stable_and_distinct():
    assert metric_seed(0, "arithmetic-add-v1|pass@1") == metric_seed(0, "arithmetic-add-v1|pass@1")
    assert metric_seed(0, "a") != metric_seed(0, "b")
    assert metric_seed(0, "a") != metric_seed(1, "a")

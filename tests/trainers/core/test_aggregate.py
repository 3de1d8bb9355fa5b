"""Loss aggregation with global counts, against hand-computed values and micro-batch splits."""

import re

import pytest

torch = pytest.importorskip("torch")

from trainers.core.aggregate import (  # noqa: E402
    Aggregation,
    GlobalCounts,
    aggregate,
    aggregation_weights,
    global_counts,
)

ATOL = 1e-5


def spec_batch():
    """Two responses: seq1 losses [1, 1], seq2 losses [-1, -1, -1, -1], padded to T=4."""
    loss = torch.tensor([[1.0, 1.0, 0.0, 0.0], [-1.0, -1.0, -1.0, -1.0]])
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]], dtype=torch.bool)
    return loss, mask


EXPECTED = {
    Aggregation.TOKEN_MEAN: -1 / 3,
    Aggregation.SEQ_MEAN_TOKEN_MEAN: 0.0,
    Aggregation.SEQ_MEAN_TOKEN_SUM: -1.0,
    Aggregation.SEQ_MEAN_TOKEN_SUM_NORM: -0.125,
}


@pytest.mark.parametrize("mode", list(Aggregation))
def test_aggregate_matches_the_spec_oracle(mode):
    loss, mask = spec_batch()
    value = aggregate(loss, mask, mode, global_counts([mask]), horizon=8)
    assert value.item() == pytest.approx(EXPECTED[mode], abs=ATOL)


@pytest.mark.parametrize("mode", list(Aggregation))
def test_micro_batches_normalised_by_global_counts_sum_to_the_full_batch(mode):
    loss, mask = spec_batch()
    counts = global_counts([mask[:1], mask[1:]])
    assert counts == GlobalCounts(tokens=6.0, sequences=2.0)
    parts = [aggregate(loss[i : i + 1], mask[i : i + 1], mode, counts, horizon=8) for i in (0, 1)]
    assert sum(parts).item() == pytest.approx(EXPECTED[mode], abs=ATOL)


@pytest.mark.parametrize("mode", list(Aggregation))
def test_micro_batch_invariance_on_random_batches(mode):
    generator = torch.Generator().manual_seed(0)
    loss = torch.randn(12, 9, generator=generator, dtype=torch.float64)
    mask = torch.rand(12, 9, generator=generator) < 0.6
    mask[3] = False  # an empty response
    full = aggregate(loss, mask, mode, global_counts([mask]), horizon=16)
    chunks = [slice(0, 5), slice(5, 7), slice(7, 12)]
    counts = global_counts(mask[c] for c in chunks)
    split = sum(aggregate(loss[c], mask[c], mode, counts, horizon=16) for c in chunks)
    torch.testing.assert_close(split, full)


def test_local_means_would_differ_so_the_invariance_test_can_fail():
    loss, mask = spec_batch()
    local = [
        aggregate(
            loss[i : i + 1],
            mask[i : i + 1],
            "token-mean",
            global_counts([mask[i : i + 1]]),
            horizon=8,
        )
        for i in (0, 1)
    ]
    assert (sum(local) / 2).item() != pytest.approx(EXPECTED[Aggregation.TOKEN_MEAN], abs=ATOL)


@pytest.mark.parametrize("mode", list(Aggregation))
def test_empty_rows_and_empty_batches_give_no_nan(mode):
    loss = torch.tensor([[float("nan"), float("inf")], [2.0, 4.0]], requires_grad=True)
    mask = torch.tensor([[0, 0], [1, 1]], dtype=torch.bool)
    value = aggregate(loss, mask, mode, global_counts([mask]), horizon=4)
    value.backward()
    assert torch.isfinite(value)
    assert loss.grad[0].tolist() == [0.0, 0.0]
    empty = torch.zeros(2, 3, dtype=torch.bool)
    nothing = aggregate(torch.ones(2, 3), empty, mode, global_counts([empty]), horizon=4)
    assert nothing.item() == 0.0


@pytest.mark.parametrize("mode", list(Aggregation))
def test_aggregate_is_the_weighted_sum(mode):
    generator = torch.Generator().manual_seed(1)
    loss = torch.randn(5, 7, generator=generator)
    mask = torch.rand(5, 7, generator=generator) < 0.5
    counts = global_counts([mask])
    weights = aggregation_weights(mask, mode, counts, horizon=7)
    assert not weights.requires_grad
    assert (weights[~mask] == 0).all()
    torch.testing.assert_close(
        aggregate(loss, mask, mode, counts, horizon=7), (weights * loss).sum()
    )


def test_mode_accepts_its_string_value_and_rejects_unknown_ones():
    loss, mask = spec_batch()
    counts = global_counts([mask])
    assert aggregate(loss, mask, "token-mean", counts, horizon=8).item() == pytest.approx(-1 / 3)
    with pytest.raises(ValueError, match=re.escape("Unknown aggregation 'token-sum'; use one of:")):
        aggregate(loss, mask, "token-sum", counts, horizon=8)


def test_bad_arguments_are_rejected():
    loss, mask = spec_batch()
    counts = global_counts([mask])
    with pytest.raises(ValueError, match=re.escape("horizon=0, but it must be >= 1")):
        aggregate(loss, mask, Aggregation.SEQ_MEAN_TOKEN_SUM_NORM, counts, horizon=0)
    with pytest.raises(ValueError, match="they must match"):
        aggregate(loss[:, :2], mask, Aggregation.TOKEN_MEAN, counts, horizon=8)
    with pytest.raises(ValueError, match="counts must be >= 0"):
        GlobalCounts(tokens=-1, sequences=0)

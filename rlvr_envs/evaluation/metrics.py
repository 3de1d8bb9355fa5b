"""The estimators an evaluation reports: pass@k, and bootstrap intervals on means over problems.

Every score is a mean over problems of a per-problem value (1/0 for a greedy answer, the
pass@k estimate, the mean sampled reward), so one bootstrap serves them all: resample the
problems with replacement, recompute the mean, take the percentile interval. Problems,
not samples, are the unit resampled: samples of one problem are not independent.

Intervals are reproducible: the resampling generator is seeded from the caller's seed and
the metric's name, so the same run gives the same intervals on every machine and two
metrics of one run do not share their resamples.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Interval",
    "bootstrap_mean",
    "metric_seed",
    "paired_bootstrap_delta",
    "pass_at_k",
    "stratified_bootstrap_mean",
]

DEFAULT_RESAMPLES = 2000
DEFAULT_LEVEL = 0.95


def pass_at_k(n: int, c: int, k: int) -> float:
    """The unbiased estimate of pass@k from `n` samples of which `c` are correct.

    Chen et al. (2021), "Evaluating Large Language Models Trained on Code", eq. 1:
    ``1 - C(n - c, k) / C(n, k)``, computed in the numerically stable product form
    ``1 - prod_{i = n - c + 1}^{n} (1 - k / i)`` (binomials of n = 200 overflow floats).

    Raises:
        ValueError: unless ``0 <= c <= n`` and ``1 <= k <= n``.
    """
    if not 0 <= c <= n:
        raise ValueError(f"pass_at_k needs 0 <= c <= n, got n={n}, c={c}")
    if not 1 <= k <= n:
        raise ValueError(f"pass_at_k needs 1 <= k <= n, got n={n}, k={k}")
    if n - c < k:  # every draw of k samples holds a correct one
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))


@dataclass(frozen=True)
class Interval:
    """A point estimate and its bootstrap confidence interval."""

    value: float
    low: float
    high: float
    n: int
    """How many problems the estimate averages."""

    def to_dict(self) -> dict[str, float | int]:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}

    def excludes_zero(self) -> bool:
        return self.low > 0.0 or self.high < 0.0


def metric_seed(seed: int, name: str) -> int:
    """A seed for one metric: stable across processes (unlike ``hash``), distinct per name."""
    return (seed * 1_000_003 + zlib.crc32(name.encode("utf-8"))) % 2**32


def bootstrap_mean(
    values: Sequence[float],
    *,
    seed: int,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
) -> Interval:
    """The mean of `values` with a percentile bootstrap interval at `level`.

    An empty input gives NaNs (nothing was measured); one value gives a zero-width interval.
    """
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    return _interval(float(data.mean()), means, level, data.size)


def stratified_bootstrap_mean(
    groups: Sequence[Sequence[float]],
    *,
    seed: int,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
) -> Interval:
    """The mean of the groups' means (a suite's macro average over its tasks), with each
    group's problems resampled within the group, so every task keeps its weight."""
    arrays = [np.asarray(group, dtype=float) for group in groups if len(group)]
    if not arrays:
        return Interval(float("nan"), float("nan"), float("nan"), 0)
    rng = np.random.default_rng(seed)
    means = np.zeros(resamples)
    for data in arrays:
        means += data[rng.integers(0, data.size, size=(resamples, data.size))].mean(axis=1)
    means /= len(arrays)
    point = float(np.mean([data.mean() for data in arrays]))
    return _interval(point, means, level, sum(data.size for data in arrays))


def paired_bootstrap_delta(
    before: Sequence[float],
    after: Sequence[float],
    *,
    seed: int,
    resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
) -> Interval:
    """``mean(after) - mean(before)`` over the same problems, with a paired bootstrap
    interval: problems are resampled together, so the interval reflects how the two runs
    differ problem by problem, not how hard the problems are. A difference is significant
    at `level` when its interval excludes zero (`Interval.excludes_zero`)."""
    if len(before) != len(after):
        raise ValueError(
            f"a paired comparison needs the same problems on both sides, got {len(before)} "
            f"and {len(after)} values"
        )
    differences = np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
    return bootstrap_mean(differences, seed=seed, resamples=resamples, level=level)


def _interval(point: float, means: np.ndarray, level: float, n: int) -> Interval:
    if not 0.0 < level < 1.0:
        raise ValueError(f"a confidence level is between 0 and 1, got {level}")
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return Interval(point, float(low), float(high), n)

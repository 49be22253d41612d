"""The tests a comparison relies on: a percentile bootstrap interval of a mean, the Wilcoxon signed-rank test of paired
differences (``scipy.stats.wilcoxon``) and Holm's correction across several of them."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 10_000


def bootstrap_mean_ci(
    values: np.ndarray, resamples: int = BOOTSTRAP_RESAMPLES, confidence: float = CONFIDENCE, seed: int = 0
) -> list[float]:
    """Percentile bootstrap interval of the mean of ``values`` ``(n,)``: ``resamples`` draws of n with replacement."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) == 0:
        raise ValueError("no values to bootstrap")
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for start in range(0, resamples, 1000):  # bounds memory at 1000 * n draws
        count = min(1000, resamples - start)
        means[start : start + count] = values[rng.integers(0, len(values), (count, len(values)))].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return [float(low), float(high)]


def wilcoxon_p_value(differences: np.ndarray) -> float:
    """Two-sided Wilcoxon signed-rank p-value of paired differences; 1.0 when every difference is zero."""
    differences = np.asarray(differences, dtype=np.float64)
    if not np.any(differences != 0):
        return 1.0
    return float(stats.wilcoxon(differences).pvalue)


def holm(p_values: Mapping[str, float]) -> dict[str, float]:
    """Holm's step-down adjustment of several p-values (family-wise error), each capped at 1 and kept monotone."""
    order = sorted(p_values, key=lambda name: p_values[name])
    m, running, adjusted = len(order), 0.0, {}
    for rank, name in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[name]))
        adjusted[name] = running
    return adjusted

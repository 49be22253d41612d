"""How a sampler behaves for one node over many draws: frequency of each neighbor, stability of top-T sets.

A single sample shows what the model saw once; training sees a fresh sample every epoch. Resampling
answers the questions an engineer actually has: does the fanout sampler draw every neighbor equally
often (GraphSAGE, Hamilton et al., NeurIPS 2017, samples uniformly), and how many walks does PinSage's
importance sampler (Ying et al., KDD 2018) need before its top-T neighborhood stops changing?
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from engine.sampling import FanoutSampler, RandomWalkSampler


@dataclass
class NeighborFrequency:
    """How often each node was drawn for a seed over ``resamples`` draws.

    Args:
        nodes (np.ndarray): Global ids drawn at least once, most drawn first, ``(K,)``.
        draws (np.ndarray): Draws in which each node appeared, ``(K,)`` int64.
        expected (np.ndarray): Draws expected under the sampler's ideal (uniform for fanout), ``(K,)``
            float64; ``nan`` where no closed form applies (random walks).
        resamples (int): Number of draws.
        never_drawn (int): Neighbors of the seed that no draw picked.
        probability (float): Chance that one draw picks a given neighbor under the sampler's ideal (uniform for
            fanout, the same for every neighbor); ``nan`` for random walks. (default: ``nan``)
        uniformity_pvalue (float): p-value of the chi-square test that every neighbor is drawn equally often
            (:func:`uniformity_pvalue`); ``nan`` where it does not apply: random walks, or a fanout that takes
            every neighbor every time. (default: ``nan``)
    """

    nodes: np.ndarray
    draws: np.ndarray
    expected: np.ndarray
    resamples: int
    never_drawn: int
    probability: float = float("nan")
    uniformity_pvalue: float = float("nan")

    def all_draws(self) -> np.ndarray:
        """Draws of every neighbor, the never-drawn ones as zeros, ``(K + never_drawn,)`` int64."""
        return np.concatenate([self.draws, np.zeros(self.never_drawn, dtype=np.int64)])


def uniformity_pvalue(picks: np.ndarray, fanout: int, replace: bool) -> float:
    """Chi-square p-value that a fanout sampler picks each of a node's neighbors equally often.

    ``picks`` counts, for every neighbor (never-picked ones as zeros), how many times the resamples picked it.
    With replacement each resample makes ``fanout`` independent uniform picks, so ``picks`` is multinomial and
    Pearson's statistic (:func:`scipy.stats.chisquare`) is chi-square with ``d - 1`` degrees of freedom. Without
    replacement each resample picks a uniform ``fanout``-subset: a neighbor's count then varies less than under a
    multinomial, by the factor ``(d - fanout) / (d - 1)``, so the statistic is divided by it before it is read
    against the same distribution. ``nan`` when every neighbor is taken every time (nothing to test).

    Args:
        picks (np.ndarray): Picks per neighbor over all resamples, ``(d,)``.
        fanout (int): Picks per resample (``-1``: every neighbor).
        replace (bool): Whether the sampler draws with replacement.
    """
    degree = len(picks)
    if degree < 2 or picks.sum() == 0 or (not replace and (fanout == -1 or fanout >= degree)):
        return float("nan")
    statistic = stats.chisquare(picks).statistic
    if not replace:
        statistic *= (degree - 1) / (degree - fanout)
    return float(stats.chi2.sf(statistic, degree - 1))


def fanout_frequency(sampler: FanoutSampler, node: int, resamples: int = 100, seed: int = 0) -> NeighborFrequency:
    """Resample ``node`` and count how often each first-hop neighbor is drawn, with a uniformity test.

    Without replacement each of ``d`` neighbors is expected in ``min(1, fanout / d)`` of the draws;
    with replacement a neighbor appears (at least once) with probability ``1 - (1 - 1/d) ** fanout``.
    The draws come from ``sampler.sample`` itself, so the test judges the very sampler it is given.

    Args:
        sampler (FanoutSampler): The sampler (only its first hop is counted).
        node (int): Global id of the seed.
        resamples (int): Number of independent draws. (default: ``100``)
        seed (int): First random seed; draw ``r`` uses ``seed + r``. (default: ``0``)
    """
    if resamples < 1:
        raise ValueError(f"'resamples' must be at least 1 (got {resamples})")
    neighbors = sampler.graph.csr.neighbors(node)  # sorted ids
    degree, fanout = len(neighbors), sampler.fanouts[0]
    counts: dict[int, int] = {}
    picks = np.zeros(degree, dtype=np.int64)  # (d,) every pick, repeats included
    for draw in range(resamples):
        sample = sampler.sample(np.array([node]), seed=seed + draw)
        first_hop = sample.edge_src[sample.edge_hop == 1]
        np.add.at(picks, np.searchsorted(neighbors, first_hop), 1)
        for neighbor in np.unique(first_hop).tolist():
            counts[neighbor] = counts.get(neighbor, 0) + 1
    nodes, draws = _sorted(counts)
    if degree == 0:
        probability = 0.0
    elif fanout == -1:
        probability = 1.0
    elif sampler.replace:
        probability = 1 - (1 - 1 / degree) ** fanout
    else:
        probability = min(1.0, fanout / degree)
    expected = np.full(len(nodes), probability * resamples)
    pvalue = uniformity_pvalue(picks, fanout, sampler.replace)
    return NeighborFrequency(nodes, draws, expected, resamples, degree - len(nodes), probability, pvalue)


def walk_frequency(sampler: RandomWalkSampler, node: int, resamples: int = 100, seed: int = 0) -> NeighborFrequency:
    """Resample ``node``'s walks and count how often each node enters its top-T set.

    Args:
        sampler (RandomWalkSampler): The sampler with the walk settings to study.
        node (int): Global id of the seed.
        resamples (int): Number of independent draws. (default: ``100``)
        seed (int): First random seed; draw ``r`` uses ``seed + r``. (default: ``0``)
    """
    if resamples < 1:
        raise ValueError(f"'resamples' must be at least 1 (got {resamples})")
    # Walks are keyed by (seed, node), so repeating the node in one batch would repeat the walks: loop over seeds.
    counts: dict[int, int] = {}
    for draw in range(resamples):
        top = sampler.sample(np.array([node]), seed=seed + draw).neighbors[0]
        for neighbor in top[top >= 0].tolist():
            counts[neighbor] = counts.get(neighbor, 0) + 1
    nodes, draws = _sorted(counts)
    return NeighborFrequency(nodes, draws, np.full(len(nodes), np.nan), resamples, 0)


@dataclass
class TopTStability:
    """Agreement of repeated top-T sets as the number of walks grows.

    Args:
        num_walks (list[int]): Walk budgets tried.
        mean_jaccard (list[float]): Mean Jaccard similarity between the top-T sets of independent draws.
        resamples (int): Draws per budget.
    """

    num_walks: list[int]
    mean_jaccard: list[float]
    resamples: int


def top_t_stability(
    sampler: RandomWalkSampler,
    node: int,
    num_walks: Sequence[int] = (25, 50, 100, 200, 400, 800),
    *,
    resamples: int = 10,
    seed: int = 0,
) -> TopTStability:
    """Mean pairwise Jaccard similarity of top-T sets drawn with each walk budget and ``sampler``'s other settings.

    Args:
        sampler (RandomWalkSampler): Its graph, walk length, restart probability and top-T are kept; only the
            number of walks changes.
        node (int): Global id of the seed.
        num_walks (Sequence[int]): Walk budgets. (default: ``(25, 50, 100, 200, 400, 800)``)
        resamples (int): Independent draws per budget, at least 2. (default: ``10``)
        seed (int): First random seed. (default: ``0``)
    """
    if resamples < 2:
        raise ValueError(f"'resamples' must be at least 2 to compare draws (got {resamples})")
    means = []
    for walks in num_walks:
        budget = RandomWalkSampler(sampler.graph, walks, sampler.walk_length, sampler.restart_prob, sampler.top_t)
        sets = []
        for draw in range(resamples):
            top = budget.sample(np.array([node]), seed=seed + draw).neighbors[0]
            sets.append(set(top[top >= 0].tolist()))
        pairs = [_jaccard(a, b) for i, a in enumerate(sets) for b in sets[i + 1 :]]
        means.append(float(np.mean(pairs)))
    return TopTStability(list(num_walks), means, resamples)


def _jaccard(a: set[int], b: set[int]) -> float:
    return len(a & b) / len(a | b) if a | b else 1.0


# Budgets the Neighborhood page studies: the sampler's range up to 32x its default, so a budget reaching a stable
# top-T can be named for most nodes.
STABILITY_BUDGETS = (25, 50, 100, 200, 400, 800, 1600, 3200, 6400)
STABLE_JACCARD = 0.8  # mean Jaccard of two draws' top-T sets from which a neighborhood is called stable
NOISY_JACCARD = 0.5  # below this most of a top-T set changes from one draw to the next


def walks_to_reach(stability: TopTStability, target: float = STABLE_JACCARD) -> int | None:
    """The smallest walk budget whose top-T sets agree at least ``target`` (mean Jaccard), or ``None``."""
    return next((w for w, j in zip(stability.num_walks, stability.mean_jaccard, strict=True) if j >= target), None)


@dataclass
class TopTOverlap:
    """How two top-T sets of one node agree, e.g. the one a model stores and a fresh draw.

    Args:
        shared (int): Nodes in both. only_first (int): In the first only. only_second (int): In the second only.
        jaccard (float): ``shared / |union|`` (1 for two empty sets).
    """

    shared: int
    only_first: int
    only_second: int
    jaccard: float


def top_t_overlap(first: Sequence[int], second: Sequence[int]) -> TopTOverlap:
    """Compare two top-T sets (global ids; ``-1`` padding is ignored)."""
    a = {int(n) for n in first if n >= 0}
    b = {int(n) for n in second if n >= 0}
    return TopTOverlap(len(a & b), len(a - b), len(b - a), _jaccard(a, b))


def _sorted(counts: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    nodes = np.array(list(counts), dtype=np.int64)
    draws = np.array(list(counts.values()), dtype=np.int64)
    order = np.lexsort((nodes, -draws))
    return nodes[order], draws[order]

"""Resampling statistics: fanout draws are uniform, top-T sets stabilise as walks grow."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dashboard.plots.neighborhood_figures import draw_histogram
from engine import InteractionGraph
from engine.analysis import fanout_frequency, top_t_stability, walk_frequency
from engine.sampling import FanoutSample, FanoutSampler, RandomWalkSampler


@pytest.fixture(scope="module")
def star_graph() -> InteractionGraph:
    """Item 0 seen by 40 users; users 0-9 also share items 1-3 (a community), the rest one random item each."""
    rng = np.random.default_rng(0)
    rows = [(u, 0) for u in range(40)]
    rows += [(u, i) for u in range(10) for i in (1, 2, 3)]
    rows += [(u, int(rng.integers(4, 30))) for u in range(10, 40)]
    return InteractionGraph.from_frame(pd.DataFrame(rows, columns=["user", "item"]))


@pytest.mark.parametrize("replace", [False, True])
def test_fanout_draws_are_uniform_over_neighbors(star_graph, replace):
    hub = star_graph.num_users  # item 0
    result = fanout_frequency(FanoutSampler(star_graph, [5], replace=replace), hub, resamples=400, seed=3)
    assert result.never_drawn == 0
    assert len(result.nodes) == 40
    assert set(result.nodes.tolist()) == set(range(40))
    expected = 400 * (1 - (1 - 1 / 40) ** 5 if replace else 5 / 40)
    np.testing.assert_allclose(result.expected, expected)
    # Chi-square against the uniform expectation: a biased sampler fails this at p < 0.001.
    assert stats.chisquare(result.draws, np.full(40, result.draws.sum() / 40)).pvalue > 0.001


class FirstNeighborsHalfTheTime(FanoutSampler):
    """A buggy fanout sampler: every other draw takes the first neighbors in CSR order instead of a uniform pick."""

    def sample(self, seeds: np.ndarray, seed: int = 0, exclude_edges: np.ndarray | None = None) -> FanoutSample:
        sample = super().sample(seeds, seed, exclude_edges)
        if seed % 2:
            first = sample.edge_hop == 1
            sample.edge_src[first] = self.graph.csr.neighbors(int(seeds[0]))[: int(first.sum())]
        return sample


@pytest.mark.parametrize("replace", [False, True])
@pytest.mark.parametrize("fanout", [3, 10])
def test_the_hop_1_charts_uniformity_test_passes_a_uniform_sampler_and_rejects_a_biased_one(
    star_graph, fanout, replace
):
    hub = star_graph.num_users  # item 0, 40 neighbors
    fair = fanout_frequency(FanoutSampler(star_graph, [fanout, 2], replace=replace), hub, resamples=100, seed=5)
    biased = fanout_frequency(FirstNeighborsHalfTheTime(star_graph, [fanout, 2], replace), hub, resamples=100, seed=5)
    assert fair.uniformity_pvalue > 0.05, fair.uniformity_pvalue
    assert biased.uniformity_pvalue < 0.001, biased.uniformity_pvalue
    # The chart shows every neighbor, never-drawn ones included, and the test's verdict.
    for result, verdict in ((fair, "consistent with uniform sampling"), (biased, "this sampler is not uniform")):
        figure = draw_histogram(result, "Hop-1 draws over 100 resamples")
        assert sum(figure.data[0].y) == 40
        subtitle = figure.layout.title.subtitle.text
        assert "all 40 neighbors" in subtitle and verdict in subtitle
    assert figure.data[1].name.startswith("uniform sampler: Binomial(100,")
    assert "1 neighbors" not in " ".join(figure.data[0].customdata) + figure.layout.title.subtitle.text


def test_the_uniformity_test_holds_its_level_over_many_seeds(star_graph):
    """Under a correct sampler p-values are about uniform: about 5% below 0.05, not far more."""
    sampler = FanoutSampler(star_graph, [5])
    pvalues = [
        fanout_frequency(sampler, star_graph.num_users, 60, seed=1000 * run).uniformity_pvalue for run in range(40)
    ]
    assert np.mean(np.array(pvalues) < 0.05) <= 0.15
    assert stats.kstest(pvalues, "uniform").pvalue > 0.001


def test_a_fanout_that_takes_every_neighbor_has_nothing_to_test(star_graph):
    result = fanout_frequency(FanoutSampler(star_graph, [-1]), star_graph.num_users + 1, resamples=5)
    assert np.isnan(result.uniformity_pvalue) and result.probability == 1.0
    assert "nothing to test" in draw_histogram(result, "Hop-1").layout.title.subtitle.text


def test_fanout_frequency_is_deterministic_and_counts_unseen(star_graph):
    sampler = FanoutSampler(star_graph, [2])
    first = fanout_frequency(sampler, star_graph.num_users, resamples=3, seed=9)
    again = fanout_frequency(sampler, star_graph.num_users, resamples=3, seed=9)
    np.testing.assert_array_equal(first.draws, again.draws)
    assert first.draws.sum() == 6
    assert first.never_drawn == 40 - len(first.nodes)


def test_walk_frequency_favours_the_community(star_graph):
    item1 = star_graph.num_users + 1
    result = walk_frequency(RandomWalkSampler(star_graph, num_walks=100, top_t=3), item1, resamples=30)
    assert np.isnan(result.expected).all()
    # Every community user holds items 0-3, so from item 1 the walks reach exactly items 0, 2 and 3.
    assert set(result.nodes.tolist()) == {star_graph.num_users + i for i in (0, 2, 3)}
    assert (result.draws == 30).all()


def test_top_t_sets_agree_more_with_more_walks(star_graph):
    sampler = RandomWalkSampler(star_graph, top_t=5)
    result = top_t_stability(sampler, star_graph.num_users, num_walks=(5, 2000), resamples=6)
    assert result.num_walks == [5, 2000]
    assert result.mean_jaccard[1] > result.mean_jaccard[0]
    assert 0 <= min(result.mean_jaccard) and max(result.mean_jaccard) <= 1


@pytest.mark.parametrize("resamples", [0, -3])
def test_bad_resample_counts_are_refused(star_graph, resamples):
    with pytest.raises(ValueError, match="'resamples' must be at least 1"):
        fanout_frequency(FanoutSampler(star_graph, [2]), 0, resamples=resamples)
    with pytest.raises(ValueError, match="'resamples' must be at least 2"):
        top_t_stability(RandomWalkSampler(star_graph), 0, resamples=1)


def test_walks_to_reach_names_the_first_budget_at_the_target_or_none():
    from engine.analysis import TopTStability, walks_to_reach

    stability = TopTStability([25, 100, 400, 1600], [0.1, 0.55, 0.81, 0.95], resamples=10)
    assert walks_to_reach(stability) == 400
    assert walks_to_reach(stability, target=0.5) == 100
    assert walks_to_reach(stability, target=0.99) is None


def test_top_t_overlap_counts_shared_and_own_ignoring_padding():
    from engine.analysis import top_t_overlap

    overlap = top_t_overlap([5, 6, 7, -1], [7, 8, 5, -1, -1])
    assert (overlap.shared, overlap.only_first, overlap.only_second) == (2, 1, 1)
    assert overlap.jaccard == pytest.approx(2 / 4)
    assert top_t_overlap([-1], []).jaccard == 1.0

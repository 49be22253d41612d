"""Uniform and hard negatives, and the personalised PageRank behind the hard ones."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chisquare, spearmanr

from engine.graph import InteractionGraph, NodeError
from engine.sampling import hard_negatives, personalized_pagerank, uniform_negatives
from engine.sampling import negatives as negatives_module


def random_graph(num_users: int = 30, num_items: int = 120, num_edges: int = 900, seed: int = 0) -> InteractionGraph:
    rng = np.random.default_rng(seed)
    pairs = np.unique(rng.integers(0, num_users, num_edges) * num_items + rng.integers(0, num_items, num_edges))
    user, item = pairs // num_items, pairs % num_items
    # User 0 has every item but the last; user 1 has none.
    user, item = user[(user > 1)], item[(user > 1)]
    user = np.concatenate([user, np.zeros(num_items - 1, dtype=np.int64)])
    item = np.concatenate([item, np.arange(num_items - 1)])
    return InteractionGraph(user, item, num_users, num_items)


def exact_pagerank(graph: InteractionGraph, origin: int, restart_prob: float) -> np.ndarray:
    n = graph.num_nodes
    step = np.zeros((n, n))
    for node in range(n):
        neighbors = graph.csr.neighbors(node)
        step[node, neighbors] = 1.0 / max(neighbors.size, 1)
    restart = np.zeros(n)
    restart[origin] = 1.0
    scores = restart.copy()
    for _ in range(300):
        scores = restart_prob * restart + (1 - restart_prob) * scores @ step
    return scores


def test_uniform_negatives_are_never_positives_of_their_user():
    graph = random_graph()
    users = np.repeat(np.arange(graph.num_users), 3)  # repeated rows draw independently
    drawn = uniform_negatives(graph, users, num_negatives=40, seed=1)
    assert drawn.shape == (users.size, 40) and drawn.dtype == np.int64
    positives = set(zip(graph.user.tolist(), graph.item.tolist(), strict=True))
    assert not any((int(u), int(i)) in positives for u, row in zip(users, drawn, strict=True) for i in row)
    assert (drawn[users == 0] == graph.num_items - 1).all()  # the only item user 0 lacks
    assert not np.array_equal(drawn[6], drawn[7])  # user 2 twice


def test_uniform_negatives_are_uniform_over_the_non_positives():
    graph = random_graph(seed=2)
    user = 5
    drawn = uniform_negatives(graph, np.array([user]), num_negatives=60_000, seed=3)[0]
    allowed = np.setdiff1d(np.arange(graph.num_items), graph.user_csr.neighbors(user))
    counts = np.bincount(drawn, minlength=graph.num_items)
    assert counts[np.setdiff1d(np.arange(graph.num_items), allowed)].sum() == 0
    assert chisquare(counts[allowed]).pvalue > 1e-3


def test_uniform_negatives_deterministic_per_seed():
    graph = random_graph()
    users = np.arange(2, 20)
    assert np.array_equal(uniform_negatives(graph, users, 5, seed=4), uniform_negatives(graph, users, 5, seed=4))
    assert not np.array_equal(uniform_negatives(graph, users, 5, seed=4), uniform_negatives(graph, users, 5, seed=5))


def test_uniform_negatives_refuse_bad_input():
    graph = random_graph()
    with pytest.raises(NodeError, match="'users' for 'uniform_negatives'.*outside"):
        uniform_negatives(graph, np.array([graph.num_users]), 3)
    with pytest.raises(ValueError, match="'num_negatives' must be a positive integer"):
        uniform_negatives(graph, np.array([2]), 0)
    saturated = InteractionGraph(np.array([0, 0, 1]), np.array([0, 1, 0]), 2, 2)
    with pytest.raises(ValueError, match="interacted with every item.*user:0"):
        uniform_negatives(saturated, np.array([1, 0]), 2)


def test_negative_cap_is_checked_before_allocating(monkeypatch):
    monkeypatch.setattr(negatives_module, "MAX_NEGATIVES", 100)
    with pytest.raises(ValueError, match="above the cap of 100"):
        uniform_negatives(random_graph(), np.arange(2, 30), 10)


@pytest.mark.parametrize("origin", [3, 30 + 7])
def test_forward_push_matches_exact_pagerank(origin):
    graph = random_graph(seed=3)
    exact = exact_pagerank(graph, origin, 0.3)
    pushed = personalized_pagerank(graph, np.array([origin]), restart_prob=0.3, tolerance=1e-9)[0]
    assert np.abs(pushed - exact).sum() < 1e-5
    coarse = personalized_pagerank(graph, np.array([origin]), restart_prob=0.3, tolerance=1e-4)[0]
    degree = graph.csr.degree()
    assert (np.abs(coarse - exact) <= 1e-4 * np.maximum(degree, 1) + 1e-12).all()
    assert coarse.sum() <= 1.0 + 1e-12
    assert spearmanr(coarse, exact).statistic > 0.9


@pytest.mark.parametrize("band", [(0.0, 0.05), (0.1, 0.3), (0.5, 0.55)])
@pytest.mark.parametrize("query_type", ["user", "item"])
def test_hard_negatives_fall_in_the_requested_rank_band(band, query_type):
    graph = random_graph(seed=4)
    queries = np.array([4, 9, 17]) if query_type == "user" else graph.num_users + np.array([2, 50, 99])
    drawn = hard_negatives(graph, queries, 30, band=band, seed=6, restart_prob=0.3, tolerance=1e-6)
    scores = personalized_pagerank(graph, queries, restart_prob=0.3, tolerance=1e-6)[:, graph.num_users :]
    first = int(np.floor(band[0] * graph.num_items))
    last = max(first + 1, int(np.ceil(band[1] * graph.num_items)))
    for query, row, item_scores in zip(queries, drawn, scores, strict=True):
        if query < graph.num_users:
            excluded = graph.user_csr.neighbors(query)
        else:
            excluded = np.array([query - graph.num_users])
        assert not np.isin(row, excluded).any()
        ranked = np.setdiff1d(np.arange(graph.num_items), excluded)
        ranked = ranked[np.argsort(-item_scores[ranked], kind="stable")]
        # Tie-aware: a drawn item's score lies between the scores at the band's two ends.
        high, low = item_scores[ranked[first]], item_scores[ranked[min(last, ranked.size) - 1]]
        assert ((item_scores[row] <= high) & (item_scores[row] >= low)).all()


def test_hard_negatives_for_a_user_without_interactions_are_any_item():
    graph = random_graph()
    drawn = hard_negatives(graph, np.array([1]), 200, band=(0.2, 0.6), seed=0)
    assert drawn.min() >= 0 and drawn.max() < graph.num_items
    assert np.unique(drawn).size > 40  # unscored items tie, so they are drawn uniformly


@pytest.mark.parametrize("band", [(0.5, 0.2), (-0.1, 0.2), (0.0, 1.5), (0.1,), "x", None])
def test_hard_negatives_refuse_bad_bands(band):
    with pytest.raises(ValueError, match="'band' must"):
        hard_negatives(random_graph(), np.array([3]), 2, band=band)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"restart_prob": 0.0}, "'restart_prob' must be a number in \\(0, 1\\]"),
        ({"tolerance": 2.0}, "'tolerance' must be a number in \\(0, 1\\]"),
        ({"num_negatives": -1}, "'num_negatives' must be a positive integer"),
    ],
)
def test_hard_negatives_refuse_bad_parameters(kwargs, message):
    arguments = {"num_negatives": 2} | kwargs
    with pytest.raises(ValueError, match=message):
        hard_negatives(random_graph(), np.array([3]), **arguments)


def test_pagerank_refuses_out_of_range_queries_and_huge_dense_output(monkeypatch):
    graph = random_graph()
    with pytest.raises(NodeError, match="'queries'"):
        personalized_pagerank(graph, np.array([graph.num_nodes]))
    monkeypatch.setattr("engine.sampling.pagerank.MAX_DENSE_ENTRIES", 10)
    with pytest.raises(ValueError, match="above the cap of 10"):
        personalized_pagerank(graph, np.array([0]))


def test_hard_negative_bands_are_cached_without_changing_results(monkeypatch):
    graph = random_graph(seed=7)
    queries = np.array([3, 8, graph.num_users + 5, 3])
    first = hard_negatives(graph, queries, 12, seed=1)
    assert np.array_equal(hard_negatives(graph, queries, 12, seed=1), first)
    assert not np.array_equal(hard_negatives(graph, queries, 12, seed=2), first)
    negatives_module._BANDS.clear()
    monkeypatch.setattr(negatives_module, "MAX_CACHED_BAND_ENTRIES", 5)  # every call overflows and refills
    assert np.array_equal(hard_negatives(graph, queries, 12, seed=1), first)

"""RandomWalkSampler: PageRank convergence, weights, traces, restarts, determinism, caps."""

from __future__ import annotations

import numba
import numpy as np
import pytest
from scipy.stats import spearmanr

from engine.graph import InteractionGraph, NodeError
from engine.sampling import RandomWalkSampler
from engine.sampling import random_walk as random_walk_module


def random_graph(num_users: int = 25, num_items: int = 30, num_edges: int = 160, seed: int = 0) -> InteractionGraph:
    rng = np.random.default_rng(seed)
    pairs = np.unique(rng.integers(0, num_users, num_edges) * num_items + rng.integers(0, num_items, num_edges))
    return InteractionGraph(pairs // num_items, pairs % num_items, num_users, num_items)


def two_hop_pagerank(graph: InteractionGraph, origin: int, restart_prob: float) -> np.ndarray:
    """Exact PPR over the two-hop chain by power iteration: x = r e + (1 - r) x P^2."""
    n = graph.num_nodes
    adjacency = np.zeros((n, n))
    for node in range(n):
        adjacency[node, graph.csr.neighbors(node)] = 1.0
    step = adjacency / np.maximum(adjacency.sum(axis=1, keepdims=True), 1.0)
    two_hop = step @ step
    restart = np.zeros(n)
    restart[origin] = 1.0
    scores = restart.copy()
    for _ in range(500):
        scores = restart_prob * restart + (1 - restart_prob) * scores @ two_hop
    return scores


@pytest.mark.parametrize("origin_type", ["item", "user"])
def test_visit_counts_converge_to_two_hop_personalised_pagerank(origin_type):
    graph = random_graph()
    origin = graph.num_users + 4 if origin_type == "item" else 3
    restart_prob = 0.3
    # A long walk makes truncation negligible ((0.7)^60), so visits are proportional to PPR off the seed.
    sampler = RandomWalkSampler(
        graph, num_walks=40_000, walk_length=60, restart_prob=restart_prob, top_t=graph.num_nodes
    )
    result = sampler.sample(np.array([origin]), seed=5)
    valid = result.neighbors[0] >= 0
    estimate = np.zeros(graph.num_nodes)
    estimate[result.neighbors[0, valid]] = result.weights[0, valid]
    exact = two_hop_pagerank(graph, origin, restart_prob)
    exact[origin] = 0.0
    exact /= exact.sum()
    assert np.abs(estimate - exact).sum() < 0.03
    reached = exact > 0
    assert spearmanr(estimate[reached], exact[reached]).statistic > 0.95
    same_type = (np.arange(graph.num_nodes) >= graph.num_users) == (origin >= graph.num_users)
    assert np.array_equal(reached, same_type & (exact > 0))


def test_neighbors_are_same_type_never_the_seed_and_ranked_by_visits():
    graph = random_graph(seed=1)
    seeds = np.array([0, 7, graph.num_users, graph.num_users + 11])
    result = RandomWalkSampler(graph, num_walks=100, top_t=8).sample(seeds, seed=2)
    assert result.neighbors.shape == result.visit_counts.shape == result.weights.shape == (4, 8)
    for row, seed_node in enumerate(seeds):
        valid = result.neighbors[row] >= 0
        found = result.neighbors[row, valid]
        assert seed_node not in found
        assert ((found >= graph.num_users) == (seed_node >= graph.num_users)).all()
        assert np.all(np.diff(result.visit_counts[row, valid]) <= 0)
        assert np.isclose(result.weights[row, valid].sum(), 1.0, atol=1e-6)
        assert (result.visit_counts[row, ~valid] == 0).all() and (result.weights[row, ~valid] == 0).all()


def test_visit_counts_are_the_counts_in_the_traces():
    graph = random_graph(seed=2)
    seeds = np.array([graph.num_users + 1, 5])
    sampler = RandomWalkSampler(graph, num_walks=50, walk_length=3, restart_prob=0.4, top_t=graph.num_nodes)
    result = sampler.sample(seeds, seed=3, return_traces=True)
    assert result.traces.shape == (2, 50, 7)
    for row, seed_node in enumerate(seeds):
        traces = result.traces[row]
        assert (traces[:, 0] == seed_node).all()
        landed = traces[:, 2::2]
        landed = landed[(landed >= 0) & (landed != seed_node)]
        nodes, counts = np.unique(landed, return_counts=True)
        valid = result.neighbors[row] >= 0
        assert dict(zip(nodes.tolist(), counts.tolist(), strict=True)) == dict(
            zip(result.neighbors[row, valid].tolist(), result.visit_counts[row, valid].tolist(), strict=True)
        )
        for walk in traces:
            steps = walk[walk >= 0]
            assert (walk[steps.size :] == -1).all()  # padding only after the walk ends
            for a, b in zip(steps[:-1], steps[1:], strict=True):
                assert b in graph.csr.neighbors(a)


def test_restart_prob_one_takes_exactly_one_two_hop_step_per_walk():
    graph = random_graph(seed=3)
    origin = graph.num_users + 2
    result = RandomWalkSampler(graph, num_walks=300, restart_prob=1.0, top_t=50).sample(
        np.array([origin]), return_traces=True
    )
    assert (result.traces[0, :, 1:3] >= 0).all() and (result.traces[0, :, 3:] == -1).all()
    two_hop = np.unique(np.concatenate([graph.csr.neighbors(u) for u in graph.csr.neighbors(origin)]))
    found = result.neighbors[0][result.neighbors[0] >= 0]
    assert np.isin(found, two_hop).all()
    returns = int((result.traces[0, :, 2] == origin).sum())
    assert result.visit_counts[0].sum() == 300 - returns


def test_restart_prob_zero_walks_full_length():
    graph = random_graph(seed=4)
    result = RandomWalkSampler(graph, num_walks=20, walk_length=5, restart_prob=0.0).sample(
        np.array([0]), return_traces=True
    )
    assert (result.traces >= 0).all()


def test_isolated_seed_has_no_neighbors():
    graph = InteractionGraph(np.array([0, 0]), np.array([0, 1]), 2, 3)  # user 1 and item 2 isolated
    result = RandomWalkSampler(graph, top_t=3).sample(np.array([1, 4]), return_traces=True)
    assert (result.neighbors == -1).all() and (result.visit_counts == 0).all() and (result.weights == 0).all()
    assert (result.traces[:, :, 0] == np.array([[1], [4]])).all() and (result.traces[:, :, 1:] == -1).all()


def test_deterministic_per_seed_independent_of_batch_and_threads():
    graph = random_graph(seed=5)
    sampler = RandomWalkSampler(graph, num_walks=64, top_t=6)
    batch = np.arange(graph.num_users, graph.num_nodes)
    first = sampler.sample(batch, seed=9)
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        single_thread = sampler.sample(batch, seed=9)
    finally:
        numba.set_num_threads(previous)
    assert np.array_equal(first.neighbors, single_thread.neighbors)
    assert np.array_equal(first.visit_counts, single_thread.visit_counts)
    alone = sampler.sample(batch[7:8], seed=9)
    assert np.array_equal(alone.neighbors[0], first.neighbors[7])
    assert not np.array_equal(first.visit_counts, sampler.sample(batch, seed=10).visit_counts)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_walks": 0}, "'num_walks' must be a positive integer"),
        ({"num_walks": -5}, "'num_walks' must be a positive integer"),
        ({"walk_length": 0}, "'walk_length' must be a positive integer"),
        ({"top_t": 0}, "'top_t' must be a positive integer"),
        ({"top_t": 2.5}, "'top_t' must be a positive integer"),
        ({"restart_prob": -0.1}, r"'restart_prob' must be a number in \[0, 1\]"),
        ({"restart_prob": 1.5}, r"'restart_prob' must be a number in \[0, 1\]"),
        ({"restart_prob": "0.5"}, r"'restart_prob' must be a number in \[0, 1\]"),
        ({"num_walks": 10**6, "walk_length": 100}, "num_walks \\* walk_length must be at most"),
    ],
)
def test_bad_parameters_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message + ".*'RandomWalkSampler'"):
        RandomWalkSampler(random_graph(), **kwargs)


def test_out_of_range_seeds_are_refused():
    sampler = RandomWalkSampler(random_graph())
    with pytest.raises(NodeError, match="outside"):
        sampler.sample(np.array([-3]))
    with pytest.raises(NodeError, match="outside"):
        sampler.sample(np.array([10_000]))


def test_step_and_trace_caps_refuse_before_walking(monkeypatch):
    sampler = RandomWalkSampler(random_graph(), num_walks=100, walk_length=4)
    monkeypatch.setattr(random_walk_module, "MAX_TRACE_ENTRIES", 1000)
    with pytest.raises(ValueError, match="traces of shape"):
        sampler.sample(np.arange(5), return_traces=True)
    monkeypatch.setattr(random_walk_module, "MAX_TOTAL_STEPS", 1000)
    with pytest.raises(ValueError, match="above the cap of 1000"):
        sampler.sample(np.arange(5))

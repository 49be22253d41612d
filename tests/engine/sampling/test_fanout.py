"""FanoutSampler: full neighborhoods, no repeats, uniform draws, determinism, CSR-consistent hops and blocks."""

from __future__ import annotations

import numba
import numpy as np
import pytest
import torch
from scipy.stats import chisquare
from torch_geometric.nn import SAGEConv

from engine.graph import InteractionGraph, NodeError
from engine.sampling import FanoutSampler
from engine.sampling import fanout as fanout_module


def random_graph(num_users: int = 40, num_items: int = 60, num_edges: int = 600, seed: int = 0) -> InteractionGraph:
    rng = np.random.default_rng(seed)
    pairs = np.unique(rng.integers(0, num_users, num_edges) * num_items + rng.integers(0, num_items, num_edges))
    return InteractionGraph(pairs // num_items, pairs % num_items, num_users, num_items)


def star(num_items: int) -> InteractionGraph:
    """User 0 connected to every item; user 1 isolated."""
    return InteractionGraph(np.zeros(num_items, dtype=int), np.arange(num_items), 2, num_items)


def neighbors(graph: InteractionGraph, node: int) -> np.ndarray:
    return graph.csr.neighbors(node)


def edges_of(sample, hop: int, dst: int) -> np.ndarray:
    return sample.edge_src[(sample.edge_hop == hop) & (sample.edge_dst == dst)]


@pytest.mark.parametrize("replace", [False, True])
def test_all_neighbors_fanout_returns_every_edge_of_every_expanded_node(replace):
    graph = random_graph()
    seeds = np.array([0, 5, graph.num_users + 3])
    sample = FanoutSampler(graph, [-1, -1], replace=replace).sample(seeds, seed=1)
    for hop in (1, 2):
        for node in sample.nodes[sample.node_hop == hop - 1]:
            assert np.array_equal(np.sort(edges_of(sample, hop, node)), neighbors(graph, node))


def test_fanout_at_least_degree_without_replacement_returns_the_whole_neighborhood():
    graph = random_graph()
    max_degree = int(graph.csr.degree().max())
    sample = FanoutSampler(graph, [max_degree, max_degree + 7]).sample(np.arange(10), seed=3)
    full = FanoutSampler(graph, [-1, -1]).sample(np.arange(10), seed=9)
    assert np.array_equal(sample.nodes, full.nodes)
    assert sample.hop_counts == full.hop_counts == full.hop_degrees


@pytest.mark.parametrize("fanout", [1, 3, 7, 80])
def test_without_replacement_never_repeats_and_takes_min_of_fanout_and_degree(fanout):
    graph = random_graph(num_users=30, num_items=200, num_edges=4000, seed=2)
    sample = FanoutSampler(graph, [fanout, fanout]).sample(np.arange(30), seed=4)
    for hop in (1, 2):
        for node in sample.nodes[sample.node_hop == hop - 1]:
            drawn = edges_of(sample, hop, node)
            assert drawn.size == min(fanout, neighbors(graph, node).size)
            assert np.unique(drawn).size == drawn.size
            assert np.isin(drawn, neighbors(graph, node)).all()


def test_with_replacement_draws_uniformly_on_a_star():
    graph = star(12)
    sample = FanoutSampler(graph, [24_000], replace=True).sample(np.array([0]), seed=7)
    counts = np.bincount(sample.edge_src - graph.num_users, minlength=12)
    assert counts.sum() == 24_000
    assert chisquare(counts).pvalue > 1e-3


@pytest.mark.parametrize("num_items, fanout", [(12, 4), (150, 90)])  # Floyd's algorithm, then Fisher-Yates
def test_without_replacement_includes_every_neighbor_equally_often(num_items, fanout):
    graph = star(num_items)
    sampler = FanoutSampler(graph, [fanout])
    counts = np.zeros(num_items)
    runs = 3000
    for run in range(runs):
        counts[sampler.sample(np.array([0]), seed=run).edge_src - graph.num_users] += 1
    expected = runs * fanout / num_items
    sigma = np.sqrt(runs * (fanout / num_items) * (1 - fanout / num_items))
    assert np.abs(counts - expected).max() < 5 * sigma


def test_same_seed_same_sample_other_seed_other_sample_any_thread_count():
    graph = random_graph()
    sampler = FanoutSampler(graph, [3, 2])
    seeds = np.arange(0, 40, 3)
    first = sampler.sample(seeds, seed=11)
    previous = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        single_thread = sampler.sample(seeds, seed=11)
    finally:
        numba.set_num_threads(previous)
    for name in ("nodes", "node_hop", "edge_src", "edge_dst", "edge_hop"):
        assert np.array_equal(getattr(first, name), getattr(single_thread, name))
    assert not np.array_equal(first.edge_src, sampler.sample(seeds, seed=12).edge_src)


def test_nodes_edges_and_hops_are_consistent_with_the_csr():
    graph = random_graph(seed=5)
    seeds = np.array([3, 1, graph.num_users + 10, 7])
    sample = FanoutSampler(graph, [4, 3, 2]).sample(seeds, seed=2)
    assert np.array_equal(sample.nodes[: seeds.size], seeds)
    assert np.unique(sample.nodes).size == sample.nodes.size
    assert np.all(np.diff(sample.node_hop) >= 0) and np.all(np.diff(sample.edge_hop) >= 0)
    assert np.array_equal(sample.node_type, (sample.nodes >= graph.num_users).astype(np.int8))
    hop_of = dict(zip(sample.nodes.tolist(), sample.node_hop.tolist(), strict=True))
    for src, dst, hop in zip(sample.edge_src, sample.edge_dst, sample.edge_hop, strict=True):
        assert src in neighbors(graph, dst)
        assert hop_of[dst] == hop - 1 and hop_of[src] <= hop
    for node, hop in hop_of.items():
        if hop > 0:
            assert sample.edge_hop[sample.edge_src == node].min() == hop
    degree = graph.csr.degree()
    for hop in (1, 2, 3):
        assert sample.hop_counts[hop - 1] == int((sample.edge_hop == hop).sum())
        assert sample.hop_degrees[hop - 1] == int(degree[sample.nodes[sample.node_hop == hop - 1]].sum())


def test_blocks_are_prefix_structured_and_feed_a_sage_stack():
    graph = random_graph(seed=6)
    seeds = np.array([2, graph.num_users + 4, 9])
    sample = FanoutSampler(graph, [5, 3]).sample(seeds, seed=0)
    assert len(sample.blocks) == 2
    assert np.array_equal(sample.blocks[-1].dst_nodes, seeds)
    for inner, outer in zip(sample.blocks[1:], sample.blocks[:-1], strict=True):
        assert np.array_equal(inner.src_nodes, outer.dst_nodes)
    for block in sample.blocks:
        assert block.edge_index.dtype == np.int64 and block.edge_index.shape[0] == 2
        assert np.array_equal(block.src_nodes[: block.num_dst], block.dst_nodes)
        src, dst = block.edge_index
        assert src.max() < block.src_nodes.size and dst.max() < block.num_dst
        m = src.size
        assert np.array_equal(block.src_nodes[src], sample.edge_src[:m])
        assert np.array_equal(block.src_nodes[dst], sample.edge_dst[:m])

    torch.manual_seed(0)
    layers = [SAGEConv(8, 8), SAGEConv(8, 4)]
    h = torch.randn(sample.blocks[0].src_nodes.size, 8)  # (S0, 8)
    for layer, block in zip(layers, sample.blocks, strict=True):
        h = layer((h, h[: block.num_dst]), torch.from_numpy(block.edge_index))  # (num_dst, d)
    assert h.shape == (seeds.size, 4)


def test_isolated_seed_gets_no_edges():
    graph = star(5)
    sample = FanoutSampler(graph, [3, 3]).sample(np.array([1]))
    assert sample.nodes.tolist() == [1] and sample.edge_src.size == 0
    assert sample.hop_counts == [0, 0] and sample.hop_degrees == [0, 0]
    assert all(block.edge_index.shape == (2, 0) for block in sample.blocks)


@pytest.mark.parametrize("fanouts", [[], [0], [5, -2], [2.5], ["3"], [True], "10,5"])
def test_bad_fanouts_are_refused_by_name(fanouts):
    with pytest.raises(ValueError, match="'fanouts' must be .* for 'FanoutSampler'"):
        FanoutSampler(random_graph(), fanouts)


@pytest.mark.parametrize("seeds", [[-1], [100], [0, 10_000], [[0, 1]]])
def test_out_of_range_or_malformed_seeds_are_refused(seeds):
    with pytest.raises((NodeError, ValueError), match="seeds"):
        FanoutSampler(random_graph(), [2]).sample(np.array(seeds))


def test_float_and_repeated_seeds_are_refused_with_advice():
    sampler = FanoutSampler(random_graph(), [2])
    with pytest.raises(ValueError, match="integer global node ids"):
        sampler.sample(np.array([0.5]))
    with pytest.raises(ValueError, match="distinct"):
        sampler.sample(np.array([3, 3]))


def test_sampled_edge_cap_is_checked_before_allocating(monkeypatch):
    monkeypatch.setattr(fanout_module, "MAX_SAMPLED_EDGES", 20)
    graph = random_graph()
    sampler = FanoutSampler(graph, [-1])
    with pytest.raises(ValueError, match="above the cap of 20"):
        sampler.sample(np.arange(10))
    assert (sampler._local_of() == -1).all()
    after_refusal = sampler.sample(np.array([0]))  # user 0 has 17 neighbors
    fresh = FanoutSampler(graph, [-1]).sample(np.array([0]))
    assert np.array_equal(after_refusal.nodes, fresh.nodes)
    assert np.array_equal(after_refusal.blocks[0].edge_index, fresh.blocks[0].edge_index)


def _sampled_pairs(sample, num_users: int) -> set[tuple[int, int]]:
    """Every sampled edge as an undirected (user, item) pair of internal ids."""
    users = np.where(sample.edge_src < num_users, sample.edge_src, sample.edge_dst)
    items = np.where(sample.edge_src < num_users, sample.edge_dst, sample.edge_src) - num_users
    return set(zip(users.tolist(), items.tolist(), strict=True))


@pytest.mark.parametrize("replace", [False, True])
@pytest.mark.parametrize("fanouts", [[-1, -1], [3, 2], [80, 80]])
def test_excluded_edges_never_appear_in_any_hop_in_either_direction(replace, fanouts):
    graph = random_graph()
    rng = np.random.default_rng(11)
    excluded = rng.choice(graph.num_edges, 120, replace=False)
    seeds = np.unique(np.concatenate([graph.user[excluded], graph.item[excluded] + graph.num_users]))
    sample = FanoutSampler(graph, fanouts, replace=replace).sample(seeds, seed=2, exclude_edges=excluded)
    banned = set(zip(graph.user[excluded].tolist(), graph.item[excluded].tolist(), strict=True))
    assert sample.edge_src.size > 0
    assert not _sampled_pairs(sample, graph.num_users) & banned


def test_excluding_edges_leaves_every_other_edge_of_an_all_neighbors_hop():
    graph = random_graph()
    excluded = np.arange(0, graph.num_edges, 7)
    sample = FanoutSampler(graph, [-1]).sample(np.arange(graph.num_nodes), seed=0, exclude_edges=excluded)
    kept = np.setdiff1d(np.arange(graph.num_edges), excluded)
    assert _sampled_pairs(sample, graph.num_users) == set(
        zip(graph.user[kept].tolist(), graph.item[kept].tolist(), strict=True)
    )
    assert sample.hop_counts == sample.hop_degrees == [2 * kept.size]


def test_no_exclusion_is_the_unexcluded_draw_and_exclusion_draws_the_rest_uniformly():
    graph = star(12)
    sampler = FanoutSampler(graph, [4])
    plain = sampler.sample(np.array([0]), seed=3)
    assert np.array_equal(
        sampler.sample(np.array([0]), seed=3, exclude_edges=np.array([], dtype=int)).edge_src, plain.edge_src
    )
    counts = np.zeros(12)
    runs = 3000
    for run in range(runs):
        counts[sampler.sample(np.array([0]), seed=run, exclude_edges=np.array([2, 5])).edge_src - graph.num_users] += 1
    assert counts[[2, 5]].sum() == 0
    rest = np.delete(counts, [2, 5])
    expected, share = runs * 4 / 10, 4 / 10
    assert np.abs(rest - expected).max() < 5 * np.sqrt(runs * share * (1 - share))


@pytest.mark.parametrize("excluded", [[-1], [10_000], [0.5]])
def test_bad_excluded_edge_ids_are_refused_with_the_range(excluded):
    graph = random_graph()
    with pytest.raises(ValueError, match="exclude_edges"):
        FanoutSampler(graph, [2]).sample(np.array([0]), exclude_edges=np.array(excluded))

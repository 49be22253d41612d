"""PinSage on mini-batches: history pools, the per-batch item computation graph, and its equivalence with the
full-graph step when nothing is left out."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.datasets import generate_synthetic
from engine.graph import InteractionGraph
from engine.loader import LinkBatchLoader, build_recommender
from engine.loader.neighborhoods import item_computation_graph, item_walks, make_sampler
from engine.models import MODELS, LinkBatch, RandomWalkSpec
from engine.models.inputs import ItemNeighborhood
from engine.models.sparse import csr_pair
from engine.sampling import derive_seed, history_pools

SPEC = RandomWalkSpec(num_walks=16, walk_length=2, restart_prob=0.5, top_t=4, layers=2, pool_size=3)


@pytest.fixture(scope="module")
def graph() -> InteractionGraph:
    return generate_synthetic(60, 80, 1_200, seed=3)


def _loader(graph: InteractionGraph, spec: RandomWalkSpec = SPEC, **changes) -> LinkBatchLoader:
    settings = {"batch_size": 32, "num_negatives": 3, "seed": 7, "sampling": spec}
    return LinkBatchLoader(graph, **{**settings, **changes})


@pytest.mark.parametrize("size", [1, 3, 1000])
def test_pools_are_distinct_training_items_of_the_user_without_the_positive(graph, size):
    users, positives = graph.user[::7], graph.item[::7]  # (B,) training edges
    pools = history_pools(graph, users, positives, size, seed=4)
    assert pools.shape == (len(users), size)
    for user, positive, row in zip(users, positives, pools, strict=True):
        items = row[row >= 0]
        history = set(graph.user_csr.neighbors(user).tolist())
        assert positive not in items and set(items.tolist()) <= history and len(set(items.tolist())) == len(items)
        assert len(items) == min(size, len(history) - 1)
        assert (row[len(items) :] == -1).all(), "padding only after the row's items"
    assert np.array_equal(pools, history_pools(graph, users, positives, size, seed=4))
    if size < 1000:
        assert not np.array_equal(pools, history_pools(graph, users, positives, size, seed=5))


def test_a_positive_outside_the_history_leaves_the_pool_whole():
    graph = InteractionGraph(np.zeros(3, dtype=np.int64), np.array([0, 2, 4]), 1, 6)
    pools = history_pools(graph, np.array([0, 0]), np.array([2, 5]), 10)
    assert sorted(pools[0][pools[0] >= 0].tolist()) == [0, 4]
    assert sorted(pools[1][pools[1] >= 0].tolist()) == [0, 2, 4]


def test_pools_draw_every_other_item_uniformly():
    degree, size, draws = 10, 3, 6000
    graph = InteractionGraph(np.zeros(degree, dtype=np.int64), np.arange(degree), 1, degree)
    counts = np.zeros(degree)
    for seed in range(draws // 100):
        pools = history_pools(graph, np.zeros(100, dtype=np.int64), np.full(100, 4), size, seed=seed)
        counts += np.bincount(pools.reshape(-1), minlength=degree)
    assert counts[4] == 0
    expected = draws * size / (degree - 1)
    chi2 = (((counts - expected) ** 2) / expected)[np.arange(degree) != 4].sum()
    assert chi2 < 26.1, counts  # 8 degrees of freedom, p = 0.001


def test_pool_arguments_are_checked(graph):
    with pytest.raises(ValueError, match=r"'size' must be a positive integer for 'history_pools' \(got 0\)"):
        history_pools(graph, graph.user[:2], graph.item[:2], 0)
    with pytest.raises(ValueError, match="must be 1-D of one length"):
        history_pools(graph, graph.user[:2], graph.item[:3], 2)


def test_computation_graph_holds_the_batch_and_each_layers_neighborhoods(graph):
    batch = _loader(graph).batch(2, 1)
    items = batch.items
    walks = item_walks(make_sampler(SPEC, graph), derive_seed(7, 2))
    nodes = items.items.numpy()
    num_targets = items.num_dst[-1]
    assert len(items.num_dst) == 2 and items.num_dst[0] >= num_targets and len(nodes) >= items.num_dst[0]
    assert len(np.unique(nodes)) == len(nodes), "every item computed once"
    assert torch.equal(items.items[items.positive_rows], batch.positives)
    assert torch.equal(items.items[items.negative_rows], batch.negatives)
    assert (items.positive_rows < num_targets).all() and (items.negative_rows < num_targets).all()
    pool = items.pool.to_dense()  # (B, targets)
    assert torch.equal(pool.sum(1), items.pool_size)
    for row, (user, positive) in enumerate(zip(batch.users.tolist(), batch.positives.tolist(), strict=True)):
        pooled = set(nodes[:num_targets][pool[row].numpy() > 0].tolist())
        assert positive not in pooled and pooled <= set(graph.user_csr.neighbors(user).tolist())
        assert len(pooled) == min(SPEC.pool_size, graph.user_degree()[user] - 1)
    inputs = [len(nodes), items.num_dst[0]]  # the first layer reads every item, the second the first's outputs
    for layer, weights in enumerate(items.weights):
        dense = weights.to_dense().numpy()  # (outputs, inputs)
        assert dense.shape == (items.num_dst[layer], inputs[layer])
        assert torch.equal(items.weights_t[layer].to_dense(), weights.to_dense().T)
        for out in range(dense.shape[0]):  # row = the output item's top-T neighbors and visit weights
            near, weight = walks[0][nodes[out]], walks[1][nodes[out]]
            expected = dict(zip(near[near >= 0].tolist(), weight[near >= 0].tolist(), strict=True))
            got = {int(nodes[col]): dense[out, col] for col in np.flatnonzero(dense[out])}
            assert got.keys() == expected.keys() and np.allclose([got[k] for k in expected], list(expected.values()))


def test_computation_graph_stays_local_on_a_large_catalogue():
    graph = generate_synthetic(400, 5_000, 20_000, seed=1)
    spec = RandomWalkSpec(num_walks=8, walk_length=2, restart_prob=0.5, top_t=3, layers=2, pool_size=2)
    batch = _loader(graph, spec, batch_size=4, num_negatives=2).batch(1, 0)
    targets = 4 + 4 * 2 + 4 * 2
    assert batch.items.num_dst[-1] <= targets
    assert len(batch.items.items) <= targets * (1 + 3) ** 2 < graph.num_items / 10
    assert batch.neighborhood is None, "no (I, I) matrix rides along with a computation graph"


def test_batches_with_computation_graphs_replay_and_prefetch_identically(graph):
    loader, again = _loader(graph, prefetch=2), _loader(graph, prefetch=0)
    with loader.epoch(3) as stream:
        batches = list(stream)
    for index, batch in enumerate(batches):
        other = again.batch(3, index)
        assert torch.equal(batch.items.items, other.items.items) and batch.items.num_dst == other.items.num_dst
        assert torch.equal(batch.items.pool.to_dense(), other.items.pool.to_dense())
        for first, second in zip(batch.items.weights, other.items.weights, strict=True):
            assert torch.equal(first.to_dense(), second.to_dense())
    assert not torch.equal(batches[0].items.items, _loader(graph, seed=8).batch(3, 0).items.items)


def _whole_neighborhood(walks: tuple[np.ndarray, np.ndarray], num_items: int) -> ItemNeighborhood:
    near, weight = walks
    rows, slots = np.nonzero(near >= 0)
    values = torch.from_numpy(weight[rows, slots])
    adj, adj_t = csr_pair(torch.from_numpy(rows), torch.from_numpy(near[rows, slots]), values, (num_items,) * 2)
    return ItemNeighborhood(adj, adj_t)


@pytest.mark.parametrize("layers", [1, 2])
def test_minibatch_loss_and_gradients_equal_the_full_graph_step_when_pools_hold_the_whole_history(graph, layers):
    cls = MODELS["pinsage"]
    params = cls.Params(num_layers=layers, top_t=4, num_walks=16, walk_length=2, pool_size=10_000)
    model = build_recommender(cls, graph, 16, params, seed=2)
    batch = _loader(graph, cls.sampling(params), num_hard_negatives=None).batch(1, 0)
    walks = item_walks(make_sampler(cls.sampling(params), graph), derive_seed(7, 1))
    full = LinkBatch(
        batch.epoch, batch.index, batch.edges, batch.users, batch.positives, batch.negatives,
        neighborhood=_whole_neighborhood(walks, graph.num_items),
    )  # fmt: skip
    losses, grads = [], []
    for step in (batch, full):
        model.zero_grad()
        loss = model.loss(step)
        loss.backward()
        losses.append(loss.item())
        grads.append(torch.cat([p.grad.to_dense().reshape(-1) for p in model.parameters() if p.grad is not None]))
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)
    assert torch.allclose(grads[0], grads[1], rtol=1e-4, atol=1e-6)


def test_sampling_request_follows_the_minibatch_switch():
    cls = MODELS["pinsage"]
    assert cls.sampling(cls.Params()).layers == cls.Params().num_layers
    assert cls.sampling(cls.Params(minibatch=False)).layers == 0
    assert cls.sampling(cls.Params(pool_size=5)).pool_size == 5


def test_computation_graph_of_zero_layers_is_the_targets_alone(graph):
    walks = item_walks(make_sampler(SPEC, graph), 1)
    items = item_computation_graph(walks, np.array([1, 2]), np.array([[3], [1]]), np.array([[4, -1], [-1, -1]]), 0)
    assert items.items.tolist() == [1, 2, 3, 4] and items.num_dst == () and items.pool_size.tolist() == [1.0, 0.0]

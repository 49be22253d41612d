"""LinkBatchLoader and Prefetcher: coverage, valid negatives, replay from (seed, epoch, batch), prefetch-invariance."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import torch

from engine.graph import InteractionGraph
from engine.loader import LinkBatchLoader, Prefetcher, item_neighborhood, make_sampler
from engine.loader.prefetch import THREAD_NAME
from engine.models import FanoutSpec, LinkBatch, RandomWalkSpec
from engine.sampling import derive_seed

SAMPLINGS = {
    "negatives only": None,
    "fanout": FanoutSpec((3, 2)),
    "random walk": RandomWalkSpec(num_walks=8, walk_length=2, restart_prob=0.5, top_t=4),
}


@pytest.fixture(scope="module")
def graph() -> InteractionGraph:
    rng = np.random.default_rng(0)
    num_users, num_items = 30, 40
    pairs = np.unique(rng.integers(0, num_users, 400) * num_items + rng.integers(0, num_items, 400))
    return InteractionGraph(pairs // num_items, pairs % num_items, num_users, num_items, name="random")


def curriculum(epoch: int) -> int:
    return epoch - 1  # hard negatives per positive: none in epoch 1, then one more each epoch


def loader(graph: InteractionGraph, sampling=None, **changes) -> LinkBatchLoader:
    settings = {"batch_size": 64, "num_negatives": 3, "seed": 5, "sampling": sampling, "num_hard_negatives": curriculum}
    return LinkBatchLoader(graph, **{**settings, **changes})


def epoch_batches(batch_loader: LinkBatchLoader, epoch: int, pause_s: float = 0.0) -> list[LinkBatch]:
    batches = []
    with batch_loader.epoch(epoch) as stream:
        for batch in stream:
            batches.append(batch)
            time.sleep(pause_s)
    return batches


def assert_same_batch(first: LinkBatch, second: LinkBatch) -> None:
    assert (first.epoch, first.index) == (second.epoch, second.index)
    for name in ("edges", "users", "positives", "negatives"):
        assert torch.equal(getattr(first, name), getattr(second, name)), name
    assert (first.blocks is None) == (second.blocks is None)
    if first.blocks is not None:
        assert torch.equal(first.blocks.nodes, second.blocks.nodes)
        assert first.blocks.num_dst == second.blocks.num_dst
        assert all(torch.equal(a, b) for a, b in zip(first.blocks.edge_index, second.blocks.edge_index, strict=True))
        assert torch.equal(first.blocks.seed_rows, second.blocks.seed_rows)
    assert (first.neighborhood is None) == (second.neighborhood is None)
    if first.neighborhood is not None:
        assert torch.equal(first.neighborhood.weights.to_dense(), second.neighborhood.weights.to_dense())


def prefetch_threads() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == THREAD_NAME]


@pytest.mark.parametrize("batch_size", [1, 64, 100, 10_000])
def test_an_epoch_visits_every_training_edge_once(graph, batch_size):
    batch_loader = loader(graph, batch_size=batch_size)
    batches = epoch_batches(batch_loader, 2)
    assert len(batches) == len(batch_loader) == -(-graph.num_edges // batch_size)
    assert [batch.index for batch in batches] == list(range(len(batches)))
    assert all(len(batch.edges) == batch_size for batch in batches[:-1]) and 0 < len(batches[-1].edges) <= batch_size
    edges = torch.cat([batch.edges for batch in batches]).numpy()
    assert sorted(edges.tolist()) == list(range(graph.num_edges))
    np.testing.assert_array_equal(edges, batch_loader.order(2))
    for batch in batches:
        np.testing.assert_array_equal(batch.users.numpy(), graph.user[batch.edges.numpy()])
        np.testing.assert_array_equal(batch.positives.numpy(), graph.item[batch.edges.numpy()])


@pytest.mark.parametrize("epoch", [1, 3])
def test_negatives_are_never_a_positive_of_their_user(graph, epoch):
    for batch in epoch_batches(loader(graph, batch_size=50), epoch):
        assert batch.negatives.shape == (len(batch.users), 3 + curriculum(epoch))
        for user, row in zip(batch.users.tolist(), batch.negatives.tolist(), strict=True):
            assert not set(row) & set(graph.user_csr.neighbors(user).tolist()), (user, row)
        assert ((batch.negatives >= 0) & (batch.negatives < graph.num_items)).all()


@pytest.mark.parametrize("kind", sorted(SAMPLINGS))
def test_a_batch_depends_only_on_seed_epoch_and_batch(graph, kind):
    first, second = loader(graph, SAMPLINGS[kind]), loader(graph, SAMPLINGS[kind])
    for epoch in (1, 2):
        batches = epoch_batches(first, epoch)
        for batch, again in zip(batches, epoch_batches(second, epoch), strict=True):
            assert_same_batch(batch, again)
        assert_same_batch(first.batch(epoch, 2), batches[2])  # a batch replays alone
    assert not torch.equal(first.batch(1, 0).edges, first.batch(2, 0).edges), "each epoch reshuffles"
    other = loader(graph, SAMPLINGS[kind], seed=6)
    assert not torch.equal(other.batch(1, 0).negatives, first.batch(1, 0).negatives), "the seed matters"


@pytest.mark.parametrize("kind", sorted(SAMPLINGS))
@pytest.mark.parametrize("prefetch", [1, 4])
def test_prefetching_yields_the_batches_sampling_in_the_step_yields(graph, kind, prefetch):
    synchronous = epoch_batches(loader(graph, SAMPLINGS[kind], prefetch=0), 3)
    fast = epoch_batches(loader(graph, SAMPLINGS[kind], prefetch=prefetch), 3)
    slow = epoch_batches(loader(graph, SAMPLINGS[kind], prefetch=prefetch), 3, pause_s=0.01)  # a full queue
    for batches in (fast, slow):
        for batch, expected in zip(batches, synchronous, strict=True):
            assert_same_batch(batch, expected)
    assert not prefetch_threads()


def test_fanout_blocks_hold_every_node_of_the_batch_and_only_training_edges(graph):
    batch = loader(graph, SAMPLINGS["fanout"], num_hard_negatives=None).batch(1, 0)
    flow = batch.blocks
    assert len(flow.num_dst) == len(flow.edge_index) == 2
    nodes = torch.cat([batch.users, batch.positives + graph.num_users, batch.negatives.reshape(-1) + graph.num_users])
    assert torch.equal(flow.nodes[: flow.num_dst[-1]][flow.seed_rows], nodes)
    assert flow.num_dst[-1] == len(torch.unique(nodes)), "the last layer outputs each node of the batch once"
    inputs = [len(flow.nodes), flow.num_dst[0]]  # layer 0 reads every sampled node, layer 1 layer 0's outputs
    for layer, edge_index in enumerate(flow.edge_index):
        src, dst = flow.nodes[edge_index[0]], flow.nodes[edge_index[1]]
        assert edge_index[0].max() < inputs[layer] and edge_index[1].max() < flow.num_dst[layer]
        for s, d in zip(src.tolist(), dst.tolist(), strict=True):
            assert s in graph.csr.neighbors(d)


def test_an_epochs_item_neighborhood_is_drawn_with_the_epoch_seed_and_shared(graph):
    spec = SAMPLINGS["random walk"]
    batches = epoch_batches(loader(graph, spec), 4)
    expected = item_neighborhood(make_sampler(spec, graph), derive_seed(5, 4))
    assert all(batch.neighborhood is batches[0].neighborhood for batch in batches)
    assert torch.equal(batches[0].neighborhood.weights.to_dense(), expected.weights.to_dense())
    assert torch.equal(batches[0].neighborhood.weights_t.to_dense(), expected.weights.to_dense().T)


def test_leaving_an_epoch_early_stops_the_sampling_thread(graph):
    with loader(graph, SAMPLINGS["fanout"], batch_size=8, prefetch=2).epoch(1) as stream:
        next(stream)
        time.sleep(0.05)  # the producer fills the queue and waits
    assert not prefetch_threads()
    assert next(stream, None) is None


def test_a_failing_step_stops_the_sampling_thread(graph):
    with pytest.raises(FloatingPointError):
        with loader(graph, batch_size=8).epoch(1) as stream:
            for batch in stream:
                if batch.index == 3:
                    raise FloatingPointError("the step failed")
    assert not prefetch_threads()


@pytest.mark.parametrize("depth", [0, 2])
def test_prefetcher_keeps_order_and_raises_the_sources_error_in_its_place(depth):
    def source():
        yield from range(5)
        raise KeyError("sampler broke")

    received = []
    with pytest.raises(KeyError, match="sampler broke"):
        with Prefetcher(source(), depth) as items:
            for item in items:
                received.append(item)
    assert received == list(range(5)) and not prefetch_threads()


def test_prefetcher_produces_while_the_consumer_works():
    produced = []

    def source():
        for item in range(3):
            produced.append(item)
            yield item

    with Prefetcher(source(), depth=2) as items:
        assert next(items) == 0
        deadline = time.monotonic() + 5
        while len(produced) < 3 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert produced == [0, 1, 2], "items 1 and 2 were produced before they were asked for"
        assert list(items) == [1, 2]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"batch_size": 0}, "'batch_size' must be a positive integer for 'LinkBatchLoader' (got 0)"),
        ({"num_negatives": 1.5}, "'num_negatives' must be a positive integer for 'LinkBatchLoader' (got 1.5)"),
        ({"prefetch": -1}, "'prefetch' must be a non-negative integer for 'LinkBatchLoader' (got -1)"),
        ({"seed": -2}, "'seed' must be a non-negative integer for 'LinkBatchLoader' (got -2)"),
    ],
)
def test_bad_settings_are_refused_with_the_value(graph, changes, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        loader(graph, **changes)


def test_bad_epochs_and_batch_numbers_are_refused_with_the_value(graph):
    batch_loader = loader(graph)
    with pytest.raises(ValueError, match=r"'epoch' must be a positive integer for 'LinkBatchLoader' \(got 0\)"):
        batch_loader.epoch(0)
    with pytest.raises(ValueError, match=rf"'index' must be a batch number in \[0, {len(batch_loader)}\)"):
        batch_loader.batch(1, len(batch_loader))
    with pytest.raises(TypeError, match="expected a FanoutSpec or a RandomWalkSpec"):
        loader(graph, sampling="fanout")


@pytest.mark.parametrize("epoch", [1, 2])
def test_no_block_of_a_batch_holds_one_of_its_own_user_positive_edges_in_either_direction(graph, epoch):
    batch_loader = loader(graph, FanoutSpec((-1, -1)), batch_size=50)  # every neighbor: a leak could not hide
    for batch in epoch_batches(batch_loader, epoch):
        flow = batch.blocks
        targets = set(zip(batch.users.tolist(), (batch.positives + graph.num_users).tolist(), strict=True))
        for edge_index in flow.edge_index:
            src, dst = flow.nodes[edge_index[0]].tolist(), flow.nodes[edge_index[1]].tolist()
            sampled = {(min(s, d), max(s, d)) for s, d in zip(src, dst, strict=True)}
            assert sampled, "the blocks must carry other edges"
            assert not sampled & targets, f"batch {batch.index} leaks its targets into its blocks"

"""PinSage's epoch walks: from the items its batches need only, each once, and row for row the walks from every item."""

from __future__ import annotations

import numpy as np
import pytest

from engine.graph import InteractionGraph
from engine.loader import LinkBatchLoader
from engine.loader.neighborhoods import EpochWalks, item_walks, make_sampler
from engine.models import RandomWalkSpec

SPEC = RandomWalkSpec(num_walks=8, walk_length=2, restart_prob=0.5, top_t=3, layers=2, pool_size=2)


@pytest.fixture(scope="module")
def graph() -> InteractionGraph:
    rng = np.random.default_rng(2)  # two items per user: a catalogue much wider than an epoch's batches reach
    items = np.concatenate([rng.choice(5_000, 2, replace=False) for _ in range(400)])
    return InteractionGraph(np.repeat(np.arange(400), 2), items, 400, 5_000, name="wide")


def test_walks_on_demand_equal_the_walks_from_every_item_row_for_row(graph):
    sampler = make_sampler(SPEC, graph)
    every = item_walks(sampler, 11)
    walks = EpochWalks(sampler, 11)
    rng = np.random.default_rng(0)
    for items in (rng.choice(graph.num_items, 50), rng.choice(graph.num_items, 300), np.arange(10)):
        neighbors, weights = walks[items]  # repeats and items walked by an earlier call included
        np.testing.assert_array_equal(neighbors, every[0][items])
        np.testing.assert_array_equal(weights, every[1][items])
    assert walks.walks_started == walks.walked.sum() * SPEC.num_walks


@pytest.mark.parametrize("batches", ["one batch", "whole epoch"])
def test_an_epoch_walks_only_from_the_items_its_batches_use(graph, batches):
    loader = LinkBatchLoader(graph, 200, 1, seed=3, sampling=SPEC, prefetch=0)
    if batches == "one batch":  # a replay of one batch walks for that batch alone
        used = [loader.batch(1, 0)]
    else:
        with loader.epoch(1) as stream:
            used = list(stream)
    walks = loader.walks
    # Every convolution's outputs need their neighbors; the first convolution's outputs hold every later one's.
    needed = set()
    for batch in used:
        needed |= set(batch.items.items[: batch.items.num_dst[0]].tolist())
    assert set(np.flatnonzero(walks.walked).tolist()) == needed
    assert walks.walks_started == len(needed) * SPEC.num_walks  # each needed item walked once in the epoch
    assert len(needed) < graph.num_items / 2, "the catalogue is wider than what the batches need"

"""Aggregation weights read from real GraphSAGE and PinSage models built on the sample data."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis import aggregation_weights, graphsage_aggregation_weights, pinsage_aggregation_weights
from engine.datasets import load_dataset
from engine.loader import build_recommender
from engine.models import MODELS
from engine.sampling import RandomWalkSampler
from engine.splits import split_interactions


@pytest.fixture(scope="module")
def train_graph():
    return split_interactions(load_dataset("synthetic"), seed=0).train


def build(name: str, graph, **params):
    model_cls = MODELS[name]
    return build_recommender(model_cls, graph, 8, model_cls.Params(**params), seed=3).eval()


def test_graphsage_weighs_every_neighbor_equally_and_a_training_draw_uses_fanout(train_graph):
    model = build("graphsage", train_graph, fanout=5)
    node = train_graph.num_users + int(np.argmax(train_graph.item_degree()))
    result = aggregation_weights(model, train_graph, node, seed=1)
    direct = graphsage_aggregation_weights(model, train_graph, node, seed=1)
    np.testing.assert_array_equal(result.training_weights, direct.training_weights)
    degree = train_graph.csr.degree()[node]
    assert len(result.neighbors) == degree
    np.testing.assert_allclose(result.weights, 1 / degree)
    assert (result.training_weights > 0).sum() == 5
    np.testing.assert_allclose(result.training_weights.sum(), 1.0)


def test_pinsage_item_weights_are_the_models_stored_visit_weights(train_graph):
    model = build("pinsage", train_graph, num_walks=50, top_t=6)
    item = 7
    result = pinsage_aggregation_weights(model, train_graph, train_graph.num_users + item)
    walks = RandomWalkSampler(train_graph, 50, model.params.walk_length, model.params.restart_prob, 6).sample(
        np.array([train_graph.num_users + item]), seed=3
    )
    valid = walks.neighbors[0] >= 0
    expected = dict(zip(walks.neighbors[0][valid].tolist(), walks.weights[0][valid].tolist(), strict=True))
    assert set(result.neighbors.tolist()) == set(expected)
    np.testing.assert_allclose(result.weights, [expected[n] for n in result.neighbors.tolist()], rtol=1e-6)
    assert (np.diff(result.weights) <= 0).all()
    assert result.training_weights is None and "visit counts" in result.rule


def test_pinsage_user_pools_its_items_uniformly(train_graph):
    result = aggregation_weights(build("pinsage", train_graph, num_walks=10), train_graph, 0)
    assert len(result.neighbors) == train_graph.user_degree()[0]
    np.testing.assert_allclose(result.weights, 1 / len(result.neighbors))


def test_models_without_weights_are_refused_by_name(train_graph):
    with pytest.raises(ValueError, match="'mf' has no per-neighbor aggregation weights"):
        aggregation_weights(build("mf", train_graph), train_graph, 0)

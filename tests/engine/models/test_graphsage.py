"""GraphSAGE's inference in destination chunks gives the embeddings of one pass over every edge at once."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from engine.graph import InteractionGraph
from engine.models import MODELS


@pytest.fixture(scope="module")
def graph() -> InteractionGraph:
    rng = np.random.default_rng(4)
    degrees = rng.integers(1, 12, 60)  # uneven degrees; item 0 a hub
    user = np.repeat(np.arange(60), degrees)
    item = np.concatenate([np.r_[0, rng.choice(np.arange(1, 80), d - 1, replace=False)] for d in degrees])
    return InteractionGraph(user, item, 61, 81, name="uneven")  # user 60 and item 80 have no edge


def _whole_graph_layers(model, graph: InteractionGraph) -> list[torch.Tensor]:
    """The inference before chunks: every layer over the whole ``(2, 2E)`` edge list in one call."""
    user = torch.from_numpy(graph.user)
    item = torch.from_numpy(graph.item) + model.num_users
    edge_index = torch.stack([torch.cat([item, user]), torch.cat([user, item])])
    with torch.no_grad():
        layers = [model._inputs(torch.arange(model.num_users + model.num_items))]
        for index, conv in enumerate(model.convs):
            out = conv((layers[-1], layers[-1]), edge_index)
            layers.append(out if index == len(model.convs) - 1 else F.relu(out))
    return layers


@pytest.mark.parametrize("messages", [1, 7, 50, 1 << 18])
@pytest.mark.parametrize("ids", [True, False])
def test_chunked_inference_equals_inference_over_every_edge_at_once(graph, messages, ids):
    cls = MODELS["graphsage"]
    model = cls(graph, 8, cls.Params(id_embeddings=ids), seed=5)
    model.inference_messages = messages
    chunks = model._chunks()
    assert chunks[0][0] == 0 and chunks[-1][1] == graph.num_nodes
    assert all(a[1] == b[0] for a, b in zip(chunks, chunks[1:], strict=False))
    if messages < 2 * graph.num_edges:
        assert len(chunks) > 1
    expected = _whole_graph_layers(model, graph)[-1]  # (U + I, d)
    user_emb, item_emb = model.embeddings()
    torch.testing.assert_close(torch.cat([user_emb, item_emb]), expected, rtol=1e-5, atol=1e-6)
    assert torch.all(item_emb[80] != 0) and torch.isfinite(item_emb).all()  # an edgeless node keeps its own term


def test_chunks_hold_at_most_the_message_budget_unless_one_node_exceeds_it(graph):
    cls = MODELS["graphsage"]
    model = cls(graph, 8, cls.Params())
    model.inference_messages = 20
    for start, end in model._chunks():
        edges = int(model.dst_indptr[end] - model.dst_indptr[start])
        assert edges <= 20 or end - start == 1, (start, end, edges)

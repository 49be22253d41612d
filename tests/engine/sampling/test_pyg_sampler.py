"""FanoutPygSampler: PyG's own NodeLoader / LinkLoader build batches on our fanout sampler, with PyG's semantics."""

import numpy as np
import pytest
import torch
import torch_geometric.transforms as T
from torch_geometric.data import Data, HeteroData
from torch_geometric.loader import LinkLoader, NodeLoader

from engine.analysis.pyg_batches import pyg_batch_from_data
from engine.analysis.pyg_leakage import leakage
from engine.sampling.pyg_sampler import FanoutPygSampler

# Users 0, 1; items 2, 3, 4: u0-i2, u0-i3, u1-i3, u1-i4, each edge in both directions.
USERS, ITEMS = torch.tensor([0, 0, 1, 1]), torch.tensor([2, 3, 3, 4])


def five_nodes() -> Data:
    return Data(edge_index=torch.stack([torch.cat([USERS, ITEMS]), torch.cat([ITEMS, USERS])]), num_nodes=5)


def test_node_batch_follows_pyg_semantics_on_a_graph_known_by_hand():
    data = five_nodes()
    sampler = FanoutPygSampler(data, [-1, -1], num_users=2)
    (batch,) = list(NodeLoader(data, sampler, input_nodes=torch.tensor([0]), batch_size=1))
    assert batch.batch_size == 1 and batch.n_id[0].item() == 0  # the seed comes first
    # Hop 1 reaches items 2 and 3; hop 2 expands them and reaches user 1 (user 0 is already in): 1 + 2 + 1 nodes.
    assert batch.num_sampled_nodes == [1, 2, 1]
    assert sorted(batch.n_id[1:3].tolist()) == [2, 3] and batch.n_id[3].item() == 1
    # Hop 1: 2 edges into user 0; hop 2: into item 2 (from u0) and item 3 (from u0, u1).
    assert batch.num_sampled_edges == [2, 3]
    # Messages flow from edge_index[0] (the neighbor) to edge_index[1] (the expanded node).
    assert set(batch.n_id[batch.edge_index[1, :2]].tolist()) == {0}
    # e_id: the column of the full edge_index holding the same global edge.
    assert torch.equal(batch.n_id[batch.edge_index], data.edge_index[:, batch.e_id])


def test_fanout_caps_each_expanded_node():
    data = five_nodes()
    sampler = FanoutPygSampler(data, [1, 1], num_users=2)
    (batch,) = list(NodeLoader(data, sampler, input_nodes=torch.tensor([0, 1]), batch_size=2))
    assert batch.num_sampled_edges[0] == 2  # one neighbor for each of the 2 seeds
    assert torch.equal(batch.n_id[batch.edge_index], data.edge_index[:, batch.e_id])


def test_torch_manual_seed_makes_batches_reproducible():
    data = five_nodes()
    sampler = FanoutPygSampler(data, [1, 1], num_users=2)
    draws = []
    for _ in range(2):
        torch.manual_seed(3)
        draws.append([b.n_id.tolist() for b in NodeLoader(data, sampler, input_nodes=torch.arange(5), batch_size=2)])
    assert draws[0] == draws[1]


def test_link_batch_labels_positives_and_negatives_as_pyg_does():
    data = five_nodes()
    sampler = FanoutPygSampler(data, [-1], num_users=2)
    torch.manual_seed(0)
    label_index = torch.stack([USERS, ITEMS])
    (batch,) = list(LinkLoader(data, sampler, edge_label_index=label_index, batch_size=4, neg_sampling="binary"))
    assert batch.edge_label.tolist() == [1.0] * 4 + [0.0] * 4
    pairs = batch.n_id[batch.edge_label_index[:, :4]]  # local -> global ids of the positives
    assert torch.equal(pairs, label_index[:, batch.input_id])
    assert batch.num_sampled_nodes[0] == len(set(batch.n_id[batch.edge_label_index.flatten()].tolist()))


@pytest.mark.parametrize("exclude", [False, True])
def test_exclude_target_edges_removes_the_leak(exclude):
    data = five_nodes()
    sampler = FanoutPygSampler(data, [-1, -1], num_users=2, exclude_target_edges=exclude)
    loader = LinkLoader(data, sampler, edge_label_index=torch.stack([USERS, ITEMS]), batch_size=2)
    found = [leakage(pyg_batch_from_data(1, i, batch)) for i, batch in enumerate(loader)]
    leaks = sum(result.num_leaking for result in found)
    assert leaks == (0 if exclude else 4)  # with fanout -1 every target edge is drawn unless excluded


def test_hetero_batches_from_pyg_loaders():
    data = HeteroData()
    data["user"].num_nodes, data["item"].num_nodes = 2, 3
    data["user", "rates", "item"].edge_index = torch.stack([USERS, ITEMS - 2])
    data = T.ToUndirected()(data)
    sampler = FanoutPygSampler(data, [-1, -1])
    (batch,) = list(NodeLoader(data, sampler, input_nodes=("user", torch.tensor([0])), batch_size=1))
    assert batch["user"].num_sampled_nodes == [1, 0, 1] and batch["item"].num_sampled_nodes == [0, 2, 0]
    # Hop 1 draws item -> user messages into user 0; hop 2 user -> item messages into items 0 and 1.
    assert batch["item", "rev_rates", "user"].num_sampled_edges == [2, 0]
    assert batch["user", "rates", "item"].num_sampled_edges == [0, 3]
    for edge_type in data.edge_types:
        src, _, dst = edge_type
        local = batch[edge_type].edge_index
        glob = torch.stack([batch[src].n_id[local[0]], batch[dst].n_id[local[1]]])
        assert torch.equal(glob, data[edge_type].edge_index[:, batch[edge_type].e_id])
    edge = ("user", "rates", "item")
    loader = LinkLoader(data, sampler, edge_label_index=(edge, data[edge].edge_index), batch_size=4)
    (batch,) = list(loader)
    assert leakage(pyg_batch_from_data(1, 0, batch), num_users=2).num_leaking == 4


def test_bad_graphs_are_refused_with_a_reason():
    data = five_nodes()
    with pytest.raises(ValueError, match="num_users"):
        FanoutPygSampler(data, [2])
    with pytest.raises(ValueError, match="user–user or item–item"):
        FanoutPygSampler(Data(edge_index=torch.tensor([[0, 1], [1, 0]]), num_nodes=5), [2], num_users=2)
    with pytest.raises(ValueError, match="both directions"):
        FanoutPygSampler(Data(edge_index=torch.stack([USERS, ITEMS]), num_nodes=5), [2], num_users=2)
    with pytest.raises(ValueError, match="fanouts"):
        FanoutPygSampler(data, [0], num_users=2)
    with pytest.raises(TypeError, match="Data or HeteroData"):
        FanoutPygSampler(np.zeros(3), [2], num_users=2)


@pytest.mark.parametrize(("exclude", "leaks"), [(False, 4), (True, 0)])
def test_hetero_link_batches_leak_unless_target_edges_are_excluded(exclude, leaks):
    data = HeteroData()
    data["user"].num_nodes, data["item"].num_nodes = 2, 3
    data["user", "rates", "item"].edge_index = torch.stack([USERS, ITEMS - 2])
    data = T.ToUndirected()(data)
    sampler = FanoutPygSampler(data, [-1, -1], exclude_target_edges=exclude)
    edge = ("user", "rates", "item")
    (batch,) = list(LinkLoader(data, sampler, edge_label_index=(edge, data[edge].edge_index), batch_size=4))
    assert leakage(pyg_batch_from_data(1, 0, batch), num_users=2).num_leaking == leaks

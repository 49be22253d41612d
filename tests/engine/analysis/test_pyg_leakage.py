"""Reading PyG batches: hops against num_neighbors, seeds, global ids, and the leakage check."""

import numpy as np
import torch
import torch_geometric.transforms as T
from torch_geometric.data import Data
from torch_geometric.loader import LinkLoader

from engine.analysis.pyg_batches import pyg_batch_from_data
from engine.analysis.pyg_leakage import (
    LEAK_FIX,
    hop_counts,
    leakage,
    leaking_pairs,
    seed_neighborhood,
    seeds,
)
from engine.sampling.pyg_sampler import FanoutPygSampler
from tests.support.pyg_batches import hand_built


def test_leaking_pairs_match_either_direction():
    sup_src, sup_dst = np.array([0, 1, 2]), np.array([3, 4, 5])
    mp_src, mp_dst = np.array([3, 1, 9]), np.array([0, 9, 2])  # (3, 0) is (0, 3) reversed; (1, 4) is absent
    assert leaking_pairs(sup_src, sup_dst, mp_src, mp_dst, 10).tolist() == [True, False, False]
    assert leaking_pairs(sup_src, sup_dst, np.array([5]), np.array([2]), 10).tolist() == [False, False, True]


def test_hops_against_num_neighbors_on_a_hand_built_batch():
    batch = pyg_batch_from_data(1, 0, hand_built(), num_neighbors=[2, 1])
    rows = hop_counts(batch)
    assert [(r.hop, r.expanded, r.sampled, r.asked, r.new_nodes) for r in rows] == [(1, 1, 2, 2, 2), (2, 2, 3, 2, 1)]
    assert seeds(batch).tolist() == [0]
    assert [r.asked for r in hop_counts(pyg_batch_from_data(1, 0, hand_built(), num_neighbors=[-1, -1]))] == [None] * 2


def test_a_hand_built_leaking_batch_is_flagged():
    data = hand_built()
    # Supervise (u0, i2) and (u1, i4): (u0, i2) is edge_index column 0 (local 1 -> 0); i4 is not even in the batch.
    data.edge_label_index, data.edge_label = torch.tensor([[0, 3], [1, 2]]), torch.tensor([1.0, 0.0])
    result = leakage(pyg_batch_from_data(1, 0, data))
    assert result.src.tolist() == [0] and result.dst.tolist() == [2]  # the negative (label 0) is not supervision
    assert result.leaking.tolist() == [True] and result.fix == LEAK_FIX
    data.edge_label_index = torch.tensor([[3, 0], [1, 1]])  # (u1, i2): no such message-passing edge
    assert leakage(pyg_batch_from_data(1, 0, data)).num_leaking == 0


def test_triplet_batches_use_src_and_positive_dst():
    data = hand_built()
    data.src_index, data.dst_pos_index, data.dst_neg_index = torch.tensor([0]), torch.tensor([2]), torch.tensor([3])
    result = leakage(pyg_batch_from_data(1, 0, data))
    assert (result.src.tolist(), result.dst.tolist(), result.num_leaking) == ([0], [3], 1)


def test_seed_neighborhood_is_what_fed_the_seed():
    batch = pyg_batch_from_data(1, 0, hand_built())
    tree = seed_neighborhood(batch, 0)
    assert tree.nodes[0] == 0 and set(tree.nodes.tolist()) == {0, 1, 2, 3}
    assert tree.edge_hop.tolist() == [1, 1, 2, 2, 2]


def disjoint_split_loaders(ratio: float):
    """LinkLoader batches on our sampler over RandomLinkSplit's training graph of a small bipartite graph."""
    rng = np.random.default_rng(0)
    users, items = rng.integers(0, 20, 200), rng.integers(20, 50, 200)
    pairs = np.unique(np.stack([users, items]), axis=1)
    edge_index = torch.from_numpy(np.concatenate([pairs, pairs[::-1]], axis=1))
    split = T.RandomLinkSplit(
        num_val=0.0, num_test=0.1, is_undirected=True, disjoint_train_ratio=ratio, add_negative_train_samples=False
    )
    torch.manual_seed(0)
    train, _, _ = split(Data(edge_index=edge_index, num_nodes=50))
    sampler = FanoutPygSampler(train, [-1, -1], num_users=20)
    label_index = train.edge_label_index
    label_index = torch.stack([label_index.min(0).values, label_index.max(0).values])
    return LinkLoader(train, sampler, edge_label_index=label_index, batch_size=16, neg_sampling="binary")


def test_disjoint_training_edges_are_clean_and_shared_ones_leak():
    leaking = [leakage(pyg_batch_from_data(1, i, b)).num_leaking for i, b in enumerate(disjoint_split_loaders(0.0))]
    clean = [leakage(pyg_batch_from_data(1, i, b)).num_leaking for i, b in enumerate(disjoint_split_loaders(0.3))]
    assert all(count > 0 for count in leaking)
    assert clean and all(count == 0 for count in clean)

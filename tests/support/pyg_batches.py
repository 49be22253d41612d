"""PyG batches known by hand, for the tests of storing, reading and showing them."""

import torch
from torch_geometric.data import Data


def hand_built() -> Data:
    """A NeighborLoader batch on the 5-node graph u0-i2, u0-i3, u1-i3, u1-i4 (ids 0..4), seed user 0, [-1, -1]."""
    return Data(
        n_id=torch.tensor([0, 2, 3, 1]),
        edge_index=torch.tensor([[1, 2, 0, 0, 3], [0, 0, 1, 2, 2]]),
        e_id=torch.tensor([4, 5, 0, 1, 2]),
        num_sampled_nodes=[1, 2, 1],
        num_sampled_edges=[2, 3],
        batch_size=1,
        input_id=torch.tensor([0]),
        x=torch.randn(4, 8),  # features are not stored
    )

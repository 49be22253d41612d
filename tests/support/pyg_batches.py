"""PyG batches known by hand, for the tests of storing, reading and showing them."""

import functools

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


def log_loader_batches(run_dir, graph) -> dict[str, int]:
    """Store three batches of PyG's own loaders on ``graph`` (our sampler) in epoch 1 of ``run_dir`` (a run
    directory, or an open ``engine.track`` run: then through its ``log_batch``): a leaking link batch (its target edges
    are sampled), a clean one (target edges excluded) and a node batch; returns their index."""
    from torch_geometric.loader import LinkLoader, NodeLoader

    from engine.analysis.pyg_batches import save_pyg_batch
    from engine.sampling.pyg_sampler import FanoutPygSampler, interaction_data

    save = run_dir.log_batch if hasattr(run_dir, "log_batch") else functools.partial(save_pyg_batch, run_dir)

    data, fanouts = interaction_data(graph), [-1, 3]
    targets = torch.stack([torch.from_numpy(graph.user[:6]), torch.from_numpy(graph.item[:6] + graph.num_users)])
    torch.manual_seed(0)
    for index, exclude in ((0, False), (1, True)):
        sampler = FanoutPygSampler(data, fanouts, num_users=graph.num_users, exclude_target_edges=exclude)
        loader = LinkLoader(data, sampler, edge_label_index=targets, batch_size=6, neg_sampling="binary")
        save(1, index, next(iter(loader)), num_neighbors=fanouts)
    sampler = FanoutPygSampler(data, [2, 2], num_users=graph.num_users)
    loader = NodeLoader(data, sampler, input_nodes=torch.tensor([0, graph.num_users]), batch_size=2)
    save(1, 2, next(iter(loader)), num_neighbors=[2, 2])
    return {"leaking": 0, "clean": 1, "node": 2}

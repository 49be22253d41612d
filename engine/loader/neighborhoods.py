"""From a model's sampling request to a sampler, and from the sampler's numpy output to the tensors models take.

PyG's loaders turn a ``SamplerOutput`` into a ``Data`` batch in the same way: the sampler knows nothing of the
model, the model nothing of the sampler, and only this module knows both formats.
"""

from __future__ import annotations

import numpy as np
import torch

from engine.graph import InteractionGraph
from engine.models.inputs import FanoutSpec, ItemNeighborhood, MessageFlow, RandomWalkSpec, SamplingSpec
from engine.models.sparse import csr_pair
from engine.sampling import FanoutSampler, RandomWalkSampler


def make_sampler(spec: SamplingSpec, graph: InteractionGraph) -> FanoutSampler | RandomWalkSampler:
    """The sampler of ``graph`` that draws what ``spec`` asks for."""
    if isinstance(spec, FanoutSpec):
        return FanoutSampler(graph, spec.fanouts, spec.replace)
    if isinstance(spec, RandomWalkSpec):
        return RandomWalkSampler(graph, spec.num_walks, spec.walk_length, spec.restart_prob, spec.top_t)
    raise TypeError(f"unknown sampling request {spec!r}: expected a FanoutSpec or a RandomWalkSpec")


def message_flow(
    sampler: FanoutSampler,
    users: np.ndarray,
    positives: np.ndarray,
    negatives: np.ndarray,
    seed: int,
    device: torch.device | str = "cpu",
    exclude_edges: np.ndarray | None = None,
) -> MessageFlow:
    """Blocks around every distinct user and item of a batch, from one fanout draw.

    The batch's own supervision edges are passed as ``exclude_edges``: the blocks then never carry the
    (user, positive) edge being scored, in either direction, as evaluation never sees a test edge.

    Args:
        sampler (FanoutSampler): The train graph's sampler.
        users (np.ndarray): ``(B,)`` internal user ids.
        positives (np.ndarray): ``(B,)`` internal item ids.
        negatives (np.ndarray): ``(B, n)`` internal item ids.
        seed (int): Seed of the draw.
        device (torch.device | str): Where the tensors go. (default: ``"cpu"``)
        exclude_edges (np.ndarray, optional): ``(B,)`` train-graph edge ids no block may contain. (default:
            ``None``)
    """
    num_users = sampler.graph.num_users
    nodes = np.concatenate([users, positives + num_users, negatives.reshape(-1) + num_users])  # (B + B + B n,)
    distinct, seed_rows = np.unique(nodes, return_inverse=True)  # the sampler wants every seed once
    blocks = sampler.sample(distinct, seed=seed, exclude_edges=exclude_edges).blocks
    return MessageFlow(
        nodes=torch.from_numpy(blocks[0].src_nodes).to(device),
        num_dst=tuple(block.num_dst for block in blocks),
        edge_index=tuple(torch.from_numpy(block.edge_index).to(device) for block in blocks),
        seed_rows=torch.from_numpy(seed_rows.reshape(-1)).to(device),
    )


def item_neighborhood(sampler: RandomWalkSampler, seed: int, device: torch.device | str = "cpu") -> ItemNeighborhood:
    """Every item's top-T random-walk neighbours and normalised visit counts, as the ``(I, I)`` pooling matrix.

    Args:
        sampler (RandomWalkSampler): The train graph's sampler.
        seed (int): Seed of the walks.
        device (torch.device | str): Where the tensors go. (default: ``"cpu"``)
    """
    graph = sampler.graph
    walks = sampler.sample(np.arange(graph.num_items) + graph.num_users, seed=seed)
    rows, slots = np.nonzero(walks.neighbours >= 0)  # (nnz,) item row, (nnz,) rank among its neighbours
    cols = walks.neighbours[rows, slots] - graph.num_users  # (nnz,) internal item ids
    weights = torch.from_numpy(walks.weights[rows, slots])  # (nnz,)
    adj, adj_t = csr_pair(torch.from_numpy(rows), torch.from_numpy(cols), weights, (graph.num_items,) * 2)
    return ItemNeighborhood(adj, adj_t).to(device)

"""From a model's sampling request to a sampler, and from the sampler's numpy output to the tensors models take.

PyG's loaders turn a ``SamplerOutput`` into a ``Data`` batch in the same way: the sampler knows nothing of the
model, the model nothing of the sampler, and only this module knows both formats.
"""

from __future__ import annotations

import numpy as np
import torch

from engine.graph import InteractionGraph
from engine.models.inputs import (
    FanoutSpec,
    ItemComputationGraph,
    ItemNeighborhood,
    MessageFlow,
    RandomWalkSpec,
    SamplingSpec,
)
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


def item_walks(sampler: RandomWalkSampler, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Every item's top-T random-walk neighbors: ``(I, T)`` internal item ids (``-1`` padding) and weights.

    Args:
        sampler (RandomWalkSampler): The train graph's sampler.
        seed (int): Seed of the walks.
    """
    graph = sampler.graph
    walks = sampler.sample(np.arange(graph.num_items) + graph.num_users, seed=seed)
    neighbors = np.where(walks.neighbors >= 0, walks.neighbors - graph.num_users, -1)  # (I, T)
    return neighbors, walks.weights


class EpochWalks:
    """An epoch's top-T random-walk table, walked only for the items its batches ask for, each item once.

    The paper's producer (Ying et al., Section 3.5) computes the neighborhoods of each batch's frontier; this cache
    walks from an item the first time a batch's computation graph needs its neighbors and keeps the result for the
    rest of the epoch, so an epoch walks from the items its batches use, not from the whole catalogue. Every item's
    walks draw from the stream keyed by ``(seed, item)``, so a row is the same whether it was walked alone, with a
    batch's frontier, or with every item (:func:`item_walks`).

    Args:
        sampler (RandomWalkSampler): The train graph's sampler.
        seed (int): Seed of the epoch's walks.
    """

    def __init__(self, sampler: RandomWalkSampler, seed: int) -> None:
        self.sampler, self.seed = sampler, seed
        num_items = sampler.graph.num_items
        self.walked = np.zeros(num_items, dtype=bool)  # (I,) whose row is filled
        self.neighbors = np.full((num_items, sampler.top_t), -1, dtype=np.int64)  # (I, T)
        self.weights = np.zeros((num_items, sampler.top_t), dtype=np.float32)  # (I, T)
        self.walks_started = 0  # walks drawn so far: num_walks per walked item

    def __getitem__(self, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(neighbors (n, T), weights (n, T))`` of internal item ids ``items (n,)``, walking the missing ones."""
        missing = np.unique(items[~self.walked[items]])
        if len(missing):
            num_users = self.sampler.graph.num_users
            walks = self.sampler.sample(missing + num_users, seed=self.seed)
            self.neighbors[missing] = np.where(walks.neighbors >= 0, walks.neighbors - num_users, -1)
            self.weights[missing] = walks.weights
            self.walked[missing] = True
            self.walks_started += len(missing) * self.sampler.num_walks
        return self.neighbors[items], self.weights[items]


def item_neighborhood(sampler: RandomWalkSampler, seed: int, device: torch.device | str = "cpu") -> ItemNeighborhood:
    """Every item's top-T random-walk neighbors and normalised visit counts, as the ``(I, I)`` pooling matrix.

    Args:
        sampler (RandomWalkSampler): The train graph's sampler.
        seed (int): Seed of the walks.
        device (torch.device | str): Where the tensors go. (default: ``"cpu"``)
    """
    neighbors, weights = item_walks(sampler, seed)
    rows, slots = np.nonzero(neighbors >= 0)  # (nnz,) item row, (nnz,) rank among its neighbors
    num_items = sampler.graph.num_items
    values = torch.from_numpy(weights[rows, slots])  # (nnz,)
    adj, adj_t = csr_pair(torch.from_numpy(rows), torch.from_numpy(neighbors[rows, slots]), values, (num_items,) * 2)
    return ItemNeighborhood(adj, adj_t).to(device)


def item_computation_graph(
    walks: EpochWalks | tuple[np.ndarray, np.ndarray],
    positives: np.ndarray,
    negatives: np.ndarray,
    pools: np.ndarray,
    layers: int,
    device: torch.device | str = "cpu",
) -> ItemComputationGraph:
    """The items a PinSage batch needs and their neighbors, layer by layer (Ying et al., Algorithm 1).

    Args:
        walks (EpochWalks | tuple[np.ndarray, np.ndarray]): The epoch's walks, walked on demand (training), or
            every item's (:func:`item_walks`).
        positives (np.ndarray): ``(B,)`` internal item ids.
        negatives (np.ndarray): ``(B, n)`` internal item ids.
        pools (np.ndarray): ``(B, P)`` each row's pool of internal item ids, ``-1`` padding
            (:func:`engine.sampling.history_pools`).
        layers (int): Convolutions.
        device (torch.device | str): Where the tensors go. (default: ``"cpu"``)
    """
    lookup = walks.__getitem__ if isinstance(walks, EpochWalks) else lambda nodes: (walks[0][nodes], walks[1][nodes])
    in_pool = pools >= 0  # (B, P)
    targets, inverse = np.unique(
        np.concatenate([positives, negatives.reshape(-1), pools[in_pool]]), return_inverse=True
    )  # (M,) distinct items the batch scores or pools; inverse (B + B n + |pools|,)
    batch = len(positives)
    positive_rows = inverse[:batch]
    negative_rows = inverse[batch : batch + negatives.size].reshape(negatives.shape)
    pool_rows = np.repeat(np.arange(batch), in_pool.sum(1))  # (|pools|,) row of every pooled item
    pool_cols = inverse[batch + negatives.size :]

    nodes, sizes, blocks = targets, [len(targets)], []  # blocks: (rows, cols, weights), outermost layer first
    for _ in range(layers):
        near, weight = lookup(nodes)  # (N, T): the neighbors of this layer's outputs
        rows, slots = np.nonzero(near >= 0)
        candidates = near[rows, slots]  # (nnz,) neighbors of every output, in output order
        fresh = candidates[~np.isin(candidates, nodes)]
        unique, first = np.unique(fresh, return_index=True)
        nodes = np.concatenate([nodes, unique[np.argsort(first)]])  # outputs first, new inputs by first appearance
        order = np.argsort(nodes)
        cols = order[np.searchsorted(nodes, candidates, sorter=order)]  # (nnz,) input position of each neighbor
        blocks.append((rows, cols, weight[rows, slots], sizes[-1], len(nodes)))
        sizes.append(len(nodes))
    as_tensor = torch.from_numpy
    pairs = [csr_pair(as_tensor(r), as_tensor(c), as_tensor(w), (n_out, n_in)) for r, c, w, n_out, n_in in blocks]
    pairs.reverse()  # the first convolution consumes the widest inputs
    pool, pool_t = csr_pair(
        as_tensor(pool_rows), as_tensor(pool_cols), torch.ones(len(pool_rows)), (batch, len(targets))
    )
    return ItemComputationGraph(
        items=as_tensor(nodes).to(device),
        num_dst=tuple(sizes[-2::-1]) if layers else (),
        weights=tuple(adj.to(device) for adj, _ in pairs),
        weights_t=tuple(adj_t.to(device) for _, adj_t in pairs),
        pool=pool.to(device),
        pool_t=pool_t.to(device),
        pool_size=as_tensor(in_pool.sum(1).astype(np.float32)).to(device),
        positive_rows=as_tensor(positive_rows).to(device),
        negative_rows=as_tensor(negative_rows).to(device),
    )

"""Replay what training sampled: the batches of an epoch that held a node, and the neighborhood the model saw there.

Every random choice of an epoch derives from ``(seed, epoch, batch)`` (:mod:`engine.loader.link`), so the run's loader,
rebuilt from its config on its recorded training graph, yields the very batches the model consumed: the same edges,
negatives and fanout blocks for GraphSAGE, the same epoch item neighborhood for PinSage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from engine.graph import InteractionGraph
from engine.loader.reopen import RunGraph
from engine.models.inputs import FanoutSpec, ItemNeighborhood, MessageFlow, RandomWalkSpec

ROLES = ("user", "positive", "negative")


@dataclass
class ReplayedBatch:
    """One batch of the epoch that held the node, with the neighborhood training sampled for it.

    Attributes:
        index (int): Position of the batch in its epoch, from 0.
        roles (dict[str, int]): How often the node was a seed of the batch, per role (``user``, ``positive``,
            ``negative``).
        size (int): Training edges in the batch.
        targets (np.ndarray): ``(t,)`` global ids of a user node's positives in the batch: the edges its blocks left
            out (GraphSAGE) or its rows' pools left out (PinSage); empty for an item.
        nodes (np.ndarray): ``(N,)`` global ids of the node's neighborhood, the node first.
        node_hop (np.ndarray): ``(N,)`` hops from the node.
        edge_src (np.ndarray): ``(M,)`` global ids; messages flow from ``edge_src`` to ``edge_dst``.
        edge_dst (np.ndarray): ``(M,)`` global ids.
        edge_hop (np.ndarray): ``(M,)`` hop of each edge, 1 for the edges into the node.
        edge_weight (np.ndarray, optional): ``(M,)`` pooling weight of each edge (PinSage), else ``None``.
    """

    index: int
    roles: dict[str, int]
    size: int
    targets: np.ndarray
    nodes: np.ndarray
    node_hop: np.ndarray
    edge_src: np.ndarray
    edge_dst: np.ndarray
    edge_hop: np.ndarray
    edge_weight: np.ndarray | None = None
    rank: int = 0  # the process whose shard held the batch, for a run trained by several (torchrun)


@dataclass
class Replay:
    """The batches of ``epoch`` in which ``node`` was a seed, in order, and how the model's inputs were sampled."""

    node: int
    epoch: int
    sampling: Any
    num_batches: int
    batches: list[ReplayedBatch] = field(default_factory=list)


def run_loader_for(run_graph: RunGraph, prefetch: int = 0, rank: int = 0):
    """The loader the run trained with: its config, its model's curriculum and sampling, its training graph; for a
    run trained by several processes, rank ``rank``'s."""
    from engine.loader.build import run_loader
    from engine.loader.reopen import build_model

    model = build_model(run_graph.config, run_graph.train)
    config = run_graph.config
    device = torch.device("cpu")
    return run_loader(model, run_graph.train, config, device, prefetch, rank=rank, world_size=config.world_size)


def replay(run_graph: RunGraph, epoch: int, node: int, loader=None) -> Replay:
    """What training sampled for global node ``node`` in ``epoch`` of the run.

    Args:
        run_graph (RunGraph): The run's data (:func:`~engine.loader.reopen.open_run_graph`).
        epoch (int): An epoch the run trained, from 1.
        node (int): A global node id with training edges.
        loader (LinkBatchLoader, optional): The run's loader, when the caller has it. (default: rebuilt)

    Raises:
        ValueError: The run's model samples nothing (full-graph propagation), or the run never reached ``epoch``.
    """
    sampling = run_graph.sampling()
    if sampling is None:
        raise ValueError(
            f"run {run_graph.run_id} trained {run_graph.config.model} with full-graph propagation over every "
            "training edge: it sampled no neighborhood to replay"
        )
    reached = int(run_graph.run.read_status().get("epoch") or 0)
    if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or not 1 <= epoch <= reached:
        raise ValueError(
            f"run {run_graph.run_id} trained epochs 1 to {reached}; epoch {epoch!r} cannot be replayed"
            + ("" if reached else " (it has not finished an epoch yet)")
        )
    loaders = [loader] if loader is not None else [None] * run_graph.config.world_size
    result = None
    for rank, loader in enumerate(loaders):
        loader = loader or run_loader_for(run_graph, rank=rank)
        if result is None:
            result = Replay(int(node), int(epoch), sampling, len(loader) * len(loaders))
        result.batches += _replay_rank(run_graph, loader, sampling, epoch, int(node))
    return result


def _replay_rank(run_graph: RunGraph, loader, sampling, epoch: int, node: int) -> list[ReplayedBatch]:
    """The batches of one rank's shard of ``epoch`` that held ``node`` (every batch, without torchrun)."""
    train, found = run_graph.train, []
    num_users = train.num_users
    neighborhood = loader.epoch_neighborhood(epoch) if isinstance(sampling, RandomWalkSpec) else None
    for index, _, users, positives, negatives in loader.targets(epoch):
        roles = _roles(node, num_users, users, positives, negatives)
        if not any(roles.values()):
            continue
        if isinstance(sampling, FanoutSpec):
            tree = fanout_tree(loader.batch(epoch, index).blocks, node, len(sampling.fanouts))
        else:
            pool = None
            if sampling.layers and node < num_users:  # mini-batch PinSage: the user's rows pooled a sampled history
                pool = batch_pool(loader.batch(epoch, index), node)
            tree = walk_neighborhood(train, neighborhood, node, run_graph.params().num_layers, pool)
        targets = positives[users == node] + num_users if node < num_users else np.empty(0, dtype=np.int64)
        found.append(ReplayedBatch(index, roles, len(users), targets, *tree, rank=loader.rank))
    return found


def _roles(node: int, num_users: int, users: np.ndarray, positives: np.ndarray, negatives: np.ndarray) -> dict:
    if node < num_users:
        return {"user": int((users == node).sum()), "positive": 0, "negative": 0}
    item = node - num_users
    return {"user": 0, "positive": int((positives == item).sum()), "negative": int((negatives == item).sum())}


def fanout_tree(flow: MessageFlow, node: int, num_layers: int) -> tuple[np.ndarray, ...]:
    """The part of a batch's blocks that fed ``node``'s output: the edges into it, into their sources, and so on for
    ``num_layers`` hops — every message that reached its last-layer vector.

    Returns:
        ``(nodes, node_hop, edge_src, edge_dst, edge_hop, None)`` in global ids, as :class:`ReplayedBatch` holds them.
    """
    nodes = flow.nodes.cpu().numpy()  # (S,) global ids
    src, dst = (row.cpu().numpy() for row in flow.edge_index[0])  # block 0 holds every sampled edge (local ids)
    local = np.flatnonzero(nodes == node)
    if local.size == 0:
        raise ValueError(f"node {node} is not in the batch's blocks")
    hop_of = {int(local[0]): 0}
    frontier = local
    used = np.zeros(src.size, dtype=bool)
    edge_hop = np.zeros(src.size, dtype=np.int64)
    for hop in range(1, num_layers + 1):
        into = np.isin(dst, frontier) & ~used  # (m,)
        used |= into
        edge_hop[into] = hop
        frontier = np.unique(src[into])
        for position in frontier.tolist():
            hop_of.setdefault(position, hop)
    order = np.argsort(edge_hop[used], kind="stable")
    chosen = np.flatnonzero(used)[order]
    positions = np.array(list(hop_of), dtype=np.int64)
    return (
        nodes[positions],
        np.array(list(hop_of.values()), dtype=np.int64),
        nodes[src[chosen]],
        nodes[dst[chosen]],
        edge_hop[chosen],
        None,
    )


def batch_pool(batch, user: int) -> np.ndarray:
    """``(h,)`` internal item ids a mini-batch PinSage batch pooled for ``user`` (the union over the user's rows; each
    row leaves its own positive out)."""
    items = batch.items
    rows = torch.nonzero(batch.users == user).flatten()
    pool = items.pool.to_dense()[rows] > 0  # (r, num_targets)
    return np.unique(items.items[: pool.shape[1]][pool.any(0)].cpu().numpy())


def walk_neighborhood(
    train: InteractionGraph,
    neighborhood: ItemNeighborhood,
    node: int,
    num_layers: int,
    pool: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    """PinSage's inputs for ``node`` in an epoch: an item's top-T walk neighbors with their pooling weights, theirs in
    turn, ``num_layers`` deep (one importance-pooling convolution per hop); a user's pool (``pool``, internal item ids,
    or else all its training items; uniform weights, hop 1), then those items' top-T neighbors.

    Returns:
        ``(nodes, node_hop, edge_src, edge_dst, edge_hop, edge_weight)`` in global ids.
    """
    num_users = train.num_users
    weights = neighborhood.weights.cpu()
    crow, col, values = weights.crow_indices().numpy(), weights.col_indices().numpy(), weights.values().numpy()
    srcs, dsts, hops, shares = [], [], [], []
    hop_of = {int(node): 0}
    if node < num_users:
        pool = (train.user_csr.neighbors(node) if pool is None else pool) + num_users  # (h,) pooled uniformly
        srcs, dsts, hops = [pool], [np.full(pool.size, node)], [np.ones(pool.size, dtype=np.int64)]
        shares = [np.full(pool.size, 1.0 / max(pool.size, 1), dtype=np.float32)]
        frontier, first_hop = [int(item) for item in pool], 2
        hop_of.update((item, 1) for item in frontier)
    else:
        frontier, first_hop = [int(node)], 1
    for hop in range(first_hop, first_hop + num_layers):
        reached = []
        for target in frontier:
            row = slice(crow[target - num_users], crow[target - num_users + 1])
            neighbors = col[row].astype(np.int64) + num_users
            srcs.append(neighbors)
            dsts.append(np.full(neighbors.size, target, dtype=np.int64))
            hops.append(np.full(neighbors.size, hop, dtype=np.int64))
            shares.append(values[row].astype(np.float32))
            for neighbor in neighbors.tolist():
                if neighbor not in hop_of:
                    hop_of[neighbor] = hop
                    reached.append(neighbor)
        frontier = reached
    return (
        np.array(list(hop_of), dtype=np.int64),
        np.array(list(hop_of.values()), dtype=np.int64),
        np.concatenate(srcs).astype(np.int64) if srcs else np.empty(0, dtype=np.int64),
        np.concatenate(dsts).astype(np.int64) if dsts else np.empty(0, dtype=np.int64),
        np.concatenate(hops).astype(np.int64) if hops else np.empty(0, dtype=np.int64),
        np.concatenate(shares) if shares else np.empty(0, dtype=np.float32),
    )

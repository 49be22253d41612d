"""Read a stored PyG batch: its seeds, its hops against the ``num_neighbors`` asked, its global ids, and whether it
leaks — a positive supervision edge that is also a message-passing edge of the same batch, so the model sees the
very edge it is asked to score.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from engine.analysis.pyg_batches import PygBatch
from engine.analysis.replay import ReplayedBatch, fanout_tree
from engine.models.inputs import MessageFlow

LEAK_FIX = (
    "keep supervision edges out of message passing: split the training edges into message-passing and supervision "
    "edges (RandomLinkSplit(disjoint_train_ratio=0.3) puts them in edge_index and edge_label_index apart), or exclude "
    "each batch's target edges from its sampled edges (FanoutPygSampler(exclude_target_edges=True), as the engine's "
    "own loader does)"
)


@dataclass(frozen=True)
class HopCount:
    """One hop of a batch: ``expanded`` nodes drew ``sampled`` edges of the ``asked`` (``None``: all neighbors)."""

    hop: int
    expanded: int
    sampled: int
    asked: int | None
    new_nodes: int


@dataclass(frozen=True)
class Leakage:
    """The batch's positive supervision edges (global ids), which of them are message-passing edges too, and the fix.

    Attributes:
        src (np.ndarray): ``(P,)`` global ids of each positive supervision edge's source.
        dst (np.ndarray): ``(P,)`` its destination.
        leaking (np.ndarray): ``(P,)`` bool, also a message-passing edge of the batch, in either direction.
    """

    src: np.ndarray
    dst: np.ndarray
    leaking: np.ndarray
    fix: str = LEAK_FIX

    @property
    def num_leaking(self) -> int:
        return int(self.leaking.sum())


def undirected_keys(src: np.ndarray, dst: np.ndarray, num_nodes: int) -> np.ndarray:
    """``(m,)`` one int64 per node pair, the same for ``(a, b)`` and ``(b, a)``."""
    src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    return np.minimum(src, dst) * num_nodes + np.maximum(src, dst)


def leaking_pairs(
    sup_src: np.ndarray, sup_dst: np.ndarray, mp_src: np.ndarray, mp_dst: np.ndarray, num_nodes: int
) -> np.ndarray:
    """``(P,)`` bool: supervision pair ``(sup_src[p], sup_dst[p])`` is a message-passing edge in either direction.

    All ids are in one id space of ``num_nodes`` nodes (a batch's local ids, or global ids).
    """
    keys = undirected_keys(mp_src, mp_dst, num_nodes)
    return np.isin(undirected_keys(sup_src, sup_dst, num_nodes), keys)


def node_offsets(batch: PygBatch) -> dict[str, int]:
    """Where each node type's local ids start in one id space holding every node type of the batch, in order."""
    sizes = [store["n_id"].size for store in batch.nodes.values()]
    return dict(zip(batch.nodes, np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int).tolist(), strict=True))


def positive_supervision(batch: PygBatch) -> tuple[np.ndarray, np.ndarray]:
    """``(src, dst)`` of the batch's positive supervision edges in the batch's one local id space
    (:func:`node_offsets`): ``edge_label_index`` columns whose ``edge_label`` is not 0 (PyG marks sampled negatives
    with 0), or the ``(src_index, dst_pos_index)`` pairs of triplet sampling. Empty for a node batch."""
    offsets = node_offsets(batch)
    srcs, dsts = [], []
    for edge_type, store in batch.edges.items():
        if "edge_label_index" in store:
            index = store["edge_label_index"].astype(np.int64)
            keep = store["edge_label"] != 0 if "edge_label" in store else np.ones(index.shape[1], dtype=bool)
            srcs.append(index[0, keep] + offsets[edge_type[0]])
            dsts.append(index[1, keep] + offsets[edge_type[2]])
    src_store = next((t for t, s in batch.nodes.items() if "src_index" in s), None)
    dst_store = next((t for t, s in batch.nodes.items() if "dst_pos_index" in s), None)
    if src_store is not None and dst_store is not None:
        srcs.append(batch.nodes[src_store]["src_index"].astype(np.int64) + offsets[src_store])
        dsts.append(batch.nodes[dst_store]["dst_pos_index"].astype(np.int64) + offsets[dst_store])
    empty = np.empty(0, dtype=np.int64)
    return (np.concatenate(srcs), np.concatenate(dsts)) if srcs else (empty, empty)


def message_passing(batch: PygBatch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(src, dst, hop)`` of every sampled edge, in the batch's one local id space; ``hop`` from 1."""
    offsets = node_offsets(batch)
    srcs, dsts, hops = [], [], []
    for edge_type, store in batch.edges.items():
        edge_index = store["edge_index"].astype(np.int64)
        srcs.append(edge_index[0] + offsets[edge_type[0]])
        dsts.append(edge_index[1] + offsets[edge_type[2]])
        counts = np.asarray(store["num_sampled_edges"], dtype=np.int64)
        hops.append(np.repeat(np.arange(1, counts.size + 1), counts))
    return np.concatenate(srcs), np.concatenate(dsts), np.concatenate(hops)


def global_nodes(batch: PygBatch, num_users: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(nodes, node_hop)``: every local node of the batch's one id space as a global id of the explorer's graph
    (users ``[0, num_users)``, then items), and the hop that first reached it.

    A homogeneous batch's ``n_id`` already is one; a ``HeteroData``'s user type (named ``user``, else the source of
    its first edge type) keeps its ids and the other type's ids are offset by ``num_users``.
    """
    user_type = user_node_type(batch)
    nodes, hops = [], []
    for node_type, store in batch.nodes.items():
        offset = 0 if not batch.hetero or node_type == user_type else int(num_users or 0)
        nodes.append(store["n_id"].astype(np.int64) + offset)
        counts = np.asarray(store["num_sampled_nodes"], dtype=np.int64)
        hops.append(np.repeat(np.arange(counts.size), counts))
    return np.concatenate(nodes), np.concatenate(hops)


def user_node_type(batch: PygBatch) -> str:
    if "user" in batch.nodes:
        return "user"
    return next((t[0] for t in batch.edges if t[0] != t[2]), next(iter(batch.nodes)))


def leakage(batch: PygBatch, num_users: int | None = None) -> Leakage:
    """Which positive supervision edges of ``batch`` are also among its sampled message-passing edges."""
    nodes, _ = global_nodes(batch, num_users)
    sup_src, sup_dst = positive_supervision(batch)
    mp_src, mp_dst, _ = message_passing(batch)
    leaking = leaking_pairs(sup_src, sup_dst, mp_src, mp_dst, max(nodes.size, 1))
    return Leakage(nodes[sup_src], nodes[sup_dst], leaking)


def hop_counts(batch: PygBatch) -> list[HopCount]:
    """Per hop: the nodes it expanded (those the previous hop reached first), the edges it drew, what
    ``num_neighbors`` asked of them (fanout × expanded nodes per edge type), and the new nodes it reached."""
    rows = []
    for hop in range(1, batch.num_hops + 1):
        expanded = sum(int(_at(s["num_sampled_nodes"], hop - 1)) for s in batch.nodes.values())
        new_nodes = sum(int(_at(s["num_sampled_nodes"], hop)) for s in batch.nodes.values())
        sampled = sum(int(_at(s["num_sampled_edges"], hop - 1)) for s in batch.edges.values())
        asked = None
        fanout = None if not batch.num_neighbors or hop > len(batch.num_neighbors) else batch.num_neighbors[hop - 1]
        if fanout is not None and fanout >= 0:
            into = {edge_type[2] for edge_type in batch.edges}  # each node type is expanded along its in-edges
            per_type = [int(_at(batch.nodes[t]["num_sampled_nodes"], hop - 1)) for t in batch.nodes if t in into]
            edges_into = [sum(1 for e in batch.edges if e[2] == t) for t in batch.nodes if t in into]
            asked = fanout * sum(n * k for n, k in zip(per_type, edges_into, strict=True))
        rows.append(HopCount(hop, expanded, sampled, asked, new_nodes))
    return rows


def seeds(batch: PygBatch, num_users: int | None = None) -> np.ndarray:
    """Global ids of the batch's seeds: the nodes at hop 0 (a node batch's first ``batch_size`` nodes of its input
    type, a link batch's supervision edges' end points)."""
    nodes, node_hop = global_nodes(batch, num_users)
    return nodes[node_hop == 0]


def seed_neighborhood(batch: PygBatch, node: int, num_users: int | None = None) -> ReplayedBatch:
    """What the batch's sampled edges fed global node ``node``: the edges into it, into their sources, and so on
    for the batch's hops — a :class:`ReplayedBatch`, drawn as a replay of ours is."""
    nodes, _ = global_nodes(batch, num_users)
    src, dst, _ = message_passing(batch)
    flow = MessageFlow(
        nodes=torch.from_numpy(nodes),
        num_dst=(),
        edge_index=(torch.from_numpy(np.stack([src, dst])),),
        seed_rows=torch.empty(0, dtype=torch.long),
    )
    tree = fanout_tree(flow, int(node), batch.num_hops)
    sup = leakage(batch, num_users)
    targets = np.concatenate([sup.dst[sup.src == node], sup.src[sup.dst == node]])
    return ReplayedBatch(batch.index, {"seed": 1}, int(sup.src.size), targets, *tree)


def _at(counts, position: int) -> int:
    counts = np.asarray(counts).ravel()
    return int(counts[position]) if position < counts.size else 0

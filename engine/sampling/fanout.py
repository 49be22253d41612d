"""Per-hop fanout neighbor sampling with message-flow blocks.

GraphSAGE (Hamilton et al., "Inductive Representation Learning on Large Graphs", NeurIPS 2017,
arXiv 1706.02216) computes a node's representation from a fixed-size sample of its neighbors at
each hop. :class:`FanoutSampler` draws those samples over the homogeneous user–item CSR and returns
the sampled subgraph both as flat node/edge lists (for drawing) and as per-layer bipartite blocks
(for a ``SAGEConv`` stack), so what the dashboard shows is exactly what a model trains on.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from numba import njit, prange

from engine.graph import ITEM, USER, InteractionGraph
from engine.sampler_settings import FanoutSettings
from engine.sampling.arrays import check_seed, compact_csr, global_ids
from engine.sampling.rng import below, floyd, next_u64, stream

# Upper bound on the edges sampled in one hop of one call; checked on exact per-hop counts before
# any edge array is allocated (50M edges take about 1.2 GB across the output arrays).
MAX_SAMPLED_EDGES = 50_000_000
# Floyd's algorithm checks membership by a linear scan of the picks so far; above this fanout a
# partial Fisher-Yates shuffle of the row (O(degree) scratch) is cheaper.
_FLOYD_MAX_FANOUT = 64
# Neighbors per node and hop; a larger fanout can only mean "all of them", which is -1.
MAX_FANOUT = 1_000_000


def check_fanouts(fanouts: Sequence[int], owner: str) -> list[int]:
    """``fanouts`` as a list of ints, each in ``[1, MAX_FANOUT]`` or ``-1``, or a ``ValueError`` naming the value."""
    fanouts = list(fanouts) if not isinstance(fanouts, (int, str)) else [fanouts]
    if not fanouts or any(
        isinstance(f, bool) or not isinstance(f, (int, np.integer)) or not (1 <= f <= MAX_FANOUT or f == -1)
        for f in fanouts
    ):
        raise ValueError(
            f"'fanouts' must be a non-empty list of integers in [1, {MAX_FANOUT}] or -1 (all neighbors) for "
            f"'{owner}' (got {fanouts!r})"
        )
    return [int(f) for f in fanouts]


def parse_fanouts(text: str) -> list[int]:
    """``"10,5"`` or ``"10, 5"`` -> ``[10, 5]``, checked as :class:`FanoutSampler` checks them."""
    try:
        fanouts = [int(part) for part in str(text).split(",") if part.strip()]
    except ValueError:
        raise ValueError(f"fanouts must be comma-separated integers such as 10,5 or 25,-1 (got {text!r})") from None
    return check_fanouts(fanouts, FanoutSampler.__name__)


@dataclass(frozen=True)
class Block:
    """One message-passing layer: messages flow from ``src_nodes`` to its first ``num_dst`` nodes.

    Args:
        src_nodes (np.ndarray): Global ids of the layer's input nodes, ``(S,)`` int64; the first
            ``num_dst`` of them are its output (dst) nodes.
        num_dst (int): Number of dst nodes.
        edge_index (np.ndarray): ``(2, m)`` int64; row 0 is a local src index in ``[0, S)``, row 1 a
            local dst index in ``[0, num_dst)`` — the layout ``SAGEConv((x_src, x_dst), edge_index)`` takes.
    """

    src_nodes: np.ndarray
    num_dst: int
    edge_index: np.ndarray

    @property
    def dst_nodes(self) -> np.ndarray:
        return self.src_nodes[: self.num_dst]


@dataclass(frozen=True)
class FanoutSample:
    """The neighborhood a :class:`FanoutSampler` drew for a batch of seeds.

    Args:
        seeds (np.ndarray): The seeds, ``(B,)`` global ids.
        nodes (np.ndarray): Every sampled node, ``(N,)`` global ids; seeds first, then in order of discovery.
        node_hop (np.ndarray): Hop at which each node was first reached, ``(N,)`` int64 (0 for seeds).
        node_type (np.ndarray): ``(N,)`` int8, 0 for users and 1 for items.
        edge_src (np.ndarray): Sampled neighbor of each edge, ``(M,)`` global ids.
        edge_dst (np.ndarray): Node that was expanded, ``(M,)`` global ids.
        edge_hop (np.ndarray): Hop of each edge in ``1..L``, ``(M,)`` int64; edges are grouped by hop.
        hop_counts (list[int]): Edges sampled at each hop.
        hop_degrees (list[int]): Sum of the degrees of the nodes expanded at each hop, less excluded edges.
        blocks (list[Block]): ``L`` blocks; ``blocks[0]`` is applied first, ``blocks[-1]`` outputs the seeds.
    """

    seeds: np.ndarray
    nodes: np.ndarray
    node_hop: np.ndarray
    node_type: np.ndarray
    edge_src: np.ndarray
    edge_dst: np.ndarray
    edge_hop: np.ndarray
    hop_counts: list[int]
    hop_degrees: list[int]
    blocks: list[Block]


class FanoutSampler:
    """Samples a fixed number of neighbors per node and hop (GraphSAGE, arXiv 1706.02216).

    Hop ``h`` expands every node first reached at hop ``h - 1`` (the seeds at hop 1), so no node is expanded twice.
    Edges passed as ``exclude_edges`` are absent from every hop in both directions, as DGL's edge-prediction sampler
    removes a batch's supervision edges with ``exclude``. Without replacement a node contributes ``min(fanout,
    degree)`` distinct neighbors (Floyd's algorithm, so a fanout at least the degree yields the whole
    neighborhood); with replacement it contributes ``fanout`` independent uniform draws. Random streams are keyed by
    ``(seed, hop, node)``, so a node's draw does not depend on the rest of the batch or on the thread count.

    Args:
        graph (InteractionGraph): The graph to sample; nodes are its global ids (users, then items).
        fanouts (Sequence[int]): Neighbors per node at each hop, outermost hop last, e.g. ``[25, 10]``;
            ``-1`` takes every neighbor; each at most :data:`MAX_FANOUT`.
        replace (bool): Draw with replacement. (default: ``Settings.replace``)
    """

    Settings: ClassVar[type[FanoutSettings]] = FanoutSettings  # the settings and their defaults

    def __init__(self, graph: InteractionGraph, fanouts: Sequence[int], replace: bool = FanoutSettings.replace) -> None:
        name = type(self).__name__
        self.graph = graph
        self.fanouts = check_fanouts(fanouts, name)
        self.replace = bool(replace)
        self._indptr, self._indices = compact_csr(graph, name)
        self._scratch = threading.local()
        self._item_slot: np.ndarray | None = None  # (E,) slot of each edge in the item half of the CSR, on first use

    def excluded_slots(self, edges: np.ndarray | None) -> np.ndarray:
        """``(2k,)`` sorted CSR slots of ``edges`` (graph edge ids) in both directions: user->item and item->user."""
        if edges is None or np.size(edges) == 0:
            return np.empty(0, dtype=np.int64)
        name = type(self).__name__
        edges = np.unique(np.asarray(edges))
        if not np.issubdtype(edges.dtype, np.integer) or edges[0] < 0 or edges[-1] >= self.graph.num_edges:
            raise ValueError(
                f"'exclude_edges' for '{name}' must be edge ids in [0, {self.graph.num_edges}) "
                f"(got values from {edges[0]!r} to {edges[-1]!r})"
            )
        if self._item_slot is None:
            item_slot = np.empty(self.graph.num_edges, dtype=np.int64)
            item_slot[self.graph.item_csr_edges] = np.arange(self.graph.num_edges)
            self._item_slot = item_slot
        # The user half's slot p is edge p (edges are sorted by user); the item half starts at E.
        return np.sort(np.concatenate([edges, self.graph.num_edges + self._item_slot[edges]]))

    def _local_of(self) -> np.ndarray:
        """Per-thread map global id -> position in the sample, all ``-1`` between calls."""
        local_of = getattr(self._scratch, "local_of", None)
        if local_of is None:
            local_of = np.full(self.graph.num_nodes, -1, dtype=np.int64)
            self._scratch.local_of = local_of
        return local_of

    def sample(self, seeds: np.ndarray, seed: int = 0, exclude_edges: np.ndarray | None = None) -> FanoutSample:
        """Sample the ``len(fanouts)``-hop neighborhood of ``seeds``.

        Args:
            seeds (np.ndarray): Distinct global node ids of either type, ``(B,)``.
            seed (int): Random seed; the same seed and seeds give the same sample. (default: ``0``)
            exclude_edges (np.ndarray, optional): Edge ids of the graph that no hop may use, in either direction,
                e.g. a training batch's own (user, positive) edges. (default: ``None``, every edge)
        """
        name = type(self).__name__
        seeds = global_ids(seeds, self.graph.num_nodes, name)
        seed = check_seed(seed, name)
        excluded = self.excluded_slots(exclude_edges)  # (X,) sorted CSR slots no hop may draw
        if np.unique(seeds).size != seeds.size:
            raise ValueError(
                f"'seeds' for '{name}' must be distinct (got {seeds.size - np.unique(seeds).size} repeats); "
                "sample np.unique(seeds, return_inverse=True)[0] and index the outputs with the inverse"
            )
        local_of = self._local_of()
        nodes_per_hop, hops = [seeds], [np.zeros(seeds.size, dtype=np.int64)]
        local_of[seeds] = np.arange(seeds.size)
        srcs, dsts, edge_hops, hop_counts, hop_degrees = [], [], [], [], []
        try:
            frontier, num_nodes = seeds, seeds.size
            for hop, fanout in enumerate(self.fanouts, start=1):
                row_start, row_end = self._indptr[frontier], self._indptr[frontier + 1]  # (F,), (F,)
                skip_lo = np.searchsorted(excluded, row_start)  # (F,) first excluded slot of each row
                skip_count = np.searchsorted(excluded, row_end) - skip_lo  # (F,)
                degree = row_end - row_start - skip_count  # (F,) neighbors left to draw from
                take = _draw_counts(degree, fanout, self.replace)  # (F,)
                offsets = np.zeros(frontier.size + 1, dtype=np.int64)
                np.cumsum(take, out=offsets[1:])
                if offsets[-1] > MAX_SAMPLED_EDGES:
                    raise ValueError(
                        f"hop {hop} of '{name}' would sample {int(offsets[-1])} edges, above the cap of "
                        f"{MAX_SAMPLED_EDGES}; use fewer seeds or smaller fanouts (got {self.fanouts})"
                    )
                draw_with_replacement = self.replace and fanout != -1
                src = _sample_hop(
                    self._indptr,
                    self._indices,
                    frontier,
                    offsets,
                    draw_with_replacement,
                    seed,
                    hop,
                    excluded,
                    skip_lo,
                    skip_count,
                )
                srcs.append(src)
                dsts.append(np.repeat(frontier, take))
                edge_hops.append(np.full(src.size, hop, dtype=np.int64))
                hop_counts.append(int(src.size))
                hop_degrees.append(int(degree.sum()))
                frontier = _first_seen(src, local_of, num_nodes)
                num_nodes += frontier.size
                nodes_per_hop.append(frontier)
                hops.append(np.full(frontier.size, hop, dtype=np.int64))
            nodes = np.concatenate(nodes_per_hop)
            edge_src, edge_dst = np.concatenate(srcs), np.concatenate(dsts)
            local_src, local_dst = local_of[edge_src], local_of[edge_dst]
        finally:
            local_of[np.concatenate(nodes_per_hop)] = -1
        node_hop = np.concatenate(hops)
        return FanoutSample(
            seeds=seeds,
            nodes=nodes,
            node_hop=node_hop,
            node_type=np.where(nodes < self.graph.num_users, USER, ITEM).astype(np.int8),
            edge_src=edge_src,
            edge_dst=edge_dst,
            edge_hop=np.concatenate(edge_hops),
            hop_counts=hop_counts,
            hop_degrees=hop_degrees,
            blocks=_blocks(nodes, node_hop, local_src, local_dst, hop_counts),
        )


def _draw_counts(degree: np.ndarray, fanout: int, replace: bool) -> np.ndarray:
    """Neighbors each node contributes: all for ``-1``, else ``fanout`` draws (capped at the degree
    without replacement); nodes without neighbors contribute none."""
    if fanout == -1:
        return degree
    if replace:
        return np.where(degree > 0, fanout, 0)
    return np.minimum(degree, fanout)


def _blocks(
    nodes: np.ndarray, node_hop: np.ndarray, local_src: np.ndarray, local_dst: np.ndarray, hop_counts: list[int]
) -> list[Block]:
    """Block ``l`` of ``L`` outputs the nodes reached by hop ``L - 1 - l`` from the edges of hops ``<= L - l``.

    Nodes and edges are ordered by hop, so every block is a prefix of both lists and the positions in
    ``nodes`` are already valid local indices.
    """
    num_layers = len(hop_counts)
    nodes_upto = np.searchsorted(node_hop, np.arange(num_layers + 1), side="right")  # (L + 1,)
    edges_upto = np.concatenate([[0], np.cumsum(hop_counts)])  # (L + 1,)
    blocks = []
    for layer in range(num_layers):
        outer = num_layers - layer
        m = edges_upto[outer]
        blocks.append(
            Block(
                src_nodes=nodes[: nodes_upto[outer]],
                num_dst=int(nodes_upto[outer - 1]),
                edge_index=np.stack([local_src[:m], local_dst[:m]]),  # (2, m)
            )
        )
    return blocks


@njit(cache=True, nogil=True)
def _kept_slot(start, rank, excluded, skip_lo, skip_count):  # pragma: no cover - numba
    """CSR slot of the ``rank``-th neighbor of the row at ``start`` once its excluded slots are skipped."""
    slot = start + rank
    for q in range(skip_count):
        if excluded[skip_lo + q] <= slot:
            slot += 1
        else:
            break
    return slot


@njit(cache=True, nogil=True, parallel=True)
def _sample_hop(
    indptr, indices, frontier, offsets, replace, seed, hop, excluded, skip_lo, skip_count
):  # pragma: no cover - numba
    """Neighbors drawn for every frontier node, written at ``offsets`` (edge ``j`` belongs to the
    frontier node ``f`` with ``offsets[f] <= j < offsets[f + 1]``); the sorted ``excluded`` slots
    ``excluded[skip_lo[f] : skip_lo[f] + skip_count[f]]`` of node ``f``'s row are never drawn."""
    out = np.empty(offsets[-1], dtype=np.int64)
    for f in prange(frontier.size):
        node = frontier[f]
        skips, first_skip = skip_count[f], skip_lo[f]
        start, degree = indptr[node], indptr[node + 1] - indptr[node] - skips
        lo, take = offsets[f], offsets[f + 1] - offsets[f]
        state = stream(seed, hop * 0x100000000 + node)
        if not replace and take == degree:
            for j in range(take):
                out[lo + j] = indices[_kept_slot(start, j, excluded, first_skip, skips)]
        elif replace:
            for j in range(take):
                state, bits = next_u64(state)
                out[lo + j] = indices[_kept_slot(start, below(bits, degree), excluded, first_skip, skips)]
        elif take <= _FLOYD_MAX_FANOUT:
            state, picks = floyd(state, degree, take)
            for n in range(take):
                out[lo + n] = indices[_kept_slot(start, picks[n], excluded, first_skip, skips)]
        else:
            slots = np.arange(degree)
            for n in range(take):
                state, bits = next_u64(state)
                t = n + below(bits, degree - n)
                slots[n], slots[t] = slots[t], slots[n]
                out[lo + n] = indices[_kept_slot(start, slots[n], excluded, first_skip, skips)]
    return out


@njit(cache=True, nogil=True)
def _first_seen(candidates, local_of, start):  # pragma: no cover - numba
    """Candidates not yet in the sample, in order of first appearance; numbers them from ``start``."""
    fresh = np.empty(candidates.size, dtype=np.int64)
    count = 0
    for node in candidates:
        if local_of[node] < 0:
            local_of[node] = start + count
            fresh[count] = node
            count += 1
    return fresh[:count]

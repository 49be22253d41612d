"""Uniform random walks without restart, the primitive DeepWalk and node2vec build on.

DeepWalk (Perozzi et al., KDD 2014, arXiv 1403.6652) samples truncated uniform random walks and
treats them as sentences; ``torch_cluster.random_walk`` is the usual PyG kernel for them, and the
sampler benchmark compares this one against it on the same CSR.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from engine.graph import InteractionGraph
from engine.sampling.arrays import compact_csr, global_ids, positive_int
from engine.sampling.random_walk import MAX_TRACE_ENTRIES
from engine.sampling.rng import below, next_u64, stream

# Walks advanced together by one thread, enough independent reads in flight to hide memory latency.
_LANES = 32


def random_walks(graph: InteractionGraph, starts: np.ndarray, walk_length: int, seed: int = 0) -> np.ndarray:
    """One uniform random walk per start, like ``torch_cluster.random_walk`` with ``p = q = 1``.

    Args:
        graph (InteractionGraph): The graph to walk.
        starts (np.ndarray): Global ids where walks start, ``(W,)``.
        walk_length (int): Single-hop steps per walk.
        seed (int): Random seed; walk ``w`` uses the stream keyed by ``(seed, w)``. (default: ``0``)

    Returns:
        np.ndarray: ``(W, walk_length + 1)`` global ids; a walk that reaches a node without neighbours stays there.
    """
    starts = global_ids(starts, graph.num_nodes, "random_walks", "starts")
    walk_length = positive_int(walk_length, "walk_length", "random_walks")
    if starts.size * (walk_length + 1) > MAX_TRACE_ENTRIES:
        raise ValueError(
            f"{starts.size} walks of length {walk_length} exceed the cap of {MAX_TRACE_ENTRIES} entries "
            "for 'random_walks'; walk in batches"
        )
    indptr, indices = compact_csr(graph, "random_walks")
    num_groups = -(-starts.size // _LANES)
    chunks = max(1, min(num_groups, 4 * numba.get_num_threads()))
    return _uniform_walks(indptr, indices, starts, walk_length, seed, chunks)


@njit(cache=True, nogil=True, parallel=True)
def _uniform_walks(indptr, indices, starts, walk_length, seed, num_chunks):  # pragma: no cover - numba
    """Each chunk walks its groups of ``_LANES`` walks in lockstep, one step for every lane at a time."""
    num_walks = starts.size
    walks = np.empty((num_walks, walk_length + 1), dtype=np.int64)
    num_groups = (num_walks + _LANES - 1) // _LANES
    for chunk in prange(num_chunks):
        nodes = np.empty(_LANES, dtype=np.int64)
        states = np.empty(_LANES, dtype=np.uint64)
        for group in range(chunk * num_groups // num_chunks, (chunk + 1) * num_groups // num_chunks):
            first = group * _LANES
            width = min(_LANES, num_walks - first)
            for lane in range(width):
                nodes[lane] = starts[first + lane]
                states[lane] = stream(seed, first + lane)
                walks[first + lane, 0] = nodes[lane]
            for step in range(1, walk_length + 1):
                for lane in range(width):
                    node = nodes[lane]
                    begin, degree = indptr[node], indptr[node + 1] - indptr[node]
                    if degree > 0:
                        states[lane], bits = next_u64(states[lane])
                        node = indices[begin + below(bits, degree)]
                        nodes[lane] = node
                    walks[first + lane, step] = node
    return walks

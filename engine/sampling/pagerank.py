"""Personalised PageRank by forward push.

Personalised PageRank (Page et al., 1999; Jeh & Widom, WWW 2003) of a query ``q`` is the stationary
distribution of a walk that restarts at ``q`` with probability ``alpha`` at every step:
``pi = alpha * e_q + (1 - alpha) * pi @ P`` with ``P`` the row-normalised adjacency. The forward-push
algorithm (Andersen, Chung & Lang, FOCS 2006) moves residual mass to neighbors until every residual
is below ``tolerance * degree``; its work is at most ``1 / (alpha * tolerance)`` edge visits per query,
independent of the graph size, and every score is within ``tolerance * degree`` of the exact value.
PinSage's hard negatives (arXiv 1806.01973) are items from a rank band of these scores.
"""

from __future__ import annotations

import numbers

import numba
import numpy as np
from numba import njit, prange

from engine.graph import InteractionGraph
from engine.sampling.arrays import compact_csr, global_ids

# Dense (B, N) output of personalized_pagerank is refused above this many entries (400 MB of float64).
MAX_DENSE_ENTRIES = 50_000_000


def check_pagerank_args(restart_prob: float, tolerance: float, owner: str) -> None:
    """Raise a ``ValueError`` unless ``0 < restart_prob <= 1`` and ``0 < tolerance < 1``."""
    for name, value in (("restart_prob", restart_prob), ("tolerance", tolerance)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value <= 1:
            raise ValueError(f"'{name}' must be a number in (0, 1] for '{owner}' (got {value!r})")


def personalized_pagerank(
    graph: InteractionGraph, queries: np.ndarray, restart_prob: float = 0.3, tolerance: float = 1e-6
) -> np.ndarray:
    """Approximate personalised PageRank of every node for each query.

    Args:
        graph (InteractionGraph): The graph; walks alternate between users and items.
        queries (np.ndarray): Global ids of the query nodes, ``(B,)``.
        restart_prob (float): Restart probability ``alpha`` per step, in ``(0, 1]``. (default: ``0.3``)
        tolerance (float): Push threshold per unit of degree, in ``(0, 1]``. (default: ``1e-6``)

    Returns:
        np.ndarray: ``(B, N)`` float64 scores over global ids; each row sums to at most 1.
    """
    name = "personalized_pagerank"
    queries = global_ids(queries, graph.num_nodes, name, "queries")
    check_pagerank_args(restart_prob, tolerance, name)
    if queries.size * graph.num_nodes > MAX_DENSE_ENTRIES:
        raise ValueError(
            f"'{name}' returns a dense ({queries.size}, {graph.num_nodes}) array, above the cap of "
            f"{MAX_DENSE_ENTRIES} entries; pass fewer queries at a time"
        )
    indptr, indices = compact_csr(graph, name)
    chunks = max(1, min(queries.size, numba.get_num_threads()))
    return _dense_pagerank(indptr, indices, queries, float(restart_prob), float(tolerance), chunks)


@njit(cache=True, nogil=True, parallel=True)
def _dense_pagerank(indptr, indices, queries, alpha, tolerance, num_chunks):  # pragma: no cover - numba
    num_nodes = indptr.size - 1
    scores = np.zeros((queries.size, num_nodes))
    for chunk in prange(num_chunks):
        p, r, queue, in_queue, touched = push_buffers(num_nodes)
        for b in range(chunk * queries.size // num_chunks, (chunk + 1) * queries.size // num_chunks):
            reached = forward_push(indptr, indices, queries[b], alpha, tolerance, p, r, queue, in_queue, touched)
            for node in reached:
                scores[b, node] = p[node]
                p[node] = 0.0
                r[node] = 0.0
    return scores


@njit(cache=True, nogil=True)
def push_buffers(num_nodes):  # pragma: no cover - numba
    """Scratch of :func:`forward_push`: estimates ``p``, residuals ``r``, queue, queue flags, touched nodes."""
    return (
        np.zeros(num_nodes),
        np.zeros(num_nodes),
        np.empty(num_nodes, dtype=np.int64),
        np.zeros(num_nodes, dtype=np.bool_),
        np.empty(num_nodes, dtype=np.int64),
    )


@njit(cache=True, nogil=True)
def forward_push(indptr, indices, origin, alpha, tolerance, p, r, queue, in_queue, touched):  # pragma: no cover
    """Push from ``origin`` until every residual is below ``tolerance * degree``.

    ``p`` and ``r`` must be all zero on entry (see :func:`push_buffers`). Leaves the estimates in ``p``
    and returns the nodes that received mass (a view of ``touched``); the caller reads their scores
    and then zeroes ``p`` and ``r`` at exactly those nodes, so a query costs its pushes, not the graph size.
    """
    capacity = queue.size
    r[origin] = 1.0
    touched[0] = origin
    num_touched = 1
    queue[0] = origin
    in_queue[origin] = True
    head, size = 0, 1
    while size > 0:
        node = queue[head]
        head = (head + 1) % capacity
        size -= 1
        in_queue[node] = False
        residual = r[node]
        p[node] += alpha * residual
        r[node] = 0.0
        start, degree = indptr[node], indptr[node + 1] - indptr[node]
        if degree == 0:
            continue
        share = (1.0 - alpha) * residual / degree
        for slot in range(start, start + degree):
            neighbor = indices[slot]
            if p[neighbor] == 0.0 and r[neighbor] == 0.0:
                touched[num_touched] = neighbor
                num_touched += 1
            r[neighbor] += share
            if not in_queue[neighbor] and r[neighbor] >= tolerance * (indptr[neighbor + 1] - indptr[neighbor]):
                queue[(head + size) % capacity] = neighbor
                size += 1
                in_queue[neighbor] = True
    return touched[:num_touched]

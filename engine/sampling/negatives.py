"""Negative items for ranking losses: uniform over non-positives, and hard ones from a PageRank band.

BPR (Rendle et al., UAI 2009) contrasts a user's positive item with items the user has not
interacted with; :func:`uniform_negatives` draws those uniformly. PinSage (Ying et al., KDD 2018,
arXiv 1806.01973) adds *hard* negatives — items related to the query but not positive, taken from
ranks 2000–5000 of its personalised PageRank among millions; :func:`hard_negatives` takes them from
a rank band given as fractions of the catalogue.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from engine.graph import InteractionGraph
from engine.sampling.arrays import global_ids, positive_int
from engine.sampling.pagerank import check_pagerank_args, forward_push, push_buffers
from engine.sampling.rng import below, next_u64, stream

# Output entries (rows x negatives) one call may return; checked before allocating.
MAX_NEGATIVES = 50_000_000


def _check_request(graph: InteractionGraph, num_queries: int, num_negatives: int, owner: str) -> int:
    num_negatives = positive_int(num_negatives, "num_negatives", owner)
    if num_queries * num_negatives > MAX_NEGATIVES:
        raise ValueError(
            f"'{owner}' would return {num_queries} x {num_negatives} negatives, above the cap of {MAX_NEGATIVES}; "
            "ask in batches"
        )
    if graph.num_items >= 2**31:
        raise ValueError(f"'{owner}' supports catalogues of fewer than 2**31 items (got {graph.num_items})")
    return num_negatives


def _saturated_users(graph: InteractionGraph, users: np.ndarray, owner: str) -> None:
    full = np.unique(users[graph.user_degree()[users] >= graph.num_items])
    if full.size:
        names = ", ".join(graph.node_name(int(u)) for u in full[:5])
        raise ValueError(
            f"'{owner}' cannot draw negatives for {full.size} user(s) who interacted with every item ({names}); "
            "drop them from the batch"
        )


def uniform_negatives(graph: InteractionGraph, users: np.ndarray, num_negatives: int, seed: int = 0) -> np.ndarray:
    """Items drawn uniformly from those each user never interacted with in ``graph``.

    Each draw is exact without rejection: a uniform rank ``k`` among the user's ``I - degree``
    non-positives is mapped to the ``k``-th missing item of the user's sorted CSR row by one binary search.

    Args:
        graph (InteractionGraph): The graph whose edges count as positives (usually the train graph).
        users (np.ndarray): Internal user ids, ``(B,)``; repeats are allowed and draw independently.
        num_negatives (int): Negatives per user.
        seed (int): Random seed; row ``b`` uses the stream keyed by ``(seed, b)``. (default: ``0``)

    Returns:
        np.ndarray: ``(B, num_negatives)`` int64 internal item ids, never a positive of that row's user.
    """
    owner = "uniform_negatives"
    users = global_ids(users, graph.num_users, owner, "users")
    num_negatives = _check_request(graph, users.size, num_negatives, owner)
    _saturated_users(graph, users, owner)
    csr = graph.user_csr
    return _uniform(csr.indptr, csr.indices, users, graph.num_items, num_negatives, seed)


@njit(cache=True, nogil=True, parallel=True)
def _uniform(indptr, items, users, num_items, num_negatives, seed):  # pragma: no cover - numba
    out = np.empty((users.size, num_negatives), dtype=np.int64)
    for b in prange(users.size):
        start, degree = indptr[users[b]], indptr[users[b] + 1] - indptr[users[b]]
        state = stream(seed, b)
        for n in range(num_negatives):
            state, bits = next_u64(state)
            rank = below(bits, num_items - degree)
            # Positives p_j sorted: p_j - j non-positives lie below p_j, so the answer skips every
            # positive with p_j - j <= rank.
            lo, hi = 0, degree
            while lo < hi:
                mid = (lo + hi) // 2
                if items[start + mid] - mid <= rank:
                    lo = mid + 1
                else:
                    hi = mid
            out[b, n] = rank + lo
    return out


def hard_negatives(
    graph: InteractionGraph,
    queries: np.ndarray,
    num_negatives: int,
    band: tuple[float, float] = (0.01, 0.05),
    seed: int = 0,
    restart_prob: float = 0.3,
    tolerance: float = 1e-6,
) -> np.ndarray:
    """Items drawn uniformly from a rank band of each query's personalised PageRank.

    Items are ranked by score (ties by lower id, items without score last in random order), leaving out
    the query user's positives or the query item itself. Ranks ``floor(lo * I)`` to ``ceil(hi * I)``
    (at least one rank, clipped to the rankable items) form the band.

    Args:
        graph (InteractionGraph): The graph to rank on and whose edges count as positives.
        queries (np.ndarray): Global ids, ``(B,)``: users (a user's internal id is its global id) or
            items (``num_users + item``).
        num_negatives (int): Negatives per query.
        band (tuple[float, float]): ``(lo, hi)`` with ``0 <= lo < hi <= 1``, as fractions of the
            catalogue size. (default: ``(0.01, 0.05)``)
        seed (int): Random seed; row ``b`` uses the stream keyed by ``(seed, b)``. (default: ``0``)
        restart_prob (float): PageRank restart probability per step. (default: ``0.3``)
        tolerance (float): Forward-push tolerance, see :func:`personalized_pagerank`. (default: ``1e-6``)

    Returns:
        np.ndarray: ``(B, num_negatives)`` int64 internal item ids.
    """
    owner = "hard_negatives"
    queries = global_ids(queries, graph.num_nodes, owner, "queries")
    num_negatives = _check_request(graph, queries.size, num_negatives, owner)
    check_pagerank_args(restart_prob, tolerance, owner)
    try:
        lo, hi = (float(x) for x in band)
    except (TypeError, ValueError):
        raise ValueError(f"'band' must be a pair (lo, hi) of fractions for '{owner}' (got {band!r})") from None
    if not 0 <= lo < hi <= 1:
        raise ValueError(f"'band' must satisfy 0 <= lo < hi <= 1 for '{owner}' (got {band!r})")
    _saturated_users(graph, queries[queries < graph.num_users], owner)
    if graph.num_items < 2:
        raise ValueError(f"'{owner}' needs at least two items to rank (got {graph.num_items})")
    first = int(np.floor(lo * graph.num_items))
    last = max(first + 1, int(np.ceil(hi * graph.num_items)))
    csr = graph.csr
    chunks = max(1, min(queries.size, numba.get_num_threads()))
    return _hard(
        csr.indptr, csr.indices, graph.num_users, queries, num_negatives, first, last, seed,
        float(restart_prob), float(tolerance), chunks,
    )  # fmt: skip


@njit(cache=True, nogil=True)
def _is_excluded(indptr, indices, num_users, query, node):  # pragma: no cover - numba
    """Whether item ``node`` (global id) is the query item or a positive of the query user."""
    if query >= num_users:
        return node == query
    lo, hi = indptr[query], indptr[query + 1]
    while lo < hi:
        mid = (lo + hi) // 2
        if indices[mid] < node:
            lo = mid + 1
        else:
            hi = mid
    return lo < indptr[query + 1] and indices[lo] == node


@njit(cache=True, nogil=True, parallel=True)
def _hard(
    indptr, indices, num_users, queries, num_negatives, first, last, seed, alpha, tolerance, num_chunks
):  # pragma: no cover - numba
    num_nodes = indptr.size - 1
    num_items = num_nodes - num_users
    out = np.empty((queries.size, num_negatives), dtype=np.int64)
    for chunk in prange(num_chunks):
        p, r, queue, in_queue, touched = push_buffers(num_nodes)
        for b in range(chunk * queries.size // num_chunks, (chunk + 1) * queries.size // num_chunks):
            query = queries[b]
            reached = forward_push(indptr, indices, query, alpha, tolerance, p, r, queue, in_queue, touched)
            scored = np.sort(reached[reached >= num_users])
            keep = np.zeros(scored.size, dtype=np.bool_)
            for j in range(scored.size):
                keep[j] = p[scored[j]] > 0.0 and not _is_excluded(indptr, indices, num_users, query, scored[j])
            scored = scored[keep]
            ranked = scored[np.argsort(-p[scored], kind="mergesort")]  # stable: ties by lower id
            excluded = (indptr[query + 1] - indptr[query]) if query < num_users else 1
            rankable = num_items - excluded
            band_end = min(last, rankable)
            band_start = min(first, band_end - 1)
            state = stream(seed, b)
            for n in range(num_negatives):
                state, bits = next_u64(state)
                rank = band_start + below(bits, band_end - band_start)
                if rank < ranked.size:
                    out[b, n] = ranked[rank] - num_users
                    continue
                # Every unscored item ties at rank >= ranked.size: any of them, uniformly.
                while True:
                    state, bits = next_u64(state)
                    node = num_users + below(bits, num_items)
                    if p[node] == 0.0 and not _is_excluded(indptr, indices, num_users, query, node):
                        out[b, n] = node - num_users
                        break
            for node in reached:
                p[node] = 0.0
                r[node] = 0.0
    return out

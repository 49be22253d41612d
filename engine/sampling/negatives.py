"""Negative items for ranking losses: uniform over non-positives, and hard ones from a PageRank band.

BPR (Rendle et al., UAI 2009) contrasts a user's positive item with items the user has not
interacted with; :func:`uniform_negatives` draws those uniformly. PinSage (Ying et al., KDD 2018,
arXiv 1806.01973) adds *hard* negatives — items related to the query but not positive, taken from
ranks 2000–5000 of its personalised PageRank among millions; :func:`hard_negatives` takes them from
a rank band given as fractions of the catalogue.
"""

from __future__ import annotations

import weakref

import numba
import numpy as np
from numba import njit, prange

from engine.graph import InteractionGraph
from engine.sampling.arrays import global_ids, positive_int
from engine.sampling.pagerank import check_pagerank_args, forward_push, push_buffers
from engine.sampling.rng import below, next_u64, stream

# Output entries (rows x negatives) one call may return; checked before allocating.
MAX_NEGATIVES = 50_000_000
# Band items kept per graph across calls; past this the graph's cache is emptied and refilled.
MAX_CACHED_BAND_ENTRIES = 20_000_000
# graph -> (restart_prob, tolerance, first rank, last rank) -> query -> its band of item ids.
_BANDS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


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


DEFAULT_HARD_BAND = (0.01, 0.05)  # rank band of hard negatives, as shares of the catalogue


def hard_negatives(
    graph: InteractionGraph,
    queries: np.ndarray,
    num_negatives: int,
    band: tuple[float, float] = DEFAULT_HARD_BAND,
    seed: int = 0,
    restart_prob: float = 0.3,
    tolerance: float = 1e-6,
) -> np.ndarray:
    """Items drawn uniformly from a rank band of each query's personalised PageRank.

    Items are ranked by score, leaving out the query user's positives or the query item itself; ties
    go to the lower id, and items without score follow in a random order fixed per query. Ranks
    ``floor(lo * I)`` to ``ceil(hi * I)`` (at least one, clipped to the rankable items) form the band.
    A query's band depends only on the graph and the ranking settings, so it is computed once (forward
    push, milliseconds per query on MovieLens) and kept for the graph's lifetime: training epochs after
    the first draw hard negatives at the cost of uniform ones.

    Args:
        graph (InteractionGraph): The graph to rank on and whose edges count as positives.
        queries (np.ndarray): Global ids, ``(B,)``: users (a user's internal id is its global id) or
            items (``num_users + item``).
        num_negatives (int): Negatives per query.
        band (tuple[float, float]): ``(lo, hi)`` with ``0 <= lo < hi <= 1``, as fractions of the
            catalogue size. (default: :data:`DEFAULT_HARD_BAND`, ``(0.01, 0.05)``)
        seed (int): Random seed for the draws from the bands. (default: ``0``)
        restart_prob (float): PageRank restart probability per step. (default: ``0.3``)
        tolerance (float): Forward-push tolerance, see :func:`personalized_pagerank`; above about
            ``1e-6`` on MovieLens the push stops before reaching the items three hops from a user, and
            the band degenerates to random items. (default: ``1e-6``)

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
    bands = _cached_bands(graph, queries, (float(restart_prob), float(tolerance), first, last))
    sizes = np.array([len(b) for b in bands])  # (B,)
    picks = (np.random.default_rng(seed).random((queries.size, num_negatives)) * sizes[:, None]).astype(np.int64)
    return np.array([b[p] for b, p in zip(bands, picks, strict=True)], dtype=np.int64).reshape(picks.shape)


def _cached_bands(graph: InteractionGraph, queries: np.ndarray, key: tuple) -> list[np.ndarray]:
    """The band of every query, computing the ones not cached for ``(graph, key)`` in one parallel pass."""
    table = _BANDS.setdefault(graph, {}).setdefault(key, {})
    missing = np.array([q for q in np.unique(queries).tolist() if q not in table], dtype=np.int64)
    if missing.size:
        alpha, tolerance, first, last = key
        if (len(table) + missing.size) * (last - first) > MAX_CACHED_BAND_ENTRIES:
            table.clear()
        csr = graph.csr
        chunks = max(1, min(missing.size, numba.get_num_threads()))
        rows, sizes = _bands(csr.indptr, csr.indices, graph.num_users, missing, first, last, alpha, tolerance, chunks)
        for query, row, size in zip(missing.tolist(), rows, sizes, strict=True):
            table[query] = row[:size].copy()
    return [table[q] for q in queries.tolist()]


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
def _bands(indptr, indices, num_users, queries, first, last, alpha, tolerance, num_chunks):  # pragma: no cover
    """Internal item ids at ranks ``first..last - 1`` of each query, ``(M, last - first)``, and each band's size."""
    num_nodes = indptr.size - 1
    num_items = num_nodes - num_users
    bands = np.full((queries.size, last - first), -1, dtype=np.int64)
    sizes = np.zeros(queries.size, dtype=np.int64)
    for chunk in prange(num_chunks):
        p, r, queue, in_queue, touched = push_buffers(num_nodes)
        taken = np.zeros(num_nodes, dtype=np.bool_)
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
            band_end = min(last, num_items - excluded)
            band_start = min(first, band_end - 1)
            sizes[b] = band_end - band_start
            state = stream(query, num_nodes)  # tie order of unscored items: fixed per query
            for k in range(band_end - band_start):
                rank = band_start + k
                if rank < ranked.size:
                    bands[b, k] = ranked[rank]
                    continue
                while True:  # the next unscored item in a random order
                    state, bits = next_u64(state)
                    node = num_users + below(bits, num_items)
                    if p[node] == 0.0 and not taken[node] and not _is_excluded(indptr, indices, num_users, query, node):
                        taken[node] = True
                        bands[b, k] = node
                        break
            for k in range(band_end - band_start):
                taken[bands[b, k]] = False
                bands[b, k] -= num_users
            for node in reached:
                p[node] = 0.0
                r[node] = 0.0
    return bands, sizes

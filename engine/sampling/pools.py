"""Bounded samples of users' histories: the items a PinSage user pools over in one training step.

A PinSage user is the mean of its items' messages. In a mini-batch the user of row ``b`` pools over up to ``size``
of its training items other than the row's positive (left out as in FISM, so the positive cannot be found in the
user's own history), drawn uniformly without replacement — GraphSAGE bounds its fanout the same way — so a step
touches ``B * size`` history items whatever the users' degrees. The mean over the sample is an unbiased estimate
of the mean over the whole history, which inference pools over.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from engine.graph import InteractionGraph
from engine.sampling.arrays import check_seed, positive_int
from engine.sampling.rng import floyd, stream

_SENTINEL = -1


def history_pools(
    graph: InteractionGraph, users: np.ndarray, positives: np.ndarray, size: int, seed: int = 0
) -> np.ndarray:
    """Up to ``size`` training items of each row's user, never the row's positive.

    Args:
        graph (InteractionGraph): The train graph.
        users (np.ndarray): ``(B,)`` internal user ids.
        positives (np.ndarray): ``(B,)`` internal item ids left out of their row's pool.
        size (int): Most items per pool; a user with fewer other items pools over all of them.
        seed (int): Seed of the draw; row ``b`` draws from the stream ``(seed, b)``. (default: ``0``)

    Returns:
        ``(B, size)`` int64 internal item ids, distinct within a row, ``-1`` after the row's last item.
    """
    size = positive_int(size, "size", "history_pools")
    users = np.ascontiguousarray(users, dtype=np.int64)
    positives = np.ascontiguousarray(positives, dtype=np.int64)
    if users.shape != positives.shape or users.ndim != 1:
        raise ValueError(f"'users' and 'positives' must be 1-D of one length (got {users.shape}, {positives.shape})")
    csr = graph.user_csr  # rows sorted by item: edges are sorted by (user, item)
    seed = check_seed(seed, "history_pools")
    return _pools(csr.indptr, csr.indices, users, positives, size, seed)


@njit(cache=True, nogil=True, parallel=True)
def _pools(indptr, indices, users, positives, size, seed):  # pragma: no cover - numba
    out = np.full((users.size, size), _SENTINEL, dtype=np.int64)
    for b in prange(users.size):
        start, degree = indptr[users[b]], indptr[users[b] + 1] - indptr[users[b]]
        lo, hi = start, start + degree  # binary search of the positive in the sorted row
        while lo < hi:
            mid = (lo + hi) // 2
            if indices[mid] < positives[b]:
                lo = mid + 1
            else:
                hi = mid
        skip = lo - start if lo < start + degree and indices[lo] == positives[b] else degree
        others = degree - 1 if skip < degree else degree
        take = min(size, others)
        if take == others:
            n = 0
            for slot in range(degree):
                if slot != skip:
                    out[b, n] = indices[start + slot]
                    n += 1
            continue
        state = stream(seed, b)
        state, picks = floyd(state, others, take)  # distinct ranks in [0, others) ...
        for n in range(take):
            t = picks[n]
            out[b, n] = indices[start + (t if t < skip else t + 1)]  # ... over the row without the positive
    return out

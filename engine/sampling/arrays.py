"""Input checks and compact adjacency arrays shared by the samplers."""

from __future__ import annotations

import numpy as np

from engine.graph import InteractionGraph, NodeError

# Kernels map random bits to a neighbor slot with a 32-bit multiply-shift, and int32 node ids halve
# the memory traffic of a walk; both need every id and degree below 2**31.
MAX_NODES = 2**31 - 1
# Kernels take the random seed as an int64.
MAX_SEED = 2**63 - 1


def compact_csr(graph: InteractionGraph, owner: str) -> tuple[np.ndarray, np.ndarray]:
    """The homogeneous CSR of ``graph`` as ``(indptr (N + 1,) int64, indices (2E,) int32)``."""
    if graph.num_nodes > MAX_NODES:
        raise ValueError(f"'{owner}' supports graphs of up to {MAX_NODES} nodes (got {graph.num_nodes})")
    csr = graph.csr
    return np.ascontiguousarray(csr.indptr, dtype=np.int64), np.ascontiguousarray(csr.indices, dtype=np.int32)


def global_ids(ids: np.ndarray | list[int] | int, num_nodes: int, owner: str, name: str = "seeds") -> np.ndarray:
    """``ids`` as a 1-D int64 array of global node ids, or a :class:`NodeError` naming the bad ones."""
    array = np.atleast_1d(np.asarray(ids))
    if array.ndim != 1:
        raise ValueError(f"'{name}' must be a 1-D array of global node ids for '{owner}' (got shape {array.shape})")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            f"'{name}' must hold integer global node ids for '{owner}' (got dtype {array.dtype}); "
            "map names such as 'item:1193' with graph.node_id()"
        )
    array = array.astype(np.int64, copy=False)
    bad = array[(array < 0) | (array >= num_nodes)]
    if bad.size:
        raise NodeError(
            f"'{name}' for '{owner}' holds {bad.size} id(s) outside [0, {num_nodes}) (e.g. {bad[:5].tolist()}); "
            "global ids put users in [0, num_users) and items in [num_users, num_nodes)"
        )
    return array


def positive_int(value: int, name: str, owner: str, maximum: int | None = None) -> int:
    """``value`` as an int ``>= 1`` (and ``<= maximum``), or a ``ValueError`` saying what was wrong."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"'{name}' must be a positive integer for '{owner}' (got {value!r})")
    if maximum is not None and value > maximum:
        raise ValueError(f"'{name}' must be at most {maximum} for '{owner}' (got {value})")
    return int(value)


def check_seed(seed: int, owner: str) -> int:
    """``seed`` as an int in ``[0, MAX_SEED]``, or a ``ValueError`` naming the value."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed <= MAX_SEED:
        raise ValueError(f"'seed' must be an integer in [0, {MAX_SEED}] for '{owner}' (got {seed!r})")
    return int(seed)

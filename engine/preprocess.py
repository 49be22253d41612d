"""Edge filters applied before splitting: a rating threshold for implicit feedback and the k-core.

Both keep node ids unchanged (filtered-out users and items simply lose their edges), so a model trained on
the filtered graph still indexes the full dataset's users and items.
"""

from __future__ import annotations

import numpy as np

from engine.graph import InteractionGraph, LoadReport


def rating_mask(graph: InteractionGraph, min_rating: float) -> np.ndarray:
    """Edges whose rating is at least ``min_rating`` (explicit ratings turned into implicit positives).

    Args:
        graph (InteractionGraph): A graph with ratings.
        min_rating (float): Lowest rating kept, e.g. ``4.0`` on a 1-5 scale.
    """
    if graph.ratings is None:
        raise ValueError(
            f"min_rating={min_rating} needs ratings, but dataset {graph.name!r} has none; drop the rating threshold"
        )
    return graph.ratings >= np.float64(min_rating)  # (E,) bool; float64, so a huge threshold cannot overflow


def k_core_mask(graph: InteractionGraph, k: int, mask: np.ndarray | None = None) -> np.ndarray:
    """Edges of the k-core: repeatedly drop edges of users or items with fewer than ``k`` kept edges.

    Args:
        graph (InteractionGraph): The graph to filter.
        k (int): Minimum degree of every user and item left with edges; ``k <= 1`` keeps everything.
        mask (np.ndarray, optional): Edges already kept by an earlier filter, ``(E,)`` bool. (default: all)
    """
    if k < 0:
        raise ValueError(f"k-core 'k' must be >= 0 (got {k})")
    keep = np.ones(graph.num_edges, dtype=bool) if mask is None else mask.copy()
    if k <= 1:
        return keep
    while True:
        user_degree = np.bincount(graph.user[keep], minlength=graph.num_users)
        item_degree = np.bincount(graph.item[keep], minlength=graph.num_items)
        weak = keep & ((user_degree[graph.user] < k) | (item_degree[graph.item] < k))
        if not weak.any():
            return keep
        keep &= ~weak


def filter_edges(graph: InteractionGraph, min_rating: float | None = None, k_core: int = 0) -> InteractionGraph:
    """The graph with the rating threshold, then the k-core, applied; drops are counted in ``report``.

    Args:
        graph (InteractionGraph): The graph to filter.
        min_rating (float, optional): Keep edges rated at least this. (default: ``None``, keep all)
        k_core (int): Minimum degree per user and item. (default: ``0``, no k-core)
    """
    keep = np.ones(graph.num_edges, dtype=bool)
    dropped: dict[str, int] = {}
    if min_rating is not None:
        keep = rating_mask(graph, min_rating)
        dropped[f"rating below {min_rating}"] = int((~keep).sum())
    if k_core > 1:
        before = int(keep.sum())
        keep = k_core_mask(graph, k_core, keep)
        dropped[f"outside the {k_core}-core"] = before - int(keep.sum())
    if keep.all():
        return graph
    filtered = graph.with_edges(keep)
    source = graph.report  # copied, so the cached full graph's report is never changed
    filtered.report = LoadReport(source.source, source.rows_read, dict(source.dropped), list(source.notes))
    for reason, count in dropped.items():
        filtered.report.drop(reason, count)
    return filtered

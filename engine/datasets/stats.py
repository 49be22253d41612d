"""Summary figures of a dataset: sizes, density, degree percentiles, ratings, time span, load report."""

from __future__ import annotations

import numpy as np

from engine.graph import InteractionGraph

PERCENTILES = (0, 25, 50, 75, 90, 99, 100)


def dataset_stats(graph: InteractionGraph) -> dict:
    """Plain-data statistics of ``graph`` (JSON-serialisable).

    Keys: ``name``, ``users``, ``items``, ``interactions``, ``density``, ``user_degree`` and ``item_degree``
    (``{"mean": .., "p0": .., "p25": .., ..., "p100": ..}``), ``ratings`` (``min``, ``max``, ``mean``,
    ``counts`` per distinct value; ``None`` without ratings), ``time_range`` (``[first, last]`` unix seconds;
    ``None`` without timestamps), ``isolated_users``/``isolated_items`` (nodes without interactions), and
    ``load_report`` (rows read, rows dropped and why, notes).
    """
    stats = {
        "name": graph.name,
        "users": graph.num_users,
        "items": graph.num_items,
        "interactions": graph.num_edges,
        "density": graph.density,
        "user_degree": _degree_summary(graph.user_degree()),
        "item_degree": _degree_summary(graph.item_degree()),
        "isolated_users": int((graph.user_degree() == 0).sum()),
        "isolated_items": int((graph.item_degree() == 0).sum()),
        "ratings": None,
        "time_range": None,
        "load_report": graph.report.to_dict(),
    }
    if graph.ratings is not None and graph.num_edges:
        values, counts = np.unique(graph.ratings, return_counts=True)
        stats["ratings"] = {
            "min": float(values[0]),
            "max": float(values[-1]),
            "mean": float(graph.ratings.mean()),
            "counts": {f"{value:g}": int(count) for value, count in zip(values, counts, strict=True)},
        }
    if graph.timestamps is not None and graph.num_edges:
        stats["time_range"] = [int(graph.timestamps.min()), int(graph.timestamps.max())]
    return stats


def _degree_summary(degree: np.ndarray) -> dict[str, float]:
    if len(degree) == 0:
        return {"mean": 0.0, **{f"p{p}": 0.0 for p in PERCENTILES}}
    values = np.percentile(degree, PERCENTILES)
    return {"mean": float(degree.mean()), **{f"p{p}": float(v) for p, v in zip(PERCENTILES, values, strict=True)}}

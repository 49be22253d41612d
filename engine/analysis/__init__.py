"""Analysis of trained runs: projections and their cache, comparison statistics, replay, neighbors, aggregation, export.

Everything here works on arrays and run directories; the dashboard draws what it returns.
"""

from engine.analysis.aggregation import (
    MODELS_WITH_WEIGHTS,
    AggregationWeights,
    aggregation_weights,
    graphsage_aggregation_weights,
    pinsage_aggregation_weights,
)
from engine.analysis.explain import Explanation, explain_recommendations
from engine.analysis.export import ExportError, external_fetches, figure_document, snapshot_document
from engine.analysis.neighbors import kmeans_clusters, nearest_neighbors, unit_rows
from engine.analysis.projection import METHODS, Projection, ProjectionError, fit_projection, procrustes_align
from engine.analysis.sampling_stats import (
    NOISY_JACCARD,
    STABILITY_BUDGETS,
    STABLE_JACCARD,
    NeighborFrequency,
    TopTOverlap,
    TopTStability,
    fanout_frequency,
    top_t_overlap,
    top_t_stability,
    walk_frequency,
    walks_to_reach,
)
from engine.analysis.store import EmbeddingsMissing, ProjectionStore

__all__ = [
    "METHODS",
    "MODELS_WITH_WEIGHTS",
    "AggregationWeights",
    "aggregation_weights",
    "graphsage_aggregation_weights",
    "pinsage_aggregation_weights",
    "NOISY_JACCARD",
    "STABILITY_BUDGETS",
    "STABLE_JACCARD",
    "NeighborFrequency",
    "TopTOverlap",
    "TopTStability",
    "fanout_frequency",
    "top_t_overlap",
    "top_t_stability",
    "walk_frequency",
    "walks_to_reach",
    "EmbeddingsMissing",
    "Explanation",
    "ExportError",
    "Projection",
    "ProjectionError",
    "ProjectionStore",
    "explain_recommendations",
    "external_fetches",
    "figure_document",
    "fit_projection",
    "kmeans_clusters",
    "nearest_neighbors",
    "procrustes_align",
    "snapshot_document",
    "unit_rows",
]

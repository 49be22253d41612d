"""Nearest neighbors in the original embedding space and k-means clusters of embeddings.

Neighbors are searched where the model scores, not on the 2-D map: a UMAP picture can put two
points side by side that the model keeps apart. Clusters use k-means (Lloyd, 1982; k-means++
seeding, Arthur and Vassilvitskii, 2007) on unit-length rows, i.e. spherical k-means in spirit,
because direction is what a dot-product recommender compares.
"""

from __future__ import annotations

import numpy as np


def nearest_neighbors(
    embeddings: np.ndarray, query: np.ndarray, k: int = 10, exclude: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` rows of ``embeddings`` closest to each query vector by cosine similarity.

    Recommendations (dot products with seen items masked) are :func:`engine.ranking.top_k`; this finds similar
    nodes of one type.

    Args:
        embeddings (np.ndarray): Candidates, shape ``(N, d)``.
        query (np.ndarray): Query vectors, shape ``(B, d)`` or ``(d,)``.
        k (int): Neighbors per query. (default: ``10``)
        exclude (np.ndarray, optional): Candidate rows never returned (e.g. the query itself). (default: ``None``)

    Returns:
        tuple: ``ids (B, k')`` int64 and ``scores (B, k')`` float32 best first, ``k' = min(k, allowed)``.
    """
    if k < 1:
        raise ValueError(f"'k' must be at least 1 for nearest_neighbors (got {k})")
    embeddings = np.asarray(embeddings, dtype=np.float32)
    query = np.atleast_2d(np.asarray(query, dtype=np.float32))  # (B, d)
    if query.shape[1] != embeddings.shape[1]:
        raise ValueError(f"query has dimension {query.shape[1]} but the embeddings have {embeddings.shape[1]}")
    scores = unit_rows(query) @ unit_rows(embeddings).T  # (B, N)
    if exclude is not None and len(exclude):
        scores[:, np.asarray(exclude, dtype=np.int64)] = -np.inf
    allowed = int(np.isfinite(scores[0]).sum()) if len(scores) else 0
    k = min(k, allowed)
    if k == 0:
        return np.zeros((len(query), 0), dtype=np.int64), np.zeros((len(query), 0), dtype=np.float32)
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]  # (B, k) unordered
    top_scores = np.take_along_axis(scores, top, axis=1)
    order = np.argsort(-top_scores, axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1).astype(np.int64), np.take_along_axis(top_scores, order, axis=1)


def kmeans_clusters(embeddings: np.ndarray, num_clusters: int = 8, seed: int = 0) -> np.ndarray:
    """Cluster label of every row, from k-means on unit-length rows.

    Args:
        embeddings (np.ndarray): Shape ``(N, d)``.
        num_clusters (int): Number of clusters, capped at ``N``. (default: ``8``)
        seed (int): Random state of the k-means++ seeding. (default: ``0``)

    Returns:
        np.ndarray: ``(N,)`` int64 labels in ``[0, num_clusters)``.
    """
    from sklearn.cluster import KMeans

    if num_clusters < 1:
        raise ValueError(f"'num_clusters' must be at least 1 for kmeans_clusters (got {num_clusters})")
    data = unit_rows(np.asarray(embeddings, dtype=np.float32))
    clusters = min(num_clusters, len(data))
    model = KMeans(n_clusters=clusters, n_init=3, random_state=seed)
    return model.fit_predict(data).astype(np.int64)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)

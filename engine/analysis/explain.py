"""Why an item was recommended: the user's history items behind it.

Two views, because they answer different questions. *Embedding similarity*: every model here scores
by a dot product, and the models that build a user from their items (LightGCN's propagation, PinSage
and GraphSAGE aggregation) pull the user towards the items they consumed, so the history items whose
embeddings point the same way as the recommendation carry most of the score. *Random-walk support*
(Ying et al., "Graph Convolutional Neural Networks for Web-Scale Recommender Systems", KDD 2018):
the history items that short walks with restart from the recommended item visit most often — the
importance neighborhood PinSage pools over — which needs no model at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.analysis.neighbours import unit_rows


@dataclass
class Explanation:
    """The evidence for one recommended item.

    Args:
        item (int): Recommended internal item id.
        score (float): The model's score for it.
        similar_history (list): ``(history item, cosine similarity)`` pairs, most similar first.
        walk_support (list): ``(history item, visit count)`` pairs from walks started at ``item``, most
            visited first; empty when no walk reached the history.
    """

    item: int
    score: float
    similar_history: list[tuple[int, float]] = field(default_factory=list)
    walk_support: list[tuple[int, int]] = field(default_factory=list)


def explain_recommendations(
    item_embeddings: np.ndarray,
    history: np.ndarray,
    recommended: np.ndarray,
    scores: np.ndarray,
    *,
    top: int = 3,
    walk_neighbours: np.ndarray | None = None,
    walk_counts: np.ndarray | None = None,
) -> list[Explanation]:
    """Explain each recommended item by the history items that support it most.

    Args:
        item_embeddings (np.ndarray): The model's item embeddings, shape ``(I, d)``.
        history (np.ndarray): The user's training items (internal ids), shape ``(H,)``.
        recommended (np.ndarray): Recommended internal item ids, shape ``(R,)``.
        scores (np.ndarray): The model's scores of ``recommended``, shape ``(R,)``.
        top (int): Evidence items kept per recommendation. (default: ``3``)
        walk_neighbours (np.ndarray, optional): Internal item ids visited by walks from each recommended
            item, shape ``(R, T)``, ``-1`` padded (``RandomWalkNeighbours.neighbours`` minus ``num_users``).
            (default: ``None``)
        walk_counts (np.ndarray, optional): Visit counts matching ``walk_neighbours``, ``(R, T)``. (default: ``None``)
    """
    history = np.asarray(history, dtype=np.int64)
    recommended = np.asarray(recommended, dtype=np.int64)
    if len(recommended) != len(scores):
        raise ValueError(f"{len(recommended)} recommended items but {len(scores)} scores")
    if walk_neighbours is not None and (walk_counts is None or walk_neighbours.shape != walk_counts.shape):
        raise ValueError("walk_neighbours and walk_counts must both be given with one shape")
    explanations = [Explanation(int(item), float(score)) for item, score in zip(recommended, scores, strict=True)]
    if len(history) == 0:
        return explanations
    unit = unit_rows(np.asarray(item_embeddings, dtype=np.float32))
    similarity = unit[recommended] @ unit[history].T  # (R, H)
    in_history = set(history.tolist())
    for row, explanation in enumerate(explanations):
        best = np.argsort(-similarity[row], kind="stable")[:top]
        explanation.similar_history = [(int(history[h]), float(similarity[row, h])) for h in best]
        if walk_neighbours is None:
            continue
        visited = [
            (int(item), int(count))
            for item, count in zip(walk_neighbours[row], walk_counts[row], strict=True)
            if item >= 0 and int(item) in in_history
        ]
        explanation.walk_support = sorted(visited, key=lambda pair: -pair[1])[:top]
    return explanations

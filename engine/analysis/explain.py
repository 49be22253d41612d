"""Why an item was recommended: the user's history items behind it.

Two views, because they answer different questions. *Contribution to the score*: every model here
scores by a dot product ``u · i``; writing the user's embedding as a combination of their history
items' embeddings, ``u ≈ Σ_h w_h e_h`` (least squares), splits what lifts a recommended item's score
above the mean score of the list, ``u · (i − ī)``, into one term per history item, ``w_h e_h · (i − ī)``:
that item's contribution minus its mean contribution over the list. That alone still named the same hub
items on most rows ("Spider-Man 3 (2%)" beside Schindler's List and Vertigo): a hub's terms are large for
every item of the list, one way or the other. So a history item is named only where it *stands out*: its
term for this item reaches ``standout`` times its typical (root-mean-square) term over the list, and it
brings at least ``min_share`` of this item's lift. When none does, the explanation is empty and the page
says that no single history item stands out: the score comes from the history as a whole. *Random-walk support* (Ying et
al., "Graph Convolutional Neural Networks for Web-Scale Recommender Systems", KDD 2018): the
history items that short walks with restart from the recommended item visit most often — the
importance neighborhood PinSage pools over — which needs no model at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Explanation:
    """The evidence for one recommended item.

    Args:
        item (int): Recommended internal item id.
        score (float): The model's score for it.
        contributions (list): ``(history item, share)`` pairs, largest first: each history item that stands out
            for this item, with its share of the positive terms lifting the item's score above the list's mean
            score; empty when none stands out.
        walk_support (list): ``(history item, visit count)`` pairs from walks started at ``item``, most
            visited first; empty when no walk reached the history.
    """

    item: int
    score: float
    contributions: list[tuple[int, float]] = field(default_factory=list)
    walk_support: list[tuple[int, int]] = field(default_factory=list)


def explain_recommendations(
    item_embeddings: np.ndarray,
    history: np.ndarray,
    recommended: np.ndarray,
    scores: np.ndarray,
    *,
    user_embedding: np.ndarray | None = None,
    top: int = 3,
    standout: float = 1.0,
    min_share: float = 0.05,
    walk_neighbors: np.ndarray | None = None,
    walk_counts: np.ndarray | None = None,
) -> list[Explanation]:
    """Explain each recommended item by the history items that support it most.

    Args:
        item_embeddings (np.ndarray): The model's item embeddings, shape ``(I, d)``.
        history (np.ndarray): The user's training items (internal ids), shape ``(H,)``.
        recommended (np.ndarray): Recommended internal item ids, shape ``(R,)``.
        scores (np.ndarray): The model's scores of ``recommended``, shape ``(R,)``.
        user_embedding (np.ndarray, optional): The user's embedding, shape ``(d,)``, decomposed over the history.
            (default: the mean of the history items' embeddings)
        top (int): Evidence items kept per recommendation. (default: ``3``)
        standout (float): How many times its root-mean-square term over the list a history item's term
            must reach to be named. (default: ``1.0``)
        min_share (float): The smallest share of an item's lift a named history item brings. (default: ``0.05``)
        walk_neighbors (np.ndarray, optional): Internal item ids visited by walks from each recommended
            item, shape ``(R, T)``, ``-1`` padded (``RandomWalkNeighbors.neighbors`` minus ``num_users``).
            (default: ``None``)
        walk_counts (np.ndarray, optional): Visit counts matching ``walk_neighbors``, ``(R, T)``. (default: ``None``)
    """
    history = np.asarray(history, dtype=np.int64)
    recommended = np.asarray(recommended, dtype=np.int64)
    if len(recommended) != len(scores):
        raise ValueError(f"{len(recommended)} recommended items but {len(scores)} scores")
    if walk_neighbors is not None and (walk_counts is None or walk_neighbors.shape != walk_counts.shape):
        raise ValueError("walk_neighbors and walk_counts must both be given with one shape")
    explanations = [Explanation(int(item), float(score)) for item, score in zip(recommended, scores, strict=True)]
    if len(history) == 0:
        return explanations
    embeddings = np.asarray(item_embeddings, dtype=np.float64)
    past = embeddings[history]  # (H, d)
    if user_embedding is None:
        weights = np.full(len(history), 1.0 / len(history))  # (H,)
    else:
        weights = np.linalg.lstsq(past.T, np.asarray(user_embedding, dtype=np.float64), rcond=None)[0]  # (H,)
    # Not a wider pool of candidates: the top items share what made them top (a hub's direction), so against
    # the top 100 a hub lifted all ten rows; against the list itself it lifts only the rows it is behind.
    lift = embeddings[recommended] - embeddings[recommended].mean(axis=0)  # (R, d): i − ī
    terms = weights[None, :] * (lift @ past.T)  # (R, H): w_h e_h · (i − ī)
    spread = np.sqrt(np.mean(terms**2, axis=0))  # (H,): each history item's typical term over the list
    in_history = set(history.tolist())
    for row, explanation in enumerate(explanations):
        positive = terms[row][terms[row] > 0].sum()
        shares = terms[row] / positive if positive > 0 else np.zeros(len(history))  # (H,)
        stands_out = (terms[row] > 0) & (terms[row] >= standout * spread * (1 - 1e-9)) & (shares >= min_share)
        best = [h for h in np.argsort(-terms[row], kind="stable") if stands_out[h]][:top]
        explanation.contributions = [(int(history[h]), float(shares[h])) for h in best]
        if walk_neighbors is None:
            continue
        visited = [
            (int(item), int(count))
            for item, count in zip(walk_neighbors[row], walk_counts[row], strict=True)
            if item >= 0 and int(item) in in_history
        ]
        explanation.walk_support = sorted(visited, key=lambda pair: -pair[1])[:top]
    return explanations

"""Top-K ranking metrics over the whole catalogue, with each user's known items masked.

The protocol of NGCF / LightGCN (Wang et al., SIGIR 2019; He et al., SIGIR 2020): every item the user did not
interact with in training is a candidate, scores are dot products of user and item embeddings, and the user's
training items (and, when testing, validation items) are removed before taking the top K. Users without held-out
items are skipped; metrics are means over the evaluated users, except coverage, which is the share of the catalogue
that appears in at least one evaluated user's top K.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from engine.graph import CSR
from engine.ranking import RANKING_CHUNK, ranked_chunks, row_mask


def interactions_csr(users: np.ndarray, items: np.ndarray, num_users: int) -> CSR:
    """CSR of user -> items from parallel arrays of internal ids."""
    users = np.asarray(users, dtype=np.int64)
    items = np.asarray(items, dtype=np.int64)
    order = np.lexsort((items, users))
    indptr = np.zeros(num_users + 1, dtype=np.int64)
    np.cumsum(np.bincount(users, minlength=num_users), out=indptr[1:])
    return CSR(indptr, items[order])


def ranking_metrics(top_items: Tensor, relevant: Tensor, ks: Sequence[int]) -> dict[str, Tensor]:
    """Per-user Recall, NDCG, Precision and HitRate at every K, from ranked lists and relevance masks.

    Args:
        top_items (Tensor): Ranked item ids per user, best first, ``(B, K_max)`` int64; ``-1`` marks an empty slot
            (a user with fewer candidates than K).
        relevant (Tensor): Held-out items per user as a boolean mask ``(B, I)``; every row has at least one item.
        ks (Sequence[int]): Cut-offs, each at most ``K_max``.

    Returns:
        ``{"recall@K": (B,), "ndcg@K": (B,), "precision@K": (B,), "hit@K": (B,)}`` float tensors.
    """
    valid = top_items >= 0  # (B, K_max)
    hits = relevant.gather(1, top_items.clamp(min=0)) & valid  # (B, K_max)
    hits = hits.float()
    num_relevant = relevant.sum(dim=1).float()  # (B,)
    discounts = 1.0 / torch.log2(torch.arange(2, top_items.shape[1] + 2, device=top_items.device).float())  # (K_max,)
    out: dict[str, Tensor] = {}
    for k in ks:
        hits_k = hits[:, :k].sum(dim=1)  # (B,)
        dcg = (hits[:, :k] * discounts[:k]).sum(dim=1)  # (B,)
        ideal = torch.cumsum(discounts[:k], dim=0)[(num_relevant.clamp(max=k) - 1).long()]  # (B,)
        out[f"recall@{k}"] = hits_k / num_relevant
        out[f"ndcg@{k}"] = dcg / ideal
        out[f"precision@{k}"] = hits_k / k
        out[f"hit@{k}"] = (hits_k > 0).float()
    return out


def reciprocal_rank(scores: Tensor, relevant: Tensor) -> Tensor:
    """``1 / rank`` of the best-ranked relevant item among all candidates, ``(B,)``.

    Args:
        scores (Tensor): Scores ``(B, I)`` with excluded items already set to ``-inf``.
        relevant (Tensor): Boolean mask ``(B, I)`` of held-out items, at least one per row.
    """
    best_relevant = scores.masked_fill(~relevant, float("-inf")).max(dim=1, keepdim=True).values  # (B, 1)
    rank = (scores > best_relevant).sum(dim=1) + 1  # (B,) ties resolved in the item's favour
    return 1.0 / rank.float()


@dataclass
class UserMetrics:
    """Per-user ranking metrics of one evaluation: what paired comparisons of two runs are made of.

    Attributes:
        users (np.ndarray): Evaluated users (internal ids, ascending), ``(n,)`` int64.
        values (dict[str, np.ndarray]): ``recall@K``, ``ndcg@K``, ``precision@K``, ``hit@K`` for every K and ``mrr``,
            each ``(n,)`` float64, row ``j`` belonging to ``users[j]``.
        top_items (np.ndarray): Each user's ranked top items, best first, ``(n, K_max)`` int64; ``-1`` is an empty
            slot.
        num_items (int): Size of the catalogue, for coverage.
    """

    users: np.ndarray
    values: dict[str, np.ndarray]
    top_items: np.ndarray
    num_items: int

    @property
    def ks(self) -> list[int]:
        return sorted(int(key.partition("@")[2]) for key in self.values if key.startswith("recall@"))

    def means(self) -> dict[str, float]:
        """Means over the users, catalogue coverage@K and ``users``: what :func:`compute_metrics` returns."""
        metrics = {key: float(values.mean()) for key, values in self.values.items()}
        for k in self.ks:
            listed = self.top_items[:, :k]
            metrics[f"coverage@{k}"] = len(np.unique(listed[listed >= 0])) / self.num_items
        metrics["users"] = len(self.users)
        return metrics


@torch.no_grad()
def compute_metrics(
    user_emb: Tensor,
    item_emb: Tensor,
    exclude: CSR,
    held_out_users: np.ndarray,
    held_out_items: np.ndarray,
    ks: Sequence[int],
    batch_size: int = RANKING_CHUNK,
) -> dict[str, float]:
    """Recall@K, NDCG@K, Precision@K, HitRate@K, MRR and catalogue coverage@K of dot-product scores.

    Args:
        user_emb (Tensor): User embeddings ``(U, d)``.
        item_emb (Tensor): Item embeddings ``(I, d)`` on the same device.
        exclude (CSR): Items never ranked for each user (training items, plus validation items when testing).
        held_out_users (np.ndarray): Internal user id of every held-out interaction ``(n,)``.
        held_out_items (np.ndarray): Internal item id of every held-out interaction ``(n,)``.
        ks (Sequence[int]): Cut-offs.
        batch_size (int): Most users scored at once; memory stays at ``min(batch_size * I, RANKING_SCORES)`` floats.
            (default: :data:`engine.ranking.RANKING_CHUNK`)

    Returns:
        ``{"recall@K", "ndcg@K", "precision@K", "hit@K", "coverage@K"}`` for every K, ``"mrr"`` and
        ``"users"`` (how many users were evaluated).
    """
    return user_metrics(user_emb, item_emb, exclude, held_out_users, held_out_items, ks, batch_size).means()


@torch.no_grad()
def user_metrics(
    user_emb: Tensor,
    item_emb: Tensor,
    exclude: CSR,
    held_out_users: np.ndarray,
    held_out_items: np.ndarray,
    ks: Sequence[int],
    batch_size: int = RANKING_CHUNK,
) -> UserMetrics:
    """The metrics of :func:`compute_metrics` for every evaluated user (same arguments)."""
    ks = sorted(set(int(k) for k in ks))
    if not ks or ks[0] <= 0:
        raise ValueError(f"every K must be a positive integer (got {list(ks)})")
    if len(held_out_users) == 0:
        raise ValueError("no held-out interactions to evaluate: the split left the test (or validation) set empty")
    num_users, num_items = user_emb.shape[0], item_emb.shape[0]
    k_max = min(ks[-1], num_items)
    held_out = interactions_csr(held_out_users, held_out_items, num_users)
    users = np.flatnonzero(held_out.degree() > 0)
    parts: dict[str, list[np.ndarray]] = {}
    evaluated: list[np.ndarray] = []
    tops: list[np.ndarray] = []
    for chunk in ranked_chunks(user_emb, item_emb, users, k_max, exclude, batch_size):
        relevant = row_mask(held_out, chunk.users, num_items) & torch.isfinite(chunk.scores)  # (B, I)
        rankable = relevant.any(dim=1)  # (B,) held-out items that are also excluded cannot be ranked
        scores, relevant = chunk.scores[rankable], relevant[rankable]
        evaluated.append(chunk.users[rankable].cpu().numpy())
        top_items = chunk.items[rankable].masked_fill(torch.isinf(chunk.top_scores[rankable]), -1)  # (B, k_max)
        if k_max < ks[-1]:
            top_items = torch.cat([top_items, top_items.new_full((len(top_items), ks[-1] - k_max), -1)], dim=1)
        per_user = ranking_metrics(top_items, relevant, ks)
        per_user["mrr"] = reciprocal_rank(scores, relevant)
        for key, values in per_user.items():
            parts.setdefault(key, []).append(values.double().cpu().numpy())
        tops.append(top_items.cpu().numpy())
    evaluated_users = np.concatenate(evaluated).astype(np.int64) if evaluated else np.zeros(0, dtype=np.int64)
    if len(evaluated_users) == 0:
        raise ValueError("every held-out item is also excluded from ranking: check that the split's sets are disjoint")
    return UserMetrics(
        users=evaluated_users,
        values={key: np.concatenate(values) for key, values in parts.items()},
        top_items=np.concatenate(tops).astype(np.int64),
        num_items=num_items,
    )

"""Top-K items by embedding dot product with each user's known items masked: the one ranking every caller shares.

Models (:meth:`engine.models.Recommender.recommend`), the evaluation metrics and the dashboard's Embeddings and
Recommend pages all rank this way. Users are scored in chunks, so memory stays at ``chunk_size * I`` scores
whatever the number of users.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from engine.graph import CSR

RANKING_CHUNK = 1024  # users scored at once: bounds the (chunk, I) score matrix
# Scores held at once (128 MiB of float32): a wide catalogue ranks fewer users per chunk, so the evaluation's peak
# memory does not grow with the catalogue (1024 users x 100k items was 400 MB per matrix, several alive at once).
RANKING_SCORES = 1 << 25


def csr_gather(indptr: Tensor, indices: Tensor, rows: Tensor) -> tuple[Tensor, Tensor]:
    """All CSR entries of ``rows`` at once, without a Python loop.

    Args:
        indptr (Tensor): ``(R + 1,)`` row pointers.
        indices (Tensor): ``(nnz,)`` column ids.
        rows (Tensor): ``(B,)`` rows to read.

    Returns:
        ``(position, column)``: for every entry, the index into ``rows`` it belongs to and its column.
    """
    starts, ends = indptr[rows], indptr[rows + 1]  # (B,), (B,)
    counts = ends - starts  # (B,)
    position = torch.repeat_interleave(torch.arange(len(rows), device=rows.device), counts)  # (n,)
    offsets = torch.cumsum(counts, 0) - counts  # (B,)
    slots = starts[position] + torch.arange(len(position), device=rows.device) - offsets[position]  # (n,)
    return position, indices[slots]


def row_mask(csr: CSR, rows: Tensor, num_columns: int) -> Tensor:
    """Dense boolean ``(B, C)`` matrix, ``True`` where ``rows[b]`` holds column ``c`` in ``csr``.

    Args:
        csr (CSR): Rows to columns; its arrays may be numpy or torch (they are moved to ``rows``' device).
        rows (Tensor): ``(B,)`` int64 rows.
        num_columns (int): Width ``C`` of the mask.
    """
    indptr = torch.as_tensor(csr.indptr, device=rows.device)
    indices = torch.as_tensor(csr.indices, device=rows.device)
    position, column = csr_gather(indptr, indices, rows)
    mask = torch.zeros(len(rows), num_columns, dtype=torch.bool, device=rows.device)
    mask[position, column] = True
    return mask


@dataclass(frozen=True)
class RankedChunk:
    """One chunk of users ranked by :func:`ranked_chunks`.

    Args:
        users (Tensor): ``(b,)`` int64 ids of the chunk's users (rows of ``user_emb``).
        scores (Tensor): ``(b, I)`` float32 dot products, ``-inf`` on the masked items.
        items (Tensor): ``(b, k)`` int64 item ids, best first.
        top_scores (Tensor): ``(b, k)`` float32 scores of ``items``.
    """

    users: Tensor
    scores: Tensor
    items: Tensor
    top_scores: Tensor


def ranked_chunks(
    user_emb: Tensor,
    item_emb: Tensor,
    users: Sequence[int] | np.ndarray | Tensor,
    k: int,
    exclude: CSR | None = None,
    chunk_size: int = RANKING_CHUNK,
) -> Iterator[RankedChunk]:
    """Score ``users`` against every item, mask their ``exclude`` items and take the top ``k``, a chunk at a time.

    For callers that need more than the lists, e.g. the metrics, which also rank the held-out items among all
    candidates; :func:`top_k` is the lists alone. Memory stays at ``min(chunk_size * I, RANKING_SCORES)`` scores:
    past ``RANKING_SCORES / I`` users a chunk holds fewer (at least one).

    Args:
        user_emb (Tensor): ``(U, d)`` user embeddings.
        item_emb (Tensor): ``(I, d)`` item embeddings on the same device.
        users (Sequence[int] | np.ndarray | Tensor): ``(B,)`` rows of ``user_emb`` to rank for.
        k (int): Items per user, ``1 <= k <= I``.
        exclude (CSR, optional): Items never ranked for each user (rows of ``user_emb``); numpy or torch arrays.
            (default: ``None``, every item is a candidate)
        chunk_size (int): Most users scored at once. (default: :data:`RANKING_CHUNK`)
    """
    num_items = item_emb.shape[0]
    chunk_size = max(1, min(int(chunk_size), RANKING_SCORES // max(num_items, 1)))
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= num_items:
        raise ValueError(f"'k' must be an integer in [1, {num_items}] for top_k (got {k!r})")
    users = torch.as_tensor(users, device=user_emb.device).reshape(-1).long()  # (B,)
    if exclude is not None:
        indptr = torch.as_tensor(exclude.indptr, device=user_emb.device)
        indices = torch.as_tensor(exclude.indices, device=user_emb.device)
    for start in range(0, len(users), chunk_size):
        chunk = users[start : start + chunk_size]  # (b,)
        scores = (user_emb[chunk] @ item_emb.T).float()  # (b, I)
        if exclude is not None:
            row, col = csr_gather(indptr, indices, chunk)
            scores[row, col] = float("-inf")
        top_scores, items = torch.topk(scores, int(k), dim=1)  # (b, k)
        yield RankedChunk(chunk, scores, items, top_scores)


def top_k(
    user_emb: Tensor,
    item_emb: Tensor,
    users: Sequence[int] | np.ndarray | Tensor,
    k: int,
    exclude: CSR | None = None,
    chunk_size: int = RANKING_CHUNK,
) -> tuple[Tensor, Tensor]:
    """Top-``k`` items per user by dot product, ``exclude`` items masked; arguments as :func:`ranked_chunks`.

    Returns:
        ``(items (B, k) int64, scores (B, k) float32)`` on ``user_emb``'s device, best first; the order of equal
        scores is torch's. When a user has fewer than ``k`` candidates the tail holds excluded items with score
        ``-inf``.
    """
    items, scores = [], []
    for chunk in ranked_chunks(user_emb, item_emb, users, k, exclude, chunk_size):  # keeps the lists, not (b, I)
        items.append(chunk.items)
        scores.append(chunk.top_scores)
    if not items:
        empty = torch.empty(0, int(k), device=user_emb.device)
        return empty.long(), empty
    return torch.cat(items), torch.cat(scores)

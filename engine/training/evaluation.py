"""Which items are held out and which are masked when a run is evaluated on its validation or test slice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from torch import Tensor

from engine.graph import CSR, InteractionGraph
from engine.training.metrics import UserMetrics, interactions_csr, user_metrics


@dataclass
class EvalData:
    """Held-out interactions of a split and the items to mask for each user.

    Validation ranks every item except the user's training items. Testing also masks the validation items: they
    are known interactions of the user, not candidates.
    """

    train: InteractionGraph
    val_user: np.ndarray  # (n_val,) internal user ids
    val_item: np.ndarray  # (n_val,) internal item ids
    test_user: np.ndarray  # (n_test,)
    test_item: np.ndarray  # (n_test,)
    test_exclude: CSR  # training plus validation items per user

    @classmethod
    def from_split(cls, split: Any) -> EvalData:
        """From a :class:`engine.splits.Split` (``train``, ``val_user``/``val_item``, ``test_user``/``test_item``)."""
        train = split.train
        val_user = np.asarray(split.val_user, dtype=np.int64)
        val_item = np.asarray(split.val_item, dtype=np.int64)
        test_exclude = interactions_csr(
            np.concatenate([train.user, val_user]), np.concatenate([train.item, val_item]), train.num_users
        )
        return cls(
            train,
            val_user,
            val_item,
            np.asarray(split.test_user, dtype=np.int64),
            np.asarray(split.test_item, dtype=np.int64),
            test_exclude,
        )

    @property
    def has_validation(self) -> bool:
        return len(self.val_user) > 0


def evaluate(
    user_emb: Tensor, item_emb: Tensor, data: EvalData, split: str, ks: Sequence[int], batch_size: int
) -> dict[str, float]:
    """:func:`~engine.training.metrics.compute_metrics` on the ``"val"`` or ``"test"`` slice of ``data``."""
    return evaluate_users(user_emb, item_emb, data, split, ks, batch_size).means()


def evaluate_users(
    user_emb: Tensor, item_emb: Tensor, data: EvalData, split: str, ks: Sequence[int], batch_size: int
) -> UserMetrics:
    """Per-user metrics (:func:`~engine.training.metrics.user_metrics`) on the ``"val"`` or ``"test"`` slice."""
    if split == "val":
        return user_metrics(user_emb, item_emb, data.train.user_csr, data.val_user, data.val_item, ks, batch_size)
    if split == "test":
        return user_metrics(user_emb, item_emb, data.test_exclude, data.test_user, data.test_item, ks, batch_size)
    raise ValueError(f"unknown evaluation split {split!r}: choose 'val' or 'test'")


def per_user_arrays(metrics: UserMetrics, train: InteractionGraph) -> dict[str, np.ndarray]:
    """What a run keeps of its test evaluation for paired comparisons (``RunDir.save_per_user``).

    Returns:
        ``users (n,)``, every metric of ``metrics.values`` ``(n,)``, ``top_items (n, K_max)``, the users' training
        degree ``train_degree (n,)``, every item's training degree ``item_degree (I,)`` and ``num_items ()``.
    """
    return {
        "users": metrics.users,
        **metrics.values,
        "top_items": metrics.top_items,
        "train_degree": train.user_degree()[metrics.users].astype(np.int64),
        "item_degree": train.item_degree().astype(np.int64),
        "num_items": np.array(metrics.num_items, dtype=np.int64),
    }

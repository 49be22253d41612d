"""Recommender classes of "a user's own package", for ``--model tests.support.custom_models:ClassName`` and
``python -m engine check-model``: README's example that passes the contract, and classes that each lack something."""

from __future__ import annotations

import torch
from torch import Tensor

from engine.models.base import Recommender, TrainDefaults
from examples.custom_model import BiasedMF

__all__ = ["BiasedMF", "NoLoss", "NotARecommender"]


class NoLoss(Recommender):
    """Lacks loss() and a Params dataclass."""

    name = "no-loss"
    Params = dict
    default_train = TrainDefaults(epochs=1, lr=0.01, batch_size=1024, num_negatives=1)

    def embeddings(self) -> tuple[Tensor, Tensor]:
        return torch.zeros(self.num_users, self.dim), torch.zeros(self.num_items, self.dim)


class NotARecommender(torch.nn.Module):
    """A plain module."""

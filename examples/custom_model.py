"""Your own model, the engine's loop: a Recommender subclass the engine never saw, trained with ``--model``.

    python -m engine check-model examples.custom_model:BiasedMF
    python -m engine train --model examples.custom_model:BiasedMF --dataset synthetic --epochs 5

Scores are dot products of the embeddings, like every model of the engine: the item bias rides in one extra
dimension, where every user holds a constant 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from engine.models.base import Recommender, TrainDefaults
from engine.models.losses import bpr_loss


@dataclass
class BiasedMFParams:
    init_std: float = field(default=0.1, metadata={"help": "std of the initial vectors", "min": 1e-4, "max": 1.0})


class BiasedMF(Recommender):
    """Dot product plus an item bias, trained with BPR: a model the engine has never seen."""

    name = "biased-mf"
    Params = BiasedMFParams
    default_train = TrainDefaults(epochs=2, lr=0.01, batch_size=1024, num_negatives=1)

    def __init__(self, graph, dim: int, params: BiasedMFParams, seed: int = 0) -> None:
        super().__init__(graph, dim, params, seed)
        generator = self.generator()
        width = dim - 1  # the last dimension carries the item bias (users hold a constant 1 there)
        self.user_emb = torch.nn.Parameter(torch.randn(self.num_users, width, generator=generator) * params.init_std)
        self.item_emb = torch.nn.Parameter(torch.randn(self.num_items, width, generator=generator) * params.init_std)
        self.item_bias = torch.nn.Parameter(torch.zeros(self.num_items, 1))

    def embeddings(self) -> tuple[Tensor, Tensor]:
        with torch.no_grad():
            ones = torch.ones(self.num_users, 1, device=self.device)
            return torch.cat([self.user_emb, ones], 1), torch.cat([self.item_emb, self.item_bias], 1)  # (U, d), (I, d)

    def loss(self, batch) -> Tensor:
        user, positive = self.user_emb[batch.users], self.item_emb[batch.positives]  # (B, d-1), (B, d-1)
        negative = self.item_emb[batch.negatives]  # (B, n, d-1)
        pos = (user * positive).sum(-1) + self.item_bias[batch.positives, 0]  # (B,)
        neg = torch.einsum("bd,bnd->bn", user, negative) + self.item_bias[batch.negatives, 0]  # (B, n)
        return bpr_loss(pos, neg)

"""BPR matrix factorisation: the non-graph baseline every GNN here is measured against.

Rendle et al., *BPR: Bayesian Personalized Ranking from Implicit Feedback* (UAI 2009): one free
vector per user and per item, scored by dot product and trained with the pairwise BPR loss plus an
L2 penalty on the vectors of the batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor

from engine.graph import InteractionGraph
from engine.models.base import Recommender, TrainDefaults, free_table
from engine.models.inputs import LinkBatch
from engine.models.losses import bpr_loss, l2_penalty
from engine.models.search import Choices, Range


@dataclass
class MFParams:
    """Hyper-parameters of :class:`MatrixFactorization`."""

    reg: float = field(default=1e-4, metadata={"help": "L2 penalty on the batch's embeddings", "min": 0.0, "max": 1.0})
    init_std: float = field(
        default=0.1, metadata={"help": "standard deviation of the normal initialisation", "min": 1e-4, "max": 1.0}
    )


class MatrixFactorization(Recommender):
    """BPR-MF (Rendle et al., UAI 2009).

    Args:
        graph (InteractionGraph): Training graph.
        dim (int): Embedding size ``d``.
        params (MFParams): ``reg`` and ``init_std``. (default values in :class:`MFParams`)
        seed (int): Initialisation seed. (default: ``0``)
    """

    name = "mf"
    Params = MFParams
    supports_inductive = False
    inductive_is_approximate = False
    default_train = TrainDefaults(epochs=20, lr=0.005, batch_size=2048, num_negatives=1)
    search_space = {
        "lr": Range(1e-4, 1e-1, log=True),
        "batch_size": Choices((512, 1024, 2048, 4096)),
        "reg": Range(1e-6, 1e-1, log=True),
    }

    def __init__(self, graph: InteractionGraph, dim: int, params: MFParams, seed: int = 0) -> None:
        super().__init__(graph, dim, params, seed)
        generator = self.generator()
        # Sparse tables: a step updates the batch's rows only; the L2 penalty is on those rows too (Rendle et al.).
        self.user_emb = free_table(self.num_users, dim, params.init_std, generator, sparse=True)
        self.item_emb = free_table(self.num_items, dim, params.init_std, generator, sparse=True)

    def embeddings(self) -> tuple[Tensor, Tensor]:
        return self.user_emb.weight.detach().clone(), self.item_emb.weight.detach().clone()

    def loss(self, batch: LinkBatch) -> Tensor:
        u, p = self.user_emb(batch.users), self.item_emb(batch.positives)  # (B, d), (B, d)
        n = self.item_emb(batch.negatives)  # (B, n, d)
        pos_scores = (u * p).sum(-1)  # (B,)
        neg_scores = torch.einsum("bd,bnd->bn", u, n)  # (B, n)
        return bpr_loss(pos_scores, neg_scores) + self.params.reg * l2_penalty(u, p, n)

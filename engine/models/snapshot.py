"""The model of a run logged with :mod:`engine.track`: fixed embeddings, those of the snapshot its run selected.

Such a run was trained outside the engine, so this model has nothing to train: it holds the user and item vectors
the training loop logged, scores by their dot product like every :class:`Recommender`, and says so when asked to
learn or to place a user it never saw.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from engine.graph import InteractionGraph
from engine.models.base import InductiveNotSupported, Recommender, TrainDefaults
from engine.models.inputs import LinkBatch


@dataclass
class SnapshotParams:
    """A logged run has no hyper-parameters the engine knows (the user's own config is in the run's ``track.json``)."""


class SnapshotEmbeddings(Recommender):
    """The embeddings ``user (U, d)`` and ``item (I, d)`` of a logged snapshot, loaded from the run's checkpoint.

    Args:
        graph (InteractionGraph): The run's training graph (its items are masked in :meth:`recommend`).
        dim (int): Embedding size ``d`` of the snapshot.
        params (SnapshotParams): Empty.
        seed (int): Unused; kept for the common constructor. (default: ``0``)
    """

    name = "track"
    Params = SnapshotParams
    supports_inductive = False
    loss_kind = "logged by the user"
    default_train = TrainDefaults(epochs=1, lr=1e-3, batch_size=1024, num_negatives=1)

    def __init__(self, graph: InteractionGraph, dim: int, params: SnapshotParams, seed: int = 0) -> None:
        super().__init__(graph, dim, params, seed)
        self.user_emb = torch.nn.Parameter(torch.zeros(self.num_users, dim), requires_grad=False)
        self.item_emb = torch.nn.Parameter(torch.zeros(self.num_items, dim), requires_grad=False)

    def embeddings(self) -> tuple[Tensor, Tensor]:
        return self.user_emb.detach().clone(), self.item_emb.detach().clone()

    def loss(self, batch: LinkBatch) -> Tensor:
        raise RuntimeError(
            "this run was logged with engine.track from a training loop outside the engine: the engine cannot "
            "train it further; log a new run from your own loop"
        )

    def embed_new_user(self, items) -> Tensor:
        raise InductiveNotSupported(
            "cold start is not available for a run logged with engine.track: its snapshot holds one vector per "
            "user it was trained on and no way to embed a new one"
        )

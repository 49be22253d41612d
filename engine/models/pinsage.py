"""PinSage: importance pooling over random-walk neighbourhoods, trained with a max-margin loss.

Ying et al., *Graph Convolutional Neural Networks for Web-Scale Recommender Systems* (KDD 2018).
An item's neighbours are its top-T items by visit count of random walks with restart
(:class:`engine.sampling.RandomWalkSampler`, the sampler the Neighborhood page draws). Each
convolution transforms the neighbours (dense + ReLU), pools them weighted by normalised visit counts,
concatenates the pooled vector with the item's own, applies dense + ReLU and L2-normalises (the
paper's Algorithm 1); two final dense layers give the embedding. Layer-0 vectors are the item
features of :mod:`engine.features` projected to ``d`` plus optional free ID vectors.

Users live in item space: a user is the same kind of pooling over the items they interacted with
(uniform importance), then dense + ReLU and L2-normalisation, so a new user is embedded exactly like
a training user. While training, the positive item is left out of its user's pool (as in FISM),
otherwise the model could score an item by finding it in the user's own history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from engine.features import item_features
from engine.graph import InteractionGraph
from engine.models.base import Recommender, csr_gather
from engine.models.losses import max_margin_loss
from engine.sampling import RandomWalkSampler


@dataclass
class PinSageParams:
    """Hyper-parameters of :class:`PinSage`."""

    num_layers: int = field(default=2, metadata={"help": "importance-pooling convolutions", "min": 1, "max": 4})
    top_t: int = field(default=10, metadata={"help": "neighbours T kept per item", "min": 1, "max": 100})
    num_walks: int = field(default=200, metadata={"help": "random walks per item", "min": 1, "max": 10000})
    walk_length: int = field(default=4, metadata={"help": "most two-hop steps per walk", "min": 1, "max": 50})
    restart_prob: float = field(default=0.5, metadata={"help": "restart probability per step", "min": 0.0, "max": 1.0})
    margin: float = field(default=0.1, metadata={"help": "max-margin loss gap", "min": 0.0, "max": 2.0})
    max_hard_negatives: int = field(
        default=3, metadata={"help": "cap of the curriculum's hard negatives (epoch n uses n-1)", "min": 0, "max": 100}
    )
    id_embeddings: bool = field(
        default=True, metadata={"help": "add a free ID vector to every item's projected features", "min": 0, "max": 1}
    )


class ImportancePooling(torch.nn.Module):
    """One PinSage convolution: ``normalize(ReLU(W [h_self || Σ_t w_t ReLU(Q h_t + q)] + w))``.

    Args:
        dim (int): Input and output width ``d``.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.transform = torch.nn.Linear(dim, dim)  # Q, q
        self.combine = torch.nn.Linear(2 * dim, dim)  # W, w

    def forward(self, x: Tensor, neighbours: Tensor, weights: Tensor) -> Tensor:
        """``x (N, d)``, ``neighbours (N, T)`` row ids (``-1`` padded), ``weights (N, T)`` -> ``(N, d)``."""
        messages = F.relu(self.transform(x))[neighbours.clamp(min=0)]  # (N, T, d)
        pooled = (weights.unsqueeze(-1) * messages).sum(1)  # (N, d); padding has weight 0
        return F.normalize(F.relu(self.combine(torch.cat([x, pooled], dim=1))), dim=1)


class PinSage(Recommender):
    """PinSage (Ying et al., KDD 2018) with the max-margin loss and the hard-negative curriculum.

    Args:
        graph (InteractionGraph): Training graph; walks run on its edges.
        dim (int): Embedding size ``d``.
        params (PinSageParams): Walk, pooling, margin and curriculum settings.
        seed (int): Seed of initialisation and of the walks. (default: ``0``)
    """

    name = "pinsage"
    Params = PinSageParams
    supports_inductive = True
    inductive_is_approximate = False
    default_train = {"epochs": 30, "lr": 0.005, "batch_size": 2048}

    def __init__(self, graph: InteractionGraph, dim: int, params: PinSageParams, seed: int = 0) -> None:
        super().__init__(graph, dim, params, seed)
        items = torch.from_numpy(item_features(graph))
        self.register_buffer("item_x", items, persistent=False)  # (I, F)
        with torch.random.fork_rng(devices=[]):  # torch.nn layers draw from the global generator: seed it locally
            torch.manual_seed(seed)
            self.item_proj = torch.nn.Linear(items.shape[1], dim)
            self.convs = torch.nn.ModuleList(ImportancePooling(dim) for _ in range(params.num_layers))
            self.head = torch.nn.Sequential(torch.nn.Linear(dim, dim), torch.nn.ReLU(), torch.nn.Linear(dim, dim))
            self.user_transform = torch.nn.Linear(dim, dim)  # Q, q of the users' pooling
            self.user_combine = torch.nn.Linear(dim, dim)  # dense after pooling; a user has no vector of its own
        if params.id_embeddings:
            self.id_emb = torch.nn.Parameter(torch.randn(graph.num_items, dim, generator=self.generator()) * 0.1)
        self.sampler = RandomWalkSampler(graph, params.num_walks, params.walk_length, params.restart_prob, params.top_t)
        neighbours, weights = self._neighbourhoods(seed)
        # Inference always uses the neighbourhoods drawn with the model seed, so embeddings() is reproducible;
        # training redraws them every epoch (on_epoch_start), as the paper samples them per mini-batch.
        self.register_buffer("neighbours", neighbours, persistent=False)  # (I, T) item ids, -1 padded
        self.register_buffer("weights", weights, persistent=False)  # (I, T)
        self.train_neighbours, self.train_weights = self.neighbours, self.weights
        self.register_buffer("seen_keys", torch.from_numpy(graph.user * graph.num_items + graph.item), False)  # (E,)

    def _neighbourhoods(self, seed: int) -> tuple[Tensor, Tensor]:
        walks = self.sampler.sample(np.arange(self.num_items) + self.num_users, seed=seed)
        neighbours = np.where(walks.neighbours >= 0, walks.neighbours - self.num_users, -1)
        device = self.seen_indptr.device
        return torch.from_numpy(neighbours).to(device), torch.from_numpy(walks.weights).to(device)

    def on_epoch_start(self, epoch: int, seed: int) -> None:
        self.train_neighbours, self.train_weights = self._neighbourhoods(seed)

    def num_hard_negatives(self, epoch: int) -> int:
        return max(0, min(epoch - 1, self.params.max_hard_negatives))

    def _items(self, neighbours: Tensor, weights: Tensor) -> tuple[Tensor, Tensor]:
        """``(item_emb (I, d), user messages (I, d))`` for all items over the given neighbourhoods."""
        x = self.item_proj(self.item_x)  # (I, d)
        if self.params.id_embeddings:
            x = x + self.id_emb
        for conv in self.convs:
            x = conv(x, neighbours, weights)
        x = F.normalize(self.head(x), dim=1)  # (I, d)
        return x, F.relu(self.user_transform(x))

    def _users(self, pooled: Tensor, degree: Tensor) -> Tensor:
        """User embeddings ``(B, d)`` from summed item messages ``(B, d)`` over ``degree (B,)`` items."""
        mean = pooled / degree.clamp(min=1).unsqueeze(1)  # uniform importance over the user's items
        return F.normalize(F.relu(self.user_combine(mean)), dim=1)

    def _user_sums(self, users: Tensor, messages: Tensor) -> tuple[Tensor, Tensor]:
        """Summed messages ``(B, d)`` of each user's training items, and their counts ``(B,)``."""
        position, items = csr_gather(self.seen_indptr, self.seen_items, users)
        sums = torch.zeros(len(users), self.dim, device=self.device).index_add_(0, position, messages[items])
        degree = (self.seen_indptr[users + 1] - self.seen_indptr[users]).float()
        return sums, degree

    def embeddings(self) -> tuple[Tensor, Tensor]:
        with torch.no_grad():
            item_emb, messages = self._items(self.neighbours, self.weights)
            users = torch.arange(self.num_users, device=self.device)
            return self._users(*self._user_sums(users, messages)), item_emb

    def loss(self, users: Tensor, pos: Tensor, neg: Tensor) -> Tensor:
        item_emb, messages = self._items(self.train_neighbours, self.train_weights)  # (I, d), (I, d)
        unique, inverse = torch.unique(users, return_inverse=True)
        sums, degree = self._user_sums(unique, messages)  # (b, d), (b,)
        # Leave the positive out of its user's pool (FISM); a positive absent from the train graph is not in it.
        in_pool = self._is_seen(users, pos)  # (B,)
        sums = sums[inverse] - in_pool.unsqueeze(1) * messages[pos]  # (B, d)
        u = self._users(sums, degree[inverse] - in_pool)  # (B, d)
        pos_scores = (u * item_emb[pos]).sum(-1)  # (B,)
        neg_scores = torch.einsum("bd,bnd->bn", u, item_emb[neg])  # (B, n)
        return max_margin_loss(pos_scores, neg_scores, self.params.margin)

    def _is_seen(self, users: Tensor, items: Tensor) -> Tensor:
        """``(B,)`` float, 1 where ``items[b]`` is a training item of ``users[b]``."""
        keys = users * self.num_items + items  # (B,)
        if len(self.seen_keys) == 0:
            return torch.zeros(len(keys), device=self.device)
        # Edges are sorted by (user, item), so the keys are sorted and a binary search finds each pair.
        slot = torch.searchsorted(self.seen_keys, keys).clamp(max=len(self.seen_keys) - 1)
        return (self.seen_keys[slot] == keys).float()

    def embed_new_user(self, items: Sequence[int] | np.ndarray) -> Tensor:
        items = self._new_user_items(items)
        with torch.no_grad():
            _, messages = self._items(self.neighbours, self.weights)
            return self._users(messages[items].sum(0, keepdim=True), torch.tensor([len(items)], device=self.device))[0]

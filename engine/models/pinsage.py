"""PinSage: importance pooling over random-walk neighborhoods, trained with a max-margin loss.

Ying et al., *Graph Convolutional Neural Networks for Web-Scale Recommender Systems* (KDD 2018).
An item's neighbors are its top-T items by visit count of random walks with restart
(:class:`~engine.models.inputs.RandomWalkSpec`: the loader draws them with the random-walk sampler the
Neighborhood page draws; one neighborhood with the model seed for inference, one per training epoch). Each
convolution transforms the neighbors (dense + ReLU), pools them weighted by normalised visit counts,
concatenates the pooled vector with the item's own, applies dense + ReLU and L2-normalises (the
paper's Algorithm 1); two final dense layers give the embedding (Algorithm 2). Layer-0 vectors are the
item features of :mod:`engine.features` projected to ``d`` plus optional free ID vectors.

Users live in item space: a user is the pooling of the items they interacted with (uniform importance),
through a dense layer, plus an optional free user vector. While training, the positive item is left out
of its user's pool (as in FISM), otherwise the model could score an item by finding it in the user's own
history. A new user is the pooled part alone — approximate when free user vectors are on.

Training runs on mini-batches as in the paper's Algorithm 1 (``minibatch``, on by default): the loader hands over
the batch's :class:`~engine.models.inputs.ItemComputationGraph` — its positives, negatives and a sample of at most
``pool_size`` history items per row (the pool), with their top-T neighbors layer by layer — and a step computes
those items only, so its cost follows the batch, not the catalogue. Inference stays full-graph and layer-wise: every
item through every convolution, every user over its whole history. With pools that hold the whole history the
mini-batch step equals the full-graph one (``tests/test_pinsage_minibatch.py``); NDCG@10 on synthetic after 16
epochs: 0.2129 with mini-batches, 0.2126 with the full-graph step (``benchmarks/bench_models.py``).

The hard-negative curriculum (epoch n adds n - 1 negatives, capped by ``max_hard_negatives``) draws them
from a rank band of the user's personalised PageRank. The band starts at 5% of the catalogue: with the
sampler's 1-5% band the hard negatives were often the user's held-out positives and training pushed
them down (NDCG@10 after 20 epochs on synthetic: 0.141 with it, 0.184 with no hard negatives). From
5-20% they neither hurt nor help on ml-latest-small (0.2485 and 0.2490 at 12 epochs in tuning runs). Most of the gain
over the first defaults came from 16 uniform negatives per positive and an L2 penalty on the batch's
embeddings; README's benchmark table has the figures.
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
from engine.models.base import Recommender, TrainDefaults, free_table
from engine.models.inputs import ItemNeighborhood, LinkBatch, RandomWalkSpec
from engine.models.losses import l2_penalty, max_margin_loss
from engine.models.search import Choices, Range
from engine.models.sparse import csr_pair, spmm
from engine.sampler_settings import RandomWalkSettings


@dataclass
class PinSageParams:
    """Hyper-parameters of :class:`PinSage`."""

    num_layers: int = field(default=2, metadata={"help": "importance-pooling convolutions", "min": 1, "max": 4})
    # PinSage's own, tuned with its learning rate and epochs; the walk settings below are the sampler's defaults.
    top_t: int = field(default=20, metadata={"help": "neighbors T kept per item", "min": 1, "max": 100})
    num_walks: int = field(
        default=RandomWalkSettings.num_walks,
        metadata={"help": "random walks per item", "min": 1, "max": 10000},
    )
    walk_length: int = field(
        default=RandomWalkSettings.walk_length,
        metadata={"help": "most two-hop steps per walk", "min": 1, "max": 50},
    )
    restart_prob: float = field(
        default=RandomWalkSettings.restart_prob,
        metadata={"help": "restart probability per step", "min": 0.0, "max": 1.0},
    )
    margin: float = field(default=0.1, metadata={"help": "max-margin loss gap", "min": 0.0, "max": 10.0})
    reg: float = field(
        default=1e-3,
        metadata={"help": "L2 penalty on the batch's item embeddings and free user vectors", "min": 0.0, "max": 1.0},
    )
    max_hard_negatives: int = field(
        default=3,
        metadata={"help": "cap of the curriculum's hard negatives (epoch n uses n-1); 0 = off", "min": 0, "max": 100},
    )
    hard_band_lo: float = field(
        default=0.05,
        metadata={"help": "hard negatives' PageRank rank band: start, share of the catalogue", "min": 0.0, "max": 1.0},
    )
    hard_band_hi: float = field(
        default=0.2,
        metadata={"help": "hard negatives' PageRank rank band: end, share of the catalogue", "min": 0.0, "max": 1.0},
    )
    id_embeddings: bool = field(
        default=True,
        metadata={"help": "free ID vectors: items' added to features, users' to the pool", "min": 0, "max": 1},
    )
    minibatch: bool = field(
        default=True,
        metadata={
            "help": "train on each batch's computation graph (Algorithm 1); 0 = every item and user every step",
            "min": 0,
            "max": 1,
        },
    )
    pool_size: int = field(
        default=32,
        metadata={"help": "history items a user pools over per training step (mini-batch)", "min": 1, "max": 10000},
    )

    def __post_init__(self) -> None:
        if not self.hard_band_lo < self.hard_band_hi:
            raise ValueError(f"hard_band_lo ({self.hard_band_lo}) must be below hard_band_hi ({self.hard_band_hi})")


class ImportancePooling(torch.nn.Module):
    """One PinSage convolution: ``normalize(ReLU(W [h_self || Σ_t w_t ReLU(Q h_t + q)] + w))``.

    Args:
        dim (int): Input and output width ``d``.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.transform = torch.nn.Linear(dim, dim)  # Q, q
        self.combine = torch.nn.Linear(2 * dim, dim)  # W, w

    def forward(self, x: Tensor, weights: Tensor, weights_t: Tensor) -> Tensor:
        """``x (N, d)`` and the ``(M, N)`` sparse importance matrix (and its transpose) -> ``(M, d)``.

        The ``M`` outputs are the first ``M`` inputs: ``M = N`` over the whole catalogue, fewer in a computation graph.
        """
        pooled = spmm(weights, weights_t, F.relu(self.transform(x)))  # (M, d): visit-weighted mean
        own = x[: weights.shape[0]]  # (M, d)
        return F.normalize(F.relu(self.combine(torch.cat([own, pooled], dim=1))), dim=1)


class PinSage(Recommender):
    """PinSage (Ying et al., KDD 2018) with the max-margin loss and the hard-negative curriculum.

    Args:
        graph (InteractionGraph): Training graph; users pool their items on its edges.
        dim (int): Embedding size ``d``.
        params (PinSageParams): Walk, pooling, margin and curriculum settings.
        seed (int): Seed of initialisation. (default: ``0``)
        neighborhood (ItemNeighborhood): The item neighborhood inference pools over, drawn on ``graph`` with
            ``sampling(params)`` and the model seed, as :func:`engine.loader.build_recommender` does; training pools
            over each batch's own.
    """

    name = "pinsage"
    Params = PinSageParams
    supports_inductive = True
    inductive_is_approximate = True
    loss_kind = "max-margin"
    default_train = TrainDefaults(epochs=16, lr=0.003, batch_size=2048, num_negatives=16)
    search_space = {
        "lr": Range(1e-4, 1e-2, log=True),
        "batch_size": Choices((512, 1024, 2048, 4096)),
        "reg": Range(1e-6, 1e-1, log=True),
        "num_layers": Range(1, 3),
        "top_t": Range(5, 50),
        "num_walks": Range(50, 400),
    }

    def __init__(
        self,
        graph: InteractionGraph,
        dim: int,
        params: PinSageParams,
        seed: int = 0,
        *,
        neighborhood: ItemNeighborhood | None = None,
    ) -> None:
        super().__init__(graph, dim, params, seed)
        shape = None if neighborhood is None else tuple(neighborhood.weights.shape)
        if shape != (graph.num_items,) * 2:
            raise ValueError(
                f"'{type(self).__name__}' needs the ({graph.num_items}, {graph.num_items}) item neighborhood of its "
                f"graph for inference (got {shape}); build it with engine.loader.build_recommender"
            )
        items = torch.from_numpy(item_features(graph))
        self.register_buffer("item_x", items, persistent=False)  # (I, F)
        with torch.random.fork_rng(devices=[]):  # torch.nn layers draw from the global generator: seed it locally
            torch.manual_seed(seed)
            self.item_proj = torch.nn.Linear(items.shape[1], dim)
            self.convs = torch.nn.ModuleList(ImportancePooling(dim) for _ in range(params.num_layers))
            self.head = torch.nn.Sequential(torch.nn.Linear(dim, dim), torch.nn.ReLU(), torch.nn.Linear(dim, dim))
            self.user_transform = torch.nn.Linear(dim, dim)  # Q, q of the users' pooling
            self.user_combine = torch.nn.Linear(dim, dim)  # dense after the users' pooling
        if params.id_embeddings:
            # Sparse with mini-batches: a step updates the rows its computation graph and users touch; the full-graph
            # step (minibatch=0) reads every row, so there the tables stay dense.
            generator, sparse = self.generator(), bool(params.minibatch)
            self.id_emb = free_table(graph.num_items, dim, 0.1, generator, sparse)
            self.user_emb = free_table(graph.num_users, dim, 0.1, generator, sparse)
        # Inference always uses the neighborhood drawn with the model seed, so embeddings() is reproducible;
        # training pools over each epoch's redraw, as the paper samples neighborhoods per mini-batch.
        self.neighborhood = neighborhood
        user, item = torch.from_numpy(graph.user), torch.from_numpy(graph.item)
        self.history, self.history_t = csr_pair(user, item, torch.ones(len(user)), (self.num_users, self.num_items))
        self.register_buffer("seen_keys", user * graph.num_items + item, persistent=False)  # (E,) sorted

    def _apply(self, fn, recurse=True):
        # Sparse matrices are plain attributes (buffers cannot be sparse CSR); move them with the module.
        module = super()._apply(fn, recurse)
        device = self.seen_indptr.device
        self.history, self.history_t = self.history.to(device), self.history_t.to(device)
        self.neighborhood = self.neighborhood.to(device)
        return module

    @classmethod
    def sampling(cls, params: PinSageParams) -> RandomWalkSpec:
        layers = params.num_layers if params.minibatch else 0
        return RandomWalkSpec(
            params.num_walks, params.walk_length, params.restart_prob, params.top_t, layers, params.pool_size
        )

    def num_hard_negatives(self, epoch: int) -> int:
        return max(0, min(epoch - 1, self.params.max_hard_negatives))

    def hard_negative_band(self) -> tuple[float, float]:
        return self.params.hard_band_lo, self.params.hard_band_hi

    def _items(self, neighborhood: ItemNeighborhood) -> tuple[Tensor, Tensor]:
        """``(item_emb (I, d), messages (I, d))``: item embeddings and what each sends to its users' pools."""
        layers = [(neighborhood.weights, neighborhood.weights_t)] * len(self.convs)
        return self._convolve(self.item_x, self.id_emb.weight if self.params.id_embeddings else None, layers)

    def _convolve(
        self, features: Tensor, ids: Tensor | None, layers: list[tuple[Tensor, Tensor]]
    ) -> tuple[Tensor, Tensor]:
        """Layer-0 vectors of ``features (N, F)`` (+ ``ids (N, d)``) through the convolutions over ``layers``'s
        importance matrices and the head: ``(embeddings (M, d), messages (M, d))`` of the last layer's outputs."""
        x = self.item_proj(features)  # (N, d)
        if ids is not None:
            x = x + ids
        for conv, (weights, weights_t) in zip(self.convs, layers, strict=True):
            x = conv(x, weights, weights_t)
        x = self.head(x)  # (M, d); Algorithm 2 normalises inside the convolutions, not the final output
        return x, self.user_transform(x)

    def _users(self, sums: Tensor, degree: Tensor) -> Tensor:
        """Pooled user part ``(B, d)`` from summed item messages ``(B, d)`` over ``degree (B,)`` items."""
        return self.user_combine(sums / degree.clamp(min=1).unsqueeze(1))  # uniform importance over the items

    def embeddings(self) -> tuple[Tensor, Tensor]:
        with torch.no_grad():
            item_emb, messages = self._items(self.neighborhood)
            users = self._users(spmm(self.history, self.history_t, messages), self.seen_indptr.diff().float())
            if self.params.id_embeddings:
                users = users + self.user_emb.weight
            return users, item_emb

    def loss(self, batch: LinkBatch) -> Tensor:
        if batch.items is not None:
            u, p, n = self._minibatch(batch)
        elif batch.neighborhood is not None:
            u, p, n = self._full_graph(batch)
        else:
            raise ValueError(
                f"'{type(self).__name__}' needs its batch's item computation graph or the epoch's item neighborhood "
                f"(got neither); build batches with LinkBatchLoader(sampling={type(self).__name__}.sampling(params))"
            )
        users = batch.users
        pos_scores = (u * p).sum(-1)  # (B,)
        neg_scores = torch.einsum("bd,bnd->bn", u, n)  # (B, n)
        # Without the penalty the hinge is met by growing every vector, after which only a few pairs still teach.
        # The users' pooled part goes unpenalised (only their free vectors are), so that part keeps the signal a
        # new user's embedding is made of.
        free = self.user_emb(users) if self.params.id_embeddings else u.new_zeros(0, self.dim)
        penalty = l2_penalty(p, n, free)
        return max_margin_loss(pos_scores, neg_scores, self.params.margin) + self.params.reg * penalty

    def _minibatch(self, batch: LinkBatch) -> tuple[Tensor, Tensor, Tensor]:
        """``(users (B, d), positives (B, d), negatives (B, n, d))`` from the batch's computation graph alone."""
        graph = batch.items
        ids = self.id_emb(graph.items) if self.params.id_embeddings else None
        layers = list(zip(graph.weights, graph.weights_t, strict=True))
        targets, messages = self._convolve(self.item_x[graph.items], ids, layers)  # (M, d), (M, d)
        # Each row's pool is a sample of its user's other training items; its mean estimates the whole history's.
        u = self._users(spmm(graph.pool, graph.pool_t, messages), graph.pool_size)  # (B, d)
        if self.params.id_embeddings:
            u = u + self.user_emb(batch.users)
        return u, targets[graph.positive_rows], targets[graph.negative_rows]

    def _full_graph(self, batch: LinkBatch) -> tuple[Tensor, Tensor, Tensor]:
        """The same from every item's embedding and every user's whole history (the step before mini-batches)."""
        users, pos, neg = batch.users, batch.positives, batch.negatives  # (B,), (B,), (B, n)
        item_emb, messages = self._items(batch.neighborhood)  # (I, d), (I, d)
        sums = spmm(self.history, self.history_t, messages)  # (U, d)
        # Leave the positive out of its user's pool (FISM); a positive absent from the train graph is not in it.
        in_pool = self._is_seen(users, pos)  # (B,)
        degree = self.seen_indptr[users + 1] - self.seen_indptr[users] - in_pool  # (B,)
        u = self._users(sums[users] - in_pool.unsqueeze(1) * messages[pos], degree)  # (B, d)
        if self.params.id_embeddings:
            u = u + self.user_emb(users)
        return u, item_emb[pos], item_emb[neg]

    def _is_seen(self, users: Tensor, items: Tensor) -> Tensor:
        """``(B,)`` float, 1 where ``items[b]`` is a training item of ``users[b]``."""
        keys = users * self.num_items + items  # (B,)
        if len(self.seen_keys) == 0:
            return torch.zeros(len(keys), device=self.device)
        slot = torch.searchsorted(self.seen_keys, keys).clamp(max=len(self.seen_keys) - 1)
        return (self.seen_keys[slot] == keys).float()

    def embed_new_user(self, items: Sequence[int] | np.ndarray) -> Tensor:
        items = self._new_user_items(items)
        with torch.no_grad():
            _, messages = self._items(self.neighborhood)
            return self._users(messages[items].sum(0, keepdim=True), torch.tensor([len(items)], device=self.device))[0]

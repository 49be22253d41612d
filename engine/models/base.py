"""The one contract every recommender implements, so the trainer and the dashboard treat them alike.

A model is built from the *train* graph (node ids are the full dataset's ids), scores a user–item pair
by the dot product of their embeddings, and is trained by the trainer through :meth:`Recommender.loss`
on the :class:`~engine.models.inputs.LinkBatch` batches of the loader: (user, positive item, negative items)
plus whatever the model's :meth:`Recommender.sampling` asked for. Models never call a sampler. Following
*implicit*'s ``RecommenderBase``, every model passes one shared contract test (``tests/test_models_contract.py``).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np
import torch
from torch import Tensor

from engine.graph import CSR, InteractionGraph
from engine.models.inputs import LinkBatch, SamplingSpec
from engine.ranking import top_k


class InductiveNotSupported(ValueError):
    """Raised by :meth:`Recommender.embed_new_user` on a model that only knows the users it was trained on."""


@dataclass(frozen=True)
class TrainDefaults:
    """A model's defaults for the trainer settings that :class:`~engine.runs.TrainConfig` leaves at ``None``."""

    epochs: int  # total training epochs
    lr: float  # Adam learning rate
    batch_size: int  # training edges (user, positive item) per step
    num_negatives: int  # uniform negatives per positive


def free_table(rows: int, dim: int, std: float, generator: torch.Generator, sparse: bool) -> torch.nn.Embedding:
    """A table of free ID vectors ``(rows, dim)`` drawn from ``N(0, std²)`` with ``generator``.

    With ``sparse`` a step's gradient holds only the rows the batch looked up (``self.table(rows)``), and the trainer
    updates them with a row-sparse Adam (:mod:`engine.training.optimizers`), so a step's cost follows the batch, not
    the table. A model whose loss reads the whole table (full-graph propagation) keeps it dense.
    """
    weight = torch.randn(rows, dim, generator=generator) * std
    return torch.nn.Embedding.from_pretrained(weight, freeze=False, sparse=sparse)  # no draw from the global RNG


def params_help(params_cls: type) -> dict[str, dict[str, Any]]:
    """``{field: {"help", "min", "max", "default"}}`` of a model's ``Params`` dataclass (for forms and CLIs)."""
    return {f.name: {**f.metadata, "default": f.default} for f in fields(params_cls)}


def check_params(params: Any) -> None:
    """Raise ``ValueError`` naming the field when a ``Params`` value lies outside its ``min``/``max`` metadata."""
    for f in fields(params):
        value, low, high = getattr(params, f.name), f.metadata.get("min"), f.metadata.get("max")
        if (low is not None and not value >= low) or (high is not None and not value <= high):  # NaN is outside
            raise ValueError(
                f"'{f.name}' of {type(params).__qualname__} must lie in [{low}, {high}] (got {value!r}); "
                f"the default is {f.default!r}"
            )


class Recommender(torch.nn.Module, abc.ABC):
    """Abstract base of every recommender: embeddings, a training loss, top-K and (maybe) inductive users.

    Scores are dot products ``user_emb @ item_emb.T``, so the embeddings returned by :meth:`embeddings`
    are exactly what the Embeddings page projects.

    Args:
        graph (InteractionGraph): The training graph; its edges are the "seen" items masked in
            :meth:`recommend` and the graph message passing runs on.
        dim (int): Embedding size ``d``.
        params (Params): Model-specific hyper-parameters (an instance of the subclass's ``Params``).
        seed (int): Seed of parameter initialisation and of the inputs drawn for inference (PinSage's item
            neighborhood). (default: ``0``)
    """

    name: ClassVar[str]
    Params: ClassVar[type]
    supports_inductive: ClassVar[bool] = False
    inductive_is_approximate: ClassVar[bool] = False
    loss_kind: ClassVar[str] = "BPR"  # what metrics.jsonl's "loss" measures; losses of different kinds differ in scale
    default_train: ClassVar[TrainDefaults]  # trainer defaults for this model: epochs, lr, batch_size, num_negatives
    search_space: ClassVar[dict[str, Any]]  # what `python -m engine tune` searches: name -> search.Range | Choices

    def __init__(self, graph: InteractionGraph, dim: int, params: Any, seed: int = 0) -> None:
        super().__init__()
        self.check_arguments(graph, dim, params)
        self.num_users, self.num_items, self.dim = graph.num_users, graph.num_items, dim
        self.params, self.seed = params, seed
        seen = graph.user_csr
        # Rebuilt from the graph on every construction, so they stay out of the checkpoint.
        self.register_buffer("seen_indptr", torch.from_numpy(seen.indptr.copy()), persistent=False)
        self.register_buffer("seen_items", torch.from_numpy(seen.indices.copy()), persistent=False)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        # Before free tables were torch.nn.Embedding modules they were plain parameters: "user_emb", not
        # "user_emb.weight". Checkpoints of either kind load.
        for name, module in self.named_children():
            old, new = prefix + name, prefix + name + ".weight"
            if isinstance(module, torch.nn.Embedding) and old in state_dict and new not in state_dict:
                state_dict[new] = state_dict.pop(old)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    @classmethod
    def check_arguments(cls, graph: InteractionGraph, dim: int, params: Any) -> None:
        """Raise what the constructor raises for bad arguments, before anything is built or sampled for them."""
        if not isinstance(dim, int) or dim <= 0:
            raise ValueError(f"'dim' must be a positive integer for '{cls.__name__}' (got {dim!r})")
        if not isinstance(params, cls.Params):
            raise TypeError(
                f"'{cls.__name__}' needs params of type {cls.Params.__qualname__} "
                f"(got {type(params).__qualname__}); build them as {cls.__name__}.Params(**values)"
            )
        if graph.num_users == 0 or graph.num_items == 0:
            raise ValueError(f"'{cls.__name__}' needs a graph with users and items (got {graph!r})")
        check_params(params)

    @property
    def device(self) -> torch.device:
        return self.seen_indptr.device

    def generator(self, offset: int = 0) -> torch.Generator:
        """A CPU generator seeded from the model seed, for reproducible initialisation on any device."""
        return torch.Generator().manual_seed(self.seed * 1_000_003 + offset)

    # ------------------------------------------------------------------ contract
    @abc.abstractmethod
    def embeddings(self) -> tuple[Tensor, Tensor]:
        """Full-graph inference: ``(user_emb (U, d), item_emb (I, d))``, computed without gradients."""

    @abc.abstractmethod
    def loss(self, batch: LinkBatch) -> Tensor:
        """Scalar training loss of a batch (``users (B,)``, ``positives (B,)``, ``negatives (B, n)``, ...)."""

    @classmethod
    def sampling(cls, params: Any) -> SamplingSpec | None:
        """What the loader must sample for this model's batches, given its ``Params``; ``None`` for negatives only."""
        return None

    def num_hard_negatives(self, epoch: int) -> int:
        """How many hard negatives per positive the loader should add to the uniform ones at ``epoch``."""
        return 0

    def hard_negative_band(self) -> tuple[float, float] | None:
        """Rank band ``(lo, hi)``, shares of the catalogue, of the user's personalised PageRank that hard negatives
        come from; ``None`` keeps the hard-negative sampler's default band."""
        return None

    def embed_new_user(self, items: Sequence[int]) -> Tensor:
        """Embedding ``(d,)`` of a user the model never saw, from the internal ids of the items they chose."""
        able = sorted(c.name for c in _concrete_models() if c.supports_inductive)
        raise InductiveNotSupported(
            f"'{self.name}' learns one free vector per training user, so it cannot embed a user it was not "
            f"trained on; use a {', '.join(able[:-1])} or {able[-1]} run for cold-start users"
        )

    # ------------------------------------------------------------------ shared
    def recommend(self, users: Sequence[int] | np.ndarray | Tensor, k: int, exclude_seen: bool = True):
        """Top-``k`` items per user by embedding dot product (:func:`engine.ranking.top_k`).

        Args:
            users: Internal user ids, shape ``(B,)``.
            k (int): Items per user, ``1 <= k <= num_items``.
            exclude_seen (bool): Never recommend the user's training items. (default: ``True``)

        Returns:
            ``(items (B, k) int64, scores (B, k) float32)`` as numpy arrays, best first. When a user has
            fewer than ``k`` unseen items the tail holds seen items with score ``-inf``.
        """
        users = self._user_tensor(users)
        user_emb, item_emb = self.embeddings()
        seen = CSR(self.seen_indptr, self.seen_items) if exclude_seen else None
        items, scores = top_k(user_emb, item_emb, users, k, exclude=seen)
        return items.cpu().numpy().astype(np.int64), scores.float().cpu().numpy()

    def _user_tensor(self, users: Sequence[int] | np.ndarray | Tensor) -> Tensor:
        users = torch.as_tensor(np.asarray(users.cpu() if isinstance(users, Tensor) else users)).reshape(-1)
        if users.dtype.is_floating_point or users.dtype == torch.bool:
            raise ValueError(f"user ids must be integers (got dtype {users.dtype})")
        if len(users) and (users.min() < 0 or users.max() >= self.num_users):
            raise ValueError(
                f"user ids must lie in [0, {self.num_users}) for '{self.name}' "
                f"(got {int(users.min())}..{int(users.max())})"
            )
        return users.long().to(self.device)

    def _new_user_items(self, items: Sequence[int]) -> Tensor:
        """Validated, de-duplicated ``(n,)`` item tensor on the model's device for :meth:`embed_new_user`."""
        array = np.asarray(items)
        if array.ndim != 1 or len(array) == 0:
            raise ValueError(f"a new user needs a non-empty list of item ids (got {items!r})")
        if not np.issubdtype(array.dtype, np.integer):
            raise ValueError(f"item ids must be integers (got dtype {array.dtype})")
        if array.min() < 0 or array.max() >= self.num_items:
            raise ValueError(f"item ids must lie in [0, {self.num_items}) (got {array.min()}..{array.max()})")
        return torch.from_numpy(np.unique(array).astype(np.int64)).to(self.device)


def _concrete_models() -> list[type[Recommender]]:
    found, stack = [], list(Recommender.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if not getattr(cls, "__abstractmethods__", None):
            found.append(cls)
    return found

"""Mini-batches of training edges with their negatives and the inputs their model asked to have sampled.

Everything random in an epoch derives from ``(seed, epoch, batch)``: the edge order from ``(seed, epoch)``, a batch's
uniform and hard negatives and its fanout blocks from ``derive_seed(seed, epoch, batch)``, the epoch's item
neighborhood from ``derive_seed(seed, epoch)``. A batch is therefore the same whether it is replayed alone
(:meth:`LinkBatchLoader.batch`), met in a resumed run, or sampled ahead in a background thread.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from engine.graph import InteractionGraph
from engine.loader.neighborhoods import (
    EpochWalks,
    item_computation_graph,
    item_neighborhood,
    make_sampler,
    message_flow,
)
from engine.loader.prefetch import Prefetcher
from engine.models.inputs import FanoutSpec, ItemNeighborhood, LinkBatch, RandomWalkSpec, SamplingSpec
from engine.sampling import derive_seed, hard_negatives, history_pools, uniform_negatives
from engine.sampling.negatives import DEFAULT_HARD_BAND


@dataclass(frozen=True)
class _EpochInputs:
    """What every batch of one epoch shares."""

    order: np.ndarray  # (E,) edge ids in the epoch's order
    num_hard: int  # hard negatives per positive
    neighborhood: ItemNeighborhood | None  # the epoch's item neighborhood, on the loader's device
    walks: EpochWalks | None  # the epoch's top-T table, walked as batches need it and cut into their computation graphs


class LinkBatchLoader:
    """Shuffled mini-batches of a train graph's edges as :class:`~engine.models.inputs.LinkBatch` tensors.

    Each epoch visits every training edge once. A batch holds its edges' users and positive items, ``num_negatives``
    uniform negatives per positive plus the curriculum's hard negatives (from a rank band of the user's personalised
    PageRank), and what ``sampling`` asks for: fanout blocks around the batch's nodes, drawn without the batch's own
    (user, positive) edges so no block leaks the target, the epoch's item neighborhood, or the computation graph of
    the items the batch needs (each row's user pooling over a sample of its history) cut from the epoch's
    neighborhood, which walks from an item only when a batch first needs that item's neighbors. With ``prefetch > 0``
    one background thread samples up to that many batches ahead, so sampling batch ``b + 1`` overlaps the model's
    step on batch ``b``; the batches are the same either way.

    Args:
        graph (InteractionGraph): The train graph: its edges are the positives and the graph that is sampled.
        batch_size (int): Edges per batch; an epoch's last batch holds the rest.
        num_negatives (int): Uniform negatives per positive.
        seed (int): The run's seed. (default: ``0``)
        sampling (SamplingSpec, optional): The model's request, ``Model.sampling(params)``. (default: ``None``,
            negatives only)
        num_hard_negatives (Callable[[int], int], optional): Hard negatives per positive at an epoch, e.g. the
            model's :meth:`~engine.models.Recommender.num_hard_negatives`. (default: ``None``, none)
        hard_band (tuple[float, float], optional): PageRank rank band of the hard negatives, shares of the catalogue.
            (default: ``None``, :data:`~engine.sampling.negatives.DEFAULT_HARD_BAND`)
        prefetch (int): Batches sampled ahead in a background thread; ``0`` samples each batch when it is asked
            for, in the caller's thread. (default: ``2``)
        device (torch.device | str): Where the batches' tensors are put. (default: ``"cpu"``)
        rank (int): This process's rank in a data-parallel group: it visits its shard of each epoch. (default: ``0``)
        world_size (int): Processes in the group. (default: ``1``, every edge)
    """

    def __init__(
        self,
        graph: InteractionGraph,
        batch_size: int,
        num_negatives: int,
        seed: int = 0,
        sampling: SamplingSpec | None = None,
        num_hard_negatives: Callable[[int], int] | None = None,
        hard_band: tuple[float, float] | None = None,
        prefetch: int = 2,
        device: torch.device | str = "cpu",
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        name = type(self).__name__
        for label, value, least in (("batch_size", batch_size, 1), ("num_negatives", num_negatives, 1)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
                raise ValueError(f"'{label}' must be a positive integer for '{name}' (got {value!r})")
        if isinstance(world_size, bool) or not isinstance(world_size, (int, np.integer)) or world_size < 1:
            raise ValueError(f"'world_size' must be a positive integer for '{name}' (got {world_size!r})")
        if isinstance(rank, bool) or not isinstance(rank, (int, np.integer)) or not 0 <= rank < world_size:
            raise ValueError(f"'rank' must be an integer in [0, {world_size}) for '{name}' (got {rank!r})")
        for label, value in (("seed", seed), ("prefetch", prefetch)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"'{label}' must be a non-negative integer for '{name}' (got {value!r})")
        self.graph = graph
        self.batch_size, self.num_negatives, self.seed = int(batch_size), int(num_negatives), int(seed)
        self.sampling = sampling
        self.num_hard_negatives = num_hard_negatives
        self.hard_band = DEFAULT_HARD_BAND if hard_band is None else hard_band
        self.prefetch = int(prefetch)
        self.device = torch.device(device)
        self.rank, self.world_size = int(rank), int(world_size)
        self._sampler = None if sampling is None else make_sampler(sampling, graph)
        self.walks: EpochWalks | None = None  # mini-batch PinSage: the last epoch's or batch's walks, what it walked

    @property
    def shard_size(self) -> int:
        """Edges this rank visits per epoch: ``ceil(E / world_size)``, every rank the same (see :meth:`order`)."""
        return math.ceil(self.graph.num_edges / self.world_size)

    def __len__(self) -> int:
        """Batches per epoch (of this rank's shard)."""
        return math.ceil(self.shard_size / self.batch_size)

    def order(self, epoch: int) -> np.ndarray:
        """The train graph's edge ids in the order ``epoch`` visits them: all ``(E,)`` with one process; with
        ``world_size`` processes this rank's shard, every ``world_size``-th edge of one shared permutation from
        ``rank`` on, padded by wrapping round (as ``torch.utils.data.DistributedSampler`` pads) so every rank has
        the same number of batches — a rank with fewer would leave the others waiting for it forever."""
        order = np.random.default_rng([self.seed, self._check_epoch(epoch)]).permutation(self.graph.num_edges)
        if self.world_size == 1:
            return order
        padded = np.resize(order, self.shard_size * self.world_size)  # repeats the permutation's start
        return padded[self.rank :: self.world_size]

    def _stream(self, index: int) -> int:
        """Batch number that keys batch ``index``'s random streams: unique across ranks, ``index`` on one process."""
        return self.rank * len(self) + index

    def epoch(self, epoch: int) -> Prefetcher[LinkBatch]:
        """Every batch of ``epoch``, in order; close it (or use it in a ``with`` block) to stop the sampling thread.

        Args:
            epoch (int): The epoch, from 1.
        """
        self._check_epoch(epoch)
        return Prefetcher(self._batches(epoch), self.prefetch)

    def batch(self, epoch: int, index: int) -> LinkBatch:
        """Batch ``index`` of ``epoch`` on its own: the very batch :meth:`epoch` yields at that position.

        Args:
            epoch (int): The epoch, from 1.
            index (int): The batch, in ``[0, len(loader))``.
        """
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or not 0 <= index < len(self):
            raise ValueError(
                f"'index' must be a batch number in [0, {len(self)}) for '{type(self).__name__}' (got {index!r})"
            )
        return self._batch(epoch, int(index), self._epoch_inputs(epoch))

    def targets(self, epoch: int) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """``(index, edges (B,), users (B,), positives (B,), negatives (B, n + h))`` of every batch of ``epoch``, as
        :meth:`epoch` yields them but without sampling the model's inputs: what a replay searches for a node."""
        inputs = self._epoch_inputs(self._check_epoch(epoch), neighborhood=False)
        for index in range(len(self)):
            yield (index, *self._targets(epoch, index, inputs))

    def _check_epoch(self, epoch: int) -> int:
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 1:
            raise ValueError(f"'epoch' must be a positive integer for '{type(self).__name__}' (got {epoch!r})")
        return int(epoch)

    def _batches(self, epoch: int) -> Iterator[LinkBatch]:
        inputs = self._epoch_inputs(epoch)
        for index in range(len(self)):
            yield self._batch(epoch, index, inputs)

    def epoch_neighborhood(self, epoch: int) -> ItemNeighborhood:
        """The epoch's item neighborhood (a random-walk model's loader only): what every batch of ``epoch`` gets, or
        for mini-batch PinSage the top-T table each batch's computation graph is cut from, as the pooling matrix."""
        if not isinstance(self.sampling, RandomWalkSpec):
            raise ValueError(f"'{type(self).__name__}' draws item neighborhoods for a RandomWalkSpec only")
        return item_neighborhood(self._sampler, derive_seed(self.seed, self._check_epoch(epoch)), self.device)

    def _epoch_inputs(self, epoch: int, neighborhood: bool = True) -> _EpochInputs:
        """What every batch of ``epoch`` shares; ``neighborhood=False`` skips the walks (targets only)."""
        drawn = walks = None
        if neighborhood and isinstance(self.sampling, RandomWalkSpec) and self.sampling.layers:
            walks = self.walks = EpochWalks(self._sampler, derive_seed(self.seed, epoch))  # on demand, once per item
        elif neighborhood and isinstance(self.sampling, RandomWalkSpec):
            drawn = self.epoch_neighborhood(epoch)
        num_hard = 0 if self.num_hard_negatives is None else int(self.num_hard_negatives(epoch))
        return _EpochInputs(self.order(epoch), num_hard, drawn, walks)

    def _targets(self, epoch: int, index: int, inputs: _EpochInputs) -> tuple[np.ndarray, ...]:
        """``(edges (B,), users (B,), positives (B,), negatives (B, n + h))`` of batch ``index``."""
        edges = inputs.order[index * self.batch_size : (index + 1) * self.batch_size]  # (B,)
        users, positives = self.graph.user[edges], self.graph.item[edges]  # (B,), (B,)
        seed = derive_seed(self.seed, epoch, self._stream(index))
        negatives = uniform_negatives(self.graph, users, self.num_negatives, seed=seed)  # (B, n)
        if inputs.num_hard:
            hard = hard_negatives(self.graph, users, inputs.num_hard, self.hard_band, seed=seed)  # (B, h)
            negatives = np.concatenate([negatives, hard], axis=1)  # (B, n + h)
        return edges, users, positives, negatives

    def _batch(self, epoch: int, index: int, inputs: _EpochInputs) -> LinkBatch:
        edges, users, positives, negatives = self._targets(epoch, index, inputs)
        seed = derive_seed(self.seed, epoch, self._stream(index))
        blocks = items = None
        if isinstance(self.sampling, FanoutSpec):
            blocks = message_flow(self._sampler, users, positives, negatives, seed, self.device, exclude_edges=edges)
        if inputs.walks is not None:
            pool_seed = derive_seed(self.seed, epoch, self._stream(index), 1)  # not the negatives' streams
            pools = history_pools(self.graph, users, positives, self.sampling.pool_size, seed=pool_seed)  # (B, P)
            items = item_computation_graph(inputs.walks, positives, negatives, pools, self.sampling.layers, self.device)
        return LinkBatch(
            epoch=epoch,
            index=index,
            edges=torch.from_numpy(edges).to(self.device),
            users=torch.from_numpy(users).to(self.device),
            positives=torch.from_numpy(positives).to(self.device),
            negatives=torch.from_numpy(negatives).to(self.device),
            blocks=blocks,
            neighborhood=inputs.neighborhood,
            items=items,
        )

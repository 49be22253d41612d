"""What a model consumes and what it asks to have sampled: typed batches of tensors and sampling requests.

As in PyG, the samplers return numpy dataclasses, the loader (``engine.loader``) turns them
into the tensors below, and a model sees only these. A model says what it needs through
:meth:`~engine.models.Recommender.sampling`, computed from its ``Params``: ``None`` (negatives only), a
:class:`FanoutSpec` (message-flow blocks around every batch, GraphSAGE) or a :class:`RandomWalkSpec` (item
neighborhoods, and the computation graph of each batch's items, PinSage).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class FanoutSpec:
    """Fanout message-flow blocks around each batch's users, positives and negatives (GraphSAGE).

    The loader draws them per batch with the fanout sampler on the train graph and hands them over in
    :attr:`LinkBatch.blocks`.
    """

    fanouts: tuple[int, ...]  # neighbors per node and hop, outermost hop last
    replace: bool = False  # draw neighbors with replacement


@dataclass(frozen=True)
class RandomWalkSpec:
    """Every item's top-T random-walk neighborhood on the train graph (PinSage).

    Two are drawn: one with the model seed for inference, handed to the model's constructor as ``neighborhood``
    (so :meth:`~engine.models.Recommender.embeddings` is the same after every rebuild), and one per training epoch.
    With ``layers > 0`` each batch gets the :class:`ItemComputationGraph` of the items it needs, cut from the
    epoch's neighborhood (:attr:`LinkBatch.items`); with ``layers == 0`` it gets the epoch's whole neighborhood
    (:attr:`LinkBatch.neighborhood`).
    """

    num_walks: int  # walks per item
    walk_length: int  # most two-hop steps per walk
    restart_prob: float  # probability of restarting after each two-hop step
    top_t: int  # neighbors kept per item
    # convolutions of each batch's ItemComputationGraph; 0 = none, the batch carries the epoch's whole neighborhood
    layers: int = 0
    pool_size: int = 1  # most history items a row's user pools over in a computation graph


SamplingSpec = FanoutSpec | RandomWalkSpec


@dataclass(frozen=True)
class MessageFlow:
    """Sampled message-flow blocks as a stack of bipartite ``SAGEConv`` layers consumes them.

    Layer ``l`` maps its inputs — one row per node of ``nodes`` for layer 0, the previous layer's outputs after
    that — to ``num_dst[l]`` outputs, which are its first ``num_dst[l]`` inputs' nodes (the layout
    ``SAGEConv((x, x[:num_dst]), edge_index)`` takes).

    Args:
        nodes (Tensor): ``(S,)`` global ids of layer 0's inputs; every later layer's nodes are a prefix of them.
        num_dst (tuple[int, ...]): Output rows of each layer; the last layer outputs the batch's distinct nodes.
        edge_index (tuple[Tensor, ...]): ``(2, m_l)`` per layer: local source row, local destination row.
        seed_rows (Tensor): ``(B + B + B n,)`` row of the last layer's output holding each of the batch's users,
            positives and (flattened) negatives, in that order.
    """

    nodes: Tensor
    num_dst: tuple[int, ...]
    edge_index: tuple[Tensor, ...]
    seed_rows: Tensor


@dataclass(frozen=True)
class ItemNeighborhood:
    """Every item's top-T neighbors weighted by normalised visit counts, as sparse matrices for pooling.

    Args:
        weights (Tensor): ``(I, I)`` sparse CSR; row ``i`` holds item ``i``'s neighbors' weights, summing to 1
            (an item no walk left has an empty row).
        weights_t (Tensor): Its transpose, also CSR, for the backward pass of the pooling.
    """

    weights: Tensor
    weights_t: Tensor

    def to(self, device: torch.device | str) -> ItemNeighborhood:
        """Both matrices on ``device``."""
        return ItemNeighborhood(self.weights.to(device), self.weights_t.to(device))


@dataclass(frozen=True)
class ItemComputationGraph:
    """The items one PinSage step computes and their top-T neighborhoods per layer (Ying et al., Algorithm 1).

    The targets are every item the batch scores or pools: its positives, its negatives and its rows' sampled history
    pools. Layer ``L`` (the last convolution) outputs the targets from the targets and their neighbors; layer
    ``L - 1`` outputs those from them and their neighbors, and so on. Each layer's outputs are a prefix of its
    inputs, and the first layer's inputs are :attr:`items`, so a step costs what the batch needs, not the catalogue.

    Args:
        items (Tensor): ``(N_0,)`` internal item ids of the first convolution's inputs; the targets come first.
        num_dst (tuple[int, ...]): Outputs of each convolution, first convolution first, ending with the number of
            targets; convolution ``l``'s outputs are the first ``num_dst[l]`` of its inputs.
        weights (tuple[Tensor, ...]): Per convolution the ``(num_dst[l], inputs)`` sparse CSR importance weights,
            row ``i`` the normalised visit counts of output ``i``'s neighbors.
        weights_t (tuple[Tensor, ...]): Their transposes, CSR, for the backward pass of the pooling.
        pool (Tensor): ``(B, num_targets)`` sparse CSR, 1 where a target is in row ``b``'s pool.
        pool_t (Tensor): Its transpose, CSR.
        pool_size (Tensor): ``(B,)`` float items in each row's pool (0 for a user with no other item).
        positive_rows (Tensor): ``(B,)`` position of each positive among the targets.
        negative_rows (Tensor): ``(B, n)`` position of each negative among the targets.
    """

    items: Tensor
    num_dst: tuple[int, ...]
    weights: tuple[Tensor, ...]
    weights_t: tuple[Tensor, ...]
    pool: Tensor
    pool_t: Tensor
    pool_size: Tensor
    positive_rows: Tensor
    negative_rows: Tensor


@dataclass(frozen=True)
class LinkBatch:
    """One mini-batch of training edges with its negatives and whatever the model's :class:`SamplingSpec` asked for.

    Args:
        epoch (int): Epoch the batch belongs to (1 for the first).
        index (int): Position of the batch in its epoch, from 0.
        edges (Tensor): ``(B,)`` ids of the train graph's edges the batch came from.
        users (Tensor): ``(B,)`` internal user ids.
        positives (Tensor): ``(B,)`` internal item ids, ``positives[b]`` a training item of ``users[b]``.
        negatives (Tensor): ``(B, n)`` internal item ids, none of them a training item of that row's user.
        blocks (MessageFlow, optional): Blocks around every node of the batch (:class:`FanoutSpec`).
        neighborhood (ItemNeighborhood, optional): The epoch's item neighborhood (:class:`RandomWalkSpec` without
            layers).
        items (ItemComputationGraph, optional): The batch's item computation graph (:class:`RandomWalkSpec` with
            layers).
    """

    epoch: int
    index: int
    edges: Tensor
    users: Tensor
    positives: Tensor
    negatives: Tensor
    blocks: MessageFlow | None = None
    neighborhood: ItemNeighborhood | None = None
    items: ItemComputationGraph | None = None

"""The weights a trained GraphSAGE or PinSage model gives a node's neighbors when it aggregates them.

GraphSAGE (Hamilton et al., NeurIPS 2017) mean-aggregates: at inference every neighbor weighs
``1/degree``; in a training step only the ``min(fanout, degree)`` sampled neighbors count, ``1/k``
each. PinSage (Ying et al., KDD 2018) pools an item's top-T random-walk neighbors weighted by
normalised visit counts — read here from the model's inference neighborhood, the one its embeddings
are computed with — and pools a user's training items with uniform importance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from engine.graph import InteractionGraph
from engine.sampling import FanoutSampler

if TYPE_CHECKING:  # the models import PyG; analysis only reads what a loaded model holds
    from engine.models import GraphSAGE, PinSage, Recommender

MODELS_WITH_WEIGHTS = ("graphsage", "pinsage")


@dataclass
class AggregationWeights:
    """Neighbors of one node and their aggregation weights.

    Args:
        neighbors (np.ndarray): Global ids, ``(K,)``.
        weights (np.ndarray): Weight of each neighbor at inference, ``(K,)`` summing to 1.
        training_weights (np.ndarray, optional): Weight in one training draw (0 when not drawn), ``(K,)``;
            ``None`` where training uses the inference weights.
        rule (str): One sentence saying where the weights come from.
    """

    neighbors: np.ndarray
    weights: np.ndarray
    training_weights: np.ndarray | None
    rule: str


def graphsage_aggregation_weights(
    model: GraphSAGE, train_graph: InteractionGraph, node: int, seed: int = 0
) -> AggregationWeights:
    """Mean-aggregation weights of global node ``node``'s neighbors, and those of one training draw.

    Args:
        model (GraphSAGE): A loaded GraphSAGE model; its ``fanout`` sets the size of the training draw.
        train_graph (InteractionGraph): The graph the model was trained on.
        node (int): Global node id.
        seed (int): Seed of the illustrative training draw. (default: ``0``)
    """
    neighbors = _training_neighbors(train_graph, node)
    fanout = int(model.params.fanout)
    drawn = FanoutSampler(train_graph, [fanout]).sample(np.array([node]), seed=seed).edge_src
    return AggregationWeights(
        neighbors,
        np.full(len(neighbors), 1 / len(neighbors)),
        np.isin(neighbors, drawn) / len(drawn),
        f"mean aggregation: 1/{len(neighbors)} per neighbor at inference; a training step samples "
        f"{len(drawn)} of them (fanout {fanout}), 1/{len(drawn)} each — one such draw shown",
    )


def pinsage_aggregation_weights(model: PinSage, train_graph: InteractionGraph, node: int) -> AggregationWeights:
    """Importance-pooling weights of global node ``node``: visit weights for an item, uniform for a user.

    Args:
        model (PinSage): A loaded PinSage model.
        train_graph (InteractionGraph): The graph the model was trained on.
        node (int): Global node id.
    """
    neighbors = _training_neighbors(train_graph, node)
    if node < train_graph.num_users:
        return AggregationWeights(
            neighbors,
            np.full(len(neighbors), 1 / len(neighbors)),
            None,
            f"a PinSage user pools its {len(neighbors)} training items with uniform importance",
        )
    item = node - train_graph.num_users
    pooling = model.neighborhood.weights.cpu()  # (I, I) CSR: row i holds item i's top-T visit weights
    start, end = (int(v) for v in pooling.crow_indices()[item : item + 2])
    neighbors = pooling.col_indices()[start:end].numpy()  # (T',) item ids
    weights = pooling.values()[start:end].numpy()  # (T',)
    order = np.argsort(-weights, kind="stable")
    return AggregationWeights(
        neighbors[order] + train_graph.num_users,
        weights[order],
        None,
        f"importance pooling over the top-{len(neighbors)} random-walk neighbors the model stored, weighted by "
        "normalised visit counts (training redraws the walks every epoch)",
    )


def aggregation_weights(
    model: Recommender, train_graph: InteractionGraph, node: int, seed: int = 0
) -> AggregationWeights:
    """:func:`graphsage_aggregation_weights` or :func:`pinsage_aggregation_weights`, by the model's kind.

    Args:
        model (Recommender): A loaded ``graphsage`` or ``pinsage`` model.
        train_graph (InteractionGraph): The graph the model was trained on.
        node (int): Global node id.
        seed (int): Seed of GraphSAGE's illustrative training draw. (default: ``0``)

    Raises:
        ValueError: For another kind of model, or a node without training interactions.
    """
    if model.name == "graphsage":
        return graphsage_aggregation_weights(model, train_graph, node, seed)
    if model.name == "pinsage":
        return pinsage_aggregation_weights(model, train_graph, node)
    raise ValueError(
        f"model {model.name!r} has no per-neighbor aggregation weights; "
        f"choose a run of {' or '.join(MODELS_WITH_WEIGHTS)}"
    )


def _training_neighbors(train_graph: InteractionGraph, node: int) -> np.ndarray:
    neighbors = train_graph.csr.neighbors(node)
    if len(neighbors) == 0:
        raise ValueError(f"{train_graph.node_name(node)} has no training interactions, so nothing is aggregated")
    return neighbors

"""The weights a trained GraphSAGE or PinSage model gives a node's neighbours when it aggregates them.

GraphSAGE (Hamilton et al., NeurIPS 2017) mean-aggregates: at inference every neighbour weighs
``1/degree``; in a training step only the ``min(fanout, degree)`` sampled neighbours count, ``1/k``
each. PinSage (Ying et al., KDD 2018) pools an item's top-T random-walk neighbours weighted by
normalised visit counts — read here from the model's own stored neighbourhood matrix, the one its
embeddings are computed with — and pools a user's training items with uniform importance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import InteractionGraph
from engine.sampling import FanoutSampler

MODELS_WITH_WEIGHTS = ("graphsage", "pinsage")


@dataclass
class AggregationWeights:
    """Neighbours of one node and their aggregation weights.

    Args:
        neighbours (np.ndarray): Global ids, ``(K,)``.
        weights (np.ndarray): Weight of each neighbour at inference, ``(K,)`` summing to 1.
        training_weights (np.ndarray, optional): Weight in one training draw (0 when not drawn), ``(K,)``;
            ``None`` where training uses the inference weights.
        rule (str): One sentence saying where the weights come from.
    """

    neighbours: np.ndarray
    weights: np.ndarray
    training_weights: np.ndarray | None
    rule: str


def aggregation_weights(model, train_graph: InteractionGraph, node: int, seed: int = 0) -> AggregationWeights:
    """Weights ``model`` gives the neighbours of global node ``node`` on its training graph.

    Args:
        model (Recommender): A loaded ``graphsage`` or ``pinsage`` model.
        train_graph (InteractionGraph): The graph the model was trained on.
        node (int): Global node id.
        seed (int): Seed of the illustrative GraphSAGE training draw. (default: ``0``)
    """
    if model.name not in MODELS_WITH_WEIGHTS:
        raise ValueError(
            f"model {model.name!r} has no per-neighbour aggregation weights; "
            f"choose a run of {' or '.join(MODELS_WITH_WEIGHTS)}"
        )
    neighbours = train_graph.csr.neighbours(node)
    if len(neighbours) == 0:
        raise ValueError(f"{train_graph.node_name(node)} has no training interactions, so nothing is aggregated")
    if model.name == "graphsage":
        fanout = int(model.params.fanout)
        drawn = FanoutSampler(train_graph, [fanout]).sample(np.array([node]), seed=seed).edge_src
        training = np.isin(neighbours, drawn) / len(drawn)
        return AggregationWeights(
            neighbours,
            np.full(len(neighbours), 1 / len(neighbours)),
            training,
            f"mean aggregation: 1/{len(neighbours)} per neighbour at inference; a training step samples "
            f"{len(drawn)} of them (fanout {fanout}), 1/{len(drawn)} each — one such draw shown",
        )
    if node < train_graph.num_users:
        return AggregationWeights(
            neighbours,
            np.full(len(neighbours), 1 / len(neighbours)),
            None,
            f"a PinSage user pools its {len(neighbours)} training items with uniform importance",
        )
    item = node - train_graph.num_users
    adjacency = model.neighbourhood.weights.cpu()  # (I, I): row i holds item i's top-T visit weights
    start, end = (int(v) for v in adjacency.crow_indices()[item : item + 2])
    neighbours = adjacency.col_indices()[start:end].numpy()  # (T',) item ids
    weights = adjacency.values()[start:end].numpy()  # (T',)
    order = np.argsort(-weights, kind="stable")
    return AggregationWeights(
        neighbours[order] + train_graph.num_users,
        weights[order],
        None,
        f"importance pooling over the top-{len(neighbours)} random-walk neighbours the model stored, weighted by "
        "normalised visit counts (training redraws the walks every epoch)",
    )

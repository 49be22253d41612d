"""The Neighborhood page's neighbor tables, each with the score that ranks its rows.

A fanout sample has no importance of its own — GraphSAGE draws neighbors uniformly — so its table scores each drawn
neighbor by how often a resample draws it (against the uniform expectation); PinSage's top-T is an importance list,
so its table is the list: rank, visit count and the L1-normalised weight the model pools with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from engine import InteractionGraph
from engine.analysis import NeighborFrequency
from engine.sampling import FanoutSample, RandomWalkNeighbors


def _label(graph: InteractionGraph, node: int) -> str:
    name = graph.node_name(node)
    return f"{name} — {graph.item_title(node - graph.num_users)}" if node >= graph.num_users else name


def top_t_table(graph: InteractionGraph, walks: RandomWalkNeighbors, membership: NeighborFrequency) -> pd.DataFrame:
    """One row per top-T neighbor of the first seed, most visited first: rank, visits, weight, and how many of
    ``membership.resamples`` independent draws kept it in the top-T."""
    valid = walks.neighbors[0] >= 0
    nodes = walks.neighbors[0][valid]
    kept = dict(zip(membership.nodes.tolist(), membership.draws.tolist(), strict=True))
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(nodes) + 1),
            "neighbor": [_label(graph, int(n)) for n in nodes],
            "visits": walks.visit_counts[0][valid],
            "weight": np.round(walks.weights[0][valid].astype(float), 4),
            f"in top-T of {membership.resamples} draws": [kept.get(int(n), 0) for n in nodes],
        }
    )


def hop_1_table(graph: InteractionGraph, sample: FanoutSample, frequency: NeighborFrequency) -> pd.DataFrame:
    """One row per neighbor the sample drew at hop 1: its degree, how many times this sample drew it (more than
    once only with replacement), and in how many of ``frequency.resamples`` resamples it was drawn against the
    uniform expectation; most drawn over the resamples first."""
    first = sample.edge_hop == 1
    nodes, times = np.unique(sample.edge_src[first], return_counts=True)
    drawn = dict(zip(frequency.nodes.tolist(), frequency.draws.tolist(), strict=True))
    table = pd.DataFrame(
        {
            "neighbor": [_label(graph, int(n)) for n in nodes],
            "degree": graph.csr.degree()[nodes],
            "in this sample": times,
            f"resamples (of {frequency.resamples})": [drawn.get(int(n), 0) for n in nodes],
            "uniform expects": np.round(np.full(len(nodes), frequency.probability * frequency.resamples), 1),
        }
    )
    return table.sort_values(table.columns[3], ascending=False, kind="stable").reset_index(drop=True)

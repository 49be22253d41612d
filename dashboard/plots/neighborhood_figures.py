"""Plotly charts beside the neighborhood drawing: per-hop counts, top-T importance, resampling frequency.

Titles from the dataset reach plotly's hover and tick labels only through :func:`html.escape`, because
plotly renders a subset of HTML (``<b>``, ``<a href>``) in text.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from engine import InteractionGraph
from engine.analysis import NeighbourFrequency, TopTStability
from engine.sampling import FanoutSample, RandomWalkNeighbours

SAMPLED, TRUE = "#1f77b4", "#c7c7c7"


def node_text(graph: InteractionGraph, node: int, width: int = 40) -> str:
    """Escaped short label of a node for plotly text."""
    text = graph.item_title(node - graph.num_users) if node >= graph.num_users else graph.node_name(node)
    return html.escape(text if len(text) <= width else text[: width - 1] + "…")


def hop_counts(sample: FanoutSample) -> go.Figure:
    """Sampled edges per hop against the true degree of the nodes expanded at that hop."""
    hops = [f"hop {h + 1}" for h in range(len(sample.hop_counts))]
    figure = go.Figure(
        [
            go.Bar(name="true degree", x=hops, y=sample.hop_degrees, marker_color=TRUE),
            go.Bar(name="sampled", x=hops, y=sample.hop_counts, marker_color=SAMPLED),
        ]
    )
    figure.update_layout(
        title="Sampled edges vs true degree", barmode="overlay", height=280, margin={"t": 40, "b": 20, "l": 10, "r": 10}
    )
    return figure


def top_t_importance(
    graph: InteractionGraph, walks: RandomWalkNeighbours, title: str = "Top-T importance"
) -> go.Figure:
    """Visit-count weights of one seed's top-T neighbours (the weights PinSage pools with)."""
    valid = walks.neighbours[0] >= 0
    nodes, weights = walks.neighbours[0][valid], walks.weights[0][valid]
    counts = walks.visit_counts[0][valid]
    labels = [node_text(graph, int(n), 28) for n in nodes]
    figure = go.Figure(
        go.Bar(
            x=weights[::-1],
            y=labels[::-1],
            orientation="h",
            marker_color="#ff7f0e",
            customdata=np.stack([counts[::-1], [html.escape(graph.node_name(int(n))) for n in nodes[::-1]]], axis=1),
            hovertemplate="%{y}<br>%{customdata[1]}<br>weight %{x:.3f} (%{customdata[0]} visits)<extra></extra>",
        )
    )
    figure.update_layout(
        title=title, height=max(220, 28 * len(labels) + 80), margin={"t": 40, "b": 20, "l": 10, "r": 10}
    )
    return figure


def frequency_note(result: NeighbourFrequency, shown: int) -> str:
    """What the bars of :func:`frequency` are, in words (plotly text, two lines): how many are shown of how many
    ever drawn, and how many neighbours no resample drew."""
    drawn = len(result.nodes)
    note = f"all {drawn} drawn nodes" if shown == drawn else f"the {shown} most drawn of {drawn} drawn nodes"
    if result.never_drawn:
        note += f"<br>{result.never_drawn} neighbours never drawn"
    return note


def frequency(graph: InteractionGraph, result: NeighbourFrequency, title: str, limit: int = 40) -> go.Figure:
    """How many of the draws picked each neighbour, with the uniform expectation where it exists."""
    nodes, draws = result.nodes[:limit], result.draws[:limit]
    labels = [node_text(graph, int(n), 28) for n in nodes]
    figure = go.Figure(
        go.Bar(
            x=labels,
            y=draws,
            name="draws",
            marker_color=SAMPLED,
            hovertemplate="%{x}<br>drawn in %{y} of " + str(result.resamples) + " samples<extra></extra>",
        )
    )
    if len(nodes) and np.isfinite(result.expected[0]):
        # A legend entry, not an annotation on the line: an annotation sits behind the bars it is compared with.
        figure.add_trace(
            go.Scatter(
                x=[labels[0], labels[-1]],
                y=[float(result.expected[0])] * 2,
                mode="lines",
                line={"dash": "dash", "color": "#333333"},
                name="uniform expectation",
                hoverinfo="skip",
            )
        )
    figure.update_layout(
        title=f"{title}<br><sup>{frequency_note(result, len(nodes))}</sup>",
        height=340,
        xaxis={"showticklabels": len(nodes) <= 20},
        margin={"t": 70, "b": 20},
        showlegend=len(figure.data) > 1,
        legend={"orientation": "h", "yanchor": "top", "y": -0.05 if len(nodes) > 20 else -0.35, "x": 0},
    )
    return figure


def stability(result: TopTStability) -> go.Figure:
    """Mean Jaccard agreement of independent top-T sets against the number of walks."""
    figure = go.Figure(go.Scatter(x=result.num_walks, y=result.mean_jaccard, mode="lines+markers"))
    figure.update_layout(
        title=f"Top-T stability ({result.resamples} draws per budget)",
        # Ticks at the budgets themselves: plotly's own log ticks read "2, 5, 100, 2, 5".
        xaxis={
            "title": "walks per node",
            "type": "log",
            "tickmode": "array",
            "tickvals": result.num_walks,
            "ticktext": [str(walks) for walks in result.num_walks],
        },
        yaxis={"title": "mean Jaccard", "range": [0, 1.05]},
        height=300,
        margin={"t": 40, "b": 20},
    )
    return figure


def replay_weights(graph: InteractionGraph, batch) -> go.Figure:
    """Pooling weights of a replayed PinSage node's hop-1 inputs: an item's top-T, or a user's pool of items."""
    first = batch.edge_hop == 1
    nodes, weights = batch.edge_src[first], batch.edge_weight[first]
    order = np.argsort(-weights, kind="stable")[:40]
    labels = [node_text(graph, int(n), 28) for n in nodes[order]]
    figure = go.Figure(
        go.Bar(
            x=weights[order][::-1],
            y=labels[::-1],
            orientation="h",
            marker_color="#ff7f0e",
            hovertemplate="%{y}<br>weight %{x:.3f}<extra></extra>",
        )
    )
    figure.update_layout(
        title="Pooling weights training used (hop 1)",
        height=max(240, 22 * len(order) + 80),
        margin={"t": 40, "b": 20, "l": 10, "r": 10},
        yaxis={"automargin": True},
    )
    return figure

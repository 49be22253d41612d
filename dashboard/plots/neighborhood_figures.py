"""Plotly charts beside the neighborhood drawing: per-hop counts, top-T importance, resampling frequency.

Titles from the dataset reach plotly's hover and tick labels only through :func:`html.escape`, because
plotly renders a subset of HTML (``<b>``, ``<a href>``) in text.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go
from scipy import stats

from engine import InteractionGraph
from engine.analysis import NeighborFrequency, TopTStability
from engine.plots.theme import themed
from engine.sampling import FanoutSample, RandomWalkNeighbors

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
        title="Sampled edges vs true degree",
        barmode="overlay",
        height=280,
        xaxis={"automargin": True},
        yaxis={"title": "edges", "automargin": True},
    )
    return themed(figure)


def top_t_importance(graph: InteractionGraph, walks: RandomWalkNeighbors, title: str = "Top-T importance") -> go.Figure:
    """Visit-count weights of one seed's top-T neighbors (the weights PinSage pools with)."""
    valid = walks.neighbors[0] >= 0
    nodes, weights = walks.neighbors[0][valid], walks.weights[0][valid]
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
        title=title,
        height=max(220, 28 * len(labels) + 80),
        xaxis={"title": "weight (share of visits)", "automargin": True},
        yaxis={"automargin": True},
    )
    return themed(figure)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 neighbor``, ``2 neighbors`` (``nouns`` for an irregular plural)."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def uniformity_verdict(pvalue: float) -> str:
    """The chi-square test's p-value in words a reader can act on."""
    if not np.isfinite(pvalue):
        return "every neighbor is drawn every time: nothing to test"
    if pvalue < 0.001:
        return f"uniformity χ² p = {pvalue:.1g}: this sampler is not uniform"
    if pvalue < 0.05:
        return f"uniformity χ² p = {pvalue:.2f}: weak evidence of bias"
    return f"uniformity χ² p = {pvalue:.2f}: consistent with uniform sampling"


def draw_histogram(result: NeighborFrequency, title: str) -> go.Figure:
    """How many neighbors were drawn in 0, 1, 2 … of the resamples — every neighbor, never-drawn ones included —
    against the binomial counts a uniform sampler gives, with the chi-square uniformity test in the subtitle."""
    draws = result.all_draws()
    times, neighbors = np.unique(draws, return_counts=True)
    figure = go.Figure(
        go.Bar(
            x=times,
            y=neighbors,
            name="neighbors",
            marker_color=SAMPLED,
            customdata=[plural(int(count), "neighbor") for count in neighbors],
            hovertemplate="%{customdata} drawn in %{x} of " + str(result.resamples) + " resamples<extra></extra>",
        )
    )
    if np.isfinite(result.probability) and len(draws):
        expected = stats.binom(result.resamples, result.probability)
        span = np.arange(
            max(0, min(int(times.min()), int(expected.ppf(0.001)))),
            max(int(times.max()), int(expected.isf(0.001))) + 1,
        )
        figure.add_trace(
            go.Scatter(
                x=span,
                y=len(draws) * expected.pmf(span),
                mode="lines",
                line={"dash": "dash", "color": "#333333", "shape": "spline"},
                name=f"uniform sampler: Binomial({result.resamples}, {result.probability:.3g})",
                hovertemplate="%{y:.1f} expected<extra></extra>",
            )
        )
    figure.update_layout(
        # A subtitle of its own (not "<br><sup>" in the title, which grew past the chart's top): two short lines
        # that fit the narrow charts column.
        title={
            "text": title,
            "subtitle": {
                "text": f"all {plural(len(draws), 'neighbor')}<br>{uniformity_verdict(result.uniformity_pvalue)}"
            },
        },
        height=340,
        xaxis={"title": f"times drawn in {result.resamples} resamples", "automargin": True},
        yaxis={"title": "neighbors", "automargin": True},
        bargap=0.1,
    )
    return themed(figure)


def frequency(graph: InteractionGraph, result: NeighborFrequency, title: str, limit: int = 40) -> go.Figure:
    """How many of the draws picked each node, most drawn first (top-T membership of random walks)."""
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
    drawn = len(result.nodes)
    note = f"all {plural(drawn, 'drawn node')}" if len(nodes) == drawn else f"the {len(nodes)} most drawn of {drawn}"
    figure.update_layout(
        title={"text": title, "subtitle": {"text": note}},
        height=340,
        xaxis={"showticklabels": len(nodes) <= 20, "automargin": True},
        yaxis={"title": f"draws (of {result.resamples})", "automargin": True},
    )
    return themed(figure)


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
            "automargin": True,
        },
        yaxis={"title": "mean Jaccard", "range": [0, 1.05], "automargin": True},
        height=300,
    )
    return themed(figure)


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
        yaxis={"automargin": True},
    )
    return themed(figure)

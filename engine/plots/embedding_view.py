"""WebGL scatter maps of user and item embeddings, coloured by type, genre, degree or cluster.

Each colour category is one legend group of ``Scattergl`` traces (its users ●, its items ■) so the legend
toggles it; every point carries its global node id in ``customdata`` so plotly selection events name the node.
Dataset strings reach plotly's hover only HTML-escaped (plotly renders ``<b>``, ``<a href>`` and friends in text).
A map of more than :data:`MAX_POINTS` points draws a seeded uniform random sample of that many
(:func:`shown_points`), which :func:`points_caption` states.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from engine import InteractionGraph
from engine.analysis import Projection
from engine.plots.theme import LEGEND_RIGHT, themed

COLOURINGS = ("node type", "genre", "degree bucket", "cluster")
PALETTE = qualitative.D3 + qualitative.Set2 + qualitative.Pastel1
NO_GENRE = "(no genre)"
# Scattergl stays responsive (pan, hover, select) up to about this many points; beyond it, a stated random sample.
MAX_POINTS = 200_000
SAMPLE_SEED = 0


def shown_points(num_points: int, max_points: int | None = None) -> np.ndarray:
    """Global ids a map draws, ascending: every point up to ``max_points`` (default :data:`MAX_POINTS`), else a
    uniform random sample of that many.

    The sample depends on the sizes only (seed :data:`SAMPLE_SEED`), so every rerun, epoch and the compare map
    of the same dataset draw the same nodes.
    """
    max_points = MAX_POINTS if max_points is None else max_points
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}")
    if num_points <= max_points:
        return np.arange(num_points)
    return np.sort(np.random.default_rng(SAMPLE_SEED).choice(num_points, max_points, replace=False))


def points_caption(num_users: int, num_items: int, max_points: int | None = None) -> str:
    """What a map of ``num_users + num_items`` points shows: all of them, or how many of them were sampled."""
    max_points = MAX_POINTS if max_points is None else max_points
    total = num_users + num_items
    kinds = f"{num_users:,} users ● and {num_items:,} items ■"
    if total <= max_points:
        return f"{total:,} points ({kinds})"
    return (
        f"showing {max_points:,} of {total:,} points, sampled uniformly at random ({kinds} in all; a selected "
        "node is always drawn)"
    )


def first_genres(graph: InteractionGraph) -> np.ndarray:
    """First listed genre of every item, ``(I,)`` strings (``"(no genre)"`` when missing)."""
    if "genres" not in graph.items.columns:
        return np.full(graph.num_items, NO_GENRE, dtype=object)
    genres = graph.items["genres"].fillna("").astype(str).str.split("|").str[0]
    return genres.where(genres != "", NO_GENRE).to_numpy(dtype=object)


def categories(graph: InteractionGraph, colour_by: str, clusters: np.ndarray | None = None) -> np.ndarray:
    """Category label of every node (users first), ``(U + I,)`` strings, for one colouring.

    Users take the genre they interacted with most; degree buckets are powers of two per node type.

    Args:
        graph (InteractionGraph): The dataset graph (the run's node ids).
        colour_by (str): One of :data:`COLOURINGS`.
        clusters (np.ndarray, optional): ``(U + I,)`` k-means labels, needed for ``"cluster"``. (default: ``None``)
    """
    if colour_by == "node type":
        return np.array(["user"] * graph.num_users + ["item"] * graph.num_items, dtype=object)
    if colour_by == "genre":
        item_genre = first_genres(graph)
        frame = pd.DataFrame({"user": graph.user, "genre": item_genre[graph.item]})
        favourite = frame.groupby("user")["genre"].agg(lambda g: g.value_counts().index[0]) if len(frame) else None
        user_genre = np.full(graph.num_users, NO_GENRE, dtype=object)
        if favourite is not None:
            user_genre[favourite.index.to_numpy()] = favourite.to_numpy()
        return np.concatenate([user_genre, item_genre])
    if colour_by == "degree bucket":
        degree = np.concatenate([graph.user_degree(), graph.item_degree()])
        bucket = np.floor(np.log2(np.maximum(degree, 1))).astype(int)
        kinds = ["user"] * graph.num_users + ["item"] * graph.num_items
        return np.array(
            [f"{k} degree {2**b}-{2 ** (b + 1) - 1}" for k, b in zip(kinds, bucket, strict=True)], dtype=object
        )
    if colour_by == "cluster":
        if clusters is None:
            raise ValueError("colouring by cluster needs the k-means labels")
        return np.array([f"cluster {c}" for c in clusters], dtype=object)
    raise ValueError(f"unknown colouring {colour_by!r}; choose one of {', '.join(COLOURINGS)}")


def hover_texts(graph: InteractionGraph) -> np.ndarray:
    """Escaped hover text of every node, users first."""
    users = [html.escape(graph.node_name(u)) for u in range(graph.num_users)]
    degree = graph.item_degree()
    genres = graph.items["genres"].fillna("").astype(str) if "genres" in graph.items.columns else None
    items = [
        f"{html.escape(graph.node_name(graph.num_users + i))}<br>{html.escape(graph.item_title(i))}"
        + (f"<br>{html.escape(genres.iat[i])}" if genres is not None else "")
        + f"<br>degree {degree[i]}"
        for i in range(graph.num_items)
    ]
    return np.array(users + items, dtype=object)


def map_figure(
    projection: Projection,
    labels: np.ndarray,
    hover: np.ndarray,
    *,
    title: str,
    highlight: dict[str, np.ndarray] | None = None,
    extra_points: dict[str, np.ndarray] | None = None,
    category_order: list[str] | None = None,
    height: int = 620,
    max_points: int | None = None,
) -> go.Figure:
    """A WebGL scatter of a projection, one trace per category; above ``max_points`` points a random sample of them.

    Args:
        projection (Projection): Map of ``U + I`` points.
        labels (np.ndarray): ``(U + I,)`` category of every point.
        hover (np.ndarray): ``(U + I,)`` escaped hover text.
        title (str): Figure title (plain text; escaped here).
        highlight (dict, optional): Legend name -> global ids drawn on top as rings. (default: ``None``)
        extra_points (dict, optional): Legend name -> ``(n, 2)`` positions of points not in the map
            (a cold-start user), drawn as stars. (default: ``None``)
        category_order (list[str], optional): Category order, so two maps share colours. (default: sorted)
        height (int): Pixels. (default: ``620``)
        max_points (int): Most map points drawn (:func:`shown_points`); highlighted nodes are drawn regardless.
            (default: :data:`MAX_POINTS`)
    """
    coords = projection.coords
    ids = shown_points(len(coords), max_points)
    shown_labels = labels[ids]
    order = category_order or sorted(set(labels.tolist()))  # all labels: a sample keeps the colours
    traces = []
    for index, category in enumerate(order):
        in_category = ids[shown_labels == category]
        # Users and items of a category are two traces of one legend group, each with one symbol: a per-point
        # symbol array costs plotly ~30 µs a point to validate (6 s at 200k points), one symbol per trace nothing.
        parts = [(in_category[in_category < projection.num_users], "circle")]
        parts.append((in_category[in_category >= projection.num_users], "square"))
        parts = [(members, symbol) for members, symbol in parts if len(members)]
        for part, (members, symbol) in enumerate(parts):
            traces.append(
                go.Scattergl(
                    x=coords[members, 0],
                    y=coords[members, 1],
                    mode="markers",
                    name=html.escape(str(category)),
                    legendgroup=f"category {index}",
                    showlegend=part == 0,
                    marker={"size": 5, "color": PALETTE[index % len(PALETTE)], "symbol": symbol, "opacity": 0.75},
                    customdata=members,
                    text=hover[members],
                    hovertemplate="%{text}<extra></extra>",
                )
            )
    figure = go.Figure(traces)
    for index, (name, nodes) in enumerate((highlight or {}).items()):
        nodes = np.asarray(nodes, dtype=np.int64)
        figure.add_trace(
            go.Scattergl(
                x=coords[nodes, 0],
                y=coords[nodes, 1],
                mode="markers",
                name=html.escape(name),
                marker={
                    "size": 13 if index == 0 else 10,
                    "color": "rgba(0,0,0,0)",
                    "line": {"width": 2, "color": "black"},
                },
                customdata=nodes,
                text=hover[nodes],
                hovertemplate="%{text}<extra>" + html.escape(name) + "</extra>",
            )
        )
    for name, points in (extra_points or {}).items():
        figure.add_trace(
            go.Scattergl(
                x=points[:, 0],
                y=points[:, 1],
                mode="markers",
                name=html.escape(name),
                marker={"size": 20, "symbol": "star", "color": "gold", "line": {"width": 1.5, "color": "black"}},
                hovertemplate=html.escape(name) + "<extra></extra>",
            )
        )
    figure.update_layout(
        title=html.escape(title),
        height=height,
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        legend={**LEGEND_RIGHT, "itemsizing": "constant"},
        showlegend=True,
    )
    return themed(figure)


def selected_node(event) -> int | None:
    """Global id of the first point in a ``st.plotly_chart`` selection event, if any."""
    points = (event or {}).get("selection", {}).get("points", []) if hasattr(event, "get") else []
    for point in points:
        custom = point.get("customdata")
        if isinstance(custom, list):
            custom = custom[0] if custom else None
        if custom is not None:
            return int(custom)
    return None

"""What the Embeddings page draws over, or instead of, the categorical map of :mod:`engine.plots.embedding_view`.

- :func:`numeric_map` colours a 2-D or 3-D map by a number (year, age, degree) on a continuous scale with a
  colour bar; nodes without a value (users, for an item column) are drawn grey.
- :func:`category_map_3d` is the categorical map in 3-D (``Scatter3d``, WebGL), for a ``"3d"`` projection.
- :func:`highlight_matches` dims every point, draws a search's matches on top and zooms the view to them.
- :func:`selected_ring` rings the selected node; :func:`neighbor_lines` draws a node's nearest neighbors as lines
  to it; a neighbor the map puts far away (:attr:`engine.analysis.map_search.MapNeighbors.far`) gets a dashed
  orange-red line of its own legend entry.

Every point trace carries global node ids in ``customdata`` (a selection names nodes) and escaped hover text.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from engine.analysis import Projection
from engine.analysis.map_search import MapNeighbors
from engine.plots.embedding_view import PALETTE, shown_points
from engine.plots.theme import LEGEND_RIGHT, themed

DIMMED = 0.12  # opacity of the points a search did not match
# Outside every category palette (D3, Set2, Pastel1), so no layer shares a colour with a category of the map.
MATCH_COLOUR = "#ff00ff"  # magenta
NEIGHBOR_COLOUR = "#000080"  # navy
FAR_COLOUR = "#ff4500"  # orange-red
NO_VALUE = "#c7c7c7"
COLOUR_SCALE = "Viridis"


def _trace(dims: int, coords: np.ndarray, **kwargs) -> go.Scattergl | go.Scatter3d:
    """A point or line trace on a map of ``dims`` (2 or 3) coordinates."""
    if dims == 3:
        marker = dict(kwargs.pop("marker", {}))
        marker["size"] = max(2, marker.get("size", 5) - 2)  # 3-D markers read larger than 2-D ones of one size
        return go.Scatter3d(x=coords[:, 0], y=coords[:, 1], z=coords[:, 2], marker=marker, **kwargs)
    return go.Scattergl(x=coords[:, 0], y=coords[:, 1], **kwargs)


def _layout(figure: go.Figure, dims: int, title: str, height: int) -> go.Figure:
    hidden = {"visible": False}
    figure.update_layout(
        title=html.escape(title),
        height=height,
        legend={**LEGEND_RIGHT, "itemsizing": "constant"},
        showlegend=True,
    )
    if dims == 3:
        figure.update_layout(scene={"xaxis": hidden, "yaxis": hidden, "zaxis": hidden, "aspectmode": "data"})
    else:
        figure.update_layout(xaxis=hidden, yaxis={**hidden, "scaleanchor": "x"})
    return themed(figure)


def numeric_map(
    projection: Projection,
    values: np.ndarray,
    hover: np.ndarray,
    *,
    title: str,
    column: str,
    height: int = 620,
    max_points: int | None = None,
) -> go.Figure:
    """A map coloured by a number on :data:`COLOUR_SCALE`; NaN (no value) points grey, users ● and items ■.

    Args:
        projection (Projection): 2-D or 3-D map of ``U + I`` points.
        values (np.ndarray): ``(U + I,)`` float, NaN where a node has no value.
        hover (np.ndarray): ``(U + I,)`` escaped hover text.
        title (str): Figure title (plain text). column (str): The colour bar's title (plain text).
        height (int): Pixels. (default: ``620``)
        max_points (int, optional): Most points drawn (:func:`engine.plots.embedding_view.shown_points`).
    """
    coords, dims = projection.coords, projection.coords.shape[1]
    ids = shown_points(len(coords), max_points)
    finite = np.isfinite(values)
    low, high = (float(np.nanmin(values)), float(np.nanmax(values))) if finite.any() else (0.0, 1.0)
    traces = []
    users, items = ids[ids < projection.num_users], ids[ids >= projection.num_users]
    for kind, members, symbol in (("users", users, "circle"), ("items", items, "square")):
        valued, missing = members[finite[members]], members[~finite[members]]
        if len(missing):
            traces.append(
                _trace(
                    dims,
                    coords[missing],
                    mode="markers",
                    name=f"{kind}: no {html.escape(column)}",
                    marker={"size": 4, "color": NO_VALUE, "symbol": symbol, "opacity": 0.5},
                    customdata=missing,
                    text=hover[missing],
                    hovertemplate="%{text}<extra></extra>",
                )
            )
        if len(valued):
            traces.append(
                _trace(
                    dims,
                    coords[valued],
                    mode="markers",
                    name=kind,
                    marker={
                        "size": 5,
                        "symbol": symbol,
                        "opacity": 0.8,
                        "color": values[valued],
                        "colorscale": COLOUR_SCALE,
                        "cmin": low,
                        "cmax": high,
                        "colorbar": {"title": {"text": html.escape(column)}, "len": 0.6, "y": 0.5, "x": 1.0},
                    },
                    customdata=valued,
                    text=[
                        f"{text}<br>{html.escape(column)}: {value:g}"
                        for text, value in zip(hover[valued], values[valued], strict=True)
                    ],
                    hovertemplate="%{text}<extra></extra>",
                )
            )
    figure = _layout(go.Figure(traces), dims, title, height)
    return figure.update_layout(legend={"x": 0, "xanchor": "left", "y": -0.02, "yanchor": "top", "orientation": "h"})


def category_map_3d(
    projection: Projection,
    labels: np.ndarray,
    hover: np.ndarray,
    *,
    title: str,
    category_order: list[str] | None = None,
    height: int = 620,
    max_points: int | None = None,
) -> go.Figure:
    """The categorical map of a 3-D projection: one ``Scatter3d`` trace per category (its legend entry toggles it)."""
    coords = projection.coords
    ids = shown_points(len(coords), max_points)
    order = category_order or sorted(set(labels.tolist()))
    traces = []
    for index, category in enumerate(order):
        members = ids[labels[ids] == category]
        if len(members):
            traces.append(
                _trace(
                    3,
                    coords[members],
                    mode="markers",
                    name=html.escape(str(category)),
                    marker={"size": 5, "color": PALETTE[index % len(PALETTE)], "opacity": 0.75},
                    customdata=members,
                    text=hover[members],
                    hovertemplate="%{text}<extra></extra>",
                )
            )
    return _layout(go.Figure(traces), 3, title, height)


def highlight_matches(figure: go.Figure, coords: np.ndarray, matches: np.ndarray, hover: np.ndarray, label: str):
    """Dim every trace drawn so far, draw ``matches`` (global ids) on top, and zoom a 2-D view to them.

    Args:
        figure (go.Figure): A map built by this module or :func:`engine.plots.embedding_view.map_figure`.
        coords (np.ndarray): The map's ``(U + I, c)`` positions.
        matches (np.ndarray): Global ids to show; none leaves the map as it was.
        hover (np.ndarray): ``(U + I,)`` escaped hover text.
        label (str): Legend entry of the matches (plain text), e.g. ``search "toy": 3 matches``.
    """
    matches = np.asarray(matches, dtype=np.int64)
    if not len(matches):
        return figure
    dims = coords.shape[1]
    for trace in figure.data:
        trace.marker.opacity = DIMMED
    figure.add_trace(
        _trace(
            dims,
            coords[matches],
            mode="markers",
            name=html.escape(label),
            marker={"size": 9, "color": MATCH_COLOUR, "line": {"width": 1.5, "color": "black"}},
            customdata=matches,
            text=hover[matches],
            hovertemplate="%{text}<extra>match</extra>",
        )
    )
    if dims == 2:
        low, high = coords[matches].min(axis=0), coords[matches].max(axis=0)
        pad = np.maximum((high - low) * 0.15, np.ptp(coords, axis=0) * 0.03)  # one match still shows its neighbors
        figure.update_layout(
            xaxis={"range": [float(low[0] - pad[0]), float(high[0] + pad[0])]},
            yaxis={"range": [float(low[1] - pad[1]), float(high[1] + pad[1])]},
        )
    return figure


def neighbor_lines(figure: go.Figure, coords: np.ndarray, neighbors: MapNeighbors, hover: np.ndarray) -> go.Figure:
    """Lines from the node to each of its nearest neighbors (cosine in the original space), the neighbors ringed.

    Neighbors the map puts far away are drawn dashed orange-red, under their own legend entry.
    """
    dims = coords.shape[1]
    centre = coords[neighbors.node]
    groups = (
        ("nearest neighbors (original space)", ~neighbors.far, NEIGHBOR_COLOUR, "solid"),
        ("neighbors far on the map", neighbors.far, FAR_COLOUR, "dash"),
    )
    for name, chosen, colour, dash in groups:
        ids, scores = neighbors.ids[chosen], neighbors.cosine[chosen]
        if not len(ids):
            continue
        segments = np.full((3 * len(ids), dims), np.nan)  # node, neighbor, gap: one trace draws every line
        segments[0::3], segments[1::3] = centre, coords[ids]
        line = go.Scatter if dims == 2 else go.Scatter3d  # SVG lines: Scattergl draws no dashes
        axes = {"x": segments[:, 0], "y": segments[:, 1]} | ({"z": segments[:, 2]} if dims == 3 else {})
        figure.add_trace(
            line(
                **axes,
                mode="lines",
                name=f"{name} ({len(ids)})",
                legendgroup=name,
                line={"color": colour, "width": 1.5, "dash": dash},
                hoverinfo="skip",
            )
        )
        figure.add_trace(
            _trace(
                dims,
                coords[ids],
                mode="markers",
                name=name,
                legendgroup=name,
                showlegend=False,
                marker={"size": 10, "color": "rgba(0,0,0,0)", "line": {"width": 2, "color": colour}},
                customdata=ids,
                text=[f"{text}<br>cosine {score:.3f}" for text, score in zip(hover[ids], scores, strict=True)],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    return figure


def selected_ring(figure: go.Figure, coords: np.ndarray, node: int, hover: np.ndarray) -> go.Figure:
    """A black ring around the selected node, drawn last so nothing covers it."""
    return figure.add_trace(
        _trace(
            coords.shape[1],
            coords[[node]],
            mode="markers",
            name="selected",
            marker={"size": 14, "color": "rgba(0,0,0,0)", "line": {"width": 2.5, "color": "black"}},
            customdata=[node],
            text=hover[[node]],
            hovertemplate="%{text}<extra>selected</extra>",
        )
    )

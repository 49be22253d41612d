"""The Embeddings page's map figure: its colouring (categories, or a continuous scale for numbers), a search's
matches highlighted, the selected node's neighbors as lines; and what a click or a box/lasso on it selected."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from dashboard.state import explore_cache, keys, loaders
from engine import InteractionGraph
from engine.analysis.map_search import MapNeighbors
from engine.analysis.map_selection import metadata_columns, metadata_values
from engine.plots import embedding_view, map_layers
from engine.runs.rundir import RunInfo


@dataclass(frozen=True)
class Colouring:
    """What colours the map: category labels, or numbers (NaN: no value) on a continuous scale."""

    name: str
    labels: np.ndarray | None = None  # (U + I,) categories
    values: np.ndarray | None = None  # (U + I,) numbers

    @property
    def order(self) -> list[str]:
        return sorted(set(self.labels.tolist())) if self.labels is not None else []


def colour_options(graph: InteractionGraph) -> list[str]:
    """The page's colourings, then every metadata column the dataset has (``year (items)``, ``occupation (users)``)."""
    return [*embedding_view.COLOURINGS, *metadata_columns(graph)]


@st.cache_data(show_spinner=False, max_entries=16)
def _metadata(name: str, data_dir: str | None, column: str) -> tuple[np.ndarray, bool]:
    return metadata_values(loaders.graph(name, data_dir), column)


def colouring(run: RunInfo, graph: InteractionGraph, epoch: int, colour_by: str, num_clusters: int) -> Colouring:
    """The labels or values of one colouring of ``run``'s map at ``epoch``."""
    dataset = (run.config["dataset"], run.config.get("data_dir"))
    if colour_by == "cluster":
        clusters = explore_cache.snapshot_clusters(run.path, epoch, num_clusters)
        return Colouring(colour_by, labels=embedding_view.categories(graph, colour_by, clusters))
    if colour_by in embedding_view.COLOURINGS:
        return Colouring(colour_by, labels=explore_cache.categories(*dataset, colour_by))
    values, numeric = _metadata(*dataset, colour_by)
    return Colouring(colour_by, values=values) if numeric else Colouring(colour_by, labels=values)


def build(
    projection,
    colours: Colouring,
    hover: np.ndarray,
    title: str,
    *,
    matches: np.ndarray | None = None,
    search: str = "",
    neighbors: MapNeighbors | None = None,
    selected: int | None = None,
):
    """The map of ``projection`` coloured by ``colours``, with a search's matches, neighbor lines and the selection."""
    if colours.values is not None:
        figure = map_layers.numeric_map(projection, colours.values, hover, title=title, column=colours.name)
    elif projection.coords.shape[1] == 3:
        figure = map_layers.category_map_3d(
            projection, colours.labels, hover, title=title, category_order=colours.order
        )
    else:
        figure = embedding_view.map_figure(projection, colours.labels, hover, title=title, category_order=colours.order)
    coords = projection.coords
    if matches is not None and len(matches):
        map_layers.highlight_matches(figure, coords, matches, hover, f"search “{search}”: {len(matches)}")
    if neighbors is not None:
        map_layers.neighbor_lines(figure, coords, neighbors, hover)
    if selected is not None:
        map_layers.selected_ring(figure, coords, selected, hover)
    return figure


def event_nodes(event) -> tuple[np.ndarray, bool]:
    """Global ids a ``st.plotly_chart`` selection event names, and whether a box or lasso drew it (else a click)."""
    selection = (event or {}).get("selection", {}) if hasattr(event, "get") else {}
    ids = []
    for point in selection.get("points", []):
        custom = point.get("customdata")
        if isinstance(custom, list):
            custom = custom[0] if custom else None
        if isinstance(custom, int | float):
            ids.append(int(custom))
    region = bool(selection.get("box") or selection.get("lasso"))
    return np.unique(np.asarray(ids, dtype=np.int64)), region


def read_events(graph: InteractionGraph, chart_keys: tuple[str, ...]) -> tuple[int | None, bool]:
    """Update the selected node (a click) and the region (a box or lasso) from the maps' events.

    Returns the selected node and whether it was clicked in this rerun. A new region replaces the old one; an event
    already read (the chart keeps its last one over reruns) changes nothing, so a node picked by id stays picked.
    """
    clicked = False
    for key in chart_keys:
        ids, region = event_nodes(st.session_state.get(key))
        ids = ids[(ids >= 0) & (ids < graph.num_nodes)]
        seen = f"{key}_last"
        if not len(ids) or st.session_state.get(seen) == (region, tuple(ids.tolist())):
            continue
        st.session_state[seen] = (region, tuple(ids.tolist()))
        if region:
            st.session_state[keys.EMBEDDINGS_REGION] = ids.tolist()
        else:
            st.session_state[keys.EMBEDDINGS_SELECTED] = int(ids[0])
            clicked = True
    node = st.session_state.get(keys.EMBEDDINGS_SELECTED)
    return (node if node is not None and 0 <= node < graph.num_nodes else None), clicked

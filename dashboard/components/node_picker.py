"""Pick a node by typing its id or searching item titles; shared by the exploration pages."""

from __future__ import annotations

import threading
import weakref

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.components.markdown import plain
from engine import InteractionGraph, NodeError

MAX_MATCHES = 200


# Per graph (graphs are shared read-only objects): the item table, most popular first, with lower-cased names and
# titles. Building it walks every item in Python (0.15-0.2 s for 10k items), which every rerun of the Neighborhood
# page — every Resample — paid before; it goes when its graph goes.
_CATALOGUES: weakref.WeakKeyDictionary[InteractionGraph, pd.DataFrame] = weakref.WeakKeyDictionary()
_CATALOGUES_LOCK = threading.Lock()


def item_catalogue(graph: InteractionGraph) -> pd.DataFrame:
    """Every item of ``graph``, most popular first: ``name``, ``title``, ``degree`` and lower-cased ``_name``,
    ``_title`` for searching; built once per graph. Treat it as read-only."""
    with _CATALOGUES_LOCK:
        catalogue = _CATALOGUES.get(graph)
    if catalogue is None:
        frame = pd.DataFrame(
            {
                "name": "item:" + graph.items["item_id"].astype(str),
                "title": [graph.item_title(i) for i in range(graph.num_items)],
                "degree": graph.item_degree(),
            }
        )
        frame["_name"], frame["_title"] = frame["name"].str.lower(), frame["title"].str.lower()
        catalogue = frame.sort_values("degree", ascending=False, kind="stable").reset_index(drop=True)
        with _CATALOGUES_LOCK:
            _CATALOGUES[graph] = catalogue
    return catalogue


def search_items(graph: InteractionGraph, query: str, limit: int = MAX_MATCHES) -> pd.DataFrame:
    """Items whose title or raw id contains ``query`` (case-insensitive), most popular first.

    Returns:
        pd.DataFrame: Columns ``name`` (``item:<id>``), ``title``, ``degree``; at most ``limit`` rows.
    """
    frame = item_catalogue(graph)
    query = query.strip().lower()
    if query:
        hit = frame["_title"].str.contains(query, regex=False) | frame["_name"].str.contains(query, regex=False)
        frame = frame[hit]
    return frame[["name", "title", "degree"]].head(limit).reset_index(drop=True)


def label(graph: InteractionGraph, node: int) -> str:
    """``item:12 — Title`` for items, ``user:3`` for users (plain text for widgets)."""
    name = graph.node_name(node)
    return f"{name} — {graph.item_title(node - graph.num_users)}" if node >= graph.num_users else name


def pick_node(graph: InteractionGraph, key: str, default: int | None = None) -> int | None:
    """Widgets to choose a node; returns its global id, or ``None`` after showing why none is chosen.

    Args:
        graph (InteractionGraph): The dataset graph.
        key (str): Prefix of the widget keys.
        default (int, optional): Node shown first. (default: the most popular item)
    """
    if default is None:
        default = graph.num_users + int(np.argmax(graph.item_degree())) if graph.num_items else 0
    mode = st.radio("Pick a node by", ["title search", "node id"], horizontal=True, key=f"{key}_mode")
    if mode == "node id":
        typed = st.text_input(
            "Node id", value=graph.node_name(default), key=f"{key}_id", help="'user:<id>' or 'item:<id>', e.g. item:1"
        )
        try:
            return graph.node_id(typed.strip())
        except NodeError as error:
            st.error(plain(error), icon=":material/error:")
            return None
    query = st.text_input("Search item titles", key=f"{key}_query", placeholder="e.g. Star Wars")
    matches = search_items(graph, query)
    if matches.empty:
        st.warning(
            plain(f"No item title contains {query!r}. Try a shorter search or pick by node id."),
            icon=":material/search_off:",
        )
        return None
    options = matches["name"].tolist()
    titles = dict(zip(matches["name"], matches["title"], strict=True))
    degrees = dict(zip(matches["name"], matches["degree"], strict=True))
    chosen = st.selectbox(
        f"Item ({len(options)} shown, most popular first)",
        options,
        format_func=lambda name: f"{name} — {titles[name]} ({degrees[name]} interactions)",
        key=f"{key}_pick",
    )
    return graph.node_id(chosen)

"""The Embeddings page's panels beside the map: the selected node (its nearest neighbors with their cosine and where
the map puts them, a user's recommendations) and the selected region (what it holds, and its export)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
import torch

from dashboard.components import node_picker
from dashboard.components.markdown import plain
from dashboard.state import keys, loaders
from engine import InteractionGraph
from engine.analysis.map_search import MapNeighbors, disagreement_note
from engine.analysis.map_selection import selection_frame, summarize_selection
from engine.ranking import top_k
from engine.runs.rundir import RunInfo


def recommendations(run: RunInfo, graph: InteractionGraph, stacked: np.ndarray, user: int, k: int = 10):
    """Top-k items by dot product of this snapshot, the run's training items masked; plus the masking note."""
    try:
        seen, note = loaders.loaded_run(run.path).split.train.user_csr, "training items masked"
    except (ValueError, FileNotFoundError, OSError) as error:
        seen, note = graph.user_csr, f"all known items masked (run not loadable: {error})"
    embeddings = torch.from_numpy(stacked)  # (U + I, d)
    users, items = embeddings[: graph.num_users], embeddings[graph.num_users :]
    ids, scores = top_k(users, items, [user], min(k, graph.num_items), exclude=seen)
    listed = torch.isfinite(scores[0])  # a user who has seen nearly everything has fewer than k candidates
    return ids[0][listed].numpy(), scores[0][listed].numpy(), note


def neighbor_panel(
    run: RunInfo, graph: InteractionGraph, stacked: np.ndarray, neighbors: MapNeighbors, wide: bool
) -> None:
    """Nearest neighbors and, for a user, recommendations: side by side when ``wide``, else one above the other."""
    node = neighbors.node
    st.subheader(f"Selected: {plain(node_picker.label(graph, node))}")
    is_user = node < graph.num_users
    kind = "users" if is_user else "items"
    left, right = st.columns(2) if wide else (st.container(), st.container())
    left.markdown(
        f"**{len(neighbors.ids)} nearest {kind}** (cosine in the original {stacked.shape[1]}-d space; "
        "navy lines on the map)"
    )
    left.dataframe(
        pd.DataFrame(
            {  # the long node names last: a narrow panel cuts them, never the scores
                "cosine": np.round(neighbors.cosine, 3),
                "on the map": np.where(neighbors.far, "far", "near"),
                "node": [node_picker.label(graph, int(i)) for i in neighbors.ids],
            }
        ),
        hide_index=True,
        key="embeddings_neighbors",
        column_config={
            "on the map": st.column_config.TextColumn(
                help="far: the map draws it farther from the selected node than half of all "
                + kind
                + " (a dashed orange-red line)"
            )
        },
    )
    note = disagreement_note(neighbors, kind)
    if note:
        left.warning(plain(note), icon=":material/open_in_full:")
    if is_user:
        items, item_scores, masking = recommendations(run, graph, stacked, node)
        right.markdown(f"**Recommendations** (dot product, {plain(masking)})")
        right.dataframe(
            pd.DataFrame(
                {
                    "item": [node_picker.label(graph, int(i) + graph.num_users) for i in items],
                    "score": np.round(item_scores, 3),
                }
            ),
            hide_index=True,
            key="embeddings_recommendations",
        )


def region_panel(graph: InteractionGraph, nodes: list[int], file_stem: str) -> None:
    """What a box or lasso selection holds against the whole dataset, and *Export selection* as CSV."""
    summary = summarize_selection(graph, np.asarray(nodes, dtype=np.int64))
    st.subheader(f"Selected region: {summary.size:,} nodes")
    popularity = (
        f"; the items' mean popularity is {summary.mean_popularity:.1f} interactions "
        f"(all items: {summary.overall_popularity:.1f})"
        if summary.mean_popularity is not None
        else ""
    )
    st.markdown(f"{summary.users:,} users and {summary.items:,} items{popularity}.")
    if len(summary.genres):
        st.caption(
            plain(
                f"Most common genres of the {summary.genre_source}, against the whole set: lift is the share in the "
                "selection over the share overall (above 1: more common here)."
            )
        )
        st.dataframe(
            summary.genres,
            hide_index=True,
            key="embeddings_region_genres",
            column_config={
                "in selection": st.column_config.NumberColumn(format="percent"),
                "overall": st.column_config.NumberColumn(format="percent"),
                "lift": st.column_config.NumberColumn(format="%.2f×"),
            },
        )
    export, clear = st.columns(2)
    if clear.button("Clear selection", key="embeddings_region_clear", icon=":material/deselect:"):
        st.session_state[keys.EMBEDDINGS_REGION] = []
        st.rerun()
    export.download_button(
        "Export selection",
        selection_frame(graph, np.asarray(nodes, dtype=np.int64)).to_csv(index=False),
        file_name=f"{file_stem}-selection.csv",
        mime="text/csv",
        icon=":material/download:",
        key="embeddings_region_export",
        help="CSV of the selected nodes: node, type, id and title",
    )

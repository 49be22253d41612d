"""Embeddings page: where users and items live — PCA at once, UMAP from a background process, epochs aligned."""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd
import streamlit as st
import torch

from dashboard.components import node_picker, run_picker
from dashboard.components.markdown import plain
from dashboard.state import explore_cache, keys, loaders
from engine import InteractionGraph, NodeError
from engine.analysis import ProjectionError, ProjectionStore, figure_document, nearest_neighbors
from engine.jobs.process import start_maps
from engine.plots import embedding_view
from engine.ranking import top_k
from engine.runs.rundir import RunInfo

UMAP, PCA = "UMAP (cosine)", "PCA"
MAP_KEY, COMPARE_KEY = "embeddings_map", "embeddings_compare_map"
MAP_HEIGHT = 600  # pixels, legend rows included


def requester(slot: str) -> str:
    """Who asks for a map in the UMAP queue: this browser session's ``slot`` (the main map or the compare map).

    The queue lets each requester's newest request supersede its older ones, so the epochs the slider passed
    on the way are dropped instead of computed one after another.
    """
    session = st.session_state.setdefault(keys.EMBEDDINGS_SESSION, uuid.uuid4().hex)
    return f"{session}:{slot}"


def projection_for(store: ProjectionStore, epoch: int, method: str, slot: str = "map"):
    """The requested map, or PCA with a note while UMAP is computed in the background."""
    if store.run.outside and method != PCA:  # read-only: nothing, a UMAP least of all, is written into it
        note = (
            f"Run {store.run_dir.name} is a link to a run outside the runs directory, shown read-only: UMAP is not "
            "computed for it (it would be written there) — showing PCA. Copy the run into the runs directory for UMAP."
        )
        return explore_cache.ready_projection(store.run_dir, epoch, "pca"), note
    if method == PCA:
        start_maps(store, [], "umap", requester(slot))  # the UMAP this map asked for before is not wanted
        return explore_cache.ready_projection(store.run_dir, epoch, "pca"), None
    failed = store.state(epoch, "umap") == "failed"  # shown as such, not retried on every rerun
    start_maps(store, [] if failed else [epoch], "umap", requester(slot))  # withdraws its older requests too
    status = store.state(epoch, "umap")
    if status == "ready":
        return explore_cache.ready_projection(store.run_dir, epoch, "umap"), None
    if status == "failed":
        note = f"UMAP failed for epoch {epoch}: {store.error(epoch, 'umap')} — showing PCA."
    else:
        note = f"UMAP of epoch {epoch} is being computed in the background: this map is its PCA until then."
    return explore_cache.ready_projection(store.run_dir, epoch, "pca"), note


@st.fragment(run_every=1)
def wait_for_umap(waiting: list[tuple[ProjectionStore, int]]) -> None:
    """Poll the background jobs of every map drawn (the compare map's too); rerun the page once none is pending."""
    if all(store.state(epoch, "umap") != "pending" for store, epoch in waiting):
        st.rerun()
    for store, epoch in waiting:
        progress = store.progress(epoch, "umap") or "waiting for its turn (one map at a time)"
        # The bundled icon font, not an emoji: the ⏳ glyph is missing from the fonts Chromium has on Debian.
        st.caption(":material/hourglass_top: " + plain(f"UMAP of {store.run_dir.name}, epoch {epoch}: {progress}."))


def readable(figure):
    """The map with its legend in rows under it: on the right, the legend took a quarter of the map's width."""
    return figure.update_layout(
        legend={"orientation": "h", "yanchor": "top", "y": -0.02, "xanchor": "left", "x": 0, "title": None},
        height=MAP_HEIGHT,
    )


def map_title(run: RunInfo, epoch: int, projection) -> str:
    """``lightgcn · epoch 5 · UMAP``: short enough for half the page (the run id goes in the caption below)."""
    return f"{run.config.get('model')} · epoch {epoch} · {'UMAP' if projection.method == 'umap' else 'PCA'}"


SELECTION_KEY = "embeddings_selection"  # the selection panel's container: class st-key-<key>
SCROLL_TO_SELECTION = (
    "<script>document.querySelector('.st-key-" + SELECTION_KEY + "')"
    "?.scrollIntoView({behavior: 'smooth', block: 'start'});</script>"
)


def selection_from_state(graph: InteractionGraph) -> tuple[int | None, bool]:
    """The selected node, and whether it was clicked on a map in this rerun."""
    clicked = False
    for key in (MAP_KEY, COMPARE_KEY):
        node = embedding_view.selected_node(st.session_state.get(key))
        if node is not None and node != st.session_state.get(f"{key}_last"):
            st.session_state[f"{key}_last"] = node
            st.session_state[keys.EMBEDDINGS_SELECTED] = node
            clicked = True
    node = st.session_state.get(keys.EMBEDDINGS_SELECTED)
    return (node if node is not None and 0 <= node < graph.num_nodes else None), clicked


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


def neighbor_panel(run: RunInfo, graph: InteractionGraph, stacked: np.ndarray, node: int, wide: bool) -> None:
    """Nearest neighbors and, for a user, recommendations: side by side when ``wide``, else one above the other."""
    st.subheader(f"Selected: {plain(node_picker.label(graph, node))}")
    is_user = node < graph.num_users
    lo, hi = (0, graph.num_users) if is_user else (graph.num_users, graph.num_nodes)
    ids, scores = nearest_neighbors(stacked[lo:hi], stacked[node], k=10, exclude=np.array([node - lo]))
    left, right = st.columns(2) if wide else (st.container(), st.container())
    left.markdown(f"**Nearest {'users' if is_user else 'items'}** (cosine, original {stacked.shape[1]}-d space)")
    left.dataframe(
        pd.DataFrame(
            {"node": [node_picker.label(graph, int(i) + lo) for i in ids[0]], "cosine": np.round(scores[0], 3)}
        ),
        hide_index=True,
        key="embeddings_neighbors",
    )
    if is_user:
        items, item_scores, note = recommendations(run, graph, stacked, node)
        right.markdown(f"**Recommendations** (dot product, {plain(note)})")
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


st.title("Embeddings")
runs = run_picker.runs_with_embeddings()
if not runs:
    run_picker.explain_no_runs()
    st.stop()
top = st.columns([3, 2, 2, 2])
with top[0]:
    run = run_picker.pick_run("Run", keys.EMBEDDINGS_RUN, runs)
run_picker.warn_if_damaged(run)
if run_picker.dataset_of(run) is None:
    st.stop()
store = ProjectionStore(run.path)
epochs = store.epochs()
method = top[1].radio("Projection", [UMAP, PCA], key="embeddings_method", horizontal=True)
colour_by = top[2].selectbox("Colour by", embedding_view.COLOURINGS, key="embeddings_colour")
num_clusters = int(
    top[3].number_input("k-means clusters", 2, 40, 8, key="embeddings_k", disabled=colour_by != "cluster")
)
# The slider and the compare picker share a row, so that the map starts above the fold at 1280×720.
second = st.columns([3, 2], vertical_alignment="bottom")
epoch = (  # keyed per run: another run opens at its own last epoch, not at the slider position of the last one
    second[0].select_slider("Epoch snapshot", epochs, value=epochs[-1], key=keys.EMBEDDINGS_EPOCH_PREFIX + run.run_id)
    if len(epochs) > 1
    else epochs[0]
)
same_dataset = [r for r in runs if r.run_id != run.run_id and r.config.get("dataset") == run.config.get("dataset")]
with second[1]:
    compare = run_picker.pick_run("Compare with run (same dataset)", keys.EMBEDDINGS_COMPARE_RUN, same_dataset, True)

try:
    graph = loaders.graph(run.config["dataset"], run.config.get("data_dir"))
    stacked, num_users = explore_cache.stacked_embeddings(run.path, epoch)
    if len(stacked) != graph.num_nodes:
        raise ProjectionError(
            f"snapshot has {len(stacked)} rows but dataset {graph.name!r} has {graph.num_nodes} nodes; "
            "the dataset changed since this run was trained"
        )
    projection, note = projection_for(store, epoch, method)
except (ProjectionError, ValueError, FileNotFoundError, OSError, KeyError) as error:
    st.error(plain(f"Cannot show run {run.run_id!r}: {error}"), icon=":material/error:")
    st.stop()

dataset = (run.config["dataset"], run.config.get("data_dir"))
if colour_by == "cluster":
    clusters = explore_cache.snapshot_clusters(run.path, epoch, num_clusters)
    labels = embedding_view.categories(graph, colour_by, clusters)
else:
    labels = explore_cache.categories(*dataset, colour_by)
order = sorted(set(labels.tolist()))
hover = explore_cache.hover_texts(*dataset)
selected, clicked = selection_from_state(graph)
# Beside one map the selection shows at once; beside two it goes below, and a click scrolls to it.
columns = st.columns(2) if compare else st.columns([5, 3], gap="medium")
with (st.container() if compare else columns[1]).expander("Or pick a node to select"):
    typed = st.text_input("Node id", key="embeddings_typed", placeholder="user:1 or item:1")
    if typed:
        try:
            selected = graph.node_id(typed.strip())
            st.session_state[keys.EMBEDDINGS_SELECTED] = selected
        except NodeError as error:
            st.error(plain(error), icon=":material/error:")
highlight = {"selected": np.array([selected])} if selected is not None else None

title = map_title(run, epoch, projection)
figure = readable(
    embedding_view.map_figure(projection, labels, hover, title=title, highlight=highlight, category_order=order)
)
columns[0].plotly_chart(figure, on_select="rerun", selection_mode="points", key=MAP_KEY, theme=None)
columns[0].caption(
    plain(run.run_id)
    + f" · {embedding_view.points_caption(num_users, graph.num_items)}. "
    + (f"Aligned to epoch {projection.aligned_to} by orthogonal Procrustes. " if projection.aligned_to >= 0 else "")
    + "Click a point to inspect it."
)
waiting = [(store, epoch)] if note and store.state(epoch, "umap") == "pending" else []
if note:
    columns[0].info(plain(note), icon=":material/hourglass_top:")
if compare:
    compare_store = ProjectionStore(compare.path)
    compare_epoch = compare_store.epochs()[-1]
    try:
        compare_projection, compare_note = projection_for(compare_store, compare_epoch, method, "compare")
        compare_title = map_title(compare, compare_epoch, compare_projection)
        compare_figure = readable(
            embedding_view.map_figure(
                compare_projection, labels, hover, title=compare_title, highlight=highlight, category_order=order
            )
        )
        columns[1].plotly_chart(compare_figure, on_select="rerun", selection_mode="points", key=COMPARE_KEY, theme=None)
        columns[1].caption(plain(compare.run_id))
        if compare_note:
            columns[1].info(plain(compare_note), icon=":material/hourglass_top:")
            if compare_store.state(compare_epoch, "umap") == "pending":
                waiting.append((compare_store, compare_epoch))
    except ProjectionError as error:
        columns[1].error(plain(f"Cannot show run {compare.run_id!r}: {error}"), icon=":material/error:")
if waiting:
    wait_for_umap(waiting)

tools = st.columns(2)
if tools[0].button(
    "Compute UMAP for every epoch", key="embeddings_umap_all", icon=":material/animation:", disabled=store.run.outside
):
    queued = start_maps(store, epochs, "umap")  # no requester: moving the slider does not withdraw these
    # Beside the button, not a toast: a toast followed the user to other pages.
    tools[0].caption(f"UMAP queued for epochs {queued}." if queued else "UMAP is cached or running for every epoch.")
if tools[1].button("Prepare offline HTML of this map", key="embeddings_export", icon=":material/download:"):
    tools[1].download_button(
        "Download map",
        figure_document(figure, title, f"dataset {graph.name} · colour by {colour_by}"),
        file_name=f"embeddings-{run.run_id}-epoch{epoch}.html",
        mime="text/html",
        key="embeddings_download",
    )
if selected is not None:
    with st.container(key=SELECTION_KEY) if compare else columns[1].container(key=SELECTION_KEY):
        neighbor_panel(run, graph, stacked, selected, wide=compare is not None)
    if compare and clicked:
        st.html(SCROLL_TO_SELECTION, unsafe_allow_javascript=True)  # a fixed script: no user text in it
elif not compare:
    columns[1].info("Click a point on the map, or pick a node above it, to see its nearest neighbors.")

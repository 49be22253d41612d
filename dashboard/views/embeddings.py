"""Embeddings page: where users and items live — PCA at once, UMAP from a background process, epochs aligned; search,
a node's nearest neighbors drawn on the map, a region's summary and export, any metadata colouring, a 3-D view."""

from __future__ import annotations

import streamlit as st

from dashboard.components import map_figure, map_panels, run_picker
from dashboard.components.map_projection import PCA, UMAP, map_title, pending, projection_for, readable, wait_for_umap
from dashboard.components.markdown import plain
from dashboard.state import explore_cache, keys, loaders
from engine import NodeError
from engine.analysis import ProjectionError, ProjectionStore, figure_document
from engine.analysis.map_search import MAX_K, map_neighbors, search_nodes
from engine.jobs.process import start_maps
from engine.plots import embedding_view

MAP_KEY, COMPARE_KEY = "embeddings_map", "embeddings_compare_map"
SELECTION_KEY = "embeddings_selection"  # the selection panel's container: class st-key-<key>
SCROLL_TO_SELECTION = (
    "<script>document.querySelector('.st-key-" + SELECTION_KEY + "')"
    "?.scrollIntoView({behavior: 'smooth', block: 'start'});</script>"
)

st.title("Embeddings")
runs = run_picker.runs_with_embeddings()
if not runs:
    run_picker.explain_no_runs()
    st.stop()
top = st.columns([3, 2, 1.2, 2, 1], vertical_alignment="bottom")
with top[0]:
    run = run_picker.pick_run("Run", keys.EMBEDDINGS_RUN, runs)
run_picker.warn_if_damaged(run)
if run_picker.dataset_of(run) is None:
    st.stop()
store = ProjectionStore(run.path)
epochs = store.epochs()
method = top[1].radio("Projection", [UMAP, PCA], key="embeddings_method", horizontal=True)
three_d = top[2].toggle("3-D", key=keys.EMBEDDINGS_3D)  # the caption under the map says what works in 3-D
try:
    graph = loaders.graph(run.config["dataset"], run.config.get("data_dir"))
except (ValueError, FileNotFoundError, OSError, KeyError) as error:
    st.error(plain(f"Cannot show run {run.run_id!r}: {error}"), icon=":material/error:")
    st.stop()
colour_by = top[3].selectbox(
    "Colour by", map_figure.colour_options(graph), key="embeddings_colour", help="numbers get a continuous scale"
)
num_clusters = int(
    top[4].number_input("Clusters", 2, 40, 8, key="embeddings_k", disabled=colour_by != "cluster", help="k-means")
)
# The slider, the compare picker and the search share a row, so that the map starts above the fold at 1280×720.
second = st.columns([3, 2, 2, 1], vertical_alignment="bottom")
epoch = (  # keyed per run: another run opens at its own last epoch, not at the slider position of the last one
    second[0].select_slider("Epoch snapshot", epochs, value=epochs[-1], key=keys.EMBEDDINGS_EPOCH_PREFIX + run.run_id)
    if len(epochs) > 1
    else epochs[0]
)
same_dataset = [r for r in runs if r.run_id != run.run_id and r.config.get("dataset") == run.config.get("dataset")]
with second[1]:
    compare = run_picker.pick_run("Compare with run", keys.EMBEDDINGS_COMPARE_RUN, same_dataset, True)
search = (
    second[2]
    .text_input(
        "Search",
        key=keys.EMBEDDINGS_SEARCH,
        placeholder="title or id (item:42)",
        help="part of an item's title, or a node id: user:7, item:42, or 42 for both",
    )
    .strip()
)
k = int(second[3].number_input("Neighbors", 1, MAX_K, 10, key=keys.EMBEDDINGS_K, help="k nearest, by cosine"))

try:
    stacked, num_users = explore_cache.stacked_embeddings(run.path, epoch)
    if len(stacked) != graph.num_nodes:
        raise ProjectionError(
            f"snapshot has {len(stacked)} rows but dataset {graph.name!r} has {graph.num_nodes} nodes; "
            "the dataset changed since this run was trained"
        )
    projection, note = projection_for(store, epoch, method, three_d)
    colours = map_figure.colouring(run, graph, epoch, colour_by, num_clusters)
except (ProjectionError, ValueError, FileNotFoundError, OSError, KeyError) as error:
    st.error(plain(f"Cannot show run {run.run_id!r}: {error}"), icon=":material/error:")
    st.stop()

hover = explore_cache.hover_texts(run.config["dataset"], run.config.get("data_dir"))
selected, clicked = map_figure.read_events(graph, (MAP_KEY, COMPARE_KEY))
region = [node for node in st.session_state.get(keys.EMBEDDINGS_REGION, []) if 0 <= node < graph.num_nodes]
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
matches = search_nodes(graph, search)
neighbors = map_neighbors(stacked, projection.coords, num_users, selected, k) if selected is not None else None
title = map_title(run, epoch, projection)
layers = {"matches": matches, "search": search, "neighbors": neighbors, "selected": selected}
figure = readable(map_figure.build(projection, colours, hover, title, **layers))
if three_d:  # plotly selections are 2-D only
    columns[0].plotly_chart(figure, key=MAP_KEY + "_3d", theme=None)
else:
    columns[0].plotly_chart(
        figure, on_select="rerun", selection_mode=("points", "box", "lasso"), key=MAP_KEY, theme=None
    )
columns[0].caption(
    plain(run.run_id)
    + f" · {embedding_view.points_caption(num_users, graph.num_items)}. "
    + (f"Aligned to epoch {projection.aligned_to} by orthogonal Procrustes. " if projection.aligned_to >= 0 else "")
    + (
        "A 3-component map: drag to turn it; clicking a point and box or lasso selection work on the 2-D map."
        if three_d
        else "Click a point to inspect it; the box or lasso (top right) selects a region."
    )
)
if search:
    found = f"{len(matches):,} match{'es' if len(matches) != 1 else ''} for “{search}”"
    columns[0].caption(
        plain(
            found
            + (
                ": highlighted, the others dimmed" + ("" if three_d else ", the view zoomed to them") + "."
                if len(matches)
                else ": try part of a title, or an id such as item:42."
            )
        )
    )
waiting = [(store, epoch)] if note and pending(store, epoch, three_d) else []
if note:
    columns[0].info(plain(note), icon=":material/hourglass_top:")
if compare:
    compare_store = ProjectionStore(compare.path)
    compare_epoch = compare_store.epochs()[-1]
    try:
        compare_projection, compare_note = projection_for(compare_store, compare_epoch, method, three_d, "compare")
        compare_title = map_title(compare, compare_epoch, compare_projection)
        compare_layers = {"matches": matches, "search": search, "selected": selected}
        compare_figure = readable(map_figure.build(compare_projection, colours, hover, compare_title, **compare_layers))
        if three_d:
            columns[1].plotly_chart(compare_figure, key=COMPARE_KEY + "_3d", theme=None)
        else:
            columns[1].plotly_chart(
                compare_figure,
                on_select="rerun",
                selection_mode=("points", "box", "lasso"),
                key=COMPARE_KEY,
                theme=None,
            )
        columns[1].caption(plain(compare.run_id))
        if compare_note:
            columns[1].info(plain(compare_note), icon=":material/hourglass_top:")
            if pending(compare_store, compare_epoch, three_d):
                waiting.append((compare_store, compare_epoch))
    except ProjectionError as error:
        columns[1].error(plain(f"Cannot show run {compare.run_id!r}: {error}"), icon=":material/error:")
if waiting:
    wait_for_umap(waiting, three_d)

tools = st.columns(2)
if tools[0].button(
    "Compute UMAP for every epoch", key="embeddings_umap_all", icon=":material/animation:", disabled=store.run.outside
):
    queued = start_maps(store, epochs, "umap3d" if three_d else "umap")  # no requester: the slider withdraws none
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
side = st.container(key=SELECTION_KEY) if compare else columns[1].container(key=SELECTION_KEY)
if neighbors is not None:
    with side:
        map_panels.neighbor_panel(run, graph, stacked, neighbors, wide=compare is not None)
    if compare and clicked:
        st.html(SCROLL_TO_SELECTION, unsafe_allow_javascript=True)  # a fixed script: no user text in it
if region:
    with side:
        map_panels.region_panel(graph, region, f"embeddings-{run.run_id}-epoch{epoch}")
if neighbors is None and not region and not compare:
    columns[1].info(
        "Click a point on the map, or pick a node above it, to see its nearest neighbors; draw a box or lasso to "
        "ask what a region holds."
    )

"""Neighborhood page: what the sampler gave the model for one node — drawn, counted, resampled, compared."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import explore_cache, loaders, neighbourhood_figures, node_picker, sidebar, state
from dashboard.aggregation import aggregation_weights
from dashboard.graph_view import GraphView, fanout_view, random_walk_view
from engine import InteractionGraph
from engine.analysis import fanout_frequency, snapshot_document, top_t_stability, walk_frequency

FANOUT, WALK, BOTH = "Fanout (GraphSAGE)", "Random walk (PinSage)", "Side by side"
RESAMPLES = 100
MAX_WEIGHT_ROWS = 200


def parse_fanouts(text: str) -> list[int]:
    """``"10, 5"`` -> ``[10, 5]``; raises ``ValueError`` saying what a valid entry looks like."""
    try:
        fanouts = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        raise ValueError(f"fanouts must be comma-separated integers such as '10, 5' (got {text!r})") from None
    if not fanouts or any(f < 1 and f != -1 for f in fanouts) or len(fanouts) > 4:
        raise ValueError(f"give 1 to 4 fanouts, each positive or -1 for all neighbours (got {text!r})")
    return fanouts


def advance_seed() -> None:
    st.session_state[state.NEIGHBOURHOOD_SEED] = int(st.session_state.get(state.NEIGHBOURHOOD_SEED, 0)) + 1


def draw(view: GraphView, seconds: float, key: str, caption: str) -> None:
    st.iframe(view.html, height=680)
    st.caption(
        f"{view.num_nodes} nodes, {view.num_sampled_edges} sampled edges, {view.num_ghost_edges} unsampled edges "
        f"ghosted, {view.hidden_edges} hidden · sampled and drawn in {seconds * 1000:.0f} ms"
    )
    st.download_button(
        "Download this view (offline HTML)",
        snapshot_document(view.html, "GNN RecSys Explorer — neighbourhood", caption),
        file_name=f"neighbourhood-{key}.html",
        mime="text/html",
        key=f"export_{key}",
    )


def fanout_panel(graph: InteractionGraph, node: int, fanouts: list[int], replace: bool, seed: int, charts) -> None:
    """Draw a fanout sample of ``node``; its charts go into ``charts`` (a column, or ``st`` for below the drawing)."""
    caption = f"{graph.name} · {node_picker.label(graph, node)} · fanout {fanouts} · seed {seed}"
    started = time.perf_counter()
    sampler = explore_cache.fanout_sampler(name, data_dir, tuple(fanouts), replace)
    sample = sampler.sample(np.array([node]), seed=seed)
    view = fanout_view(graph, sample)
    draw(view, time.perf_counter() - started, "fanout", caption)
    charts.plotly_chart(neighbourhood_figures.hop_counts(sample), key="fanout_hops")
    started = time.perf_counter()
    result = fanout_frequency(sampler, node, RESAMPLES, seed=seed)
    charts.plotly_chart(
        neighbourhood_figures.frequency(graph, result, f"Hop-1 draws over {RESAMPLES} resamples"), key="fanout_freq"
    )
    charts.caption(f"{RESAMPLES} resamples in {(time.perf_counter() - started) * 1000:.0f} ms.")


def walk_panel(graph: InteractionGraph, node: int, settings: dict, seed: int, charts) -> None:
    """Draw the walks of ``node``; importance, frequency and stability charts go into ``charts`` (or ``st``)."""
    caption = f"{graph.name} · {node_picker.label(graph, node)} · random walks {settings} · seed {seed}"
    started = time.perf_counter()
    sampler = explore_cache.walk_sampler(name, data_dir, **settings)
    walks = sampler.sample(np.array([node]), seed=seed, return_traces=True)
    view = random_walk_view(graph, walks)
    draw(view, time.perf_counter() - started, "walk", caption)
    if (walks.neighbours[0] >= 0).any():
        charts.plotly_chart(neighbourhood_figures.top_t_importance(graph, walks), key="walk_top_t")
    started = time.perf_counter()
    result = walk_frequency(sampler, node, RESAMPLES, seed=seed)
    charts.plotly_chart(
        neighbourhood_figures.frequency(graph, result, f"Top-T membership over {RESAMPLES} resamples"),
        key="walk_freq",
    )
    budgets = top_t_stability(
        graph,
        node,
        walk_length=settings["walk_length"],
        restart_prob=settings["restart_prob"],
        top_t=settings["top_t"],
        seed=seed,
    )
    charts.plotly_chart(neighbourhood_figures.stability(budgets), key="walk_stability")
    charts.caption(f"Frequency and stability in {(time.perf_counter() - started) * 1000:.0f} ms.")


def model_weights(graph: InteractionGraph, node: int, seed: int) -> None:
    """The aggregation weights a trained GraphSAGE or PinSage run uses for this node."""
    runs_dir = sidebar.current_runs_dir()
    runs = [] if runs_dir is None else loaders.run_store(str(runs_dir)).list()
    usable = {
        run.run_id: run
        for run in runs
        if run.config.get("dataset") == name and run.config.get("model") in ("graphsage", "pinsage")
    }
    if not usable:
        st.info(
            f"No GraphSAGE or PinSage run on dataset {name!r} in the runs directory yet: train one on the Train page "
            "to see the weights the model gives this node's neighbours.",
            icon=":material/info:",
        )
        return
    run = usable[st.selectbox("Trained run", list(usable), key=state.NEIGHBOURHOOD_RUN)]
    try:
        loaded = loaders.loaded_run(run.path)
        result = aggregation_weights(loaded.model, loaded.split.train, node, seed)
    except (ValueError, FileNotFoundError, OSError) as error:
        st.warning(f"Run {run.run_id!r}: {error}", icon=":material/info:")
        return
    st.caption(f"{run.run_id} ({run.config['model']}, epoch {loaded.epoch}) on its training graph — {result.rule}.")
    table = pd.DataFrame(
        {
            "neighbour": [node_picker.label(graph, int(n)) for n in result.neighbours],
            "weight": np.round(result.weights, 4),
        }
    )
    if result.training_weights is not None:
        table["weight in this training draw"] = np.round(result.training_weights, 4)
    table = table.sort_values(table.columns[-1], ascending=False, kind="stable")
    st.dataframe(table.head(MAX_WEIGHT_ROWS), hide_index=True, key="model_weights")
    if len(table) > MAX_WEIGHT_ROWS:
        st.caption(f"{MAX_WEIGHT_ROWS} of {len(table)} neighbours shown.")


st.title("Neighborhood")
name, data_dir = sidebar.current_dataset()
if name is None:
    st.info("Type the path of an interactions CSV in the sidebar.", icon=":material/upload_file:")
    st.stop()
try:
    graph = loaders.graph(name, data_dir)
except (ValueError, FileNotFoundError, OSError) as error:
    st.error(f"Cannot load dataset {name!r}: {error}", icon=":material/error:")
    st.stop()
if graph.num_nodes == 0:
    st.warning(f"Dataset {name!r} has no nodes to explore.")
    st.stop()

top = st.columns([3, 3, 1, 1], vertical_alignment="bottom")
with top[0]:
    node = node_picker.pick_node(graph, key=state.NEIGHBOURHOOD_NODE)
mode = top[1].radio("Sampler", [FANOUT, WALK, BOTH], key="neighbourhood_mode")
seed = int(top[2].number_input("Seed", 0, 2**31 - 1, 0, key=state.NEIGHBOURHOOD_SEED))
top[3].button("Resample", on_click=advance_seed, key="neighbourhood_resample", icon=":material/casino:")
settings = st.columns(6, vertical_alignment="bottom")
fanout_text = settings[0].text_input("Fanouts per hop", value="10, 5", key="neighbourhood_fanouts")
replace = settings[1].checkbox("With replacement", key="neighbourhood_replace")
walk_settings = {
    "num_walks": int(settings[2].number_input("Walks", 1, 100_000, 200, key="neighbourhood_walks")),
    "walk_length": int(settings[3].number_input("Walk length", 1, 50, 4, key="neighbourhood_length")),
    "restart_prob": float(settings[4].slider("Restart probability", 0.0, 1.0, 0.5, key="neighbourhood_restart")),
    "top_t": int(settings[5].number_input("Top-T", 1, 500, 10, key="neighbourhood_top_t")),
}

if node is None:
    st.stop()
degree = int(graph.csr.degree()[node])
st.subheader(node_picker.label(graph, node))
st.caption(f"{graph.node_type(node)} with {degree} interactions in {graph.name!r}")
if degree == 0:
    st.warning(
        f"{graph.node_name(node)} has no interactions, so there is nothing to sample. Pick another node.",
        icon=":material/block:",
    )
    st.stop()
try:
    fanouts = parse_fanouts(fanout_text)
except ValueError as error:
    st.error(str(error), icon=":material/error:")
    st.stop()

if mode == BOTH:
    left, right = st.columns(2)
    with left:
        st.markdown("**Fanout neighbourhood**")
        fanout_panel(graph, node, fanouts, replace, seed, st)
    with right:
        st.markdown("**Random-walk neighbourhood**")
        walk_panel(graph, node, walk_settings, seed, st)
else:
    drawing, charts = st.columns([3, 2])
    with drawing:
        if mode == FANOUT:
            fanout_panel(graph, node, fanouts, replace, seed, charts)
        else:
            walk_panel(graph, node, walk_settings, seed, charts)

with st.expander("Aggregation weights of a trained model", icon=":material/model_training:"):
    model_weights(graph, node, seed)

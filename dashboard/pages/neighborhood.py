"""Neighborhood page: what the sampler gave the model for one node — drawn, counted, resampled, compared."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import explore_cache, loaders, neighbourhood_figures, node_picker, sidebar, state
from dashboard.graph_view import GraphView, fanout_view, random_walk_view
from engine import InteractionGraph
from engine.analysis import fanout_frequency, snapshot_document, top_t_stability, walk_frequency
from engine.sampling import FanoutSampler, RandomWalkSampler

FANOUT, WALK, BOTH = "Fanout (GraphSAGE)", "Random walk (PinSage)", "Side by side"
RESAMPLES = 100


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
    st.iframe(view.html, height=700)
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


def fanout_panel(graph: InteractionGraph, node: int, fanouts: list[int], replace: bool, seed: int) -> None:
    caption = f"{graph.name} · {node_picker.label(graph, node)} · fanout {fanouts} · seed {seed}"
    started = time.perf_counter()
    sampler = explore_cache.fanout_sampler(name, data_dir, tuple(fanouts), replace)
    sample = sampler.sample(np.array([node]), seed=seed)
    view = fanout_view(graph, sample)
    draw(view, time.perf_counter() - started, "fanout", caption)
    st.plotly_chart(neighbourhood_figures.hop_counts(sample), key="fanout_hops")
    started = time.perf_counter()
    result = fanout_frequency(sampler, node, RESAMPLES, seed=seed)
    st.plotly_chart(
        neighbourhood_figures.frequency(graph, result, f"Hop-1 draws over {RESAMPLES} resamples"), key="fanout_freq"
    )
    st.caption(f"{RESAMPLES} resamples in {(time.perf_counter() - started) * 1000:.0f} ms.")


def walk_panel(graph: InteractionGraph, node: int, settings: dict, seed: int) -> None:
    caption = f"{graph.name} · {node_picker.label(graph, node)} · random walks {settings} · seed {seed}"
    started = time.perf_counter()
    sampler = explore_cache.walk_sampler(name, data_dir, **settings)
    walks = sampler.sample(np.array([node]), seed=seed, return_traces=True)
    view = random_walk_view(graph, walks)
    draw(view, time.perf_counter() - started, "walk", caption)
    if (walks.neighbours[0] >= 0).any():
        st.plotly_chart(neighbourhood_figures.top_t_importance(graph, walks), key="walk_top_t")
    started = time.perf_counter()
    result = walk_frequency(sampler, node, RESAMPLES, seed=seed)
    st.plotly_chart(
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
    st.plotly_chart(neighbourhood_figures.stability(budgets), key="walk_stability")
    st.caption(f"Frequency and stability in {(time.perf_counter() - started) * 1000:.0f} ms.")


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
    params = run.config.get("params", {})
    try:
        train_graph = loaders.loaded_run(run.path).split.train
    except (ValueError, FileNotFoundError, OSError) as error:
        st.error(f"Cannot open run {run.run_id!r}: {error}", icon=":material/error:")
        return
    if train_graph.csr.degree()[node] == 0:
        st.warning("This node has no training interactions, so the model aggregates nothing for it.")
        return
    if run.config["model"] == "graphsage":
        fanouts = [int(f) for f in params.get("fanouts", [10])]
        sample = FanoutSampler(train_graph, fanouts[:1]).sample(np.array([node]), seed=seed)
        neighbours, counts = np.unique(sample.edge_src, return_counts=True)
        weights = counts / counts.sum()
        rule = f"mean aggregation: equal weight 1/{len(sample.edge_src)} per sampled neighbour (fanout {fanouts[0]})"
    else:
        walker = RandomWalkSampler(
            train_graph,
            int(params.get("num_walks", 200)),
            int(params.get("walk_length", 4)),
            float(params.get("restart_prob", 0.5)),
            int(params.get("top_t", 10)),
        )
        walks = walker.sample(np.array([node]), seed=seed)
        valid = walks.neighbours[0] >= 0
        neighbours, weights = walks.neighbours[0][valid], walks.weights[0][valid]
        rule = "importance pooling: weights are L1-normalised visit counts of random walks"
    st.caption(f"{run.run_id} ({run.config['model']}) on its training graph — {rule}.")
    st.dataframe(
        pd.DataFrame(
            {
                "neighbour": [graph.node_name(int(n)) for n in neighbours],
                "title": [node_picker.label(graph, int(n)) for n in neighbours],
                "weight": np.round(weights, 4),
            }
        ).sort_values("weight", ascending=False),
        hide_index=True,
        key="model_weights",
    )


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

pick_column, sampler_column = st.columns([2, 3])
with pick_column:
    node = node_picker.pick_node(graph, key=state.NEIGHBOURHOOD_NODE)
with sampler_column:
    mode = st.radio("Sampler", [FANOUT, WALK, BOTH], horizontal=True, key="neighbourhood_mode")
    fanout_column, walk_column = st.columns(2)
    with fanout_column:
        fanout_text = st.text_input("Fanouts per hop", value="10, 5", key="neighbourhood_fanouts")
        replace = st.checkbox("Sample with replacement", key="neighbourhood_replace")
    with walk_column:
        walk_settings = {
            "num_walks": int(st.number_input("Walks", 1, 100_000, 200, key="neighbourhood_walks")),
            "walk_length": int(st.number_input("Walk length (two-hop steps)", 1, 50, 4, key="neighbourhood_length")),
            "restart_prob": float(st.slider("Restart probability", 0.0, 1.0, 0.5, key="neighbourhood_restart")),
            "top_t": int(st.number_input("Top-T", 1, 500, 10, key="neighbourhood_top_t")),
        }
    seed_column, button_column = st.columns([3, 1])
    seed = int(seed_column.number_input("Seed", 0, 2**31 - 1, 0, key=state.NEIGHBOURHOOD_SEED))
    button_column.button("Resample", on_click=advance_seed, key="neighbourhood_resample", icon=":material/casino:")

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
        fanout_panel(graph, node, fanouts, replace, seed)
    with right:
        st.markdown("**Random-walk neighbourhood**")
        walk_panel(graph, node, walk_settings, seed)
elif mode == FANOUT:
    fanout_panel(graph, node, fanouts, replace, seed)
else:
    walk_panel(graph, node, walk_settings, seed)

with st.expander("Aggregation weights of a trained model", icon=":material/model_training:"):
    model_weights(graph, node, seed)

"""Neighborhood page: what the sampler gave the model for one node — drawn, counted, resampled, compared."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import numba
import numpy as np
import pandas as pd
import streamlit as st

from dashboard.components import node_picker, sidebar
from dashboard.components.markdown import plain
from dashboard.plots import neighborhood_figures
from dashboard.plots.graph_view import GraphView, fanout_view, random_walk_view
from dashboard.state import explore_cache, keys, loaders
from engine import InteractionGraph
from engine.analysis import (
    MODELS_WITH_WEIGHTS,
    NeighbourFrequency,
    TopTStability,
    aggregation_weights,
    fanout_frequency,
    snapshot_document,
    top_t_stability,
    walk_frequency,
)
from engine.sampling import FanoutSampler, RandomWalkSampler, parse_fanouts

FANOUT, WALK, BOTH = "Fanout (GraphSAGE)", "Random walk (PinSage)", "Side by side"
RESAMPLES = 100
MAX_WEIGHT_ROWS = 200
MAX_DRAWN_HOPS = 4  # a fifth hop reaches most of a small graph and the drawing stops being readable
_FANOUT, _WALK = FanoutSampler.Settings(), RandomWalkSampler.Settings()
SETTING_DEFAULTS = {  # the samplers' own defaults
    "neighborhood_fanouts": ", ".join(map(str, _FANOUT.fanouts)),
    "neighborhood_replace": _FANOUT.replace,
    "neighborhood_walks": _WALK.num_walks,
    "neighborhood_length": _WALK.walk_length,
    "neighborhood_restart": _WALK.restart_prob,
    "neighborhood_top_t": _WALK.top_t,
}


def drawn_fanouts(text: str) -> list[int]:
    """``"10, 5"`` -> ``[10, 5]`` (:func:`engine.sampling.parse_fanouts`), at most :data:`MAX_DRAWN_HOPS` hops."""
    fanouts = parse_fanouts(text)
    if len(fanouts) > MAX_DRAWN_HOPS:
        raise ValueError(f"give at most {MAX_DRAWN_HOPS} fanouts, one per hop drawn (got {len(fanouts)}: {text!r})")
    return fanouts


def keep_settings() -> None:
    """Give every sampler setting its value before its widget is drawn (the default on the first run).

    Only the chosen sampler's settings are drawn, and Streamlit drops the state of a widget that a rerun does
    not draw; writing each key back keeps what the user set for the other sampler. The widgets then take
    their values from here and get no default of their own (both would make Streamlit warn).
    """
    for key, default in SETTING_DEFAULTS.items():
        st.session_state[key] = st.session_state.get(key, default)


def fanout_settings() -> tuple[str, bool]:
    """The fanout sampler's inputs: fanouts per hop and sampling with replacement."""
    columns = st.columns([2, 1, 3], vertical_alignment="bottom")
    text = columns[0].text_input("Fanouts per hop", key="neighborhood_fanouts")
    return text, columns[1].checkbox("With replacement", key="neighborhood_replace")


def walk_settings_inputs() -> dict:
    """The random-walk sampler's inputs: walks, walk length, restart probability and top-T."""
    columns = st.columns(4, vertical_alignment="bottom")
    return {
        "num_walks": int(columns[0].number_input("Walks", 1, 100_000, key="neighborhood_walks")),
        "walk_length": int(columns[1].number_input("Walk length", 1, 50, key="neighborhood_length")),
        "restart_prob": float(columns[2].slider("Restart probability", 0.0, 1.0, key="neighborhood_restart")),
        "top_t": int(columns[3].number_input("Top-T", 1, 500, key="neighborhood_top_t")),
    }


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run numba kernels on this thread alone while sampling one seed at a time.

    A one-seed draw has one chunk of work, yet every parallel region wakes the whole OpenMP team. When torch
    loaded libgomp before ``engine.sampling`` asked for passive waiting, idle team threads spin, and on a
    busy 2-core machine each of the ~160 launches of a resampling study waited behind them: 100 resamples
    and the stability curve took ~0.7 s (up to 2.5 s) instead of ~15 ms. ``set_num_threads`` is per thread,
    so other sessions keep their threads.
    """
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        yield
    finally:
        numba.set_num_threads(threads)


@st.cache_data(show_spinner="Resampling…", max_entries=64)
def fanout_statistics(
    name: str, data_dir: str | None, node: int, fanouts: tuple[int, ...], replace: bool, seed: int
) -> NeighbourFrequency:
    """Hop-1 draw counts over :data:`RESAMPLES` fanout samples, computed once per node and settings."""
    sampler = explore_cache.fanout_sampler(name, data_dir, fanouts, replace)
    with one_thread():
        return fanout_frequency(sampler, node, RESAMPLES, seed=seed)


@st.cache_data(show_spinner="Resampling…", max_entries=64)
def walk_statistics(
    name: str, data_dir: str | None, node: int, settings: tuple[tuple[str, float], ...], seed: int
) -> tuple[NeighbourFrequency, TopTStability]:
    """Top-T membership over :data:`RESAMPLES` walk draws and top-T stability per walk budget, computed once."""
    options = dict(settings)
    sampler = explore_cache.walk_sampler(name, data_dir, **options)
    with one_thread():
        frequency = walk_frequency(sampler, node, RESAMPLES, seed=seed)
        stability = top_t_stability(sampler, node, seed=seed)
    return frequency, stability


def advance_seed() -> None:
    st.session_state[keys.NEIGHBORHOOD_SEED] = int(st.session_state.get(keys.NEIGHBORHOOD_SEED, 0)) + 1


def draw(view: GraphView, seconds: float, key: str, caption: str) -> None:
    st.iframe(view.html, height=680)
    st.caption(
        f"{view.num_nodes} nodes, {view.num_sampled_edges} sampled edges, {view.num_ghost_edges} unsampled edges "
        f"ghosted, {view.hidden_edges} hidden · sampled and drawn in {seconds * 1000:.0f} ms"
    )
    st.download_button(
        "Download this view (offline HTML)",
        snapshot_document(view.html, "GNN RecSys Explorer — neighborhood", caption),
        file_name=f"neighborhood-{key}.html",
        mime="text/html",
        key=f"export_{key}",
    )


def fanout_panel(graph: InteractionGraph, node: int, fanouts: list[int], replace: bool, seed: int, charts) -> None:
    """Draw a fanout sample of ``node``; its charts go into ``charts`` (a column, or ``st`` for below the drawing)."""
    caption = f"{graph.name} · {node_picker.label(graph, node)} · fanout {fanouts} · seed {seed}"
    started = time.perf_counter()
    sampler = explore_cache.fanout_sampler(name, data_dir, tuple(fanouts), replace)
    with one_thread():
        sample = sampler.sample(np.array([node]), seed=seed)
    view = fanout_view(graph, sample)
    draw(view, time.perf_counter() - started, "fanout", caption)
    charts.plotly_chart(neighborhood_figures.hop_counts(sample), key="fanout_hops")
    started = time.perf_counter()
    result = fanout_statistics(name, data_dir, node, tuple(fanouts), replace, seed)
    charts.plotly_chart(
        neighborhood_figures.frequency(graph, result, f"Hop-1 draws over {RESAMPLES} resamples"), key="fanout_freq"
    )
    charts.caption(f"{RESAMPLES} resamples in {(time.perf_counter() - started) * 1000:.0f} ms.")


def walk_panel(graph: InteractionGraph, node: int, settings: dict, seed: int, charts) -> None:
    """Draw the walks of ``node``; importance, frequency and stability charts go into ``charts`` (or ``st``)."""
    caption = f"{graph.name} · {node_picker.label(graph, node)} · random walks {settings} · seed {seed}"
    started = time.perf_counter()
    sampler = explore_cache.walk_sampler(name, data_dir, **settings)
    with one_thread():
        walks = sampler.sample(np.array([node]), seed=seed, return_traces=True)
    view = random_walk_view(graph, walks)
    draw(view, time.perf_counter() - started, "walk", caption)
    if (walks.neighbours[0] >= 0).any():
        charts.plotly_chart(neighborhood_figures.top_t_importance(graph, walks), key="walk_top_t")
    started = time.perf_counter()
    result, budgets = walk_statistics(name, data_dir, node, tuple(settings.items()), seed)
    charts.plotly_chart(
        neighborhood_figures.frequency(graph, result, f"Top-T membership over {RESAMPLES} resamples"),
        key="walk_freq",
    )
    charts.plotly_chart(neighborhood_figures.stability(budgets), key="walk_stability")
    charts.caption(f"Frequency and stability in {(time.perf_counter() - started) * 1000:.0f} ms.")


def model_weights(graph: InteractionGraph, node: int, seed: int) -> None:
    """The aggregation weights a trained GraphSAGE or PinSage run uses for this node."""
    runs_dir = sidebar.current_runs_dir()
    runs = [] if runs_dir is None else loaders.run_store(str(runs_dir)).list()
    usable = {
        run.run_id: run
        for run in runs
        if run.config.get("dataset") == name and run.config.get("model") in MODELS_WITH_WEIGHTS
    }
    if not usable:
        st.info(
            plain(
                f"No GraphSAGE or PinSage run on dataset {name!r} in the runs directory yet: train one on the Train "
                "page to see the weights the model gives this node's neighbours."
            ),
            icon=":material/info:",
        )
        return
    run = usable[st.selectbox("Trained run", list(usable), key=keys.NEIGHBORHOOD_RUN)]
    try:
        loaded = loaders.loaded_run(run.path)
        result = aggregation_weights(loaded.model, loaded.split.train, node, seed)
    except (ValueError, FileNotFoundError, OSError) as error:
        st.warning(plain(f"Run {run.run_id!r}: {error}"), icon=":material/info:")
        return
    st.caption(
        plain(f"{run.run_id} ({run.config['model']}, epoch {loaded.epoch}) on its training graph — {result.rule}.")
    )
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
name, data_dir, graph = sidebar.current_graph()
if graph.num_nodes == 0:
    st.warning(plain(f"Dataset {name!r} has no nodes to explore."))
    st.stop()

top = st.columns([3, 3, 1, 1], vertical_alignment="bottom")
with top[0]:
    node = node_picker.pick_node(graph, key=keys.NEIGHBORHOOD_NODE)
mode = top[1].radio("Sampler", [FANOUT, WALK, BOTH], key="neighborhood_mode")
keep_settings()
seed = int(top[2].number_input("Seed", 0, 2**31 - 1, 0, key=keys.NEIGHBORHOOD_SEED))
top[3].button("Resample", on_click=advance_seed, key="neighborhood_resample", icon=":material/casino:")
fanout_text, replace = fanout_settings() if mode != WALK else ("", False)
walk_settings = walk_settings_inputs() if mode != FANOUT else {}

if node is None:
    st.stop()
degree = int(graph.csr.degree()[node])
st.subheader(plain(node_picker.label(graph, node)))
st.caption(plain(f"{graph.node_type(node)} with {degree} interactions in {graph.name!r}"))
if degree == 0:
    st.warning(
        plain(f"{graph.node_name(node)} has no interactions, so there is nothing to sample. Pick another node."),
        icon=":material/block:",
    )
    st.stop()
try:
    fanouts = drawn_fanouts(fanout_text) if mode != WALK else []
except ValueError as error:
    st.error(plain(error), icon=":material/error:")
    st.stop()

if mode == BOTH:
    left, right = st.columns(2)
    with left:
        st.markdown("**Fanout neighborhood**")
        fanout_panel(graph, node, fanouts, replace, seed, st)
    with right:
        st.markdown("**Random-walk neighborhood**")
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

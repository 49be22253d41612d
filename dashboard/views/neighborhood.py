"""Neighborhood page: what the sampler gave the model for one node — drawn, counted, resampled, compared."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import numba
import numpy as np
import streamlit as st

from dashboard.components import neighborhood_runs, node_picker, pyg_batches, run_picker, sidebar
from dashboard.components.markdown import plain
from dashboard.plots import neighbor_tables, neighborhood_figures
from dashboard.state import explore_cache, keys, loaders
from engine import InteractionGraph
from engine.analysis import (
    NOISY_JACCARD,
    STABILITY_BUDGETS,
    STABLE_JACCARD,
    NeighborFrequency,
    TopTStability,
    fanout_frequency,
    snapshot_document,
    top_t_stability,
    walk_frequency,
    walks_to_reach,
)
from engine.analysis.projector import IMPORTED_MODEL
from engine.models import FanoutSpec, RandomWalkSpec
from engine.plots.graph_view import GraphView, fanout_view, random_walk_view
from engine.runs.rundir import RunInfo
from engine.sampling import FanoutSampler, RandomWalkSampler, parse_fanouts, warmup

FANOUT, WALK, BOTH = "Fanout (GraphSAGE)", "Random walk (PinSage)", "Side by side"
RUN_GRAPH, WHOLE_DATASET = "A run's training graph", "The whole dataset"
RESAMPLES = 100
MAX_DRAWN_HOPS = 4  # a fifth hop reaches most of a small graph and the drawing stops being readable
_FANOUT, _WALK = FanoutSampler.Settings(), RandomWalkSampler.Settings()
SETTING_DEFAULTS = {  # the samplers' own defaults, used on the whole dataset graph
    "neighborhood_fanouts": ", ".join(map(str, _FANOUT.fanouts)),
    "neighborhood_replace": _FANOUT.replace,
    "neighborhood_walks": _WALK.num_walks,
    "neighborhood_length": _WALK.walk_length,
    "neighborhood_restart": _WALK.restart_prob,
    "neighborhood_top_t": _WALK.top_t,
    keys.NEIGHBORHOOD_SEED: 0,
}


def run_settings(spec: FanoutSpec | RandomWalkSpec | None) -> dict:
    """The page's sampler settings and mode that reproduce what a run's model sampled (defaults where it did not)."""
    if isinstance(spec, FanoutSpec):
        return {
            "neighborhood_fanouts": ", ".join(map(str, spec.fanouts)),
            "neighborhood_replace": spec.replace,
            "neighborhood_mode": FANOUT,
        }
    if isinstance(spec, RandomWalkSpec):
        return {
            "neighborhood_walks": spec.num_walks,
            "neighborhood_length": spec.walk_length,
            "neighborhood_restart": spec.restart_prob,
            "neighborhood_top_t": spec.top_t,
            "neighborhood_mode": WALK,
        }
    return {}


def describe_settings(settings: dict) -> str:
    names = {
        "neighborhood_fanouts": "fanouts",
        "neighborhood_replace": "with replacement",
        "neighborhood_walks": "walks",
        "neighborhood_length": "walk length",
        "neighborhood_restart": "restart probability",
        "neighborhood_top_t": "top-T",
    }
    parts = []
    for key, value in settings.items():
        if key == "neighborhood_replace":
            parts.append("with replacement" if value else "without replacement")
        elif key in names:
            parts.append(f"{names[key]} {value}")
    return ", ".join(parts)


def drawn_fanouts(text: str) -> list[int]:
    """``"10, 5"`` -> ``[10, 5]`` (:func:`engine.sampling.parse_fanouts`), at most :data:`MAX_DRAWN_HOPS` hops."""
    fanouts = parse_fanouts(text)
    if len(fanouts) > MAX_DRAWN_HOPS:
        raise ValueError(f"give at most {MAX_DRAWN_HOPS} fanouts, one per hop drawn (got {len(fanouts)}: {text!r})")
    return fanouts


def keep_settings(run: RunInfo | None, spec) -> dict:
    """Give every sampler setting its value before its widget is drawn, and return the chosen run's settings.

    On the first run a setting takes the sampler's default; when a run is chosen (or another one), the settings and
    the sampler start at that run's. Only the chosen sampler's settings are drawn, and Streamlit drops the state of
    a widget that a rerun does not draw; writing each key back keeps what the user set for the other sampler. The
    widgets then take their values from here and get no default of their own (both would make Streamlit warn).
    """
    for key, default in SETTING_DEFAULTS.items():
        st.session_state[key] = st.session_state.get(key, default)
    settings = run_settings(spec)
    chosen = None if run is None else run.run_id
    if st.session_state.get(keys.NEIGHBORHOOD_SETTINGS_OF) != chosen:
        st.session_state.update(settings if run is not None else {})
        st.session_state[keys.NEIGHBORHOOD_SETTINGS_OF] = chosen
    return settings


def fanout_settings() -> tuple[str, bool]:
    """The fanout sampler's inputs: fanouts per hop and sampling with replacement."""
    columns = st.columns([2, 1.5, 2.5], vertical_alignment="bottom")
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
    graph_source: explore_cache.GraphSource, node: int, fanouts: tuple[int, ...], replace: bool, seed: int
) -> NeighborFrequency:
    """Hop-1 draw counts over :data:`RESAMPLES` fanout samples, computed once per graph, node and settings."""
    sampler = explore_cache.fanout_sampler(graph_source, fanouts, replace)
    with one_thread():
        return fanout_frequency(sampler, node, RESAMPLES, seed=seed)


@st.cache_data(show_spinner="Resampling…", max_entries=64)
def walk_statistics(
    graph_source: explore_cache.GraphSource, node: int, settings: tuple[tuple[str, float], ...], seed: int
) -> tuple[NeighborFrequency, TopTStability]:
    """Top-T membership over :data:`RESAMPLES` walk draws and top-T stability per walk budget (the studied budgets
    and the chosen one), computed once per graph, node and settings."""
    options = dict(settings)
    sampler = explore_cache.walk_sampler(graph_source, **options)
    budgets = sorted({*STABILITY_BUDGETS, int(options["num_walks"])})
    with one_thread():
        frequency = walk_frequency(sampler, node, RESAMPLES, seed=seed)
        stability = top_t_stability(sampler, node, budgets, seed=seed)
    return frequency, stability


def advance_seed() -> None:
    st.session_state[keys.NEIGHBORHOOD_SEED] = int(st.session_state.get(keys.NEIGHBORHOOD_SEED, 0)) + 1


def ready_sampler(sampler: str) -> None:
    """Wait, saying why, for the sampler's kernels the app started compiling (or loading) when it started."""
    if not warmup.samplers_warm(sampler):
        with st.spinner(
            f"Preparing the {sampler} sampler for its first draw since the app started: numba compiles it once per "
            "installation and caches it on disk (up to a minute the very first time, about a second after that). "
            "Later draws take milliseconds."
        ):
            warmup.wait_until_warm(sampler)


def graph_words(graph: InteractionGraph) -> str:
    """Which graph is sampled, in words: a run's training graph or the whole dataset."""
    if run is not None:
        return f"the training graph of run {run.run_id} of {dataset_graph.name!r}"
    return f"{graph.name!r} (the whole dataset, held-out edges included)"


def draw(view: GraphView, seconds: float, key: str, sentence: str, counts: str) -> None:
    """The drawing, its counts and timing, and its offline copy, which carries the same sentence as the page."""
    st.iframe(view.html, height=680)
    st.caption(plain(f"{counts} · sampled and drawn in {seconds * 1000:.0f} ms"))
    st.download_button(
        "Download this view (offline HTML)",
        snapshot_document(view.html, "GNN RecSys Explorer — neighborhood", f"{sentence} {counts}."),
        file_name=f"neighborhood-{key}.html",
        mime="text/html",
        key=f"export_{key}",
    )


def fanout_panel(
    source: explore_cache.GraphSource,
    graph: InteractionGraph,
    node: int,
    fanouts: list[int],
    replace: bool,
    seed: int,
    charts,
) -> None:
    """Draw a fanout sample of ``node`` in ``graph`` (read from ``source``); its charts go into ``charts`` (a column,
    or ``st`` for below the drawing)."""
    sentence = (
        f"Fanout (GraphSAGE) neighborhood of {node_picker.label(graph, node)} in {graph_words(graph)}: fanouts "
        f"{', '.join(map(str, fanouts))} per hop, {'with' if replace else 'without'} replacement, seed {seed}."
    )
    ready_sampler("fanout")
    started = time.perf_counter()
    sampler = explore_cache.fanout_sampler(source, tuple(fanouts), replace)
    with one_thread():
        sample = sampler.sample(np.array([node]), seed=seed)
    view = fanout_view(graph, sample)
    counts = (
        f"{view.num_nodes} nodes, {view.num_sampled_edges} sampled edges, {view.num_ghost_edges} unsampled edges "
        f"ghosted, {view.hidden_edges} hidden"
    )
    draw(view, time.perf_counter() - started, "fanout", sentence, counts)
    charts.plotly_chart(neighborhood_figures.hop_counts(sample), key="fanout_hops", theme=None)
    started = time.perf_counter()
    result = fanout_statistics(source, node, tuple(fanouts), replace, seed)
    charts.plotly_chart(
        neighborhood_figures.draw_histogram(result, f"Hop-1 draws over {RESAMPLES} resamples"),
        key="fanout_freq",
        theme=None,
    )
    charts.caption(f"{RESAMPLES} resamples in {(time.perf_counter() - started) * 1000:.0f} ms.")
    st.markdown("**Hop-1 neighbors of this sample**")
    st.dataframe(neighbor_tables.hop_1_table(graph, sample, result), hide_index=True, key="fanout_table")


def walk_panel(
    source: explore_cache.GraphSource,
    graph: InteractionGraph,
    node: int,
    settings: dict,
    seed: int,
    charts,
    run: RunInfo | None = None,
    spec=None,
) -> None:
    """Draw the walks of ``node`` in ``graph`` (read from ``source``); importance, frequency and stability charts go
    into ``charts`` (or ``st``); with a PinSage ``run`` (and its sampler ``spec``), the walks it stored beside them."""
    sentence = (
        f"Random-walk (PinSage) neighborhood of {node_picker.label(graph, node)} in {graph_words(graph)}: the "
        f"top-{settings['top_t']} of {settings['num_walks']} walks of up to {settings['walk_length']} steps, restart "
        f"probability {settings['restart_prob']:g}, seed {seed}."
    )
    ready_sampler("random walk")
    started = time.perf_counter()
    sampler = explore_cache.walk_sampler(source, **settings)
    with one_thread():
        walks = sampler.sample(np.array([node]), seed=seed, return_traces=True)
    view = random_walk_view(graph, walks, restart_prob=settings["restart_prob"])
    counts = f"{view.num_nodes} nodes, {view.num_sampled_edges} walked edges"
    draw(view, time.perf_counter() - started, "walk", sentence, counts)
    if (walks.neighbors[0] >= 0).any():
        charts.plotly_chart(neighborhood_figures.top_t_importance(graph, walks), key="walk_top_t", theme=None)
    started = time.perf_counter()
    result, budgets = walk_statistics(source, node, tuple(settings.items()), seed)
    charts.plotly_chart(
        neighborhood_figures.frequency(graph, result, f"Top-T membership over {RESAMPLES} resamples"),
        key="walk_freq",
        theme=None,
    )
    charts.plotly_chart(neighborhood_figures.stability(budgets), key="walk_stability", theme=None)
    charts.caption(f"Frequency and stability in {(time.perf_counter() - started) * 1000:.0f} ms.")
    stability_note(budgets, settings["num_walks"], settings["top_t"])
    st.markdown("**Top-T neighbors of this draw**")
    st.dataframe(neighbor_tables.top_t_table(graph, walks, result), hide_index=True, key="walk_table")
    if run is not None and run.config.get("model") == "pinsage":
        neighborhood_runs.stored_vs_fresh(run, spec, graph, node, walks, settings, seed)


def stability_note(budgets: TopTStability, num_walks: int, top_t: int) -> None:
    """Say so when the top-T at this walk budget is mostly noise, and how many walks make it stable."""
    agreement = dict(zip(budgets.num_walks, budgets.mean_jaccard, strict=True))[num_walks]
    if agreement >= NOISY_JACCARD:
        return
    enough = walks_to_reach(budgets)
    reach = (
        f"{enough} walks reach a mean Jaccard of {STABLE_JACCARD} for this node."
        if enough is not None
        else f"Even {budgets.num_walks[-1]} walks stay below {STABLE_JACCARD} for this node."
    )
    st.warning(
        f"At {num_walks} walks this node's top-{top_t} is mostly noise: two draws share only {agreement:.2f} of "
        f"their union on average (mean Jaccard over {budgets.resamples} draws). {reach}",
        icon=":material/warning:",
    )


def trained_here(run: RunInfo) -> bool:
    """Whether the engine's loop trained the run, so it recorded a training graph to sample: not a run logged from
    another training loop (model ``track:<name>``) nor one imported from projector files."""
    model = str(run.config.get("model") or "")
    return model != IMPORTED_MODEL and not model.startswith("track:")


def runs_of_dataset(dataset: str) -> tuple[list[RunInfo], list[RunInfo]]:
    """Runs of ``dataset`` in the sidebar's runs directory that are readable and have trained an epoch, newest
    first; and the damaged runs left out that may be of it (their config names it, or names no dataset)."""
    runs_dir = sidebar.current_runs_dir()
    runs = [] if runs_dir is None else loaders.run_store(str(runs_dir)).list()
    ours = [run for run in runs if run.config.get("dataset") in (dataset, None)]
    usable = [
        run
        for run in ours
        if run.config.get("dataset") and not run.damaged and int(run.status.get("epoch") or 0) > 0
        if trained_here(run)
    ]
    return usable, [run for run in ours if run.damaged]


st.title("Neighborhood")
name, data_dir, dataset_graph = sidebar.current_graph()
if dataset_graph.num_nodes == 0:
    st.warning(plain(f"Dataset {name!r} has no nodes to explore."))
    st.stop()

runs, damaged = runs_of_dataset(name)
for left_out in damaged:
    st.caption(plain(f"Run {left_out.run_id} is damaged and not offered here: {'; '.join(left_out.damaged)}"))
choice = st.radio(
    "Graph",
    [RUN_GRAPH, WHOLE_DATASET] if runs else [WHOLE_DATASET],
    horizontal=True,
    key=keys.NEIGHBORHOOD_GRAPH,
    help="A run's training graph is what its model trained on: validation and test edges are not in it.",
)
run, run_key, spec = None, None, None
if choice == RUN_GRAPH and runs:
    run = run_picker.pick_run("Run", keys.NEIGHBORHOOD_RUN, runs)
    run_key = explore_cache.run_source(run.path)[1:]
    try:
        run_graph = explore_cache.run_graph(*run_key)
    except (ValueError, FileNotFoundError, OSError) as error:
        st.error(plain(f"Run {run.run_id!r}: {error}"), icon=":material/error:")
        st.stop()
    source, graph, spec = explore_cache.run_source(run.path), run_graph.train, run_graph.sampling()
else:
    source, graph = explore_cache.dataset_source(name, data_dir), dataset_graph
    if not runs:
        st.caption(
            plain(f"No run of {name!r} has trained an epoch yet: train one to sample exactly the graph it trained on.")
        )

top = st.columns([3, 3, 1.2, 1.4], vertical_alignment="bottom")  # wide enough for "Resample" at 1280 px
with top[0]:
    node = node_picker.pick_node(graph, key=keys.NEIGHBORHOOD_NODE)
started_at = keep_settings(run, spec)
mode = top[1].radio("Sampler", [FANOUT, WALK, BOTH], key="neighborhood_mode")
seed = int(top[2].number_input("Seed", 0, 2**31 - 1, key=keys.NEIGHBORHOOD_SEED))
top[3].button("Resample", on_click=advance_seed, key="neighborhood_resample", icon=":material/casino:")
fanout_text, replace = fanout_settings() if mode != WALK else ("", False)
walk_settings = walk_settings_inputs() if mode != FANOUT else {}

if run is not None:
    edges = {part: len(users) for part, (users, _) in run_graph.parts.items()}
    model = run.config.get("model")
    if spec is None:
        sampler_note = (
            f"{model} samples no neighborhood (it propagates over every training edge), so the settings are the "
            "samplers' defaults."
        )
    else:
        now = {key: st.session_state[key] for key in started_at if key != "neighborhood_mode"}
        changed = describe_settings(now) != describe_settings(started_at)
        sampler_note = f"The sampler settings started at the run's ({describe_settings(started_at)})" + (
            "; you have changed them since." if changed else "."
        )
    st.caption(
        plain(
            f"Sampling the training graph of run {run.run_id} ({model}): {edges['train']:,} training edges; its "
            f"{edges['val']:,} validation and {edges['test']:,} test edges are left out. {sampler_note}"
        )
    )
else:
    st.caption("Sampling the whole dataset, held-out edges included: no model trains on this graph.")

if node is None:
    st.stop()
degree = int(graph.csr.degree()[node])
st.subheader(plain(node_picker.label(graph, node)))
where = f"the training graph of run {run.run_id} of {dataset_graph.name!r}" if run is not None else repr(graph.name)
st.caption(plain(f"{graph.node_type(node)} with {degree} interactions in {where}"))
if degree == 0:
    held = int(dataset_graph.csr.degree()[node])
    reason = (
        f"{graph.node_name(node)} has no training edges in run {run.run_id} ({held} in the whole dataset, all held "
        "out or filtered)"
        if run is not None
        else f"{graph.node_name(node)} has no interactions"
    )
    st.warning(plain(f"{reason}, so there is nothing to sample. Pick another node."), icon=":material/block:")
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
        fanout_panel(source, graph, node, fanouts, replace, seed, st)
    with right:
        st.markdown("**Random-walk neighborhood**")
        walk_panel(source, graph, node, walk_settings, seed, st, run, spec)
else:
    drawing, charts = st.columns([3, 2])
    with drawing:
        if mode == FANOUT:
            fanout_panel(source, graph, node, fanouts, replace, seed, charts)
        else:
            walk_panel(source, graph, node, walk_settings, seed, charts, run, spec)

if run is not None and spec is not None:
    neighborhood_runs.replay_section(run, run_key, graph, node)
pyg_batches.pyg_replay_section(name, run, graph, dataset_graph, node)

with st.expander("Aggregation weights of a trained model", icon=":material/model_training:"):
    neighborhood_runs.model_weights(name, graph, node, seed)

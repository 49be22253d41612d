"""The Neighborhood page's replay of PyG loader batches a run logged: the seeds, each hop against ``num_neighbors``,
the global ids, a drawing of what the batch fed one seed (as a replay of ours is drawn), and the leakage check."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components import node_picker, sidebar
from dashboard.components.markdown import plain
from dashboard.state import keys, loaders
from engine import InteractionGraph
from engine.analysis.pyg_batches import load_pyg_batches, pyg_batch_index
from engine.analysis.pyg_leakage import global_nodes, hop_counts, leakage, seed_neighborhood, seeds
from engine.plots.graph_view import replay_view
from engine.runs.rundir import RunInfo

MAX_LEAK_ROWS = 200


def runs_with_batches(dataset: str) -> list[RunInfo]:
    """Runs of ``dataset`` in the sidebar's runs directory that logged PyG batches (the engine's or not), newest
    first."""
    runs_dir = sidebar.current_runs_dir()
    runs = [] if runs_dir is None else loaders.run_store(str(runs_dir)).list()
    return [run for run in runs if run.config.get("dataset") == dataset and pyg_batch_index(run.path)]


def hop_table(batch) -> pd.DataFrame:
    """One row per hop: nodes expanded, edges sampled, what ``num_neighbors`` asked, new nodes reached."""
    rows = hop_counts(batch)
    asked = [
        "not logged" if not batch.num_neighbors else "all" if row.asked is None else str(row.asked) for row in rows
    ]
    return pd.DataFrame(
        {
            "hop": [row.hop for row in rows],
            "nodes expanded": [row.expanded for row in rows],
            "edges sampled": [row.sampled for row in rows],
            "asked (num_neighbors × expanded)": asked,
            "new nodes": [row.new_nodes for row in rows],
        }
    )


def pyg_replay_section(
    dataset: str, page_run: RunInfo | None, page_graph: InteractionGraph, dataset_graph: InteractionGraph, node: int
) -> None:
    """Pick a run's logged PyG batch and one of its seeds; draw, count and check it for leakage. A batch of the run
    the page samples is drawn on that run's training graph, any other on the whole dataset."""
    runs = runs_with_batches(dataset)
    if not runs:
        return
    st.subheader("Replay a logged PyG batch")
    ids = [run.run_id for run in runs]
    default = ids.index(page_run.run_id) if page_run is not None and page_run.run_id in ids else 0
    if len(runs) > 1:
        chosen = st.selectbox("Run with PyG batches", ids, index=default, key=keys.NEIGHBORHOOD_PYG_RUN)
        run = runs[ids.index(chosen)]
    else:
        run = runs[0]
    same = page_run is not None and run.run_id == page_run.run_id
    graph = page_graph if same else dataset_graph
    ghosts = f"run {run.run_id}'s training graph" if same else f"the whole dataset {dataset!r}"
    stored = pyg_batch_index(run.path)
    choice = st.selectbox(
        f"PyG batch ({len(stored)} logged by run {run.run_id})",
        stored,
        format_func=lambda key: f"epoch {key[0]}, batch {key[1]}",
        key=keys.NEIGHBORHOOD_PYG_BATCH,
    )
    try:
        (batch,) = [b for b in load_pyg_batches(run.path, choice[0]) if b.index == choice[1]]
    except ValueError as error:
        st.error(plain(error), icon=":material/error:")
        return
    num_users = graph.num_users
    result = leakage(batch, num_users)
    nodes, _ = global_nodes(batch, num_users)
    if nodes.size and (nodes.min() < 0 or nodes.max() >= graph.num_nodes):
        st.error(
            plain(
                f"This batch's global ids reach {int(nodes.max())}, past the {graph.num_nodes} nodes of "
                f"{ghosts}: it was sampled from another graph and cannot be drawn on this one."
            ),
            icon=":material/error:",
        )
        return
    link = any("edge_label_index" in s for s in batch.edges.values()) or bool(result.src.size)
    seed_ids = seeds(batch, num_users)
    asked = f"num_neighbors {batch.num_neighbors}" if batch.num_neighbors else "num_neighbors not logged"
    st.caption(
        plain(
            f"{'HeteroData' if batch.hetero else 'Data'} {'link' if link else 'node'} batch of {nodes.size} nodes "
            f"(n_id) and {int(hop_table(batch)['edges sampled'].sum())} sampled edges in {batch.num_hops} hops, "
            f"{asked}; {seed_ids.size} seeds (hop 0). Same on the command line: python -m engine replay "
            f"{run.path} --epoch {batch.epoch} --pyg-batch {batch.index}"
        )
    )
    leakage_panel(graph, result, link)
    st.dataframe(hop_table(batch), hide_index=True, key="pyg_hops")
    options = seed_ids.tolist()
    default = options.index(node) if node in options else 0
    seed = st.selectbox(
        "Seed drawn",
        options,
        index=default,
        format_func=lambda n: node_picker.label(graph, int(n)),
        key=keys.NEIGHBORHOOD_PYG_SEED,
    )
    tree = seed_neighborhood(batch, int(seed), num_users)
    view = replay_view(graph, tree)
    st.iframe(view.html, height=680)
    st.caption(
        plain(
            f"What this batch's sampled edges fed {graph.node_name(int(seed))}: {view.num_nodes} nodes, "
            f"{view.num_sampled_edges} sampled edges, drawn as a replay of the engine's own batches; the ghosted "
            f"unsampled edges are those of {ghosts}. Global ids of the batch: "
            + " ".join(map(str, nodes.tolist()[:40]))
            + (" …" if nodes.size > 40 else "")
        )
    )


def leakage_panel(graph: InteractionGraph, result, link: bool) -> None:
    """Say whether a positive supervision edge of the batch is also one of its message-passing edges, and the fix."""
    if not link:
        st.info("Node batch: it has no supervision edges, so nothing can leak.", icon=":material/info:")
        return
    if result.num_leaking == 0:
        st.success(
            plain(
                f"No leakage: none of the batch's {result.src.size} positive supervision edges is among its sampled "
                "message-passing edges."
            ),
            icon=":material/check_circle:",
        )
        return
    st.error(
        plain(
            f"Leakage: {result.num_leaking} of the batch's {result.src.size} positive supervision edges are also "
            f"message-passing edges of the same batch (in either direction), so the model sees the edges it is asked "
            f"to score. Fix: {result.fix}."
        ),
        icon=":material/warning:",
    )
    leaking = [(int(s), int(d)) for s, d, k in zip(result.src, result.dst, result.leaking, strict=True) if k]
    st.dataframe(
        pd.DataFrame(
            {
                "source": [node_picker.label(graph, s) for s, _ in leaking[:MAX_LEAK_ROWS]],
                "target": [node_picker.label(graph, d) for _, d in leaking[:MAX_LEAK_ROWS]],
            }
        ),
        hide_index=True,
        key="pyg_leaks",
    )

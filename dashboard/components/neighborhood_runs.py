"""What trained runs say about a Neighborhood node: PinSage's stored neighborhood, replayed training batches, and
the aggregation weights a trained model gives the node's neighbors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.components import node_picker, sidebar
from dashboard.components.markdown import plain
from dashboard.plots import neighborhood_figures
from dashboard.state import explore_cache, keys, loaders
from engine import InteractionGraph
from engine.analysis import MODELS_WITH_WEIGHTS, aggregation_weights, top_t_overlap
from engine.models import FanoutSpec, RandomWalkSpec
from engine.plots.graph_view import replay_view
from engine.runs.rundir import RunDir, RunInfo

MAX_WEIGHT_ROWS = 200


def stored_vs_fresh(
    run: RunInfo, spec: RandomWalkSpec, graph: InteractionGraph, node: int, walks, settings: dict, seed: int
) -> None:
    """A PinSage run's stored inference neighborhood of the item beside this draw, with their overlap and why."""
    st.markdown("**Stored for inference vs this draw**")
    if node < graph.num_users:
        st.caption(
            "PinSage stores top-T neighborhoods for items only: a user's vector is pooled from its training items."
        )
        return
    try:
        loaded = loaders.loaded_run(run.path)
    except (ValueError, FileNotFoundError, OSError) as error:
        st.warning(plain(f"Run {run.run_id!r}: {error}"), icon=":material/info:")
        return
    weights = loaded.model.neighborhood.weights.cpu()
    row = slice(
        int(weights.crow_indices()[node - graph.num_users]), int(weights.crow_indices()[node - graph.num_users + 1])
    )
    stored = weights.col_indices()[row].numpy() + graph.num_users
    stored_weight = dict(zip(stored.tolist(), weights.values()[row].numpy().tolist(), strict=True))
    valid = walks.neighbors[0] >= 0
    fresh_weight = dict(zip(walks.neighbors[0][valid].tolist(), walks.weights[0][valid].tolist(), strict=True))
    overlap = top_t_overlap(stored, walks.neighbors[0])
    model_seed = int(loaded.config.seed)
    run_walks = (spec.num_walks, spec.walk_length, spec.restart_prob, spec.top_t)
    settings_match = tuple(settings[key] for key in ("num_walks", "walk_length", "restart_prob", "top_t")) == run_walks
    if settings_match and seed == model_seed:
        why = "They are identical: this draw uses the run's settings and its seed, which is the draw the model stored."
    else:
        why = (
            f"The model drew its neighborhood once, with the run's seed {model_seed}, when it was built; this "
            f"draw uses seed {seed}{'' if settings_match else ' and other settings'}. Both keep the most visited of "
            f"{settings['num_walks']} random walks, so they differ by walk randomness"
            + (" alone." if settings_match else " and by the changed settings.")
        )
    st.caption(
        plain(
            f"{overlap.shared} of the stored {len(stored)} neighbors are in this draw's top-{settings['top_t']} "
            f"(Jaccard {overlap.jaccard:.2f}). {why}"
        )
    )
    both = sorted(
        set(stored_weight) | set(fresh_weight), key=lambda n: -max(stored_weight.get(n, 0), fresh_weight.get(n, 0))
    )
    table = pd.DataFrame(
        {
            "neighbor": [node_picker.label(graph, int(n)) for n in both],
            "stored weight": [round(stored_weight.get(n, 0.0), 4) for n in both],
            "this draw's weight": [round(fresh_weight.get(n, 0.0), 4) for n in both],
        }
    )
    st.dataframe(table, hide_index=True, key="stored_vs_fresh")


def replay_label(batch, world_size: int) -> str:
    """``batch 3: 2 × user`` (``rank 1 batch 3: ...`` for a run trained by several processes)."""
    where = f"rank {batch.rank} batch {batch.index}" if world_size > 1 else f"batch {batch.index}"
    return f"{where}: " + ", ".join(f"{count} × {role}" for role, count in batch.roles.items() if count)


def replay_section(run: RunInfo, run_key: tuple, graph: InteractionGraph, node: int) -> None:
    """What training sampled for the node: pick an epoch and one of its batches that held the node, and draw it."""
    st.subheader("Replay training")
    run_dir, stamp = run_key
    reached = int(run.status.get("epoch") or 0)
    if reached == 0:
        st.info(plain(f"Run {run.run_id} has not finished an epoch yet: nothing to replay."), icon=":material/info:")
        return
    epoch = reached
    if reached > 1:
        epoch = int(st.slider("Epoch", 1, reached, reached, key=keys.NEIGHBORHOOD_REPLAY_EPOCH))
    checkpoint = RunDir(run_dir).checkpoint_path
    result = explore_cache.replayed(
        run_dir, stamp, epoch, node, checkpoint.stat().st_mtime if checkpoint.is_file() else 0.0
    )
    command = f"python -m engine replay {run_dir} --epoch {epoch} --node {graph.node_name(node)}"
    if not result.batches:
        st.info(
            plain(
                f"{graph.node_name(node)} was no user, positive or negative of any of the {result.num_batches} "
                f"batches of epoch {epoch}."
            ),
            icon=":material/info:",
        )
        return
    by_index = {position: batch for position, batch in enumerate(result.batches)}
    index = st.selectbox(
        f"Batch ({len(result.batches)} of epoch {epoch}'s {result.num_batches} held this node)",
        list(by_index),
        format_func=lambda i: replay_label(by_index[i], run.config.get("world_size", 1)),
        key=keys.NEIGHBORHOOD_REPLAY_BATCH,
    )
    batch = by_index[index]
    left_out = ", ".join(graph.node_name(int(t)) for t in batch.targets[:5]) + (
        f" and {batch.targets.size - 5} more" if batch.targets.size > 5 else ""
    )
    if isinstance(result.sampling, FanoutSpec):
        view = replay_view(graph, batch)
        st.iframe(view.html, height=680)
        st.caption(
            plain(
                f"What GraphSAGE's blocks fed {graph.node_name(node)} in {replay_label(batch, 1).split(':')[0]} of "
                f"epoch {epoch}: "
                f"{view.num_nodes} nodes, {view.num_sampled_edges} sampled edges, exactly as training drew them"
                + (f"; its positives in this batch ({left_out}) were left out of the blocks" if left_out else "")
                + f". Same on the command line: {command}"
            )
        )
    else:
        st.plotly_chart(neighborhood_figures.replay_weights(graph, batch), key="replay_weights", theme=None)
        st.caption(
            plain(
                f"PinSage's top-T pooling weights of epoch {epoch}: every batch's item computation graph is cut from "
                "this one table"
                + (f"; this batch's rows left their positives ({left_out}) out of the user's pool" if left_out else "")
                + f". Same on the command line: {command}"
            )
        )


def model_weights(dataset: str, graph: InteractionGraph, node: int, seed: int) -> None:
    """The aggregation weights a trained GraphSAGE or PinSage run uses for this node."""
    runs_dir = sidebar.current_runs_dir()
    runs = [] if runs_dir is None else loaders.run_store(str(runs_dir)).list()
    usable = {
        run.run_id: run
        for run in runs
        if run.config.get("dataset") == dataset and run.config.get("model") in MODELS_WITH_WEIGHTS
    }
    if not usable:
        st.info(
            plain(
                f"No GraphSAGE or PinSage run on dataset {dataset!r} in the runs directory yet: train one on the Train "
                "page to see the weights the model gives this node's neighbors."
            ),
            icon=":material/info:",
        )
        return
    run = usable[st.selectbox("Trained run", list(usable), key=keys.NEIGHBORHOOD_WEIGHTS_RUN)]
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
            "neighbor": [node_picker.label(graph, int(n)) for n in result.neighbors],
            "weight": np.round(result.weights, 4),
        }
    )
    if result.training_weights is not None:
        table["weight in this training draw"] = np.round(result.training_weights, 4)
    table = table.sort_values(table.columns[-1], ascending=False, kind="stable")
    st.dataframe(table.head(MAX_WEIGHT_ROWS), hide_index=True, key="model_weights")
    if len(table) > MAX_WEIGHT_ROWS:
        st.caption(f"{MAX_WEIGHT_ROWS} of {len(table)} neighbors shown.")

"""Cached engine objects for the Neighborhood, Embeddings and Recommend pages.

Samplers keep compact CSR copies, so one per (dataset, settings) is shared as a resource; derived
arrays (clusters, projections) are cached as data keyed by the files they come from, so a newer
snapshot or projection on disk is picked up on the next rerun.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import streamlit as st
import torch

from dashboard.state import loaders
from engine import InteractionGraph
from engine.analysis import Projection, ProjectionStore, kmeans_clusters
from engine.analysis.projection import base_method
from engine.analysis.replay import Replay, replay
from engine.loader.reopen import RunGraph, open_run_graph
from engine.plots import embedding_view
from engine.runs.rundir import RunDir
from engine.sampling import FanoutSampler, RandomWalkSampler

# Which graph a sampler runs on: ("dataset", name, data_dir) for a whole dataset, ("run", run_dir, stamp) for the
# training graph a run recorded; the stamp (split.npz's modification time) makes a replaced split a new key.
GraphSource = tuple[str, str, str | None]


def dataset_source(name: str, data_dir: str | None) -> GraphSource:
    return ("dataset", name, data_dir)


def run_source(run_dir: str | Path) -> GraphSource:
    split = RunDir(run_dir).split_path
    return ("run", str(run_dir), str(split.stat().st_mtime) if split.is_file() else None)


@st.cache_resource(show_spinner="Loading the run's training graph…", max_entries=4)
def run_graph(run_dir: str, stamp: str | None) -> RunGraph:
    """What a run trained on (:func:`engine.loader.reopen.open_run_graph`); ``stamp`` is a cache key only."""
    return open_run_graph(run_dir)


def source_graph(source: GraphSource) -> InteractionGraph:
    """The graph a source names: a dataset's whole graph or a run's training graph."""
    kind, where, extra = source
    return loaders.graph(where, extra) if kind == "dataset" else run_graph(where, extra).train


@st.cache_resource(show_spinner=False, max_entries=16)
def fanout_sampler(source: GraphSource, fanouts: tuple[int, ...], replace: bool) -> FanoutSampler:
    """A :class:`FanoutSampler` over the source's graph."""
    return FanoutSampler(source_graph(source), list(fanouts), replace=replace)


@st.cache_resource(show_spinner=False, max_entries=16)
def walk_sampler(
    source: GraphSource, num_walks: int, walk_length: int, restart_prob: float, top_t: int
) -> RandomWalkSampler:
    """A :class:`RandomWalkSampler` over the source's graph."""
    return RandomWalkSampler(source_graph(source), num_walks, walk_length, restart_prob, top_t)


@st.cache_data(show_spinner="Replaying the epoch…", max_entries=16)
def replayed(run_dir: str, stamp: str | None, epoch: int, node: int, checkpoint_mtime: float) -> Replay:
    """:func:`engine.analysis.replay.replay` of a run's epoch for a node; the run's files' times are keys only."""
    return replay(run_graph(run_dir, stamp), epoch, node)


@st.cache_data(show_spinner=False, max_entries=32)
def snapshot(run_dir: str, epoch: int, mtime: float) -> tuple[np.ndarray, int]:
    """Stacked ``(U + I, d)`` embeddings of one snapshot and ``U``; ``mtime`` is part of the key only."""
    return ProjectionStore(run_dir).stacked(epoch)


def stacked_embeddings(run_dir: str | Path, epoch: int) -> tuple[np.ndarray, int]:
    path = RunDir(run_dir).epoch_snapshot_path(epoch)
    return snapshot(str(run_dir), epoch, path.stat().st_mtime if path.is_file() else 0.0)


@st.cache_data(show_spinner=False, max_entries=32)
def projection(run_dir: str, epoch: int, method: str, mtime: float) -> Projection:
    """A cached projection read from disk; ``mtime`` is part of the key only."""
    return ProjectionStore(run_dir).load(epoch, method)


def ready_projection(run_dir: str | Path, epoch: int, method: str) -> Projection | None:
    """The map if it is on disk (PCA is computed on the spot when missing), else ``None``."""
    store = ProjectionStore(run_dir)
    if base_method(method) == "pca" and store.state(epoch, method) != "ready":
        store.get_or_compute(epoch, method)
    path = store.path(epoch, method)
    return projection(str(run_dir), epoch, method, path.stat().st_mtime) if path.is_file() else None


@st.cache_data(show_spinner="Clustering…", max_entries=16)
def clusters(run_dir: str, epoch: int, num_clusters: int, mtime: float) -> np.ndarray:
    """k-means labels of a snapshot's users and items; ``mtime`` is part of the key only."""
    embeddings, _ = snapshot(run_dir, epoch, mtime)
    return kmeans_clusters(embeddings, num_clusters)


def snapshot_clusters(run_dir: str | Path, epoch: int, num_clusters: int) -> np.ndarray:
    path = RunDir(run_dir).epoch_snapshot_path(epoch)
    return clusters(str(run_dir), epoch, num_clusters, path.stat().st_mtime if path.is_file() else 0.0)


@st.cache_resource(show_spinner="Computing embeddings…", max_entries=4)
def model_embeddings(run_dir: str, checkpoint_mtime: float, _loaded) -> tuple[np.ndarray, np.ndarray]:
    """Full-graph ``(U, d)`` user and ``(I, d)`` item embeddings of a loaded run's model.

    Args:
        run_dir (str): The run's folder (cache key). checkpoint_mtime (float): Cache key only.
        _loaded (LoadedRun): The loaded run (not hashed).
    """
    with torch.no_grad():
        user, item = _loaded.model.embeddings()
    return user.detach().cpu().numpy().astype(np.float32), item.detach().cpu().numpy().astype(np.float32)


@st.cache_data(show_spinner=False, max_entries=8)
def hover_texts(name: str, data_dir: str | None) -> np.ndarray:
    """Escaped hover text of every node of a dataset (built once: 10k strings take a noticeable moment)."""
    return embedding_view.hover_texts(loaders.graph(name, data_dir))


@st.cache_data(show_spinner=False, max_entries=16)
def categories(name: str, data_dir: str | None, colour_by: str) -> np.ndarray:
    """Category of every node for a colouring that depends on the dataset only (not ``"cluster"``)."""
    return embedding_view.categories(loaders.graph(name, data_dir), colour_by)

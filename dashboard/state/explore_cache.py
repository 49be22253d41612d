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

from dashboard.plots import embedding_view
from dashboard.state import loaders
from engine.analysis import Projection, ProjectionStore, kmeans_clusters
from engine.sampling import FanoutSampler, RandomWalkSampler
from engine.training import RunDir


@st.cache_resource(show_spinner=False, max_entries=16)
def fanout_sampler(name: str, data_dir: str | None, fanouts: tuple[int, ...], replace: bool) -> FanoutSampler:
    """A :class:`FanoutSampler` over the full dataset graph."""
    return FanoutSampler(loaders.graph(name, data_dir), list(fanouts), replace=replace)


@st.cache_resource(show_spinner=False, max_entries=16)
def walk_sampler(
    name: str, data_dir: str | None, num_walks: int, walk_length: int, restart_prob: float, top_t: int
) -> RandomWalkSampler:
    """A :class:`RandomWalkSampler` over the full dataset graph."""
    return RandomWalkSampler(loaders.graph(name, data_dir), num_walks, walk_length, restart_prob, top_t)


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
    if method == "pca" and store.state(epoch, method) != "ready":
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

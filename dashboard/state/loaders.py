"""Engine loading behind Streamlit's caches, shared by every page.

Datasets and trained models are cached as resources (one shared, read-only object per key); small derived tables
are cached as data. Run listings are never cached: the run directory is live, written by training processes.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from engine import InteractionGraph
from engine.datasets import DatasetInfo, dataset_stats, list_datasets, load_dataset
from engine.jobs.process import ExperimentLaunch, Launch, TuneLaunch
from engine.runs.rundir import RunDir
from engine.runs.runstore import RunStore
from engine.training import LoadedRun, load_run


@st.cache_data(show_spinner=False)
def dataset_infos() -> list[DatasetInfo]:
    """Every dataset the registry knows, with its one-line description."""
    return list_datasets()


@st.cache_resource(show_spinner="Loading dataset…", max_entries=4)
def graph(name: str, data_dir: str | None = None) -> InteractionGraph:
    """The full interaction graph of a dataset (shared across sessions; treat it as read-only).

    Args:
        name (str): Registry name or ``csv:PATH``.
        data_dir (str, optional): Folder holding MovieLens files. (default: ``None``)
    """
    return load_dataset(name, data_dir)


@st.cache_data(show_spinner=False, max_entries=8)
def stats(name: str, data_dir: str | None = None) -> dict:
    """``engine.datasets.dataset_stats`` of a dataset, cached by name."""
    return dataset_stats(graph(name, data_dir))


@st.cache_resource(show_spinner=False, max_entries=8)
def run_store(runs_dir: str) -> RunStore:
    """The run store over a runs directory (it reads the folder afresh on every call)."""
    return RunStore(Path(runs_dir))


@st.cache_resource(show_spinner="Loading model…", max_entries=4)
def trained_run(run_dir: str, checkpoint_mtime: float) -> LoadedRun:
    """A run's model, split and graph, reloaded when its checkpoint changes.

    Args:
        run_dir (str): The run's folder.
        checkpoint_mtime (float): Modification time of the run's ``RunDir.checkpoint_path``; cache key only.
    """
    return load_run(Path(run_dir))


def loaded_run(run_dir: str | Path) -> LoadedRun:
    """:func:`trained_run` keyed by the checkpoint's current modification time."""
    checkpoint = RunDir(run_dir).checkpoint_path
    if not checkpoint.is_file():
        raise FileNotFoundError(f"run {Path(run_dir).name!r} has no checkpoint yet: wait for its first epoch")
    return trained_run(str(run_dir), checkpoint.stat().st_mtime)


@st.cache_resource(show_spinner=False)
def launched_processes(runs_dir: str) -> dict[str, Launch]:
    """Training processes this server started into ``runs_dir``, by run id (kept to reap them and read their exit)."""
    return {}


@st.cache_resource(show_spinner=False)
def launched_experiments(runs_dir: str) -> dict[str, ExperimentLaunch]:
    """Experiment processes this server started into ``runs_dir``, by experiment name."""
    return {}


@st.cache_resource(show_spinner=False)
def launched_studies(runs_dir: str) -> dict[str, TuneLaunch]:
    """Tune processes this server started into ``runs_dir``, by study name."""
    return {}

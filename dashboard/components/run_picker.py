"""Choose a trained run on the exploration pages: only runs with something to show are offered."""

from __future__ import annotations

import streamlit as st

from dashboard.components import sidebar
from dashboard.components.markdown import plain
from dashboard.state import loaders
from engine.analysis import ProjectionStore
from engine.runs.rundir import RunInfo


def runs_with_embeddings() -> list[RunInfo]:
    """Runs in the sidebar's runs directory that have at least one embedding snapshot, newest first."""
    runs_dir = sidebar.current_runs_dir()
    if runs_dir is None:
        return []
    return [run for run in loaders.run_store(str(runs_dir)).list() if ProjectionStore(run.path).epochs()]


def describe(run: RunInfo) -> str:
    """``run-id · model on dataset · state`` for select boxes (plain text), ``· damaged`` added for a damaged run."""
    config = run.config
    damaged = " · damaged" if run.damaged else ""
    return f"{run.run_id} · {config.get('model', '?')} on {config.get('dataset', '?')} · {run.state}{damaged}"


def warn_if_damaged(run: RunInfo) -> None:
    """A warning naming the run and what in its directory could not be read, when anything could not."""
    if run.damaged:
        st.warning(
            plain(f"Run {run.run_id} is damaged; shown with what could be read: {'; '.join(run.damaged)}"),
            icon=":material/warning:",
        )


def dataset_of(run: RunInfo) -> str | None:
    """The dataset the run's config names, or ``None`` (with an error naming the run) when it names none."""
    dataset = run.config.get("dataset")
    if isinstance(dataset, str):
        return dataset
    st.error(plain(f"Run {run.run_id} cannot be shown: its config.json names no dataset."), icon=":material/error:")
    return None


def pick_run(label: str, key: str, runs: list[RunInfo], optional: bool = False) -> RunInfo | None:
    """A select box over ``runs``; with ``optional`` the first choice is "none"."""
    by_id = {run.run_id: run for run in runs}
    options = ([""] if optional else []) + list(by_id)
    chosen = st.selectbox(
        label, options, key=key, format_func=lambda run_id: describe(by_id[run_id]) if run_id else "(none)"
    )
    return by_id.get(chosen) if chosen else None


def explain_no_runs() -> None:
    st.info(
        "No run in the runs directory has embedding snapshots yet. Train one on the Train page (or with "
        "`python -m engine train ... --runs-dir DIR`) and pick that directory in the sidebar; snapshots are "
        "written on evaluated epochs.",
        icon=":material/info:",
    )

"""The Tune page's panel of one study, re-read while trials run: progress, Optuna's figures in our theme, the best
configuration and the runs that carry it (the best trial's, the refit's, tuned experiments' members)."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboard.components.markdown import plain
from dashboard.plots.study_table import best_config_frame, progress_text
from dashboard.state import keys, loaders
from engine.experiments import list_experiments, read_experiment
from engine.plots.study_figures import study_figure
from engine.runs.runstore import RunStore
from engine.tuning import StudyInfo, load_study, study_info
from engine.tuning.storage import journal_path, read_meta

FIGURES = {  # segmented-control label -> engine.plots.study_figures kind
    "History": "history",
    "Importances": "importances",
    "Parallel coordinates": "parallel",
    "Slices": "slice",
    "Trial curves": "curves",
}
QUIET_SECONDS = 10.0


@st.cache_data(show_spinner="Drawing the study…", max_entries=32)
def _figure(runs_dir: str, name: str, kind: str, stamp: tuple) -> go.Figure | str:
    """Optuna's ``kind`` figure of study ``name``, or why it cannot be drawn yet; redrawn when ``stamp`` (the
    study's trial counts and journal file) changes."""
    study = load_study(runs_dir, name)
    metric = read_meta(study).get("metric") or "objective"
    try:
        return study_figure(study, kind, f"validation {metric}")
    except ValueError as error:
        return str(error)


def _stamp(runs_dir: Path, info: StudyInfo) -> tuple:
    journal = journal_path(runs_dir, info.name)
    stat = journal.stat() if journal.is_file() else None
    counts = (info.done, info.pruned, info.running, info.failed)
    return (*counts, stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)


def is_active(runs_dir: Path, info: StudyInfo) -> bool:
    """Whether study ``info`` is being worked on: a trial running, the process this server started alive, or its
    journal written in the last :data:`QUIET_SECONDS` (a ``tune`` process between two trials)."""
    launch = loaders.launched_studies(str(runs_dir)).get(info.name)
    if info.running or (launch is not None and launch.process.poll() is None):
        return True
    journal = journal_path(runs_dir, info.name)
    return journal.is_file() and time.time() - journal.stat().st_mtime < QUIET_SECONDS


def show(runs_dir: Path, name: str, polling: bool) -> None:
    """The study's panel; while ``polling``, rerun the whole page once the study has nothing left running."""
    try:
        info = study_info(runs_dir, name)
    except ValueError as error:
        st.error(plain(error), icon=":material/error:")
        return
    if polling and not is_active(runs_dir, info):
        st.rerun()  # the whole page, so that this panel stops refreshing
    st.markdown(
        plain(f"{info.name}: {info.model} on {info.dataset}, maximising validation {info.metric}")
        + (" · **running**" if info.running else "")
    )
    st.caption(plain(progress_text(info) + (f" · stored in {info.storage}" if info.storage else "")))
    choice = st.segmented_control("Figure", list(FIGURES), default="History", key=keys.TUNE_FIGURE)
    figure = _figure(str(runs_dir), name, FIGURES[choice or "History"], _stamp(runs_dir, info))
    if isinstance(figure, str):
        st.info(plain(figure), icon=":material/hourglass_top:")
    else:
        st.plotly_chart(figure, key="tune_figure_chart", theme=None)
        if (choice or "History") == "History" and info.pruned:
            st.caption(
                f"{info.pruned} pruned trial{'s' if info.pruned != 1 else ''} have no final value and are not drawn: "
                "their numbers are the gaps; *Trial curves* shows where each stopped."
            )
    _best(runs_dir, info)


def _best(runs_dir: Path, info: StudyInfo) -> None:
    st.subheader("Best configuration")
    if info.best_trial is None:
        st.info("No trial has finished yet: the best configuration appears with the first.", icon=":material/info:")
        return
    epoch = f" at epoch {info.best_epoch}" if info.best_epoch is not None else ""
    st.markdown(plain(f"Trial {info.best_trial}: validation {info.metric} {info.best_value:.4f}{epoch}, with"))
    st.dataframe(best_config_frame(info), hide_index=True, key="tune_best_config")
    runs = _runs(runs_dir, info)
    st.dataframe(
        pd.DataFrame(runs, columns=["run", "role", "state", "test", "open"]),
        hide_index=True,
        key="tune_best_runs",
        column_config={
            "test": st.column_config.NumberColumn(f"test {info.metric}", format="%.4f"),
            "open": st.column_config.LinkColumn("curves", display_text="Train page"),
        },
    )
    st.caption(
        plain(
            f"The runs of this configuration. The trial's test figure was never read by the search (it chose on "
            f"validation); a refit retrains on train + validation for the best epoch (python -m engine tune --name "
            f"{info.name} --refit). Compare models tuned alike below."
        )
    )


def _runs(runs_dir: Path, info: StudyInfo) -> list[dict]:
    """The best trial's run, the refit run and the members of tuned experiments that ran this study's best."""
    store = RunStore(runs_dir)
    found = [(info.best_run, f"best trial ({info.best_trial})"), (info.refit_run, "refit on train + validation")]
    for experiment in list_experiments(runs_dir):
        try:
            document = read_experiment(runs_dir, experiment)
        except ValueError:
            continue  # a damaged experiment is reported on the Runs page
        budget = (document["spec"].get("tuned") or {}).get(info.model) or {}
        if budget.get("study") == info.name and budget.get("best_trial") == info.best_trial:
            refits = document.get("refits") or {}
            for member in document["members"]:
                if member["model"] == info.model:
                    found.append((member["run_id"], f"experiment {experiment}, seed {member['seed']}"))
                    if member["run_id"] in refits:
                        found.append((refits[member["run_id"]], "its refit on train + validation"))
    rows = []
    for run_id, role in found:
        if run_id is None:
            continue
        path = store.path(run_id)
        run = store.get(run_id) if path.is_dir() else None
        test = ((run.summary or {}).get("test") or {}).get(info.metric) if run is not None else None
        state = run.state if run is not None else "not started"
        rows.append({"run": run_id, "role": role, "state": state, "test": test, "open": f"/train?run={run_id}"})
    return rows

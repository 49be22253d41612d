"""Tune page: the Optuna studies of the runs directory (``python -m engine tune``, or the Train page's study form) with
their progress, Optuna's figures, the best configuration and its runs, and a tuned comparison of their best."""

from __future__ import annotations

import streamlit as st

from dashboard.components import sidebar, study_panel, tuned_experiment
from dashboard.components.markdown import plain
from dashboard.plots.study_table import studies_frame, without_idle_columns
from dashboard.state import keys
from engine.tuning import list_studies

REFRESH_SECONDS = 2.0

st.title("Tune")
runs_dir = sidebar.current_runs_dir()
if runs_dir is None:
    st.stop()
studies = list_studies(runs_dir)
if not studies:
    st.info(
        f"No studies in {plain(runs_dir)} yet. Start one on the **Train** page (*Tune: search this model's "
        "hyper-parameters*), or from a shell with `python -m engine tune --name NAME --model MODEL --runs-dir` and "
        "this folder.",
        icon=":material/tune:",
    )
    st.stop()
st.dataframe(
    without_idle_columns(studies_frame(studies)),
    hide_index=True,
    key="tune_studies",
    column_config={
        "best": st.column_config.NumberColumn("best", format="%.4f", help="the best trial's validation metric"),
        "CPU-min": st.column_config.NumberColumn(
            "CPU-min", format="%.2f", help="CPU time of the finished and pruned trials, in minutes"
        ),
    },
)
st.caption(
    f"{len(studies)} stud{'y' if len(studies) == 1 else 'ies'} in {plain(runs_dir)}. A trial is a run of the runs "
    "directory, chosen and pruned on the validation split; a study's value is its best trial's validation metric."
)
for info in studies:
    if info.error:
        st.error(plain(f"Study {info.name} cannot be read: {info.error}"), icon=":material/error:")

names = [info.name for info in studies if not info.error]
if not names:
    st.stop()
wanted = st.query_params.get("study")  # e.g. the Train page's link to a study it started
if wanted in names and wanted != st.session_state.get(keys.TUNE_STUDY_IN_URL):
    st.session_state[keys.TUNE_STUDY] = wanted  # a URL this page did not write itself: follow it
if st.session_state.get(keys.TUNE_STUDY) not in names:
    st.session_state[keys.TUNE_STUDY] = names[0]
name = st.selectbox("Study", names, key=keys.TUNE_STUDY)
st.query_params["study"] = st.session_state[keys.TUNE_STUDY_IN_URL] = name
info = next(info for info in studies if info.name == name)
polling = study_panel.is_active(runs_dir, info)
st.fragment(study_panel.show, run_every=REFRESH_SECONDS if polling else None)(runs_dir, name, polling)
tuned_experiment.show(runs_dir, studies, name)

"""The Runs page's experiments: runs grouped by experiment, and the comparison against a baseline (what
``python -m engine compare --experiment NAME`` prints): mean ± CI over seeds, a forest plot of paired per-user
differences, the activity breakdown and one plain sentence per model."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from dashboard.components.markdown import plain
from dashboard.state import keys
from engine.experiments import experiment_comparison, list_experiments, read_experiment
from engine.experiments.budgets import budget_lines
from engine.plots.comparison import activity_bars, activity_frame, forest_plot, paired_frame, seeds_frame
from engine.runs.runstore import RunStore


@st.cache_data(show_spinner="Comparing the experiment's runs…", max_entries=16)
def _comparison(runs_dir: str, name: str, baseline: str, k: int, stamp: tuple) -> dict:
    """The comparison, recomputed when the experiment or one of its runs' summaries changes (``stamp``)."""
    return experiment_comparison(runs_dir, name, baseline, k)


def _stamp(runs_dir: Path, name: str, run_ids: list[str]) -> tuple:
    store = RunStore(runs_dir)
    files = [store.path(run_id) / "summary.json" for run_id in run_ids]
    files.append(runs_dir / "experiments" / name / "experiment.json")
    return tuple(path.stat().st_mtime_ns if path.is_file() else 0 for path in files)


def show(runs_dir: Path) -> None:
    """The experiments section, drawn only when the runs directory holds an experiment."""
    names = list_experiments(runs_dir)
    if not names:
        return
    st.subheader("Experiments")
    wanted = st.query_params.get("experiment")  # e.g. the Train page's link to an experiment it ran
    if wanted in names and wanted != st.session_state.get(keys.RUNS_EXPERIMENT_IN_URL):
        st.session_state[keys.RUNS_EXPERIMENT] = wanted  # a URL this page did not write itself: follow it
    name = st.selectbox("Experiment", names, key=keys.RUNS_EXPERIMENT)
    st.query_params["experiment"] = st.session_state[keys.RUNS_EXPERIMENT_IN_URL] = name
    try:
        document = read_experiment(runs_dir, name)
    except ValueError as error:
        st.error(plain(error), icon=":material/error:")
        return
    store = RunStore(runs_dir)
    members = document.get("members") or []
    states = {}
    for member in members:
        path = store.path(member["run_id"])
        states[member["run_id"]] = store.get(member["run_id"]).state if path.is_dir() else "not started"
    with st.expander(f"{len(members)} runs of experiment {plain(name)}", icon=":material/folder_special:"):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "run": member["run_id"],
                        "model": member["model"],
                        "seed": member["seed"],
                        "grid point": str(member["settings"] or "defaults"),
                        "status": states[member["run_id"]],
                    }
                    for member in members
                ]
            ),
            hide_index=True,
            key="experiment_members",
        )
    models = document["spec"]["models"]
    baseline = st.selectbox("Baseline", models, key=keys.RUNS_BASELINE)
    k = min(document["spec"].get("base", {}).get("ks") or [10])
    stamp = _stamp(runs_dir, name, [member["run_id"] for member in members])
    try:
        summary = _comparison(str(runs_dir), name, baseline, k, stamp)
    except ValueError as error:
        st.warning(plain(error), icon=":material/hourglass_empty:")
        return
    for sentence in summary["headline"]:
        if sentence == summary.get("budget_warning"):  # a tuned comparison of unequal budgets: said first, loudly
            st.warning(plain(sentence), icon=":material/balance:")
        else:
            st.markdown(plain(sentence))
    for line in budget_lines(summary.get("budgets") or {}):
        st.caption(plain(f"Tuning budget of {line}"))
    st.dataframe(seeds_frame(summary), key="experiment_seeds")
    st.caption(
        plain(
            f"Test metrics over seeds: mean ± std [95% CI, Student's t, clipped to [0, 1], the metrics' range]; each "
            f"model at its grid point chosen on validation. Paired tests: {summary['test']}."
        )  # fmt: skip
    )
    metric = f"ndcg@{k}"
    if summary["paired"]:
        st.plotly_chart(forest_plot(summary, metric), key="experiment_forest", theme=None)
        st.dataframe(
            paired_frame(summary),
            hide_index=True,
            key="experiment_paired",
            column_config={  # p-values far below 0.001 would show as a long run of zeros
                "p": st.column_config.NumberColumn(format="%.2e"),
                "p (Holm)": st.column_config.NumberColumn(format="%.2e"),
            },
        )
    if summary["paired"] and summary["activity"]:
        st.plotly_chart(activity_bars(summary, metric), key="experiment_activity_bars", theme=None)
    st.markdown(plain(f"{metric} by quintile of users' training degree (mean over seeds)"))
    st.dataframe(activity_frame(summary, metric), hide_index=True, key="experiment_activity")
    for note in summary["notes"]:
        st.caption(plain(note))

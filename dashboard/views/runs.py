"""Runs page: every run in the runs directory, overlaid curves, final test metrics side by side, delete."""

from __future__ import annotations

import streamlit as st

from dashboard.components import experiment_compare, report_download, sidebar
from dashboard.components.markdown import plain
from dashboard.plots.run_table import MISSING, comparison_frame, highlight_best, legend_labels, runs_frame
from dashboard.state import keys, loaders
from engine.plots import figures
from engine.training import RunInfo, RunNotFound

DEFAULT_SELECTION = 3


def loss_kinds(runs: list[RunInfo]) -> dict[str, str]:
    """What each run's ``loss`` measures (``Recommender.loss_kind``), by run id."""
    from engine.models import MODELS  # PyG's import costs seconds: paid only when the loss is drawn

    return {run.run_id: getattr(MODELS.get(run.config.get("model")), "loss_kind", "unknown") for run in runs}


st.title("Runs")
runs_dir = sidebar.current_runs_dir()
if runs_dir is None:
    st.stop()
store = loaders.run_store(str(runs_dir))
runs = store.list()
if not runs:
    st.info(
        f"No runs in {plain(runs_dir)} yet. Start one on the **Train** page, or from a shell with "
        "`python -m engine train --runs-dir` and this folder.",
        icon=":material/inbox:",
    )
    st.stop()
by_id = {run.run_id: run for run in runs}

damaged = [run for run in runs if run.damaged]
if damaged:
    with st.expander(f"{len(damaged)} damaged run(s): listed with what could be read", icon=":material/warning:"):
        for run in damaged:
            st.markdown(f"- {plain(run.run_id)}: {plain('; '.join(run.damaged))}")

table = runs_frame(runs)
datasets = table["dataset"].dropna().unique() if "dataset" in table else []
if len(datasets) == 1:  # one dataset for all: said in the caption, and the table keeps its width for the rest
    table = table.drop(columns="dataset")
st.dataframe(
    table,
    hide_index=True,
    key="runs_table",
    placeholder=MISSING,
    column_config={
        "best NDCG": st.column_config.NumberColumn(format="%.4f", help="best NDCG@K over evaluated epochs"),
        "best Recall": st.column_config.NumberColumn(format="%.4f", help="best Recall@K over evaluated epochs"),
        # Short enough for the table to fit a 1280-px screen; the hover keeps the full time.
        "started": st.column_config.DatetimeColumn(format="MMM D, HH:mm", help="when the run started (local time)"),
    },
)
on_dataset = f", all on {plain(datasets[0])}" if len(datasets) == 1 else ""
st.caption(f"{len(runs)} runs in {plain(runs_dir)}{on_dataset}; click a column header to sort.")

if keys.RUNS_SELECTED not in st.session_state:
    st.session_state[keys.RUNS_SELECTED] = [run.run_id for run in runs if run.metrics][:DEFAULT_SELECTION]
st.session_state[keys.RUNS_SELECTED] = [run_id for run_id in st.session_state[keys.RUNS_SELECTED] if run_id in by_id]
selected = st.multiselect("Compare runs", list(by_id), key=keys.RUNS_SELECTED, placeholder="Pick runs to compare")

if selected:
    metric_options = ["loss", *figures.metric_keys([r for run_id in selected for r in by_id[run_id].metrics])]
    preferred = [key for key in metric_options if key.startswith("ndcg@")]
    if st.session_state.get(keys.RUNS_METRIC) not in metric_options:
        st.session_state[keys.RUNS_METRIC] = preferred[-1] if preferred else "loss"
    metric = st.selectbox("Metric", metric_options, key=keys.RUNS_METRIC)
    curves = {run_id: by_id[run_id].metrics for run_id in selected}
    kinds = loss_kinds([by_id[run_id] for run_id in selected]) if metric == "loss" else None
    labels = legend_labels([by_id[run_id] for run_id in selected])
    st.plotly_chart(
        figures.overlay_curves(curves, metric, labels=labels, loss_kinds=kinds), key="runs_overlay", theme=None
    )
    if kinds and len(set(kinds.values())) > 1:
        st.caption(
            "Each loss kind has its own panel: "
            + plain(", ".join(sorted(set(kinds.values()))))
            + " losses differ in scale, so one axis would flatten one of them."
        )
    comparison = comparison_frame([by_id[run_id] for run_id in selected])
    st.subheader("Final test metrics")
    if comparison.columns.empty:
        st.info("None of the selected runs has finished: test metrics appear when training ends.")
    else:
        st.dataframe(highlight_best(comparison, labels), key="runs_comparison", placeholder=MISSING, height="content")
        st.caption("Best value of each metric in bold green; – where a run has no final test metrics yet.")
else:
    st.info("Pick runs above to overlay their curves and compare their test metrics.", icon=":material/checklist:")

experiment_compare.show(runs_dir)
report_download.show(runs_dir, selected)

with st.expander("Delete a run", icon=":material/delete:"):
    target = st.selectbox("Run to delete", list(by_id), key=keys.RUNS_DELETE_PICK)
    if st.button("Delete…"):
        st.session_state[keys.RUNS_DELETE] = target
    pending = st.session_state.get(keys.RUNS_DELETE)
    if pending:
        st.warning(f"Delete run {plain(pending)} and all its files? This cannot be undone.", icon=":material/warning:")
        confirm, cancel = st.columns(2)
        if confirm.button("Yes, delete", type="primary"):
            st.session_state[keys.RUNS_DELETE] = None
            try:
                kept = store.delete(pending)
            except (RunNotFound, ValueError) as error:
                st.error(plain(error), icon=":material/error:")
            else:
                if kept:
                    st.warning(
                        plain(
                            f"Deleted the files of run {pending} but kept its folder: it also holds "
                            f"{', '.join(kept[:5])}{' …' if len(kept) > 5 else ''}, which no run writes."
                        ),
                        icon=":material/folder_open:",
                    )
                else:
                    st.toast(plain(f"Deleted run {pending}"), icon=":material/delete:")
                    st.rerun()
        if cancel.button("Cancel"):
            st.session_state[keys.RUNS_DELETE] = None
            st.rerun()

"""Runs page: the runs of the runs directory, filtered; overlaid curves, final test metrics side by side, tags and
notes, config diff, resume and clone, delete."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components import (
    experiment_compare,
    report_download,
    run_actions,
    run_diff,
    run_filters,
    run_labels,
    sidebar,
)
from dashboard.components.markdown import plain
from dashboard.plots.run_table import (
    LABEL_COLUMNS,
    METRIC_COLUMNS,
    MISSING,
    TEST_PREFIX,
    TIME_COLUMNS,
    column_widths,
    comparison_frame,
    extra_columns,
    highlight_best,
    legend_labels,
    runs_frame,
    split_groups,
    with_extra_columns,
)
from dashboard.state import keys, loaders
from engine.experiments import validation_test_note
from engine.plots import figures
from engine.runs.rundir import RunInfo
from engine.runs.runstore import RunNotFound

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
listed = len(runs)
runs = run_filters.filtered(runs)
if not runs:
    st.info(f"None of the {listed} runs matches the filters.", icon=":material/filter_alt_off:")
    st.stop()
by_id = {run.run_id: run for run in runs}

damaged = [run for run in runs if run.damaged]
if damaged:
    with st.expander(f"{len(damaged)} damaged run(s): listed with what could be read", icon=":material/warning:"):
        for run in damaged:
            st.markdown(f"- {plain(run.run_id)}: {plain('; '.join(run.damaged))}")

HEADERS = {"best NDCG": "NDCG", "best Recall": "Recall"}  # short headers: the table fits a 1280x720 screen
HELP = {
    "chosen on": "the split that chose the run's weights, and that its NDCG and Recall are on: validation, or test "
    "for a test-selected run (no validation slice)",
    "best NDCG": "best NDCG@K over evaluated epochs (K among the time columns)",
    "best Recall": "best Recall@K over evaluated epochs",
    "K": "the cut-off of NDCG@K and Recall@K",
    "epochs": "evaluated epochs of the planned",
    "seconds": "training time",
    "started": "when the run started (local time)",
    "tags": "the run's tags: python -m engine tag, or Tags and note below",
    "note": "the run's note (hover for all of it)",
}
LABEL_CHARS = 28  # tags and notes are cut to this in the table, so the labels view fits 1280 px with the run ids


def show_runs_table(table: pd.DataFrame, columns: tuple[str, ...], key: str) -> None:
    """``table``'s ``columns``, each as wide as its text and the run ids the rest, so nothing scrolls sideways."""
    shown = {  # each column's text as the table draws it
        "best NDCG": table["best NDCG"].map("{:.4f}".format),
        "best Recall": table["best Recall"].map("{:.4f}".format),
        **{column: table[column].map("{:.4f}".format) for column in columns if column.startswith(TEST_PREFIX)},
        "started": table["started"].map(lambda time: MISSING if pd.isna(time) else f"{time:%b %d, %H:%M}"),
        "tags": table["tags"].map(lambda text: text[:LABEL_CHARS]),
        "note": table["note"].map(lambda text: (text.splitlines() or [""])[0][:LABEL_CHARS]),
    }
    widths = column_widths(
        {column: [HEADERS.get(column, column), *map(str, shown.get(column, table[column]))] for column in columns}
    )
    config = {}
    for column in columns:
        common = {"label": HEADERS.get(column, column), "width": widths[column], "help": HELP.get(column)}
        if column in ("best NDCG", "best Recall") or column.startswith(TEST_PREFIX):
            config[column] = st.column_config.NumberColumn(format="%.4f", **common)
        elif column == "started":
            config[column] = st.column_config.DatetimeColumn(format="MMM D, HH:mm", **common)
        else:
            config[column] = st.column_config.Column(pinned=column == "run", **common)
    st.dataframe(table, hide_index=True, key=key, placeholder=MISSING, column_order=columns, column_config=config)


table = runs_frame(runs)
datasets = list(table["dataset"].dropna().unique())
views, more = st.columns([1, 2], vertical_alignment="bottom")
view = views.segmented_control(
    "Columns",
    ["metrics", "time", "labels"],
    default="metrics",
    help="the runs table shows one set at a time, to fit the screen",
)
options = extra_columns(runs)
if keys.RUNS_COLUMNS not in st.session_state:  # first visit: the columns a shared link names
    st.session_state[keys.RUNS_COLUMNS] = str(st.query_params.get("columns", "")).split(",")
st.session_state[keys.RUNS_COLUMNS] = [column for column in st.session_state[keys.RUNS_COLUMNS] if column in options]
chosen = more.multiselect(
    "More columns",
    options,
    key=keys.RUNS_COLUMNS,
    placeholder="any config field or final test metric",
    help="added after the set above and kept in the page's URL; model parameters read params.<name>",
)
if chosen:
    st.query_params["columns"] = ",".join(chosen)
else:
    st.query_params.pop("columns", None)
table = with_extra_columns(table, runs, chosen)
columns = {"time": TIME_COLUMNS, "labels": LABEL_COLUMNS}.get(view, METRIC_COLUMNS) + tuple(chosen)
shown_runs = f"{len(runs)} runs" + (f" of {listed} (filtered)" if len(runs) < listed else "")
if len(datasets) == 1:
    show_runs_table(table, columns, "runs_table")
    st.caption(f"{shown_runs} in {plain(runs_dir)}, all on {plain(datasets[0])}; click a column header to sort.")
else:  # metrics of different datasets are not comparable: one table per dataset
    st.caption(f"{shown_runs} in {plain(runs_dir)} on {len(datasets)} datasets; click a column header to sort.")
    for position, dataset in enumerate(datasets):
        st.markdown(plain(f"On {dataset}" if dataset != "?" else "On an unknown dataset (no config.json)"))
        show_runs_table(table[table["dataset"] == dataset], columns, f"runs_table_{position}")

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
    groups = split_groups([by_id[run_id] for run_id in selected])
    if len(set(groups.values())) > 1:
        st.warning(
            plain(
                f"The selected runs are on {len(set(groups.values()))} datasets or splits "
                f"({'; '.join(sorted(set(groups.values())))}): their metrics are not comparable. The legend names "
                "each run's, and the test metrics below get one table each, with a best marked only within it."
            ),
            icon=":material/compare_arrows:",
        )
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
    st.subheader("Final test metrics")
    tables = {
        group: [run_id for run_id in selected if groups[run_id] == group] for group in dict.fromkeys(groups.values())
    }
    if all(comparison_frame([by_id[run_id] for run_id in run_ids]).columns.empty for run_ids in tables.values()):
        st.info("None of the selected runs has finished: test metrics appear when training ends.")
    else:
        for position, (group, run_ids) in enumerate(tables.items()):
            if len(tables) > 1:  # one table per dataset and split: their metrics are never side by side
                st.markdown(plain(f"On {group}"))
            comparison = comparison_frame([by_id[run_id] for run_id in run_ids])
            if comparison.columns.empty:
                st.caption("None of these runs has finished yet.")
                continue
            short = legend_labels([by_id[run_id] for run_id in run_ids])  # the group is this table's title
            st.dataframe(
                highlight_best(comparison, short, groups),
                key=f"runs_comparison_{position}",
                placeholder=MISSING,
                height="content",
            )
        st.caption(
            "Best value of each metric in bold green, among runs of one dataset and split (coverage is not marked: "
            "a random ranker covers the most); – where a run has no final test metrics yet."
        )
        validated = [by_id[run_id] for run_id in selected if by_id[run_id].protocol == "validation-selected"]
        for note in sorted({validation_test_note(run.config) or "" for run in validated} - {""}):
            st.caption(
                plain(f"These are on the test split, the runs table's best NDCG and Recall on validation. {note}")
            )
else:
    st.info("Pick runs above to overlay their curves and compare their test metrics.", icon=":material/checklist:")

run_diff.show(runs, selected)
run_labels.show(runs)
run_actions.show(runs, str(runs_dir))
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

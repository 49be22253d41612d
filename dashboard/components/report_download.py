"""The Runs page's "Download report": the offline HTML report of a selected run or an experiment, the same file
``python -m engine report`` writes."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard.components.markdown import plain
from dashboard.state import keys
from engine.experiments import list_experiments
from engine.report import experiment_report, run_report
from engine.runs.runstore import RunStore

RUN, EXPERIMENT = "run", "experiment"


def show(runs_dir: Path, selected: list[str]) -> None:
    """A choice of the selected runs and the experiments, and a button that builds the chosen one's report."""
    targets = [(RUN, run_id) for run_id in selected] + [(EXPERIMENT, name) for name in list_experiments(runs_dir)]
    if not targets:
        return
    st.subheader("Report")
    choice = st.selectbox(
        "Report on",
        targets,
        format_func=lambda target: f"{target[0]} {target[1]}",
        key="runs_report_target",
        help="One HTML file that opens offline: summary, comparison (experiments), curves, embedding map, "
        "neighborhood (GraphSAGE, PinSage) and the commands that reproduce it.",
    )
    kind, name = choice
    if not st.button("Prepare report", key="runs_report_prepare", icon=":material/description:"):
        return
    try:
        with st.spinner(plain(f"Building the report of {kind} {name}…")):
            document = build(runs_dir, kind, name)
    except (ValueError, OSError) as error:
        st.error(plain(f"Cannot report on {kind} {name}: {error}"), icon=":material/error:")
        return
    st.download_button(
        "Download report",
        document,
        file_name=f"report-{name}.html",
        mime="text/html",
        key="runs_report_download",
        icon=":material/download:",
    )
    st.caption(plain(f"{len(document) / 1e6:.1f} MB, every script in-line. Same file: {command(runs_dir, name)}"))


def build(runs_dir: Path, kind: str, name: str) -> str:
    """The report; an experiment's against the baseline the page's comparison shows when it shows this one."""
    if kind == RUN:
        return run_report(RunStore(runs_dir).path(name))
    shown = st.session_state.get(keys.RUNS_EXPERIMENT) == name
    return experiment_report(runs_dir, name, st.session_state.get(keys.RUNS_BASELINE) if shown else None)


def command(runs_dir: Path, name: str) -> str:
    return f"python -m engine report {name} --runs-dir {runs_dir} --out report-{name}.html"

"""The Runs page's config diff: the fields two runs differ in, as ``python -m engine diff`` prints them."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components.markdown import plain
from dashboard.plots.run_table import MISSING
from dashboard.state import keys
from engine.runs.query import config_diff, shown_value
from engine.runs.rundir import RunInfo


def show(runs: list[RunInfo], selected: list[str]) -> None:
    """Pick two runs (at first the first two compared) and show the config fields they differ in, side by side."""
    if len(runs) < 2:
        return
    st.subheader("Config diff")
    by_id = {run.run_id: run for run in runs}
    if [run_id for run_id in st.session_state.get(keys.RUNS_DIFF, []) if run_id in by_id] != st.session_state.get(
        keys.RUNS_DIFF
    ):
        st.session_state.pop(keys.RUNS_DIFF, None)  # a run left the filtered set: start again from the selection
    if keys.RUNS_DIFF not in st.session_state:
        st.session_state[keys.RUNS_DIFF] = ([run_id for run_id in selected if run_id in by_id] + list(by_id))[:2]
    pair = st.multiselect(
        "Two runs", list(by_id), key=keys.RUNS_DIFF, max_selections=2, help="model parameters show as params.<name>"
    )
    if len(pair) != 2:
        st.caption("Pick two runs to see where their configs differ.")
        return
    a, b = (by_id[run_id] for run_id in pair)
    rows = config_diff(a.config, b.config)
    if not rows:
        st.success(plain(f"{a.run_id} and {b.run_id} have identical configs."), icon=":material/check:")
        return
    table = pd.DataFrame(
        [(field, shown_value(x), shown_value(y)) for field, x, y in rows], columns=["field", a.run_id, b.run_id]
    )
    st.dataframe(table, hide_index=True, key="runs_diff_table", placeholder=MISSING)

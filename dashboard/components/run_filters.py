"""The Runs page's filters: dataset, model, state and tag, and a search of run ids, tags and notes."""

from __future__ import annotations

import streamlit as st

from dashboard.state import keys
from engine.runs.query import run_values, select_runs
from engine.runs.rundir import RunInfo

FIELDS = ("dataset", "model", "state", "tag")


def filtered(runs: list[RunInfo]) -> list[RunInfo]:
    """Draw the filters over ``runs`` and return the runs they keep (all of them while none is set)."""
    columns = st.columns([1, 1, 1, 1, 2])
    chosen = {}
    for column, field in zip(columns, FIELDS, strict=False):
        options = sorted({value for run in runs for value in run_values(run)[field]})
        key = keys.RUNS_FILTER_PREFIX + field
        if key in st.session_state:  # a value whose runs are gone would make the widget raise
            st.session_state[key] = [value for value in st.session_state[key] if value in options]
        chosen[field] = column.multiselect(field.capitalize(), options, key=key, placeholder="all")
    search = columns[-1].text_input(
        "Search", key=keys.RUNS_SEARCH, placeholder="run id, tag or note", help="case-insensitive, anywhere in the text"
    )
    return select_runs(runs, chosen, search)

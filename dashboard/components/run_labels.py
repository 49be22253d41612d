"""The Runs page's tags and note of one run, written to its ``tags.json`` as ``python -m engine tag`` does."""

from __future__ import annotations

import streamlit as st

from dashboard.components.markdown import plain
from dashboard.state import keys
from engine.runs.names import MAX_RUN_NOTE_BYTES, MAX_TAG_CHARS
from engine.runs.rundir import RunInfo


def show(runs: list[RunInfo]) -> None:
    """A run picker and a form of its tags (comma-separated) and note; Save writes them under the run's lock."""
    with st.expander("Tags and note", icon=":material/label:"):
        by_id = {run.run_id: run for run in runs}
        run_id = st.selectbox("Run", list(by_id), key=keys.RUNS_LABEL_PICK)
        run = by_id[run_id]
        with st.form("runs_label_form", border=False):
            text = st.text_input(
                "Tags",
                value=", ".join(run.tags),
                key=keys.RUNS_LABEL_TAGS + run_id,
                help=f"comma-separated, each one line of at most {MAX_TAG_CHARS} characters",
            )
            note = st.text_area(
                "Note", value=run.note, key=keys.RUNS_LABEL_NOTE + run_id, help=f"at most {MAX_RUN_NOTE_BYTES} bytes"
            )
            saved = st.form_submit_button("Save", disabled=run.outside)
        if run.outside:
            st.caption("This run is a link to a run outside the runs directory: read-only here.")
        if not saved:
            return
        wanted = list(dict.fromkeys(tag.strip() for tag in text.split(",") if tag.strip()))
        add = [tag for tag in wanted if tag not in run.tags]
        remove = [tag for tag in run.tags if tag not in wanted]
        try:
            run.files.edit_tags(add, remove, note)
        except (ValueError, OSError) as error:
            st.error(plain(f"Nothing saved: {error}"), icon=":material/error:")
            return
        st.toast(plain(f"Saved the tags and note of {run_id}"), icon=":material/label:")
        st.rerun()

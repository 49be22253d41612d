"""The dashboard's pages, in navigation order: one file per page under ``dashboard/views/``.

The folder is not called ``pages/``: that name switches Streamlit into its legacy multipage mode, where a server's
first visit by deep link (``/train``) runs the page file without app.py, so without the navigation and sidebar.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parent / "views"


def pages() -> list[st.Page]:
    """The seven pages; Data is the default."""
    return [
        st.Page(PAGES_DIR / "data.py", title="Data", icon=":material/table_chart:", default=True),
        st.Page(PAGES_DIR / "train.py", title="Train", icon=":material/model_training:"),
        st.Page(PAGES_DIR / "runs.py", title="Runs", icon=":material/stacked_line_chart:"),
        st.Page(PAGES_DIR / "tune.py", title="Tune", icon=":material/tune:"),
        st.Page(PAGES_DIR / "neighborhood.py", title="Neighborhood", icon=":material/hub:"),
        st.Page(PAGES_DIR / "embeddings.py", title="Embeddings", icon=":material/scatter_plot:"),
        st.Page(PAGES_DIR / "recommend.py", title="Recommend", icon=":material/recommend:"),
    ]

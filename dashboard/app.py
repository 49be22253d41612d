"""Streamlit entrypoint: builds the navigation and runs the chosen page (``streamlit run dashboard/app.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the project root that holds `engine`.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dashboard import sidebar  # noqa: E402

PAGES_DIR = Path(__file__).parent / "pages"

st.set_page_config(page_title="GNN RecSys Explorer", page_icon=":material/hub:", layout="wide")
pages = [
    st.Page(PAGES_DIR / "data.py", title="Data", icon=":material/table_chart:", default=True),
    st.Page(PAGES_DIR / "train.py", title="Train", icon=":material/model_training:"),
    st.Page(PAGES_DIR / "runs.py", title="Runs", icon=":material/stacked_line_chart:"),
    st.Page(PAGES_DIR / "neighborhood.py", title="Neighborhood", icon=":material/hub:"),
    st.Page(PAGES_DIR / "embeddings.py", title="Embeddings", icon=":material/scatter_plot:"),
    st.Page(PAGES_DIR / "recommend.py", title="Recommend", icon=":material/recommend:"),
]
navigation = st.navigation(pages)
sidebar.render()
navigation.run()

"""Streamlit entrypoint: builds the navigation and runs the chosen page (``streamlit run dashboard/app.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the project root that holds `engine`.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dashboard import navigation, sidebar  # noqa: E402

st.set_page_config(page_title="GNN RecSys Explorer", page_icon=":material/hub:", layout="wide")
page = st.navigation(navigation.pages())
sidebar.render()
page.run()

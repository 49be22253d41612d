"""Streamlit entrypoint: builds the navigation and runs the chosen page (``streamlit run dashboard/app.py``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import streamlit as st

# Before torch or numba start OpenMP: busy-waiting idle threads made the many small numba calls behind the
# Neighborhood page's resampling 30x slower on a shared 2-core machine (engine/__main__.py does the same).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the project root that holds `engine`.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dashboard import navigation  # noqa: E402
from dashboard.components import sidebar  # noqa: E402
from engine.sampling import warmup  # noqa: E402

# Compile (or load from numba's disk cache) the samplers on a background thread as the server starts, so the first
# Neighborhood draw does not wait for it; the page says so when it still has to.
warmup.start_warming()

# An emoji favicon becomes an inline SVG data URL; a ":material/…:" one is fetched from fonts.gstatic.com, which fails
# offline (the navigation's material icons come from the font Streamlit bundles, so they stay).
st.set_page_config(page_title="GNN RecSys Explorer", page_icon="🕸️", layout="wide")
page = st.navigation(navigation.pages())
if sidebar.render():  # False while a link's runs directory or CSV path awaits the user's word
    page.run()

"""Data page: what the current dataset holds — sizes, degree distribution, popularity long tail, items, load report."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components import sidebar
from dashboard.components.markdown import plain
from dashboard.plots.tables import flatten_stats, node_preview
from dashboard.state import loaders
from engine.plots import figures

PREVIEW_ROWS = 500

st.title("Data")
name, data_dir, graph = sidebar.current_graph()
stats = loaders.stats(name, data_dir)

st.caption(f"Dataset {plain(graph.name)}")
columns = st.columns(4)
columns[0].metric("Users", f"{graph.num_users:,}")
columns[1].metric("Items", f"{graph.num_items:,}")
columns[2].metric("Interactions", f"{graph.num_edges:,}")
columns[3].metric("Density", f"{graph.density:.3%}")

user_degree, item_degree = graph.user_degree(), graph.item_degree()
left, right = st.columns(2)
left.plotly_chart(figures.degree_distribution(user_degree, item_degree), key="degree_distribution", theme=None)
right.plotly_chart(figures.popularity_long_tail(item_degree), key="popularity_long_tail", theme=None)

items_tab, users_tab, stats_tab, report_tab = st.tabs(["Items", "Users", "Statistics", "Load report"])
with items_tab:
    query = st.text_input("Filter items by title or id", key="data_item_filter", placeholder="e.g. Star")
    items = node_preview(graph.items, item_degree, "item_id", query)
    st.caption(f"{len(items):,} items match; the {min(len(items), PREVIEW_ROWS):,} most popular are shown.")
    st.dataframe(items.head(PREVIEW_ROWS), hide_index=True, key="data_items")
with users_tab:
    users = node_preview(graph.users, user_degree, "user_id", "")
    st.caption(f"The {min(len(users), PREVIEW_ROWS):,} most active of {len(users):,} users.")
    st.dataframe(users.head(PREVIEW_ROWS), hide_index=True, key="data_users")
with stats_tab:
    shown = {key: value for key, value in stats.items() if key != "load_report"}
    if shown.get("time_range"):
        shown["time_range"] = [f"{pd.Timestamp(seconds, unit='s'):%Y-%m-%d}" for seconds in shown["time_range"]]
    st.dataframe(flatten_stats(shown), hide_index=True, key="data_stats")
with report_tab:
    report = graph.report.to_dict()
    st.write(
        f"Read **{report['rows_read']:,}** rows from {plain(report['source'])}; dropped **{report['rows_dropped']:,}**."
    )
    if report["dropped"]:
        st.dataframe(
            pd.DataFrame({"reason": list(report["dropped"]), "rows": list(report["dropped"].values())}),
            hide_index=True,
            key="data_dropped",
        )
    for note in report["notes"]:
        st.info(plain(note), icon=":material/info:")

"""Data page: what the current dataset holds — sizes, degree distribution, popularity long tail, items, load report."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard.components import sidebar
from dashboard.components.markdown import plain
from dashboard.plots.tables import flatten_stats, node_preview
from dashboard.state import keys, loaders
from engine.plots import figures

PREVIEW_ROWS = 500


def keep_filter_with_dataset() -> None:
    """Clear the item filter when the dataset changed since it was typed, and keep the box showing what applies.

    Read before the dataset loads, so an error page in between counts as a change too. Re-assigning the value
    makes Streamlit send it to the browser: a box re-created after another page or an error page was otherwise
    drawn empty while the old filter still narrowed the list ("21 items match", only Falcon titles).
    """
    dataset = list(sidebar.current_dataset())
    if st.session_state.get(keys.DATA_FILTER_DATASET) != dataset:
        st.session_state[keys.DATA_FILTER_DATASET] = dataset
        st.session_state[keys.DATA_ITEM_FILTER] = ""
    st.session_state[keys.DATA_ITEM_FILTER] = st.session_state.get(keys.DATA_ITEM_FILTER, "")


st.title("Data")
keep_filter_with_dataset()
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
    query = st.text_input("Filter items by title or id", key=keys.DATA_ITEM_FILTER, placeholder="e.g. Star")
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

"""Pure figure builders (plotly figures, vis-network drawings) shared by the dashboard's pages and the offline report.

Arrays, dicts and engine objects in, figures out; nothing here imports Streamlit.
"""

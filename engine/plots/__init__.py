"""Plots: pure figure builders (plotly, vis-network) shared by the dashboard's pages and the offline report.

Arrays, dicts and engine objects in, figures out; nothing here imports Streamlit.
"""

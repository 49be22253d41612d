"""Streamlit dashboard over the engine's public API."""

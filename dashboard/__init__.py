"""Dashboard: the Streamlit app over the engine's public API (the top layer)."""

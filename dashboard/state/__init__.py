"""Session-state keys and the cached engine objects every page shares (Streamlit caches, no widgets)."""

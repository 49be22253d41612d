"""Widgets shared by several pages: the sidebar, node and run pickers, the Train form described as data."""

"""Pure builders of what only the dashboard shows: tables, progress text, neighborhood charts (no Streamlit).

The figures the offline report shares with the pages (curves, maps, comparison, neighborhood drawings) are in
:mod:`engine.plots`.
"""

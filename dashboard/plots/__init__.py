"""Pure builders of what pages show: plotly figures, neighborhood drawings, tables, progress text (no Streamlit)."""

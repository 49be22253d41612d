"""Our plotly theme: one explicit template that every figure builder applies, so a figure is the same JSON whether
the dashboard, the CLI's report or a test built it.

Importing streamlit sets ``plotly.io.templates.default = "streamlit"``, a template whose colours are placeholders
(``#000001`` …) that only Streamlit's front end replaces: a figure that leaves its template to that default draws
every line black in an HTML report built inside the dashboard's process, and its margins clip tick labels. So no
builder relies on the default: each ends with :func:`themed`, which assigns :data:`TEMPLATE` itself (assigned, not
merged, so nothing of the default survives), and the dashboard draws these figures with
``st.plotly_chart(figure, theme=None)`` so that the page shows exactly what the report shows.

What the template gives every figure:

- a qualitative palette, :data:`PALETTE`, a distinct hue per trace (plotly's ``D3``, then ``Dark2``);
- axes with ``automargin``: the margins grow to hold the tick labels and the axis titles, which stand clear of them;
- a title at the top left that pushes the top margin (``title.automargin``), so it is never cut;
- the legend in rows at the bottom of the figure, under the x axis's title, where it covers neither the title
  nor the plot (a figure with a legend of many entries, such as an embedding map, puts it on the right instead:
  :data:`LEGEND_RIGHT`).

To theme a new figure: build it, then ``return themed(figure)``; trace colours left unset come from the palette.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import qualitative

TEMPLATE_NAME = "gnn_explorer"
# Distinct hues in order: D3's ten (matplotlib's tab10), then Dark2's eight for an eleventh trace and beyond.
PALETTE: tuple[str, ...] = tuple(qualitative.D3 + qualitative.Dark2)
FONT_FAMILY = '"Source Sans", "Source Sans Pro", system-ui, -apple-system, "Segoe UI", Roboto, sans-serif'
TEXT_COLOUR = "#262730"  # Streamlit's body text, so a chart reads like the page around it
GRID_COLOUR = "#E6E9EF"
# A legend of many entries (categories of an embedding map) beside the plot, top right.
LEGEND_RIGHT = {
    "orientation": "v",
    "x": 1.02,
    "xref": "paper",
    "xanchor": "left",
    "y": 1,
    "yref": "paper",
    "yanchor": "top",
}


def _axis() -> dict:
    return {
        "automargin": True,  # the margin grows to fit tick labels and the axis title
        "title": {"standoff": 10},  # pixels between the tick labels and the axis title
        "gridcolor": GRID_COLOUR,
        "linecolor": "#B8BDC7",
        "zerolinecolor": GRID_COLOUR,
        "ticks": "outside",
        "tickcolor": "#B8BDC7",
        "ticklen": 4,
    }


def _template() -> go.layout.Template:
    return go.layout.Template(
        layout={
            "colorway": list(PALETTE),
            "font": {"family": FONT_FAMILY, "size": 13, "color": TEXT_COLOUR},
            "paper_bgcolor": "white",
            "plot_bgcolor": "white",
            # Minimums only: automargin adds what tick labels, axis titles, the title and the legend need.
            "margin": {"l": 12, "r": 12, "t": 12, "b": 12, "pad": 2, "autoexpand": True},
            "title": {
                "automargin": True,  # the top margin grows to hold the title: never cut, never on the plot
                "x": 0,
                "xref": "container",
                "xanchor": "left",
                "pad": {"l": 12, "t": 6, "b": 10},
                "font": {"size": 16},
            },
            # In rows at the bottom of the figure: the margin below the x axis's title is reserved for it.
            "legend": {
                "orientation": "h",
                "x": 0,
                "xref": "container",
                "xanchor": "left",
                "y": 0,
                "yref": "container",
                "yanchor": "bottom",
                "bgcolor": "rgba(255,255,255,0)",
            },
            "hoverlabel": {"font": {"family": FONT_FAMILY}},
            "xaxis": _axis(),
            "yaxis": _axis(),
            "annotationdefaults": {"font": {"size": 12}},
        }
    )


TEMPLATE: go.layout.Template = _template()
pio.templates[TEMPLATE_NAME] = TEMPLATE  # also by name, for ``template="gnn_explorer"`` in a notebook


def themed(figure: go.Figure) -> go.Figure:
    """``figure`` with :data:`TEMPLATE` as its template, replacing whatever the process's default put there.

    Assigned rather than merged (``update_layout(template=...)`` would merge into the default's, keeping Streamlit's
    placeholder colours wherever ours sets none). Returns the same figure, for ``return themed(figure)``.
    """
    figure.layout.template = TEMPLATE
    return figure

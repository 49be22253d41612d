"""Whether the colours of a chart's legend entries can be told apart: shared by the figure and the browser tests."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable

import plotly.graph_objects as go
from PIL import ImageColor

# Euclidean distance in RGB (0-255 each) under which two colours count as the same: the theme palette's closest
# pair (D3's purple and Dark2's, the 5th and 13th traces) is 34 apart; Streamlit's placeholder colours, which draw
# every line near-black outside its front end (#000001, #000002, ...), are 1 apart.
MIN_DISTANCE = 30


def rgb(colour: str) -> tuple[int, int, int]:
    """``(r, g, b)`` of a CSS colour: ``#1f77b4``, ``rgb(27,158,119)``, ``rgba(…)`` or a name such as ``gold``."""
    return ImageColor.getrgb(colour.strip())[:3]


def clashes(entries: Iterable[tuple[str, str]]) -> list[str]:
    """``"a ~ b (#000001, #000002)"`` for every two legend entries (name, colour) whose colours look the same."""
    entries = list(entries)
    found = []
    for (first, colour), (second, other) in itertools.combinations(entries, 2):
        if math.dist(rgb(colour), rgb(other)) < MIN_DISTANCE:
            found.append(f"{first} ~ {second} ({colour}, {other})")
    return found


def legend_colours(figure: go.Figure) -> list[tuple[str, str]]:
    """(legend entry, colour) of a figure's traces, as plotly.js resolves them: a trace's own colour, else the
    template's colorway by trace index; traces of one legend group are one entry, a ring counts by its outline."""
    colorway = figure.layout.template.layout.colorway or ()
    entries: dict[str, str] = {}
    for index, trace in enumerate(figure.data):
        lines = trace.type == "scatter" and "lines" in (trace.mode or "")
        colour = trace.line.color if lines else trace.marker.color
        if colour == "rgba(0,0,0,0)":
            colour = trace.marker.line.color
        if colour is None and colorway:
            colour = colorway[index % len(colorway)]
        if isinstance(colour, str):
            entries.setdefault(trace.legendgroup or trace.name or f"trace {index}", colour)
    return list(entries.items())

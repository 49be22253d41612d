"""Every figure builder the pages and the report share applies our theme (``engine.plots.theme``), whichever process
builds it: importing streamlit makes its placeholder-colour template plotly's default, and no figure may take it.

Each builder is called on small known inputs (:func:`example_figures`), in this process and in two fresh ones, one
of which imports streamlit first, as the dashboard's process does (its *Download report* builds the report there).
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from engine.analysis import Projection
from engine.plots import comparison, embedding_view, figures, theme
from tests.support.chart_colours import clashes, legend_colours
from tests.support.sample_runs import ROOT

METRICS = [
    {"epoch": epoch, "loss": 0.7 / epoch, "split": "val", "recall@20": 0.1 * epoch, "ndcg@20": 0.05 * epoch}
    for epoch in range(1, 5)
]
SUMMARY = {
    "baseline": "mf",
    "paired": {
        "lightgcn": {"ndcg@10": {"mean_difference": 0.02, "ci95": [0.01, 0.03]}},
        "graphsage": {"ndcg@10": {"mean_difference": -0.005, "ci95": [-0.01, 0.0]}},
    },
    "activity": [
        {"degree_min": low, "degree_max": low + 4, "difference": {"lightgcn": {"ndcg@10": 0.01}, "graphsage": {}}}
        for low in (1, 5, 9)
    ],
}


def example_figures() -> dict[str, go.Figure]:
    """One figure of every builder in engine.plots that the pages and the report draw with plotly."""
    degree = np.array([1, 1, 2, 5, 3, 8])
    coords = np.random.default_rng(0).normal(size=(6, 2)).astype(np.float32)  # 3 users, 3 items
    projection = Projection("pca", 1, coords, 3, np.eye(2, dtype=np.float32), np.zeros(2, np.float32))
    labels = np.array(["Drama", "Comedy", "Drama", "Comedy", "Drama", "Horror"], dtype=object)
    hover = np.array([f"node {node}" for node in range(6)], dtype=object)
    runs = {"a": METRICS, "b": METRICS, "c": METRICS}
    return {
        "degree_distribution": figures.degree_distribution(degree, degree[::-1]),
        "popularity_long_tail": figures.popularity_long_tail(degree),
        "loss_curve": figures.loss_curve(METRICS),
        "metric_curves": figures.metric_curves(METRICS, ["recall@20", "ndcg@20"]),
        "overlay_curves": figures.overlay_curves(runs, "ndcg@20"),
        "overlay_losses": figures.overlay_curves(runs, "loss", loss_kinds={"a": "BPR", "b": "max-margin", "c": "BPR"}),
        "forest_plot": comparison.forest_plot(SUMMARY, "ndcg@10"),
        "activity_bars": comparison.activity_bars(SUMMARY, "ndcg@10"),
        "map_figure": embedding_view.map_figure(
            projection, labels, hover, title="map", highlight={"selected": np.array([0])}
        ),
    }


def _build_in_a_process(streamlit: bool) -> dict:
    """Every example figure as plotly's JSON, built in a fresh process (``streamlit`` imported first or not), with
    the process's default template."""
    script = (
        "import json, sys\n" + ("import streamlit\n" if streamlit else "") + "import plotly.io as pio\n"
        "from tests.engine.plots.test_theme import example_figures\n"
        "built = {name: json.loads(pio.to_json(figure)) for name, figure in example_figures().items()}\n"
        "print(json.dumps({'default': pio.templates.default, 'figures': built}))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def built() -> dict[bool, dict]:
    """Streamlit imported or not -> what :func:`_build_in_a_process` printed."""
    return {streamlit: _build_in_a_process(streamlit) for streamlit in (False, True)}


@pytest.mark.slow
def test_a_figure_is_the_same_whether_or_not_streamlit_was_imported(built: dict[bool, dict]) -> None:
    plain, under_streamlit = built[False], built[True]
    assert (plain["default"], under_streamlit["default"]) == ("plotly", "streamlit")  # the two processes do differ
    assert plain["figures"].keys() == under_streamlit["figures"].keys()
    for name, figure in plain["figures"].items():
        assert figure == under_streamlit["figures"][name], f"{name} differs once streamlit is imported"
        assert figure["layout"]["template"] == json.loads(pio.to_json(theme.TEMPLATE)), f"{name} is not themed"


@pytest.mark.slow
@pytest.mark.parametrize("streamlit", [False, True], ids=["plain", "streamlit-imported"])
def test_every_legend_entry_of_a_figure_has_a_colour_of_its_own(built: dict[bool, dict], streamlit: bool) -> None:
    specs = built[streamlit]["figures"]
    for name, spec in specs.items():
        entries = legend_colours(go.Figure(spec))
        assert clashes(entries) == [], f"{name}: {entries}"
    assert len(legend_colours(go.Figure(specs["metric_curves"]))) == 2
    assert len(legend_colours(go.Figure(specs["activity_bars"]))) == 2
    assert len(legend_colours(go.Figure(specs["overlay_curves"]))) == 3


def test_margins_grow_to_fit_labels_and_titles() -> None:
    layout = theme.TEMPLATE.layout
    assert layout.xaxis.automargin is True and layout.yaxis.automargin is True  # every x and y axis, subplots too
    assert layout.title.automargin is True
    assert layout.legend.yref == "container" and layout.legend.y == 0  # below the x axis title, never on the title
    for name, figure in example_figures().items():
        assert figure.layout.template == theme.TEMPLATE, name
        for axis in [*figure.select_xaxes(), *figure.select_yaxes()]:
            assert axis.automargin is not False, f"{name}: an axis turns automargin off"
        margin = figure.layout.margin
        assert all(side is None for side in (margin.l, margin.r, margin.t, margin.b)), f"{name} fixes its margins"


def test_the_theme_replaces_the_default_template_rather_than_merging_into_it() -> None:
    figure = go.Figure(layout={"template": pio.templates["ggplot2"]})  # a default with settings ours leaves unset
    assert theme.themed(figure).layout.template == theme.TEMPLATE
    assert pio.templates[theme.TEMPLATE_NAME] == theme.TEMPLATE

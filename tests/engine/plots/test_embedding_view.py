"""The embedding map's point cap: every point up to it, a seeded uniform random sample above it, said in words."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis import Projection
from engine.plots import embedding_view


def projection(points: int, users: int) -> Projection:
    coords = np.random.default_rng(1).normal(size=(points, 2)).astype(np.float32)
    return Projection("pca", 1, coords, users, np.eye(2, dtype=np.float32), np.zeros(2, np.float32), -1)


def drawn(figure, names: set[str] | None = None) -> np.ndarray:
    """Node ids of the map's category traces (or of the traces named ``names``)."""
    traces = [trace for trace in figure.data if names is None or trace.name in names]
    return np.concatenate([np.asarray(trace.customdata) for trace in traces])


LABELS = np.array(["a", "b", "c"], dtype=object)


def test_a_map_up_to_the_cap_draws_every_point_and_says_how_many() -> None:
    points = 300
    labels = LABELS[np.arange(points) % 3]
    hover = np.array([f"n{k}" for k in range(points)], dtype=object)
    figure = embedding_view.map_figure(projection(points, 200), labels, hover, title="t", max_points=points)
    assert np.array_equal(np.sort(drawn(figure)), np.arange(points))
    assert embedding_view.points_caption(200, 100, max_points=points) == "300 points (200 users ● and 100 items ■)"


def test_above_the_cap_a_map_draws_a_stated_seeded_uniform_sample() -> None:
    points, cap = 1_000, 100
    labels = LABELS[np.arange(points) % 3]
    hover = np.array([f"n{k}" for k in range(points)], dtype=object)
    shown = projection(points, 600)
    figure = embedding_view.map_figure(shown, labels, hover, title="t", max_points=cap)
    ids = drawn(figure)
    assert len(ids) == cap and len(np.unique(ids)) == cap and ids.min() >= 0 and ids.max() < points
    assert (ids >= 500).sum() > 20  # spread over the map, not its first rows
    for trace in figure.data:  # every drawn point is the node its customdata names
        members = np.asarray(trace.customdata)
        assert np.allclose(trace.x, shown.coords[members, 0]) and list(trace.text) == list(hover[members])
        assert set(labels[members]) == {trace.name}
    legend = [trace.name for trace in figure.data if trace.showlegend is not False]
    assert sorted(legend) == ["a", "b", "c"]  # one legend entry per category, its users and items in one group
    symbols = {trace.marker.symbol for trace in figure.data}
    assert symbols == {"circle", "square"}
    for trace in figure.data:  # users are circles, items squares
        assert (np.asarray(trace.customdata) < 600).all() == (trace.marker.symbol == "circle")
    again = embedding_view.map_figure(shown, labels, hover, title="t", max_points=cap)
    assert np.array_equal(np.sort(drawn(again)), np.sort(ids))  # the same nodes on every rerun
    caption = embedding_view.points_caption(600, 400, max_points=cap)
    assert caption.startswith("showing 100 of 1,000 points, sampled uniformly at random")


def test_a_highlighted_node_outside_the_sample_is_still_drawn_and_colours_keep_their_category() -> None:
    points, cap = 1_000, 50
    labels = LABELS[np.arange(points) % 3]
    hover = np.array([f"n{k}" for k in range(points)], dtype=object)
    left_out = int(np.setdiff1d(np.arange(points), embedding_view.shown_points(points, cap))[0])
    figure = embedding_view.map_figure(
        projection(points, 500), labels, hover, title="t", max_points=cap, highlight={"selected": np.array([left_out])}
    )
    assert list(drawn(figure, {"selected"})) == [left_out]
    full = embedding_view.map_figure(projection(points, 500), labels, hover, title="t", max_points=points)
    colours = {trace.name: trace.marker.color for trace in full.data}
    assert all(colours[trace.name] == trace.marker.color for trace in figure.data if trace.name in colours)


def test_a_cap_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_points must be at least 1"):
        embedding_view.shown_points(10, 0)

"""Map layers: a continuous colour scale with grey for missing values, search highlight and zoom, neighbor lines
(far ones dashed), and the same on 3-D maps."""

from __future__ import annotations

import numpy as np
import pytest

from engine.analysis import Projection
from engine.analysis.map_search import MapNeighbors, map_neighbors
from engine.plots import map_layers
from engine.plots.embedding_view import map_figure


def projection(coords: np.ndarray, num_users: int) -> Projection:
    dims = coords.shape[1]
    return Projection("pca", 1, coords.astype(np.float32), num_users, np.eye(dims), np.zeros(dims))


@pytest.fixture
def flat():
    coords = np.random.default_rng(0).normal(size=(20, 2))
    return projection(coords, 8), np.array([f"node {i}" for i in range(20)], dtype=object)


def test_numbers_get_a_colour_bar_and_missing_values_are_grey(flat):
    proj, hover = flat
    values = np.concatenate([np.full(8, np.nan), np.arange(12, dtype=float)])  # an item column: users have none
    figure = map_layers.numeric_map(proj, values, hover, title="t", column="year (items)")
    by_name = {trace.name: trace for trace in figure.data}
    assert set(by_name) == {"users: no year (items)", "items"}
    assert by_name["users: no year (items)"].marker.color == map_layers.NO_VALUE
    items = by_name["items"]
    assert items.marker.colorbar.title.text == "year (items)" and (items.marker.cmin, items.marker.cmax) == (0, 11)
    assert list(items.customdata) == list(range(8, 20))


def test_search_dims_the_rest_draws_the_matches_and_zooms_to_them(flat):
    proj, hover = flat
    figure = map_figure(proj, np.array(["a"] * 20, dtype=object), hover, title="t")
    map_layers.highlight_matches(figure, proj.coords, np.array([3, 4]), hover, "search “x”: 2")
    *base, found = figure.data
    assert all(trace.marker.opacity == map_layers.DIMMED for trace in base)
    assert found.name == "search “x”: 2" and list(found.customdata) == [3, 4]
    low, high = figure.layout.xaxis.range
    assert low < proj.coords[[3, 4], 0].min() and high > proj.coords[[3, 4], 0].max()
    assert high - low < np.ptp(proj.coords[:, 0])  # zoomed in
    untouched = map_figure(proj, np.array(["a"] * 20, dtype=object), hover, title="t")
    map_layers.highlight_matches(untouched, proj.coords, np.array([], dtype=np.int64), hover, "none")
    assert untouched.layout.xaxis.range is None and len(untouched.data) == 2


def test_neighbor_lines_join_the_node_to_each_neighbor_far_ones_dashed():
    embeddings = np.array([[1, 0], [0, 1], [1, 0], [1, 0.05], [0, 1], [-1, 0], [0.7, 0.7], [1, 0.3]])
    coords = np.array([[0, 0], [1, 1], [0, 0], [9, 9], [0.5, 0], [0, 0.5], [0.1, 0.1], [0.2, 0]])
    found = map_neighbors(embeddings, coords, num_users=2, node=2, k=3)
    hover = np.array([f"n{i}" for i in range(8)], dtype=object)
    figure = map_layers.neighbor_lines(map_figure(projection(coords, 2), hover, hover, title="t"), coords, found, hover)
    lines = {trace.name: trace for trace in figure.data if trace.mode == "lines"}
    assert set(lines) == {"nearest neighbors (original space) (2)", "neighbors far on the map (1)"}
    far = lines["neighbors far on the map (1)"]
    assert far.line.dash == "dash" and list(far.x[:2]) == [0, 9] and list(far.y[:2]) == [0, 9]
    near = lines["nearest neighbors (original space) (2)"]
    assert len(near.x) == 6 and np.isnan(near.x[2])  # node, neighbor, gap per line


def test_3d_maps_draw_scatter3d_traces_for_every_layer():
    coords = np.random.default_rng(1).normal(size=(12, 3))
    proj = projection(coords, 5)
    hover = np.array([f"n{i}" for i in range(12)], dtype=object)
    figure = map_layers.category_map_3d(proj, np.array(["a", "b"] * 6, dtype=object), hover, title="t")
    map_layers.highlight_matches(figure, coords, np.array([1]), hover, "search")
    map_layers.neighbor_lines(figure, coords, map_neighbors(coords, coords, 5, 7, 3), hover)
    map_layers.selected_ring(figure, coords, 7, hover)
    assert {trace.type for trace in figure.data} == {"scatter3d"}
    assert figure.layout.scene.zaxis.visible is False


def test_layer_colours_never_match_a_category_colour(flat):
    from tests.support.chart_colours import clashes, legend_colours

    proj, hover = flat
    labels = np.array([f"genre {i % 20}" for i in range(20)], dtype=object)  # every palette colour in use
    figure = map_figure(proj, labels, hover, title="t", max_points=None)
    map_layers.highlight_matches(figure, proj.coords, np.array([1, 2]), hover, "search")
    coords = proj.coords
    ids = np.array([10, 11, 12, 13, 14])
    found = MapNeighbors(9, ids, np.ones(5), np.ones(5), np.array([0.0, 0.0, 0.9, 0.9, 0.0]), 0.6)  # two far
    map_layers.neighbor_lines(figure, coords, found, hover)
    map_layers.selected_ring(figure, coords, 9, hover)
    layers = {"search", "nearest neighbors (original space)", "neighbors far on the map", "selected"}
    entries = legend_colours(figure)
    assert layers <= {name for name, _ in entries}
    assert not [clash for clash in clashes(entries) if any(layer in clash for layer in layers)]

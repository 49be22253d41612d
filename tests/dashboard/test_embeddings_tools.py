"""AppTest: the Embeddings page's search, nearest-neighbor lines, region summary and export, metadata colourings and
3-D view (issue 22, points 6-10)."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from dashboard.components.map_figure import event_nodes
from dashboard.state import keys
from engine.analysis import ProjectionStore, nearest_neighbors
from engine.analysis.map_selection import DEGREE
from engine.datasets import load_dataset
from tests.dashboard.conftest import TRAINED_RUN_ID
from tests.dashboard.shown import shown

PAGE = "views/embeddings.py"
PCA = {keys.EMBEDDINGS_RUN: TRAINED_RUN_ID, "embeddings_method": "PCA"}  # UMAP would start a background job


@pytest.fixture(scope="module")
def graph():
    return load_dataset("synthetic")


def spec(at, index: int = 0) -> dict:
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def traces_named(at, prefix: str) -> list[dict]:
    return [trace for trace in spec(at)["data"] if str(trace.get("name", "")).startswith(prefix)]


def decoded(custom) -> np.ndarray:
    """A trace's customdata, decoding plotly's typed arrays (``{"dtype", "bdata"}``)."""
    if isinstance(custom, dict):
        return np.frombuffer(base64.b64decode(custom["bdata"]), dtype=np.dtype(custom["dtype"])).astype(np.int64)
    return np.asarray(custom, dtype=np.int64).ravel()


def captions(at) -> list[str]:
    return [shown(caption.value) for caption in at.caption]


def test_search_highlights_the_matches_dims_the_rest_and_zooms_to_them(app_at, graph):
    word = graph.items["title"].iat[0].split()[0]  # a word of the first item's title
    expected = graph.items["title"].str.casefold().str.contains(word.casefold(), regex=False).sum()
    at = app_at(PAGE, **PCA, **{keys.EMBEDDINGS_SEARCH: word})
    assert not at.exception, at.exception
    data = spec(at)["data"]
    (found,) = [trace for trace in data if trace["name"].startswith("search")]
    assert found["name"] == f"search “{word}”: {expected}"
    ids = decoded(found["customdata"])
    assert len(ids) == expected and (ids >= graph.num_users).all()
    others = [trace for trace in data if trace is not found]
    assert others and all(trace["marker"]["opacity"] == pytest.approx(0.12) for trace in others)
    layout = spec(at)["layout"]
    assert "range" in layout["xaxis"] and "range" in layout["yaxis"]  # zoomed to the matches
    assert any(f"{expected} matches for “{word}”: highlighted" in text for text in captions(at))

    at.text_input(key=keys.EMBEDDINGS_SEARCH).set_value("no title has this").run()
    assert not traces_named(at, "search") and "range" not in spec(at)["layout"]["xaxis"]
    assert any("0 matches for “no title has this”: try part of a title" in text for text in captions(at))


def test_search_by_id_finds_one_node(app_at, graph):
    at = app_at(PAGE, **PCA, **{keys.EMBEDDINGS_SEARCH: "user:3"})
    assert traces_named(at, "search")[0]["name"].endswith(": 1")
    assert any("1 match for “user:3”" in text for text in captions(at))


def test_a_selected_node_gets_its_k_nearest_neighbors_as_lines_with_their_cosine(app_at, graph, trained_runs_dir):
    at = app_at(PAGE, **PCA, **{keys.EMBEDDINGS_K: 5})
    at.text_input(key="embeddings_typed").set_value("item:1").run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table.columns) == ["cosine", "on the map", "node"] and len(table) == 5
    store = ProjectionStore(trained_runs_dir / TRAINED_RUN_ID)
    stacked, num_users = store.stacked(store.epochs()[-1])
    ids, scores = nearest_neighbors(stacked[num_users:], stacked[num_users], k=5, exclude=np.array([0]))
    assert np.allclose(table["cosine"], np.round(scores[0], 3))
    assert table["node"].str.startswith("item:").all()
    lines = [trace for trace in spec(at)["data"] if trace.get("mode") == "lines"]
    drawn = sum(int(trace["name"].rsplit("(", 1)[1].rstrip(")")) for trace in lines)
    assert drawn == 5  # near and far lines together: one per neighbor
    assert table["on the map"].isin(["near", "far"]).all()
    far = (table["on the map"] == "far").sum()
    warned = [w.value for w in at.warning if "land far away on the map" in shown(w.value)]
    assert bool(warned) == bool(far)

    at.number_input(key=keys.EMBEDDINGS_K).set_value(12).run()
    assert len(at.dataframe[0].value) == 12


def test_a_region_is_summarised_against_the_whole_set_and_exported(app_at, graph):
    region = [*range(0, 40), *range(graph.num_users, graph.num_users + 60)]  # 40 users, 60 items
    at = app_at(PAGE, **PCA, **{keys.EMBEDDINGS_REGION: region})
    assert not at.exception, at.exception
    assert any(header.value == "Selected region: 100 nodes" for header in at.subheader)
    assert any(
        text.startswith("40 users and 60 items; the items' mean popularity is")
        for text in [shown(m.value) for m in at.markdown]
    )
    genres = next(frame.value for frame in at.dataframe if "lift" in frame.columns)
    assert list(genres.columns) == ["genre", "in selection", "overall", "lift"] and 1 <= len(genres) <= 5
    assert np.allclose(genres["lift"], genres["in selection"] / genres["overall"])
    (export,) = [button for button in at.get("download_button") if button.proto.label == "Export selection"]
    assert export.proto.url
    at.button(key="embeddings_region_clear").click().run()
    assert not any(header.value.startswith("Selected region") for header in at.subheader)


def test_map_events_tell_a_click_from_a_box_or_lasso():
    click = {"selection": {"points": [{"customdata": [7]}, {"customdata": 7}], "box": [], "lasso": []}}
    assert event_nodes(click)[0].tolist() == [7] and not event_nodes(click)[1]
    lasso = {"selection": {"points": [{"customdata": 9}, {"customdata": 3}, {}], "lasso": [{"x": [0, 1, 1]}]}}
    assert event_nodes(lasso)[0].tolist() == [3, 9] and event_nodes(lasso)[1]
    assert event_nodes(None)[0].tolist() == [] and event_nodes({"selection": {"points": []}})[0].tolist() == []


@pytest.mark.parametrize(
    ("column", "numeric"),
    [("year (items)", True), ("age (users)", True), (DEGREE, True), ("occupation (users)", False)],
)
def test_colour_by_any_metadata_column(app_at, graph, column, numeric):
    at = app_at(PAGE, **PCA, embeddings_colour=column)
    assert not at.exception, at.exception
    options = at.selectbox(key="embeddings_colour").options
    assert {"genres (items)", "year (items)", "occupation (users)", "gender (users)", DEGREE} <= set(options)
    scaled = [trace for trace in spec(at)["data"] if "colorscale" in trace.get("marker", {})]
    if numeric:
        assert scaled and scaled[0]["marker"]["colorbar"]["title"]["text"] == column
    else:
        names = {trace["name"] for trace in spec(at)["data"]}
        assert not scaled and set(graph.users["occupation"]) <= names


def test_the_3d_view_draws_a_3_component_map_cached_apart(app_at, trained_runs_dir):
    at = app_at(PAGE, **PCA, **{keys.EMBEDDINGS_3D: True, keys.EMBEDDINGS_SEARCH: "user:2"})
    assert not at.exception, at.exception
    data = spec(at)["data"]
    assert data and all(trace["type"] == "scatter3d" for trace in data)
    assert "3-D" in spec(at)["layout"]["title"]["text"]
    store = ProjectionStore(trained_runs_dir / TRAINED_RUN_ID)
    epoch = store.epochs()[-1]
    assert store.load(epoch, "pca3d").coords.shape[1] == 3 and store.load(epoch, "pca").coords.shape[1] == 2
    at.text_input(key="embeddings_typed").set_value("user:1").run()
    assert not at.exception, at.exception
    assert any(trace.get("mode") == "lines" and trace["type"] == "scatter3d" for trace in spec(at)["data"])

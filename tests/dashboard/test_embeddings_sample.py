"""AppTest: the Embeddings page draws every point up to the cap and says so; above it, a stated random sample."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from dashboard.state import keys
from engine.datasets import load_dataset
from engine.plots import embedding_view
from tests.dashboard.conftest import TRAINED_RUN_ID

PAGE = "views/embeddings.py"
PCA = {keys.EMBEDDINGS_RUN: TRAINED_RUN_ID, "embeddings_method": "PCA"}  # UMAP would start a background job


def drawn_ids(chart) -> np.ndarray:
    """Node ids in the map's customdata, decoding plotly's typed arrays (``{"dtype", "bdata"}``)."""
    ids = []
    for trace in json.loads(chart.proto.spec)["data"]:
        custom = trace.get("customdata", [])
        if isinstance(custom, dict):
            custom = np.frombuffer(base64.b64decode(custom["bdata"]), dtype=np.dtype(custom["dtype"]))
        ids.append(np.asarray(custom, dtype=np.int64).ravel())
    return np.concatenate(ids)


def points_caption(at) -> str:
    return next(caption.value for caption in at.caption if "points" in caption.value)


@pytest.fixture(scope="module")
def graph():
    return load_dataset("synthetic")


def test_a_map_under_the_cap_draws_every_point(app_at, graph) -> None:
    at = app_at(PAGE, **PCA)
    assert not at.exception, at.exception
    assert np.array_equal(np.sort(drawn_ids(at.get("plotly_chart")[0])), np.arange(graph.num_nodes))
    assert f"{graph.num_nodes:,} points ({graph.num_users:,} users" in points_caption(at)
    assert "sampled" not in points_caption(at)


def test_above_the_cap_the_map_draws_a_sample_and_the_caption_says_so(app_at, graph, monkeypatch) -> None:
    monkeypatch.setattr(embedding_view, "MAX_POINTS", 500)
    at = app_at(PAGE, **PCA)
    assert not at.exception, at.exception
    ids = drawn_ids(at.get("plotly_chart")[0])
    assert len(ids) == 500 and len(np.unique(ids)) == 500
    assert f"showing 500 of {graph.num_nodes:,} points, sampled uniformly at random" in points_caption(at)
    left_out = int(np.setdiff1d(np.arange(graph.num_nodes), ids)[0])  # a selected node is drawn all the same
    at.text_input(key="embeddings_typed").set_value(graph.node_name(left_out)).run()
    assert not at.exception, at.exception
    assert left_out in drawn_ids(at.get("plotly_chart")[0])

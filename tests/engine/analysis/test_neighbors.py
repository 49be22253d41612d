"""Nearest neighbors, k-means, explanations and offline export on data where the right answer is known."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from engine.analysis import (
    ExportError,
    explain_recommendations,
    external_fetches,
    figure_document,
    kmeans_clusters,
    nearest_neighbors,
    snapshot_document,
)


def clusters(seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = np.eye(8, dtype=np.float32)[:4] * 3
    labels = np.repeat(np.arange(4), 25)
    return (centres[labels] + rng.normal(scale=0.2, size=(100, 8))).astype(np.float32), labels


def test_neighbors_come_from_the_query_cluster():
    points, labels = clusters()
    ids, scores = nearest_neighbors(points, points[3], k=10, exclude=np.array([3]))
    assert ids.shape == scores.shape == (1, 10)
    assert 3 not in ids[0]
    assert (labels[ids[0]] == labels[3]).all()
    assert (np.diff(scores[0]) <= 1e-6).all()


def test_neighbors_compare_directions_not_lengths():
    points = np.array([[1.0, 0.0], [10.0, 1.0], [1.0, 0.01]], dtype=np.float32)
    assert nearest_neighbors(points, [1.0, 0.0], k=1)[0][0, 0] == 0


def test_k_larger_than_the_allowed_rows_is_capped():
    points, _ = clusters()
    ids, _ = nearest_neighbors(points[:5], points[0], k=50, exclude=np.array([0, 1]))
    assert sorted(ids[0].tolist()) == [2, 3, 4]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"k": 0}, "'k' must be at least 1"), ({"query": np.ones(3)}, "dimension 3")],
)
def test_bad_neighbor_requests_name_the_value(kwargs, message):
    points, _ = clusters()
    arguments = {"embeddings": points, "query": points[0]} | kwargs
    with pytest.raises(ValueError, match=message):
        nearest_neighbors(**arguments)


def test_kmeans_recovers_planted_clusters():
    points, labels = clusters()
    found = kmeans_clusters(points, num_clusters=4)
    assert found.shape == (100,)
    for cluster in range(4):  # every planted cluster is one found cluster
        assert len(set(found[labels == cluster].tolist())) == 1
    assert len(set(found.tolist())) == 4
    with pytest.raises(ValueError, match="num_clusters"):
        kmeans_clusters(points, num_clusters=0)


def test_explanation_points_at_the_history_item_in_the_recommendations_cluster():
    points, labels = clusters()
    history = np.array([0, 30, 60])  # one item from clusters 0, 1, 2
    recommended = np.array([35, 70])  # clusters 1 and 2
    walk_neighbors = np.array([[30, 99, -1], [5, 60, 0]])
    walk_counts = np.array([[7, 3, 0], [9, 4, 1]])
    explanations = explain_recommendations(
        points, history, recommended, np.array([2.0, 1.0]), walk_neighbors=walk_neighbors, walk_counts=walk_counts
    )
    assert [e.item for e in explanations] == [35, 70]
    assert explanations[0].contributions[0][0] == 30
    assert explanations[1].contributions[0][0] == 60
    assert explanations[0].walk_support == [(30, 7)]
    assert explanations[1].walk_support == [(60, 4), (0, 1)]
    assert labels[explanations[1].contributions[0][0]] == labels[70]


def test_contributions_split_what_lifts_each_item_above_the_list_by_history_item():
    basis = np.eye(4)  # items 0-3 orthonormal
    items = np.vstack([basis, basis[0] + basis[1], basis[1]])  # item 4 = e0 + e1, item 5 = e1
    user = 3 * basis[0] + basis[1]  # built from history items 0 (weight 3) and 1 (weight 1)
    explanations = explain_recommendations(
        items, np.array([0, 1]), np.array([4, 5]), items[[4, 5]] @ user, user_embedding=user
    )
    # item 4 beats the list's mean (e0/2 + e1) by e0/2: all of it from history item 0; item 5 falls short of it
    assert explanations[0].contributions == [(0, pytest.approx(1.0))]
    assert explanations[1].contributions == []
    hub = explain_recommendations(items, np.array([0, 1]), np.array([4, 2]), np.zeros(2), user_embedding=user)
    assert [item for item, _ in hub[0].contributions] == [0, 1]  # item 2 is orthogonal to both: neither lifts it
    assert hub[1].contributions == []


def test_explaining_for_a_user_without_history_gives_empty_evidence():
    points, _ = clusters()
    (explanation,) = explain_recommendations(points, np.array([], dtype=np.int64), np.array([1]), np.array([0.5]))
    assert explanation.contributions == [] and explanation.walk_support == []


def test_external_fetches_finds_scripts_links_and_css_but_not_anchors():
    document = (
        '<html><head><script src="https://cdn.example/x.js"></script><link href="//cdn.example/a.css">'
        "<style>@import 'http://x/y.css';</style></head><body><a href=\"https://example.org\">ok</a>"
        "<script>var s = '<img src=\"https://not-a-tag\">';</script></body></html>"
    )
    found = external_fetches(document)
    assert len(found) == 3
    assert not any("example.org" in f or "not-a-tag" in f for f in found)


def test_snapshot_escapes_its_caption_and_refuses_remote_documents():
    document = snapshot_document("<html><head></head><body><p>x</p></body></html>", "t<script>", "<img src=x>")
    assert "<script>" not in document and "&lt;img src=x&gt;" in document
    with pytest.raises(ExportError, match="1 resource"):
        snapshot_document('<html><body><script src="https://cdn/x.js"></script></body></html>', "t")


def test_figure_document_is_self_contained():
    document = figure_document(go.Figure(go.Scattergl(x=[1, 2], y=[3, 4])), "map", "epoch 3")
    assert external_fetches(document) == []
    assert "Scattergl".lower() in document.lower() and "<title>map</title>" in document


def test_a_hub_history_item_is_not_named_on_every_row_and_rows_without_a_standout_say_so():
    """A hub (large along the popularity direction every top item shares) once topped the evidence of most rows."""
    rng = np.random.default_rng(0)
    num_items, dim, hub = 400, 16, 0
    items = rng.normal(scale=0.3, size=(num_items, dim))
    items[np.arange(num_items), rng.integers(1, 6, size=num_items)] += 1.0  # five tastes
    items[:, 0] += rng.lognormal(0, 0.6, size=num_items)  # popularity
    items[hub, 0], items[hub, 1:] = 6.0, items[hub, 1:] * 0.1
    history = np.concatenate([[hub], rng.choice(np.arange(1, num_items), 40, replace=False)])
    user = items[history].mean(axis=0) + rng.normal(scale=0.05, size=dim)
    scores = items @ user
    scores[history] = -np.inf
    recommended = np.argsort(-scores)[:10]
    explanations = explain_recommendations(items, history, recommended, scores[recommended], user_embedding=user)
    named = [item for explanation in explanations for item, _ in explanation.contributions]
    assert named.count(hub) <= 2  # the list-centred shares alone named it on 3 of the 10 rows
    assert max(named.count(item) for item in set(named)) <= 3  # no history item explains most of the list
    assert any(not explanation.contributions for explanation in explanations)  # "no single history item stands out"
    for explanation in explanations:
        assert all(share >= 0.05 for _, share in explanation.contributions)

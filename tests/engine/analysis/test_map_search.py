"""Map questions: search by id or title, and a node's cosine neighbors with where the map puts them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.analysis.map_search import FAR_SHARE, disagreement_note, map_neighbors, search_nodes
from engine.graph import InteractionGraph


@pytest.fixture
def graph() -> InteractionGraph:
    items = pd.DataFrame({"item_id": [10, 11, 12, 7], "title": ["Toy Story", "Heat", "toy soldiers", None]})
    users = pd.DataFrame({"user_id": [7, 8, 9]})
    return InteractionGraph(
        np.array([0, 1, 2, 2]), np.array([0, 1, 2, 3]), num_users=3, num_items=4, users=users, items=items
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("toy", [3, 5]),  # case-insensitive part of two titles
        ("  HEAT ", [4]),
        ("item:12", [5]),
        ("user:7", [0]),
        ("7", [0, 6]),  # a bare id names both types
        ("ITEM:7", [6]),
        ("", []),
        ("   ", []),
        ("user:toy", []),  # an id search never matches titles
        ("nothing like it", []),
        ("[(", []),  # not a regular expression
    ],
)
def test_search_matches_ids_and_title_parts(graph, query, expected):
    assert search_nodes(graph, query).tolist() == expected


def test_neighbors_are_cosine_in_the_original_space_and_a_far_one_is_flagged():
    # users 0..1, items 2..7; item 2's nearest by cosine is item 3, which the map puts far away
    embeddings = np.array([[1, 0], [0, 1], [1, 0], [1, 0.05], [0, 1], [-1, 0], [0.7, 0.7], [1, 0.3]], dtype=np.float32)
    coords = np.array([[0, 0], [1, 1], [0, 0], [9, 9], [0.5, 0], [0, 0.5], [0.1, 0.1], [0.2, 0]], dtype=np.float32)
    found = map_neighbors(embeddings, coords, num_users=2, node=2, k=3)
    assert found.ids.tolist() == [3, 7, 6]  # items only, most similar first, itself excluded
    assert found.cosine[0] == pytest.approx(1 / np.sqrt(1 + 0.05**2), rel=1e-5)
    assert found.map_distance[0] == pytest.approx(np.hypot(9, 9), rel=1e-5)
    assert found.closer_share[0] == pytest.approx(4 / 5)  # 4 of the 5 other items are closer on the map
    assert found.far.tolist() == [True, False, False]
    assert found.map_overlap == pytest.approx(2 / 3)  # items 7 and 6 are among its 3 nearest on the map
    note = disagreement_note(found, "items")
    assert note.startswith("1 of these 3 nearest items") and f"{FAR_SHARE:.0%}" in note


def test_a_faithful_map_gets_no_note():
    embeddings = np.random.default_rng(0).normal(size=(30, 2)).astype(np.float32)
    found = map_neighbors(embeddings, embeddings * 3.0, num_users=10, node=15, k=5)
    assert not found.far.any()
    assert disagreement_note(found, "items") is None


def test_neighbors_work_on_a_3d_map():
    embeddings = np.random.default_rng(1).normal(size=(12, 4)).astype(np.float32)
    found = map_neighbors(embeddings, embeddings[:, :3], num_users=6, node=1, k=4)
    assert len(found.ids) == 4 and (found.ids < 6).all() and 1 not in found.ids


@pytest.mark.parametrize(
    ("k", "node", "coords_rows", "message"),
    [(0, 1, 8, "'k' must be from 1"), (101, 1, 8, "'k' must be from 1"), (3, 8, 8, "node 8"), (3, 1, 7, "7 points")],
)
def test_bad_neighbor_questions_are_refused(k, node, coords_rows, message):
    embeddings = np.ones((8, 2), dtype=np.float32)
    with pytest.raises(ValueError, match=message):
        map_neighbors(embeddings, np.zeros((coords_rows, 2)), num_users=2, node=node, k=k)

"""InteractionGraph: CSR both ways and homogeneous, node names, derivation, building from raw ids, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.datasets import generate_synthetic
from engine.graph import InteractionGraph, NodeError


@pytest.fixture(scope="module")
def graph() -> InteractionGraph:
    return generate_synthetic(80, 60, 1_200, seed=4)


def _edge_set(user: np.ndarray, item: np.ndarray) -> set[tuple[int, int]]:
    return set(zip(user.tolist(), item.tolist(), strict=True))


def test_edges_are_sorted_unique_and_typed(graph):
    keys = graph.user * graph.num_items + graph.item
    assert (np.diff(keys) > 0).all()
    assert graph.user.dtype == np.int64 and graph.ratings.dtype == np.float32 and graph.timestamps.dtype == np.int64


def test_user_and_item_csr_hold_the_same_edges(graph):
    users, items = graph.user_csr, graph.item_csr
    assert users.indptr[-1] == items.indptr[-1] == graph.num_edges
    from_users = {(u, int(i)) for u in range(graph.num_users) for i in users.neighbors(u)}
    from_items = {(int(u), i) for i in range(graph.num_items) for u in items.neighbors(i)}
    assert from_users == from_items == _edge_set(graph.user, graph.item)
    assert all((np.diff(items.neighbors(i)) > 0).all() for i in range(graph.num_items))


def test_homogeneous_csr_puts_users_first_and_is_symmetric(graph):
    csr = graph.csr
    assert len(csr.indptr) == graph.num_nodes + 1
    assert (csr.degree()[: graph.num_users] == graph.user_degree()).all()
    assert (csr.degree()[graph.num_users :] == graph.item_degree()).all()
    user_rows = csr.indices[: csr.indptr[graph.num_users]]
    assert (user_rows >= graph.num_users).all() and (csr.indices[csr.indptr[graph.num_users] :] < graph.num_users).all()
    edges = {(src, int(dst)) for src in range(graph.num_nodes) for dst in csr.neighbors(src)}
    assert all((dst, src) in edges for src, dst in edges)


def test_node_names_round_trip(graph):
    for global_id in (0, graph.num_users - 1, graph.num_users, graph.num_nodes - 1):
        assert graph.node_id(graph.node_name(global_id)) == global_id
    assert graph.node_name(0) == "user:1" and graph.node_name(graph.num_users) == "item:1"
    assert graph.node_type(graph.num_users) == "item" and graph.to_global("item", 2) == graph.num_users + 2


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("42", "must look like 'user:<id>'"),
        ("movie:1", "must look like"),
        ("user:", "must look like"),
        ("user:99999", "unknown user '99999'"),
    ],
)
def test_bad_node_names_say_what_a_name_looks_like(graph, name, message):
    with pytest.raises(NodeError, match=message):
        graph.node_id(name)


def test_out_of_range_node_id_is_refused(graph):
    with pytest.raises(NodeError, match=f"node id {graph.num_nodes} is out of range"):
        graph.node_name(graph.num_nodes)


def test_item_title_falls_back_to_the_node_name():
    plain = InteractionGraph(np.array([0]), np.array([0]), 1, 1)
    assert plain.item_title(0) == "item:0"


def test_with_edges_keeps_nodes_metadata_and_the_selected_edges(graph):
    mask = graph.ratings >= 4
    subset = graph.with_edges(mask, name="liked")
    assert subset.num_users == graph.num_users and subset.num_items == graph.num_items
    assert subset.num_edges == mask.sum() and (subset.ratings >= 4).all() and subset.name == "liked"
    assert subset.items is graph.items or subset.items.equals(graph.items)
    assert _edge_set(subset.user, subset.item) <= _edge_set(graph.user, graph.item)


def test_from_frame_factorises_raw_ids_in_sorted_order_and_aligns_metadata():
    frame = pd.DataFrame({"user": ["b", "a", "b"], "item": [20, 10, 10]})
    items = pd.DataFrame({"item_id": [10, 20, 30], "title": ["Ten", "Twenty", "Thirty"]})
    graph = InteractionGraph.from_frame(frame, items=items, name="raw")
    assert graph.users["user_id"].tolist() == ["a", "b"] and graph.items["title"].tolist() == ["Ten", "Twenty"]
    assert (graph.user.tolist(), graph.item.tolist()) == ([0, 1, 1], [0, 0, 1])
    assert graph.report.notes == ["1 items in the metadata have no interactions (left out)"]


def test_from_frame_counts_nodes_without_metadata():
    frame = pd.DataFrame({"user": [1, 2], "item": [1, 2]})
    graph = InteractionGraph.from_frame(frame, items=pd.DataFrame({"item_id": [1], "title": ["One"]}))
    assert "1 items have interactions but no metadata row" in graph.report.notes
    assert graph.item_title(1) == "item:2"


@pytest.mark.parametrize(
    ("user", "item", "message"),
    [([0, 1], [0], "one length"), ([0, 5], [0, 1], r"user ids must lie in \[0, 2\)"), ([0, 1], [0, -1], "item ids")],
)
def test_bad_edge_arrays_are_refused(user, item, message):
    with pytest.raises(ValueError, match=message):
        InteractionGraph(np.array(user), np.array(item), 2, 2)


def test_duplicate_edges_point_to_from_frame():
    with pytest.raises(ValueError, match="1 duplicate .*from_frame"):
        InteractionGraph(np.array([0, 0]), np.array([1, 1]), 1, 2)


def test_metadata_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="metadata must have 2 rows"):
        InteractionGraph(np.array([0]), np.array([0]), 2, 1, users=pd.DataFrame({"user_id": [1]}))


@pytest.mark.parametrize("with_time", [True, False])
@pytest.mark.parametrize("seed", range(5))
def test_from_frame_keeps_each_pairs_latest_row_like_a_stable_sort_by_time(seed, with_time):
    rng = np.random.default_rng(seed)
    rows = 400
    frame = pd.DataFrame(
        {
            "user": rng.integers(0, 12, rows),
            "item": rng.choice(["a", "b", "c", "d", "e", "f"], rows),
            "rating": np.arange(rows, dtype=np.float32),  # the row number: which row was kept
            "timestamp": rng.integers(0, 5, rows),  # few distinct times: many ties, broken by the later row
        }
    )
    if not with_time:
        frame = frame.drop(columns="timestamp")
    graph = InteractionGraph.from_frame(frame)
    ordered = frame.sort_values("timestamp", kind="stable") if with_time else frame
    expected = ordered.drop_duplicates(["user", "item"], keep="last").sort_values(["user", "item"])
    assert graph.ratings.tolist() == expected["rating"].tolist()
    assert graph.report.dropped["duplicate (user, item) rows (kept the latest)"] == rows - len(expected)
    if with_time:
        assert graph.timestamps.tolist() == expected["timestamp"].tolist()

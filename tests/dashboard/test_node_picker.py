"""The node picker's item search: built once per graph, the same matches as a direct scan of the items."""

from __future__ import annotations

import pytest

from dashboard.components import node_picker
from engine.datasets import load_dataset


@pytest.fixture(scope="module")
def graph():
    return load_dataset("synthetic")


def direct_matches(graph, query: str) -> list[str]:
    """Item names whose title or name contains ``query``, most popular first (ties by item id), read item by item."""
    query = query.strip().lower()
    degree = graph.item_degree()
    hits = [
        item
        for item in range(graph.num_items)
        if query in graph.item_title(item).lower() or query in graph.node_name(graph.num_users + item).lower()
    ]
    return [graph.node_name(graph.num_users + item) for item in sorted(hits, key=lambda item: (-degree[item], item))]


@pytest.mark.parametrize("query", ["", "the", " FALCON ", "item:1", "no such title"])
def test_search_matches_a_direct_scan_most_popular_first(graph, query: str) -> None:
    found = node_picker.search_items(graph, query)
    assert list(found.columns) == ["name", "title", "degree"]
    assert found["name"].tolist() == direct_matches(graph, query)[: node_picker.MAX_MATCHES]


def test_the_item_table_is_built_once_per_graph(graph) -> None:
    assert node_picker.item_catalogue(graph) is node_picker.item_catalogue(graph)
    other = graph.with_edges(graph.user < graph.num_users // 2, name="half")
    assert node_picker.item_catalogue(other) is not node_picker.item_catalogue(graph)
    assert node_picker.item_catalogue(other)["degree"].sum() == other.num_edges

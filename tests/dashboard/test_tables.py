"""Data-page tables: node previews sorted by activity and filtered by text; flattened statistics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.plots.tables import flatten_stats, node_preview

ITEMS = pd.DataFrame(
    {
        "item_id": [10, 20, 30, 40],
        "title": ["Star Quest", "Quiet River", "Star Dust", "<b>Bold</b>"],
        "year": [1, 2, 3, 4],
    }
)


def test_preview_sorts_by_interactions_and_adds_the_column() -> None:
    table = node_preview(ITEMS, np.array([5, 9, 1, 9]), "item_id", "")
    assert list(table["item_id"]) == [20, 40, 10, 30]
    assert list(table.columns[:2]) == ["item_id", "interactions"]


@pytest.mark.parametrize(("query", "expected"), [("star", [10, 30]), ("  DUST ", [30]), ("40", [40]), ("<b>", [40])])
def test_preview_filters_on_title_or_id_case_insensitively(query: str, expected: list[int]) -> None:
    table = node_preview(ITEMS, np.array([5, 9, 1, 9]), "item_id", query)
    assert sorted(table["item_id"]) == expected


def test_preview_without_titles_filters_on_id_only() -> None:
    users = pd.DataFrame({"user_id": ["u1", "u2", "x3"]})
    assert list(node_preview(users, np.array([1, 2, 3]), "user_id", "u")["user_id"]) == ["u2", "u1"]


def test_preview_refuses_mismatched_degree() -> None:
    with pytest.raises(ValueError, match="4 rows but degree has 3"):
        node_preview(ITEMS, np.array([1, 2, 3]), "item_id", "")


def test_flatten_stats_joins_nested_keys_and_formats_numbers() -> None:
    table = flatten_stats({"users": 1000, "density": 0.0512345678, "degree": {"p50": 12.0, "max": 300}, "ok": True})
    assert dict(zip(table["statistic"], table["value"], strict=True)) == {
        "users": "1,000",
        "density": "0.0512346",
        "degree.p50": "12",
        "degree.max": "300",
        "ok": "True",
    }

"""A map selection described against the whole set; its export; the metadata a map can be coloured by."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.analysis.map_selection import (
    DEGREE,
    metadata_columns,
    metadata_values,
    selection_frame,
    summarize_selection,
)
from engine.datasets import load_dataset
from engine.graph import InteractionGraph


@pytest.fixture
def graph() -> InteractionGraph:
    # items: 0 Drama, 1 Drama|Comedy, 2 Comedy, 3 Horror; users 0..1
    items = pd.DataFrame(
        {
            "item_id": [1, 2, 3, 4],
            "title": ["A", "B", "C", "D"],
            "genres": ["Drama", "Drama|Comedy", "Comedy", "Horror"],
            "year": [1990, 1991, 1992, 1993],
        }
    )
    users = pd.DataFrame({"user_id": [1, 2], "occupation": ["artist", "writer"]})
    return InteractionGraph(
        np.array([0, 0, 0, 1, 1]),
        np.array([0, 1, 3, 3, 2]),
        num_users=2,
        num_items=4,
        users=users,
        items=items,
    )


def test_items_selection_counts_genres_with_lift_and_popularity(graph):
    summary = summarize_selection(graph, np.array([2, 3, 3]))  # items 0 and 1, one repeated
    assert (summary.size, summary.users, summary.items) == (2, 0, 2)
    genres = summary.genres.set_index("genre")
    assert genres.loc["Drama", "in selection"] == pytest.approx(1.0)  # both selected items are Drama
    assert genres.loc["Drama", "overall"] == pytest.approx(0.5)  # two of the four items
    assert genres.loc["Drama", "lift"] == pytest.approx(2.0)
    assert genres.loc["Comedy", "lift"] == pytest.approx(0.5 / 0.5)
    assert "Horror" not in genres.index
    assert summary.genres["genre"].iloc[0] == "Drama"  # most common first
    assert summary.mean_popularity == pytest.approx((1 + 1) / 2)
    assert summary.overall_popularity == pytest.approx(5 / 4)
    assert summary.genre_source == "selected items"


def test_users_only_selection_describes_what_they_interacted_with(graph):
    summary = summarize_selection(graph, np.array([1]))  # user 1: items 3 (Horror) and 2 (Comedy)
    assert (summary.users, summary.items, summary.mean_popularity) == (1, 0, None)
    assert summary.genre_source == "items these users interacted with"
    genres = summary.genres.set_index("genre")
    assert genres.loc["Horror", "in selection"] == pytest.approx(0.5)
    assert genres.loc["Horror", "overall"] == pytest.approx(2 / 5)  # 2 of 5 interactions are with the Horror item
    assert genres.loc["Horror", "lift"] == pytest.approx(0.5 / 0.4)


def test_empty_selection_and_bad_ids(graph):
    assert summarize_selection(graph, np.array([], dtype=np.int64)).size == 0
    with pytest.raises(ValueError, match="from 0 to 5"):
        summarize_selection(graph, np.array([6]))


def test_export_frame_names_ids_and_titles(graph):
    frame = selection_frame(graph, np.array([3, 0]))
    assert frame.to_dict("records") == [
        {"node": "user:1", "type": "user", "id": "1", "title": ""},
        {"node": "item:2", "type": "item", "id": "2", "title": "B"},
    ]


def test_metadata_columns_and_values(graph):
    assert metadata_columns(graph) == [DEGREE, "genres (items)", "year (items)", "occupation (users)"]
    degree, numeric = metadata_values(graph, DEGREE)
    assert numeric and degree.tolist() == [3, 2, 1, 1, 1, 2]
    genres, numeric = metadata_values(graph, "genres (items)")
    assert not numeric and genres.tolist() == ["(none)", "(none)", "Drama", "Drama", "Comedy", "Horror"]
    occupation, numeric = metadata_values(graph, "occupation (users)")
    assert not numeric and occupation.tolist() == ["artist", "writer", *["(none)"] * 4]
    year, numeric = metadata_values(graph, "year (items)")
    assert not numeric  # four distinct years: colours, not a scale
    with pytest.raises(ValueError, match="no column 'title \\(items\\)'.*occupation \\(users\\)"):
        metadata_values(graph, "title (items)")
    with pytest.raises(ValueError, match="no column"):
        metadata_values(graph, "shoe size (users)")


def test_many_distinct_numbers_get_a_continuous_scale():
    synthetic = load_dataset("synthetic")
    year, numeric = metadata_values(synthetic, "year (items)")
    assert numeric and np.isnan(year[: synthetic.num_users]).all() and np.isfinite(year[synthetic.num_users :]).all()
    age, numeric = metadata_values(synthetic, "age (users)")
    assert numeric and np.isfinite(age[: synthetic.num_users]).all()
    group, numeric = metadata_values(synthetic, "taste_group (users)")
    assert not numeric  # a handful of group numbers: categories

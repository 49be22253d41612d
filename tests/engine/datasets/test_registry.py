"""Dataset registry, dataset statistics and metadata features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.datasets import DatasetError, dataset_stats, list_datasets, load_dataset
from engine.features import item_features, user_features
from engine.graph import InteractionGraph, LoadReport


def test_list_datasets_names_every_loadable_dataset_with_a_description():
    infos = list_datasets()
    assert [info.name for info in infos] == [
        "synthetic",
        "movielens-100k",
        "movielens-1m",
        "movielens-10m",
        "movielens-20m",
        "movielens-25m",
        "movielens-32m",
        "movielens-latest-small",
    ]
    assert all(len(info.description) > 20 for info in infos)


@pytest.mark.parametrize("name", ["movielens", "ml-100k", "Synthetic", ""])
def test_unknown_dataset_lists_the_known_ones(name):
    with pytest.raises(
        DatasetError, match=rf"unknown dataset '{name}'; known datasets: synthetic, movielens-100k, .*csv:PATH"
    ):
        load_dataset(name)


def test_dataset_error_is_a_value_error():
    assert issubclass(DatasetError, ValueError)


@pytest.fixture
def small() -> InteractionGraph:
    frame = pd.DataFrame(
        {
            "user": [1, 1, 1, 2, 2, 3, 3],
            "item": [10, 20, 30, 10, 20, 10, 10],
            "rating": [5.0, 4.0, 1.0, 3.0, 5.0, 2.0, 4.0],
            "timestamp": [100, 200, 300, 400, 500, 600, 700],
        }
    )
    items = pd.DataFrame(
        {
            "item_id": [10, 20, 30, 40],
            "title": ["A", "B", "C", "D"],
            "genres": ["Drama|Comedy", "Drama", "", "War"],
            "year": [1990, 2000, None, 1980],
        }
    )
    users = pd.DataFrame(
        {"user_id": [1, 2, 3], "age": [20, 40, None], "gender": ["F", "M", "F"], "occupation": ["x", "y", None]}
    )
    report = LoadReport(source="small", rows_read=len(frame))
    return InteractionGraph.from_frame(
        frame, users=users, items=items.astype({"year": "Int64"}), name="small", report=report
    )


def test_dataset_stats_figures(small):
    stats = dataset_stats(small)
    assert (stats["users"], stats["items"], stats["interactions"]) == (3, 3, 6)
    assert stats["density"] == pytest.approx(6 / 9)
    expected = {"mean": 2.0, "p0": 1.0, "p25": 1.5, "p50": 2.0, "p75": 2.5, "p90": 2.8, "p99": 2.98, "p100": 3.0}
    assert stats["user_degree"] == pytest.approx(expected)
    assert stats["item_degree"]["p100"] == 3.0 and stats["item_degree"]["p0"] == 1.0
    assert stats["ratings"] == {
        "min": 1.0,
        "max": 5.0,
        "mean": pytest.approx(22 / 6),
        "counts": {"1": 1, "3": 1, "4": 2, "5": 2},
    }
    assert stats["time_range"] == [100, 700]
    assert stats["load_report"]["rows_read"] == 7 and stats["load_report"]["rows_dropped"] == 1
    assert stats["load_report"]["dropped"] == {"duplicate (user, item) rows (kept the latest)": 1}
    assert stats["isolated_users"] == 0 and stats["isolated_items"] == 0


def test_dataset_stats_without_ratings_or_timestamps():
    graph = InteractionGraph(np.array([0, 1]), np.array([0, 0]), 3, 2)
    stats = dataset_stats(graph)
    assert stats["ratings"] is None and stats["time_range"] is None
    assert stats["isolated_users"] == 1 and stats["isolated_items"] == 1


def test_item_features_are_bias_genre_multi_hot_and_scaled_year(small):
    # columns: bias, genre Comedy, genre Drama, year, year missing
    features = item_features(small)
    assert features.dtype == np.float32
    assert features.tolist() == [[1, 1, 1, 0, 0], [1, 0, 1, 1, 0], [1, 0, 0, 0, 1]]


def test_user_features_are_bias_age_and_one_hot_demographics(small):
    # columns: bias, age, age missing, gender F, gender M, occupation x, occupation y
    assert user_features(small).tolist() == [[1, 0, 0, 1, 0, 1, 0], [1, 1, 0, 0, 1, 0, 1], [1, 0, 1, 1, 0, 0, 0]]


def test_features_of_a_graph_without_metadata_are_one_constant_column():
    graph = InteractionGraph(np.array([0, 1]), np.array([1, 0]), 2, 2)
    assert item_features(graph).shape == (2, 1) and user_features(graph).shape == (2, 1)


def test_synthetic_features_leave_out_the_planted_taste_group():
    graph = load_dataset("synthetic")
    assert "taste_group" in graph.users.columns
    without = InteractionGraph(
        graph.user, graph.item, graph.num_users, graph.num_items, users=graph.users.drop(columns="taste_group")
    )
    np.testing.assert_array_equal(user_features(graph), user_features(without))
    assert item_features(graph).shape == (1000, 1 + 12 + 2)
    assert np.isfinite(user_features(graph)).all()

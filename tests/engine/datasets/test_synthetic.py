"""Synthetic generator: determinism, shape of the data, planted structure with measured margins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.datasets import GENRES, SAMPLE_DATA, generate_synthetic, generate_synthetic_data, load_dataset
from engine.graph import InteractionGraph


@pytest.fixture(scope="module")
def data():
    return generate_synthetic_data(600, 400, 24_000, seed=3)


def _genre_matrix(items: pd.DataFrame) -> np.ndarray:
    return np.array([[genre in value.split("|") for genre in GENRES] for value in items["genres"]])  # (I, 12)


def _group_matrix(group_genres: list[tuple[str, ...]]) -> np.ndarray:
    return np.array([[genre in liked for genre in GENRES] for liked in group_genres])  # (G, 12)


def _taste_match(data) -> np.ndarray:
    """For every interaction: does the item share a genre with the user's taste group?"""
    item_genres, group_genres = _genre_matrix(data.items), _group_matrix(data.group_genres)
    group = data.users["taste_group"].to_numpy()[data.interactions["user"].to_numpy() - 1]
    return (item_genres[data.interactions["item"].to_numpy() - 1] & group_genres[group]).any(axis=1)


def test_same_seed_same_data_other_seed_other_data():
    first = generate_synthetic_data(200, 150, 4_000, seed=11)
    again = generate_synthetic_data(200, 150, 4_000, seed=11)
    other = generate_synthetic_data(200, 150, 4_000, seed=12)
    for name in ("interactions", "items", "users"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(again, name))
    assert first.group_genres == again.group_genres
    assert not first.interactions.equals(other.interactions)


def test_sizes_ids_ratings_and_timestamps(data):
    interactions = data.interactions
    assert len(data.users) == 600 and len(data.items) == 400
    assert len(interactions) == 24_000
    assert not interactions.duplicated(["user", "item"]).any()
    assert interactions["user"].between(1, 600).all() and interactions["item"].between(1, 400).all()
    assert set(interactions["rating"].unique()) <= {1, 2, 3, 4, 5}
    assert interactions["timestamp"].between(1_420_070_400, 1_735_603_200).all()
    assert interactions.groupby("user").size().min() >= 5


def test_items_have_unique_titles_one_to_three_genres_and_years(data):
    items = data.items
    assert items["title"].is_unique and items["title"].str.len().min() > 5
    genre_counts = _genre_matrix(items).sum(axis=1)
    assert genre_counts.min() == 1 and genre_counts.max() == 3
    assert items["year"].between(1930, 2024).all()


def test_titles_stay_unique_beyond_the_word_combinations():
    data = generate_synthetic_data(100, 70_000, 500, seed=0)
    assert data.items["title"].is_unique


def test_interactions_concentrate_on_the_taste_groups_genres(data):
    """The planted signal: measured ~0.82 of interactions match the group's genres against ~0.33 by chance."""
    match = _taste_match(data)
    item_genres, group_genres = _genre_matrix(data.items), _group_matrix(data.group_genres)
    matching_items = (item_genres.astype(int) @ group_genres.T.astype(int)) > 0  # (I, G)
    group = data.users["taste_group"].to_numpy()[data.interactions["user"].to_numpy() - 1]
    chance = matching_items.mean(axis=0)[group].mean()  # share of a random item that matches, per interaction
    assert match.mean() > chance + 0.3
    assert match.mean() > 2.0 * chance


def test_taste_strength_zero_removes_the_signal():
    data = generate_synthetic_data(400, 300, 12_000, seed=5, taste_strength=0.0)
    baseline = generate_synthetic_data(400, 300, 12_000, seed=5)
    assert _taste_match(data).mean() < _taste_match(baseline).mean() - 0.25


def test_ratings_follow_affinity(data):
    match = _taste_match(data)
    ratings = data.interactions["rating"].to_numpy()
    assert ratings[match].mean() > ratings[~match].mean() + 0.7


def test_demographics_correlate_with_taste_group(data):
    users = data.users
    table = pd.crosstab(users["occupation"], users["taste_group"])
    by_occupation = table.max(axis=1).sum() / len(users)  # accuracy of guessing the group from occupation
    majority = users["taste_group"].value_counts().max() / len(users)
    assert by_occupation > majority + 0.1
    ages = users.groupby("taste_group")["age"].mean()
    assert ages.max() - ages.min() > 10


def test_popularity_and_activity_are_long_tailed(data):
    item_degree = np.sort(data.interactions.groupby("item").size().to_numpy())[::-1]
    assert item_degree[: len(item_degree) // 10].sum() > 0.25 * item_degree.sum()
    activity = data.interactions.groupby("user").size()
    assert activity.quantile(0.99) > 4 * activity.median()


def test_generate_synthetic_returns_the_same_graph_as_its_tables():
    data = generate_synthetic_data(150, 120, 3_000, seed=1)
    graph = generate_synthetic(150, 120, 3_000, seed=1)
    assert graph.num_users == 150 and graph.num_edges == len(data.interactions)
    assert graph.node_name(0) == "user:1"
    assert {"title", "genres", "year"} <= set(graph.items.columns)
    assert {"age", "gender", "occupation", "taste_group"} <= set(graph.users.columns)


@pytest.mark.parametrize("num_items", [120, 5_000])  # 5,000 items for 600 interactions leaves most unused
def test_to_graph_equals_building_from_the_tables(num_items):
    data = generate_synthetic_data(100, num_items, 600, seed=2)
    direct = data.to_graph()
    built = InteractionGraph.from_frame(data.interactions, users=data.users, items=data.items, name="synthetic")
    assert direct.num_items == built.num_items and direct.num_users == built.num_users
    for field in ("user", "item", "ratings", "timestamps"):
        assert np.array_equal(getattr(direct, field), getattr(built, field))
    pd.testing.assert_frame_equal(direct.items, built.items)
    pd.testing.assert_frame_equal(direct.users, built.users)
    assert direct.report.notes == built.report.notes


def test_bundled_sample_is_what_the_documented_command_generates():
    """sample_data/README.md's command: 1000 users, 1000 items, 50000 interactions, 8 groups, seed 0."""
    regenerated = generate_synthetic_data(1000, 1000, 50_000, seed=0, num_taste_groups=8)
    stored = pd.read_csv(SAMPLE_DATA / "synthetic" / "interactions.csv")
    pd.testing.assert_frame_equal(stored, regenerated.interactions, check_dtype=False)
    items = pd.read_csv(SAMPLE_DATA / "synthetic" / "items.csv")
    assert items["title"].tolist() == regenerated.items["title"].tolist()


def test_load_dataset_synthetic_is_cached():
    graph = load_dataset("synthetic")
    assert load_dataset("synthetic") is graph
    assert graph.num_users == 1000 and graph.num_items == 1000 and graph.num_edges > 49_000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_interactions": 10}, "num_interactions must lie in"),
        ({"num_interactions": 10_000_000}, "num_interactions must lie in"),
        ({"num_items": 5}, ">= 20 items"),
        ({"num_taste_groups": 13}, "num_taste_groups"),
        ({"taste_strength": 1.5}, "taste_strength"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    arguments = {"num_users": 100, "num_items": 100, "num_interactions": 2_000, **kwargs}
    with pytest.raises(ValueError, match=message):
        generate_synthetic_data(**arguments)

"""A synthetic user–item dataset with planted structure, for offline demos and tests.

Users belong to *taste groups*; each group likes a few of twelve named genres, and a user also has one
favourite genre among them. Items carry one to three genres, a release year and a readable generated
title. An interaction is drawn either from the user's tastes (items whose genres overlap the group's,
weighted by item popularity, with the favourite genre boosted) or, with probability ``1 - taste_strength``,
from global popularity alone. Popularity and activity follow power laws, ratings follow affinity, and
demographics (age, gender, occupation) correlate with the taste group — so a GNN has collaborative and
metadata signal to find, while the noise draws and overlapping groups keep the task from being trivial.

Everything is vectorised with NumPy: each round of draws is one ``searchsorted`` over the chained CDFs of
every (group, favourite genre) pair, and repeated (user, item) draws are replaced in a few further rounds
rather than rejected one by one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from engine.datasets.titles import unique_titles
from engine.graph import InteractionGraph, LoadReport

GENRES = (
    "Action", "Adventure", "Animation", "Comedy", "Crime", "Documentary", "Drama", "Fantasy", "Horror", "Romance",
    "Sci-Fi", "Thriller",
)  # fmt: skip
OCCUPATIONS = (
    "student", "engineer", "artist", "teacher", "healthcare", "sales", "scientist", "writer", "retired", "other",
)  # fmt: skip
_TIME_START = 1_420_070_400  # 2015-01-01 UTC
_TIME_END = 1_735_603_200  # 2024-12-31 UTC
_MIN_INTERACTIONS_PER_USER = 5
_MAX_ACTIVITY_FRACTION = 0.3  # no user interacts with more than this share of the catalogue
_DRAW_ROUNDS = 10  # rounds of affinity draws before the uniform top-up
_UNIFORM_ROUNDS = 40


@dataclass
class SyntheticData:
    """The generated tables plus the planted ground truth.

    Attributes:
        interactions (pd.DataFrame): ``user``, ``item`` (raw ids starting at 1), ``rating`` (1..5), ``timestamp``.
        items (pd.DataFrame): ``item_id``, ``title``, ``genres`` (``"A|B"``), ``year``.
        users (pd.DataFrame): ``user_id``, ``age``, ``gender``, ``occupation``, ``taste_group``.
        group_genres (list[tuple[str, ...]]): The genres each taste group likes, indexed by ``taste_group``.
    """

    interactions: pd.DataFrame
    items: pd.DataFrame
    users: pd.DataFrame
    group_genres: list[tuple[str, ...]]

    def write(self, folder: Path) -> list[Path]:
        """Write ``interactions.csv``, ``items.csv`` and ``users.csv`` (the ``csv:PATH`` format) to ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / "interactions.csv", folder / "items.csv", folder / "users.csv"]
        for table, path in zip((self.interactions, self.items, self.users), paths, strict=True):
            table.to_csv(path, index=False)
        return paths

    def to_graph(self, name: str = "synthetic") -> InteractionGraph:
        """The graph ``InteractionGraph.from_frame`` builds from these tables, built directly for speed.

        Ids are already dense and the pairs unique, so only items nobody interacted with need removing
        (noted in the report, as ``from_frame`` does).
        """
        user = self.interactions["user"].to_numpy() - 1
        item = self.interactions["item"].to_numpy() - 1
        report = LoadReport(source=name, rows_read=len(self.interactions))
        used = np.bincount(item, minlength=len(self.items)) > 0
        items = self.items
        if not used.all():
            report.notes.append(f"{int((~used).sum())} items in the metadata have no interactions (left out)")
            item = (np.cumsum(used) - 1)[item]
            items = items[used].reset_index(drop=True)
        return InteractionGraph(
            user,
            item,
            len(self.users),
            len(items),
            ratings=self.interactions["rating"].to_numpy(),
            timestamps=self.interactions["timestamp"].to_numpy(),
            users=self.users,
            items=items,
            name=name,
            report=report,
        )


def generate_synthetic(
    num_users: int,
    num_items: int,
    num_interactions: int,
    seed: int = 0,
    num_taste_groups: int = 8,
    taste_strength: float = 0.8,
    popularity_exponent: float = 0.8,
    activity_shape: float = 1.5,
) -> InteractionGraph:
    """Generate a synthetic dataset as an :class:`InteractionGraph` (see :func:`generate_synthetic_data`)."""
    data = generate_synthetic_data(
        num_users,
        num_items,
        num_interactions,
        seed=seed,
        num_taste_groups=num_taste_groups,
        taste_strength=taste_strength,
        popularity_exponent=popularity_exponent,
        activity_shape=activity_shape,
    )
    return data.to_graph()


def generate_synthetic_data(
    num_users: int,
    num_items: int,
    num_interactions: int,
    seed: int = 0,
    num_taste_groups: int = 8,
    taste_strength: float = 0.8,
    popularity_exponent: float = 0.8,
    activity_shape: float = 1.5,
) -> SyntheticData:
    """Generate users, items and interactions with planted taste groups.

    Args:
        num_users (int): Number of users; every one gets at least five interactions.
        num_items (int): Number of items (catalogue size).
        num_interactions (int): Number of unique (user, item) interactions.
        seed (int): Random seed; equal arguments give identical data. (default: ``0``)
        num_taste_groups (int): Number of taste groups, at most 12. (default: ``8``)
        taste_strength (float): Probability that an interaction follows the user's tastes rather than
            global popularity. (default: ``0.8``)
        popularity_exponent (float): Zipf exponent of item popularity. (default: ``0.8``)
        activity_shape (float): Pareto shape of user activity; smaller means heavier-tailed. (default: ``1.5``)
    """
    _check_arguments(num_users, num_items, num_interactions, num_taste_groups, taste_strength)
    rng = np.random.default_rng(seed)
    num_genres = len(GENRES)

    group_genres = _taste_groups(rng, num_taste_groups)  # (G, 12) bool
    item_genres = _item_genres(rng, num_items)  # (I, 12) bool
    popularity = (rng.permutation(num_items) + 10.0) ** -popularity_exponent  # (I,)
    quality = rng.normal(0.0, 0.5, num_items)  # (I,) item-level rating offset

    group_of_user = rng.choice(num_taste_groups, size=num_users, p=rng.dirichlet(np.full(num_taste_groups, 4.0)))
    favourite = _favourite_genres(rng, group_genres, group_of_user)  # (U,) genre index
    activity = _activity(rng, num_users, num_items, num_interactions, activity_shape)  # (U,)

    # One sampling distribution per (group, favourite genre): popularity times genre overlap, favourite boosted;
    # plus global popularity as the last row. Row r's CDF is shifted to [r, r + 1] and all rows are chained,
    # so a draw for row r is one ``searchsorted`` of ``r + uniform`` in the chained array, for all users at once.
    overlap = item_genres.astype(np.float64) @ group_genres.T.astype(np.float64)  # (I, G)
    pair = group_of_user * num_genres + favourite  # (U,)
    pairs = np.unique(pair)
    weights = np.empty((len(pairs) + 1, num_items))  # (P + 1, I)
    for row, code in enumerate(pairs):
        group, genre = divmod(int(code), num_genres)
        weights[row] = popularity * (overlap[:, group] + 2.0 * item_genres[:, genre]) * (overlap[:, group] > 0)
    weights[-1] = popularity
    chained_cdf = (np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)).clip(max=1.0)  # (P + 1, I)
    chained_cdf = (chained_cdf + np.arange(len(pairs) + 1)[:, None]).ravel()
    pair_row = np.searchsorted(pairs, pair)  # (U,)

    def draw(users: np.ndarray) -> np.ndarray:
        row = np.where(rng.random(len(users)) < taste_strength, pair_row[users], len(pairs))  # noise: last row
        slot = np.searchsorted(chained_cdf, row + rng.random(len(users)), side="right")
        return np.minimum(slot - row * num_items, num_items - 1)

    user, item = _unique_draws(rng, activity, num_items, draw)

    group = group_of_user[user]
    match = overlap[item, group] / item_genres.sum(axis=1)[item]  # share of the item's genres the user likes
    likes_favourite = item_genres[item, favourite[user]]
    user_bias = rng.normal(0.0, 0.4, num_users)
    score = 2.6 + 1.2 * match + 0.6 * likes_favourite + quality[item] + user_bias[user]
    rating = np.clip(np.rint(score + rng.normal(0.0, 0.6, len(user))), 1, 5).astype(np.int64)

    start = rng.integers(_TIME_START, _TIME_END - 365 * 86_400, num_users)
    span = rng.exponential(3 * 365 * 86_400, num_users) + 86_400
    timestamp = np.minimum(start[user] + rng.random(len(user)) * span[user], _TIME_END).astype(np.int64)

    interactions = pd.DataFrame({"user": user + 1, "item": item + 1, "rating": rating, "timestamp": timestamp})
    items = pd.DataFrame(
        {
            "item_id": np.arange(1, num_items + 1),
            "title": unique_titles(rng, num_items),
            "genres": _genre_strings(item_genres),
            "year": np.clip(2024 - np.floor(rng.exponential(14.0, num_items)), 1930, 2024).astype(np.int64),
        }
    )
    users = pd.DataFrame({"user_id": np.arange(1, num_users + 1), **_demographics(rng, group_of_user)})
    users["taste_group"] = group_of_user
    names = [tuple(GENRES[g] for g in np.flatnonzero(row)) for row in group_genres]
    return SyntheticData(interactions, items, users, names)


def _check_arguments(
    num_users: int, num_items: int, num_interactions: int, num_taste_groups: int, taste_strength: float
) -> None:
    if num_users < 1 or num_items < 20:
        raise ValueError(f"synthetic data needs >= 1 user and >= 20 items (got {num_users} users, {num_items} items)")
    low = num_users * _MIN_INTERACTIONS_PER_USER
    high = int(num_users * num_items * _MAX_ACTIVITY_FRACTION)
    if not low <= num_interactions <= high:
        raise ValueError(
            f"num_interactions must lie in [{low}, {high}] for {num_users} users x {num_items} items "
            f"(>= {_MIN_INTERACTIONS_PER_USER} per user, <= {_MAX_ACTIVITY_FRACTION:.0%} of the catalogue each); "
            f"got {num_interactions}"
        )
    if not 1 <= num_taste_groups <= len(GENRES):
        raise ValueError(f"num_taste_groups must lie in [1, {len(GENRES)}] (got {num_taste_groups})")
    if not 0.0 <= taste_strength <= 1.0:
        raise ValueError(f"taste_strength must lie in [0, 1] (got {taste_strength})")


def _taste_groups(rng: np.random.Generator, num_groups: int) -> np.ndarray:
    """Each group likes a distinct anchor genre plus one or two others, so groups overlap but differ."""
    liked = np.zeros((num_groups, len(GENRES)), dtype=bool)
    anchors = rng.permutation(len(GENRES))[:num_groups]
    for group, anchor in enumerate(anchors):
        liked[group, anchor] = True
        others = rng.permutation(np.delete(np.arange(len(GENRES)), anchor))[: rng.integers(1, 3)]
        liked[group, others] = True
    return liked


def _item_genres(rng: np.random.Generator, num_items: int) -> np.ndarray:
    """One to three distinct genres per item (weights 50/35/15%)."""
    counts = rng.choice([1, 2, 3], size=num_items, p=[0.5, 0.35, 0.15])  # (I,)
    # The first ``count`` columns of a per-item random permutation are that item's genres.
    first_three = np.argsort(rng.random((num_items, len(GENRES))), axis=1)[:, :3]  # (I, 3)
    keep = np.arange(3)[None, :] < counts[:, None]  # (I, 3)
    rows = np.broadcast_to(np.arange(num_items)[:, None], keep.shape)[keep]
    genres = np.zeros((num_items, len(GENRES)), dtype=bool)
    genres[rows, first_three[keep]] = True
    return genres


def _favourite_genres(rng: np.random.Generator, group_genres: np.ndarray, group_of_user: np.ndarray) -> np.ndarray:
    liked = group_genres[group_of_user]  # (U, 12)
    keys = np.where(liked, rng.random(liked.shape), -1.0)
    return keys.argmax(axis=1)


def _activity(rng: np.random.Generator, num_users: int, num_items: int, total: int, shape: float) -> np.ndarray:
    """Interactions per user: Pareto-distributed, at least the minimum, capped, summing to ``total``."""
    cap = max(_MIN_INTERACTIONS_PER_USER, int(num_items * _MAX_ACTIVITY_FRACTION))
    raw = rng.pareto(shape, num_users) + 1.0
    extra = total - num_users * _MIN_INTERACTIONS_PER_USER
    counts = np.full(num_users, _MIN_INTERACTIONS_PER_USER, dtype=np.int64)
    while extra > 0 and (counts < cap).any():  # water-filling: redistribute what the cap cuts off
        share = np.where(counts < cap, raw, 0.0)
        share = share / share.sum() * extra
        add = np.minimum(np.floor(share).astype(np.int64), cap - counts)
        if add.sum() == 0:  # less than one each is left: one more for the heaviest open users
            add[np.argsort(-share, kind="stable")[:extra]] = 1
        counts += add
        extra -= int(add.sum())
    return counts


def _unique_draws(
    rng: np.random.Generator, activity: np.ndarray, num_items: int, draw
) -> tuple[np.ndarray, np.ndarray]:
    """Draw items per user until each user has exactly ``activity[u]`` distinct items.

    Each round draws as many items as a user still lacks and discards repeats, so nobody overshoots.
    Popularity-weighted draws repeat more and more as a heavy user's tastes fill up, so the last rounds
    complete the few remaining slots with uniformly drawn items (long-tail exploration).
    """
    num_users = len(activity)
    keys = np.empty(0, dtype=np.int64)  # user * num_items + item, sorted and unique
    deficit = activity.copy()
    for attempt in range(_DRAW_ROUNDS + _UNIFORM_ROUNDS):
        if not deficit.any():
            break
        users = np.repeat(np.arange(num_users), deficit)
        items = draw(users) if attempt < _DRAW_ROUNDS else rng.integers(0, num_items, len(users))
        fresh = np.sort(users * num_items + items)
        fresh = fresh[np.concatenate([[True], fresh[1:] != fresh[:-1]])]  # sort-based unique; numpy's hash is slower
        if len(keys):
            known = keys[np.minimum(np.searchsorted(keys, fresh), len(keys) - 1)] == fresh
            fresh = fresh[~known]
        deficit -= np.bincount(fresh // num_items, minlength=num_users)
        keys = np.sort(np.concatenate([keys, fresh]), kind="stable")  # merges two sorted runs in linear time
    return keys // num_items, keys % num_items


def _genre_strings(item_genres: np.ndarray) -> np.ndarray:
    names = np.array(GENRES, dtype=object)
    joined = np.full(len(item_genres), "", dtype=object)
    for column, name in enumerate(names):
        has = item_genres[:, column]
        joined[has] = np.where(joined[has] == "", name, joined[has] + "|" + name)
    return joined


def _demographics(rng: np.random.Generator, group_of_user: np.ndarray) -> dict[str, np.ndarray]:
    """Age, gender and occupation drawn from per-group distributions, so they correlate with taste."""
    num_groups = int(group_of_user.max()) + 1
    age_mean = rng.uniform(19.0, 58.0, num_groups)
    female_share = rng.uniform(0.15, 0.85, num_groups)
    occupation_cdf = np.cumsum(rng.dirichlet(np.full(len(OCCUPATIONS), 0.4), num_groups), axis=1)  # (G, O)
    count = len(group_of_user)
    age = np.clip(np.rint(rng.normal(age_mean[group_of_user], 7.0)), 13, 80).astype(np.int64)
    gender = np.where(rng.random(count) < female_share[group_of_user], "F", "M").astype(object)
    picks = (rng.random(count)[:, None] > occupation_cdf[group_of_user]).sum(axis=1)
    occupation = np.array(OCCUPATIONS, dtype=object)[np.minimum(picks, len(OCCUPATIONS) - 1)]
    return {"age": age, "gender": gender, "occupation": occupation}

"""Split invariants: no leakage, disjointness, per-user ratios, determinism, train-only users, filters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.datasets import generate_synthetic
from engine.graph import InteractionGraph
from engine.preprocess import filter_edges, k_core_mask
from engine.splits import RATIO_SPLITS, split_interactions


@pytest.fixture(scope="module")
def graph() -> InteractionGraph:
    return generate_synthetic(150, 120, 3_000, seed=2)


def _keys(user: np.ndarray, item: np.ndarray, num_items: int) -> np.ndarray:
    return np.asarray(user, dtype=np.int64) * num_items + np.asarray(item, dtype=np.int64)


def _tiny(degrees: list[int], timestamps: bool = True) -> InteractionGraph:
    """Users with the given degrees; user u's j-th item is item j, rated (j % 5) + 1 at time 1000 * j + u."""
    rows = [(u, j) for u, degree in enumerate(degrees) for j in range(degree)]
    frame = pd.DataFrame(rows, columns=["user", "item"])
    frame["rating"] = (frame["item"] % 5 + 1).astype(float)
    if timestamps:
        frame["timestamp"] = 1000 * frame["item"] + frame["user"]
    return InteractionGraph.from_frame(frame, name="tiny")


@pytest.mark.parametrize("method", RATIO_SPLITS)
@pytest.mark.parametrize("val_ratio", [0.0, 0.1])
def test_train_val_test_are_disjoint_and_never_leak(graph, method, val_ratio):
    split = split_interactions(graph, method=method, test_ratio=0.2, val_ratio=val_ratio, seed=0)
    train = set(_keys(split.train.user, split.train.item, graph.num_items))
    test = _keys(split.test_user, split.test_item, graph.num_items)
    val = _keys(split.val_user, split.val_item, graph.num_items)
    assert len(set(test)) == len(test) and len(set(val)) == len(val)
    assert not train & set(test) and not train & set(val) and not set(test) & set(val)
    everything = set(_keys(graph.user, graph.item, graph.num_items))
    assert train | set(test) | set(val) <= everything
    dropped = split.report["held_out_without_train_dropped"]
    assert len(train) + len(test) + len(val) + dropped == graph.num_edges
    assert len(test) > 0 and (len(val) > 0) == (val_ratio > 0)


@pytest.mark.parametrize("method", RATIO_SPLITS)
def test_every_evaluated_user_keeps_a_training_interaction(graph, method):
    split = split_interactions(graph, method=method, val_ratio=0.1, seed=1)
    train_degree = split.train.user_degree()
    assert (train_degree[split.test_user] >= 1).all()
    assert (train_degree[split.val_user] >= 1).all()
    assert split.train.num_users == graph.num_users and split.train.num_items == graph.num_items


@pytest.mark.parametrize("ratio", [0.1, 0.2, 0.5])
def test_random_holdout_ratio_per_user_within_rounding(graph, ratio):
    split = split_interactions(graph, test_ratio=ratio, seed=0)
    degree = graph.user_degree()
    held = np.bincount(split.test_user, minlength=graph.num_users)
    expected = np.clip(np.floor(degree * ratio + 0.5), 1, degree - 1)
    assert np.array_equal(held[degree >= 2], expected[degree >= 2])
    assert (np.abs(held / degree - ratio) <= np.maximum(1.0 / degree, 0.5 / degree + 1e-9))[degree >= 2].all()


@pytest.mark.parametrize("method", RATIO_SPLITS)
def test_same_seed_same_split_other_seed_other_split(graph, method):
    first = split_interactions(graph, method=method, val_ratio=0.1, seed=7)
    again = split_interactions(graph, method=method, val_ratio=0.1, seed=7)
    assert np.array_equal(first.test_user, again.test_user) and np.array_equal(first.test_item, again.test_item)
    assert np.array_equal(first.val_item, again.val_item)
    assert first.report == again.report
    if method == "random":
        other = split_interactions(graph, method=method, val_ratio=0.1, seed=8)
        assert not np.array_equal(first.test_item, other.test_item)


@pytest.mark.parametrize("method", ["random", "leave-one-out"])
def test_single_interaction_users_stay_train_only_and_are_counted(method):
    tiny = _tiny([1, 1, 1, 4, 6, 10])
    split = split_interactions(tiny, method=method, seed=0)
    assert split.report["single_interaction_users"] == 3
    assert split.report["train_only_users"] == 3
    assert not np.isin(split.test_user, [0, 1, 2]).any()
    assert (split.train.user_degree()[:3] == 1).all()
    assert set(split.test_user.tolist()) == {3, 4, 5}


def test_leave_one_out_holds_out_the_latest_interaction_and_the_second_latest_for_validation():
    tiny = _tiny([3, 5, 8])
    split = split_interactions(tiny, method="leave-one-out", val_ratio=0.1, seed=0)
    latest = {0: 2, 1: 4, 2: 7}  # item j is the user's j-th interaction in time
    assert dict(zip(split.test_user.tolist(), split.test_item.tolist(), strict=True)) == latest
    assert dict(zip(split.val_user.tolist(), split.val_item.tolist(), strict=True)) == {0: 1, 1: 3, 2: 6}


def test_leave_one_out_without_timestamps_holds_out_one_random_interaction():
    tiny = _tiny([3, 5, 8], timestamps=False)
    split = split_interactions(tiny, method="leave-one-out", seed=0)
    assert np.bincount(split.test_user).tolist() == [1, 1, 1]


def test_temporal_split_tests_on_the_future(graph):
    split = split_interactions(graph, method="temporal", test_ratio=0.2, val_ratio=0.1, seed=0)
    time = pd.Series(graph.timestamps, index=_keys(graph.user, graph.item, graph.num_items))
    test_times = time.loc[_keys(split.test_user, split.test_item, graph.num_items)]
    val_times = time.loc[_keys(split.val_user, split.val_item, graph.num_items)]
    assert split.train.timestamps.max() <= val_times.min() <= val_times.max() <= test_times.min()


def test_temporal_split_needs_timestamps():
    with pytest.raises(ValueError, match="temporal split needs timestamps.*'random'"):
        split_interactions(_tiny([3, 4], timestamps=False), method="temporal")


@pytest.mark.parametrize("ratio", [0.0, 1.0, -0.2, 1.5])
def test_test_ratio_outside_open_unit_interval_is_refused(graph, ratio):
    with pytest.raises(ValueError, match=rf"test_ratio must lie strictly between 0 and 1 \(got {ratio}\)"):
        split_interactions(graph, test_ratio=ratio)


@pytest.mark.parametrize(("val_ratio", "message"), [(-0.1, "val_ratio must lie in"), (0.8, "must stay below 1")])
def test_bad_validation_ratio_is_refused(graph, val_ratio, message):
    with pytest.raises(ValueError, match=message):
        split_interactions(graph, test_ratio=0.2, val_ratio=val_ratio)


def test_unknown_method_lists_the_known_ones(graph):
    with pytest.raises(ValueError, match="unknown split method 'chronological'; use one of random, leave-one-out"):
        split_interactions(graph, method="chronological")


def test_rating_threshold_keeps_only_liked_interactions(graph):
    split = split_interactions(graph, min_rating=4, seed=0)
    kept = set(_keys(graph.user, graph.item, graph.num_items)[graph.ratings >= 4])
    assert (split.train.ratings >= 4).all()
    assert set(_keys(split.test_user, split.test_item, graph.num_items)) <= kept
    assert split.report["filtered_out"] == int((graph.ratings < 4).sum())
    assert graph.report.rows_dropped == 0  # the dataset's own report is left alone


def test_rating_threshold_without_ratings_says_so():
    frame = pd.DataFrame({"user": [1, 1, 2], "item": [1, 2, 1]})
    with pytest.raises(ValueError, match="needs ratings"):
        split_interactions(InteractionGraph.from_frame(frame, name="plain"), min_rating=4)


def test_k_core_leaves_every_user_and_item_with_at_least_k_edges(graph):
    keep = k_core_mask(graph, 10)
    users = np.bincount(graph.user[keep], minlength=graph.num_users)
    items = np.bincount(graph.item[keep], minlength=graph.num_items)
    assert ((users == 0) | (users >= 10)).all() and ((items == 0) | (items >= 10)).all()
    assert 0 < keep.sum() < graph.num_edges
    filtered = filter_edges(graph, k_core=10)
    assert filtered.num_edges == keep.sum() and filtered.num_users == graph.num_users
    assert filtered.report.dropped == {"outside the 10-core": int((~keep).sum())}


def test_k_core_is_iterative():
    """A 2-core: the chain u0-i0, u0-i1, u1-i1, u1-i2, u2-i2 peels away edge by edge; the 2x2 block stays."""
    chain = [(0, 0), (0, 1), (1, 1), (1, 2), (2, 2)]
    block = [(3, 3), (3, 4), (4, 3), (4, 4)]
    graph = InteractionGraph.from_frame(pd.DataFrame(chain + block, columns=["user", "item"]), name="chain")
    one_pass = (graph.user_degree()[graph.user] >= 2) & (graph.item_degree()[graph.item] >= 2)
    assert one_pass[:5].any()  # a single pass would keep part of the chain
    assert k_core_mask(graph, 2).tolist() == [False] * 5 + [True] * 4
    with pytest.raises(ValueError, match="'k' must be >= 0"):
        k_core_mask(graph, -1)


@pytest.mark.parametrize("method", ["random", "leave-one-out"])
def test_the_validation_slice_comes_out_of_training_and_leaves_the_test_set_alone(graph, method):
    """A validation-selected run and a test-selected one on the same seed are tested on the same interactions
    (per-user methods; a temporal cut can leave a user no training edge before the validation window, whose test
    edges are then dropped and counted)."""
    without = split_interactions(graph, method=method, test_ratio=0.2, val_ratio=0.0, seed=4)
    with_val = split_interactions(graph, method=method, test_ratio=0.2, val_ratio=0.1, seed=4)
    assert np.array_equal(
        np.sort(_keys(without.test_user, without.test_item, graph.num_items)),
        np.sort(_keys(with_val.test_user, with_val.test_item, graph.num_items)),
    )
    train_without = set(_keys(without.train.user, without.train.item, graph.num_items).tolist())
    train_with = set(_keys(with_val.train.user, with_val.train.item, graph.num_items).tolist())
    val = set(_keys(with_val.val_user, with_val.val_item, graph.num_items).tolist())
    assert val and train_with | val == train_without and not train_with & val

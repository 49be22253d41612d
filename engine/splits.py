"""Train/validation/test splits of an interaction graph.

``random`` is the per-user holdout of NGCF and LightGCN (Wang et al. 2019; He et al. 2020): each user's
interactions are shuffled and ``test_ratio`` of them held out. ``leave-one-out`` holds out each user's latest
interaction (random when the data has no timestamps). ``temporal`` cuts the whole log at a point in time, so the
test set is the future of the training set. ``fixed`` keeps the split the dataset came with (the LightGCN
benchmarks' ``train.txt``/``test.txt``, :attr:`InteractionGraph.held_out`), so published tables can be compared
like for like; it has no validation slice. In every method a user with a single interaction stays train-only,
and every user evaluated keeps at least one training interaction; both are counted in :attr:`Split.report`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.graph import InteractionGraph
from engine.preprocess import filter_edges

RATIO_SPLITS = ("random", "leave-one-out", "temporal")  # the splits any dataset takes
SPLIT_METHODS = (*RATIO_SPLITS, "fixed")  # "fixed": the dataset's own split, for a dataset that has one
_TRAIN, _VAL, _TEST, _DROPPED = 0, 1, 2, 3  # role of an edge


@dataclass
class Split:
    """A split of one dataset; all ids are internal ids of the full graph.

    Attributes:
        train (InteractionGraph): Same users and items as the dataset, training edges only.
        test_user (np.ndarray): User of every test interaction, ``(T,)`` int64.
        test_item (np.ndarray): Item of every test interaction, ``(T,)`` int64.
        val_user (np.ndarray): User of every validation interaction, ``(V,)`` int64 (empty without validation).
        val_item (np.ndarray): Item of every validation interaction, ``(V,)`` int64.
        report (dict): Method, sizes, filtered and train-only counts — everything needed to explain the split.
    """

    train: InteractionGraph
    test_user: np.ndarray
    test_item: np.ndarray
    val_user: np.ndarray
    val_item: np.ndarray
    report: dict


def split_interactions(
    graph: InteractionGraph,
    method: str = "random",
    test_ratio: float = 0.2,
    val_ratio: float = 0.0,
    seed: int = 0,
    *,
    min_rating: float | None = None,
    k_core: int = 0,
) -> Split:
    """Split a graph's interactions into train, validation and test.

    Args:
        graph (InteractionGraph): The full dataset.
        method (str): ``"random"``, ``"leave-one-out"``, ``"temporal"`` or ``"fixed"`` (the dataset's own split;
            only for a dataset that has one, and the only split such a dataset takes). (default: ``"random"``)
        test_ratio (float): Share held out for test, in (0, 1); per user for ``random``, of the whole log for
            ``temporal``; ignored by ``leave-one-out`` (one interaction per user) and ``fixed``. (default: ``0.2``)
        val_ratio (float): Share held out for validation, in [0, 1), taken like the test share (``fixed``: from each
            user's training edges, the dataset's test set untouched);
            ``leave-one-out`` holds out the second-latest interaction when it is above 0. (default: ``0.0``)
        seed (int): Random seed; equal arguments give identical splits. (default: ``0``)
        min_rating (float, optional): Keep only interactions rated at least this (implicit feedback).
            (default: ``None``)
        k_core (int): Drop users and items with fewer than ``k_core`` interactions, repeatedly. (default: ``0``)
    """
    _check(method, test_ratio, val_ratio)
    _check_fixed(graph, method, val_ratio)
    filtered = filter_edges(graph, min_rating=min_rating, k_core=k_core)
    rng = np.random.default_rng(seed)
    if method == "fixed":
        role = np.where(filtered.held_out, _TEST, _TRAIN).astype(np.int8)
        if val_ratio > 0:
            role = _fixed_validation(filtered, role, val_ratio, rng)
    elif method == "temporal":
        role = _temporal_roles(filtered, test_ratio, val_ratio, rng)
    else:
        role = _per_user_roles(filtered, method, test_ratio, val_ratio, rng)

    # A user left without a training edge cannot be evaluated: their held-out edges are dropped, and counted.
    has_train = np.bincount(filtered.user[role == _TRAIN], minlength=graph.num_users) > 0
    orphaned = (role != _TRAIN) & ~has_train[filtered.user]
    role[orphaned] = _DROPPED

    degree = np.bincount(filtered.user, minlength=graph.num_users)
    test, val = role == _TEST, role == _VAL
    test_users = np.unique(filtered.user[test])
    report = {
        "method": method,
        "seed": seed,
        "test_ratio": test_ratio,
        "val_ratio": val_ratio,
        "min_rating": min_rating,
        "k_core": k_core,
        "interactions": graph.num_edges,
        "filtered_out": filtered.report.rows_dropped - graph.report.rows_dropped,
        "train_interactions": int((role == _TRAIN).sum()),
        "val_interactions": int(val.sum()),
        "test_interactions": int(test.sum()),
        "test_users": len(test_users),
        "single_interaction_users": int((degree == 1).sum()),
        "train_only_users": int(((degree > 0) & ~np.isin(np.arange(graph.num_users), test_users)).sum()),
        "held_out_without_train_dropped": int(orphaned.sum()),
    }
    return Split(
        train=filtered.with_edges(role == _TRAIN, name=f"{graph.name} (train)"),
        test_user=filtered.user[test],
        test_item=filtered.item[test],
        val_user=filtered.user[val],
        val_item=filtered.item[val],
        report=report,
    )


def _check(method: str, test_ratio: float, val_ratio: float) -> None:
    if method not in SPLIT_METHODS:
        raise ValueError(f"unknown split method {method!r}; use one of {', '.join(SPLIT_METHODS)}")
    if not 0.0 < test_ratio < 1.0:
        raise ValueError(f"test_ratio must lie strictly between 0 and 1 (got {test_ratio}); e.g. 0.2 for 80/20")
    if not 0.0 <= val_ratio < 1.0:
        raise ValueError(f"val_ratio must lie in [0, 1) (got {val_ratio}); use 0 for no validation slice")
    if method != "leave-one-out" and test_ratio + val_ratio >= 1.0:
        raise ValueError(
            f"test_ratio + val_ratio must stay below 1 to leave training data (got {test_ratio} + {val_ratio})"
        )


def _fixed_validation(
    graph: InteractionGraph, role: np.ndarray, val_ratio: float, rng: np.random.Generator
) -> np.ndarray:
    """A dataset's own split with a validation slice carved from each user's training edges (``val_ratio`` of them,
    at random, at least one when the user has two, always leaving one for training); the test set is untouched."""
    train = np.flatnonzero(role == _TRAIN)  # (T,)
    users = graph.user[train]
    degree = np.bincount(users, minlength=graph.num_users)  # (U,) training edges per user
    order = train[np.lexsort((rng.random(train.size), users))]  # grouped by user, random within
    starts = np.concatenate([[0], np.cumsum(degree)[:-1]])
    rank = np.arange(order.size) - starts[graph.user[order]]
    wanted = np.where(degree >= 2, np.clip(_round_half_up(degree * val_ratio), 1, np.maximum(degree - 1, 1)), 0)
    role = role.copy()
    role[order[rank < wanted[graph.user[order]]]] = _VAL
    return role


def _check_fixed(graph: InteractionGraph, method: str, val_ratio: float) -> None:
    """A dataset with its own split takes only ``fixed``, and ``fixed`` only such a dataset."""
    if method == "fixed" and graph.held_out is None:
        raise ValueError(
            f"split 'fixed' keeps a dataset's own train/test split, but dataset {graph.name!r} has none; use "
            "'random', 'leave-one-out' or 'temporal'"
        )
    if method != "fixed" and graph.held_out is not None:
        raise ValueError(
            f"dataset {graph.name!r} comes with its own train/test split; use split 'fixed' (--split fixed) so its "
            f"test set is the published one (got {method!r})"
        )


def _round_half_up(values: np.ndarray) -> np.ndarray:
    return np.floor(values + 0.5).astype(np.int64)


def _per_user_roles(
    graph: InteractionGraph, method: str, test_ratio: float, val_ratio: float, rng: np.random.Generator
) -> np.ndarray:
    """Role of every edge when each user's edges are ranked: random order, or latest first."""
    degree = graph.user_degree()  # (U,)
    tiebreak = rng.random(graph.num_edges)
    if method == "leave-one-out" and graph.timestamps is not None:
        order = np.lexsort((tiebreak, -graph.timestamps, graph.user))  # latest first within each user
    else:
        order = np.lexsort((tiebreak, graph.user))
    rank = np.empty(graph.num_edges, dtype=np.int64)
    rank[order] = np.arange(graph.num_edges) - graph.user_csr.indptr[graph.user[order]]  # 0 = first held out

    if method == "leave-one-out":
        num_test = (degree >= 2).astype(np.int64)
        num_val = ((degree >= 3) & (val_ratio > 0)).astype(np.int64)
    else:
        num_test = np.where(degree >= 2, np.clip(_round_half_up(degree * test_ratio), 1, degree - 1), 0)
        room = degree - num_test - 1  # edges that can go to validation while one stays in training
        wanted = np.clip(_round_half_up(degree * val_ratio), 1, None) if val_ratio > 0 else np.zeros_like(degree)
        num_val = np.clip(np.minimum(wanted, room), 0, None)

    role = np.full(graph.num_edges, _TRAIN, dtype=np.int8)
    user_test = num_test[graph.user]
    role[rank < user_test] = _TEST
    role[(rank >= user_test) & (rank < user_test + num_val[graph.user])] = _VAL
    return role


def _temporal_roles(
    graph: InteractionGraph, test_ratio: float, val_ratio: float, rng: np.random.Generator
) -> np.ndarray:
    """The latest ``test_ratio`` of the log is test, the ``val_ratio`` before it validation."""
    if graph.timestamps is None:
        raise ValueError(
            f"temporal split needs timestamps, but dataset {graph.name!r} has none; use method 'random' or "
            "'leave-one-out'"
        )
    order = np.lexsort((rng.random(graph.num_edges), graph.timestamps))  # ties broken at random
    position = np.empty(graph.num_edges, dtype=np.int64)
    position[order] = np.arange(graph.num_edges)
    num_test = _round_half_up(np.array(graph.num_edges * test_ratio)).item()
    num_val = _round_half_up(np.array(graph.num_edges * val_ratio)).item()
    role = np.full(graph.num_edges, _TRAIN, dtype=np.int8)
    role[position >= graph.num_edges - num_test] = _TEST
    role[(position >= graph.num_edges - num_test - num_val) & (position < graph.num_edges - num_test)] = _VAL
    return role

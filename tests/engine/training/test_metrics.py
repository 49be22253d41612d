"""Ranking metrics against hand-computed examples.

Item embeddings are the identity, so a user's embedding row *is* its score vector and every expected value below
can be checked with pencil and paper.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from engine.training.metrics import compute_metrics, interactions_csr, ranking_metrics

L2, L3, L6 = 1.0, 1 / math.log2(3), 1 / math.log2(6)  # discounts of ranks 1, 2 and 5


def _case():
    scores = torch.tensor(
        [
            [5.0, 4.0, 3.0, 2.0, 1.0, 0.0],  # user 0: ranks items 0 > 1 > ... > 5
            [0.0, 1.0, 2.0, 3.0, 4.0, 5.0],  # user 1: the reverse
            [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],  # user 2: no held-out items, never evaluated
        ]
    )
    items = torch.eye(6)
    train = interactions_csr(np.array([0, 1, 2]), np.array([0, 5, 0]), num_users=3)
    test_user, test_item = np.array([0, 0, 1]), np.array([2, 5, 3])
    return scores, items, train, test_user, test_item


def test_hand_computed_example_at_two_cutoffs():
    scores, items, train, test_user, test_item = _case()
    metrics = compute_metrics(scores, items, train, test_user, test_item, ks=[2, 5])
    # user 0 ranks 1,2,3,4,5 (item 0 masked): hits at ranks 2 and 5 of 2 relevant items.
    # user 1 ranks 4,3,2,1,0 (item 5 masked): a hit at rank 2 of 1 relevant item, fewer test items than K.
    assert metrics["users"] == 2
    assert metrics["recall@2"] == pytest.approx((1 / 2 + 1) / 2)
    assert metrics["precision@2"] == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert metrics["hit@2"] == pytest.approx(1.0)
    assert metrics["ndcg@2"] == pytest.approx((L3 / (L2 + L3) + L3 / L2) / 2)
    assert metrics["recall@5"] == pytest.approx(1.0)
    assert metrics["precision@5"] == pytest.approx((2 / 5 + 1 / 5) / 2)
    assert metrics["ndcg@5"] == pytest.approx(((L3 + L6) / (L2 + L3) + L3 / L2) / 2)
    assert metrics["mrr"] == pytest.approx((1 / 2 + 1 / 2) / 2)
    assert metrics["coverage@2"] == pytest.approx(4 / 6)  # items 1, 2 (user 0) and 4, 3 (user 1)
    assert metrics["coverage@5"] == pytest.approx(6 / 6)


def test_cutoff_beyond_the_candidates_counts_empty_slots_as_misses():
    scores, items, train, test_user, test_item = _case()
    metrics = compute_metrics(scores, items, train, test_user, test_item, ks=[6])
    # five candidates each: slot 6 is empty; precision still divides by K
    assert metrics["precision@6"] == pytest.approx((2 / 6 + 1 / 6) / 2)
    assert metrics["recall@6"] == pytest.approx(1.0)
    assert metrics["coverage@6"] == pytest.approx(1.0)


def test_masked_items_never_appear_and_batching_does_not_change_results():
    scores, items, train, test_user, test_item = _case()
    whole = compute_metrics(scores, items, train, test_user, test_item, ks=[1, 3], batch_size=1024)
    one_by_one = compute_metrics(scores, items, train, test_user, test_item, ks=[1, 3], batch_size=1)
    assert whole == pytest.approx(one_by_one)
    assert whole["hit@1"] == 0.0  # the top item of both users is a training item, masked; rank 1 is a miss


def test_perfect_scores_give_ones():
    items = torch.eye(4)
    users = torch.tensor([[0.0, 0.0, 9.0, 8.0], [7.0, 0.0, 0.0, 0.0]])
    train = interactions_csr(np.array([0]), np.array([1]), num_users=2)
    metrics = compute_metrics(users, items, train, np.array([0, 0, 1]), np.array([2, 3, 0]), ks=[2])
    for key in ("ndcg@2", "hit@2", "mrr"):
        assert metrics[key] == pytest.approx(1.0), key
    assert metrics["recall@2"] == pytest.approx(1.0)
    assert metrics["precision@2"] == pytest.approx((1.0 + 0.5) / 2)  # user 1 has one relevant item of K=2


def test_ranking_metrics_takes_the_ideal_dcg_of_min_k_and_relevant():
    top = torch.tensor([[3, 0, 1]])
    relevant = torch.zeros(1, 5, dtype=torch.bool)
    relevant[0, [1, 2, 3, 4]] = True  # four relevant items, K = 3
    values = ranking_metrics(top, relevant, [3])
    assert float(values["ndcg@3"][0]) == pytest.approx((L2 + 0.5) / (L2 + L3 + 0.5))
    assert float(values["recall@3"][0]) == pytest.approx(2 / 4)


@pytest.mark.parametrize("ks", [[0], [-3], []])
def test_non_positive_cutoffs_are_refused(ks):
    scores, items, train, test_user, test_item = _case()
    with pytest.raises(ValueError, match="positive"):
        compute_metrics(scores, items, train, test_user, test_item, ks=ks)


def test_empty_held_out_set_is_refused():
    scores, items, train, _, _ = _case()
    with pytest.raises(ValueError, match="no held-out interactions"):
        compute_metrics(scores, items, train, np.array([], dtype=np.int64), np.array([], dtype=np.int64), ks=[5])

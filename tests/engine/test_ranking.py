"""top_k and its helpers on embeddings small enough that every ranking is known by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.graph import CSR, InteractionGraph
from engine.ranking import csr_gather, ranked_chunks, row_mask, top_k

# Scores (user x item) = USERS @ ITEMS.T:
#   user 0: [3, 2, 0, 1]  user 1: [0, 1, 5, 1.5]  user 2: [1.5, 1.5, 2.5, 1.25]
USERS = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
ITEMS = torch.tensor([[3.0, 0.0], [2.0, 1.0], [0.0, 5.0], [1.0, 1.5]])
EXCLUDE = CSR(np.array([0, 1, 1, 4]), np.array([0, 0, 1, 2]))  # user 0 saw item 0, user 1 nothing, user 2 items 0-2


def test_top_k_without_exclusions_is_the_best_scores_first():
    items, scores = top_k(USERS, ITEMS, [0, 1], k=2)
    assert items.tolist() == [[0, 1], [2, 3]]
    assert scores.tolist() == [[3.0, 2.0], [5.0, 1.5]]
    assert items.dtype == torch.int64 and scores.dtype == torch.float32


def test_excluded_items_never_lead_and_fill_the_tail_with_minus_infinity():
    items, scores = top_k(USERS, ITEMS, [0, 1, 2], k=2, exclude=EXCLUDE)
    assert items[0].tolist() == [1, 3] and scores[0].tolist() == [2.0, 1.0]
    assert items[1].tolist() == [2, 3]  # nothing excluded for user 1
    # user 2 has one candidate left (item 3): the tail is an excluded item at -inf
    assert items[2, 0].item() == 3 and scores[2, 0].item() == 1.25
    assert items[2, 1].item() in (0, 1, 2) and scores[2, 1].item() == float("-inf")


def test_chunking_and_user_order_do_not_change_the_lists():
    whole = top_k(USERS, ITEMS, [2, 0, 1, 0], k=3, exclude=EXCLUDE)
    chunked = top_k(USERS, ITEMS, [2, 0, 1, 0], k=3, exclude=EXCLUDE, chunk_size=1)
    assert all(torch.equal(a, b) for a, b in zip(whole, chunked, strict=True))
    assert torch.equal(whole[0][1], whole[0][3]), "a repeated user gets the same list"


def test_exclusions_may_be_torch_arrays():
    as_tensors = CSR(torch.from_numpy(EXCLUDE.indptr), torch.from_numpy(EXCLUDE.indices))
    assert torch.equal(top_k(USERS, ITEMS, [0], 2, as_tensors)[0], top_k(USERS, ITEMS, [0], 2, EXCLUDE)[0])


def test_ranked_chunks_carry_the_masked_scores():
    (chunk,) = ranked_chunks(USERS, ITEMS, np.array([0, 2]), k=1, exclude=EXCLUDE)
    assert chunk.users.tolist() == [0, 2]
    assert chunk.scores[0].tolist() == [float("-inf"), 2.0, 0.0, 1.0]
    assert torch.isinf(chunk.scores[1, :3]).all() and chunk.items.tolist() == [[1], [3]]


def test_no_users_give_empty_lists():
    items, scores = top_k(USERS, ITEMS, [], k=2)
    assert items.shape == scores.shape == (0, 2)


@pytest.mark.parametrize("k", [0, 5, 2.0, True])
def test_k_outside_the_catalogue_is_refused(k):
    with pytest.raises(ValueError, match=r"'k' must be an integer in \[1, 4\]"):
        top_k(USERS, ITEMS, [0], k=k)


def test_csr_gather_matches_a_loop():
    graph = InteractionGraph(np.array([0, 0, 0, 1, 1, 2, 3, 3]), np.array([0, 1, 2, 1, 3, 4, 0, 4]), 5, 6)
    csr = graph.user_csr
    rows = torch.tensor([3, 0, 4, 3])
    position, column = csr_gather(torch.from_numpy(csr.indptr), torch.from_numpy(csr.indices), rows)
    expected = [(p, c) for p, r in enumerate(rows.tolist()) for c in csr.neighbors(r).tolist()]
    assert list(zip(position.tolist(), column.tolist(), strict=True)) == expected


def test_row_mask_marks_each_rows_columns():
    mask = row_mask(EXCLUDE, torch.tensor([2, 1, 0]), num_columns=4)
    assert mask.tolist() == [[True, True, True, False], [False] * 4, [True, False, False, False]]


def test_a_wide_catalogue_ranks_fewer_users_per_chunk_with_the_same_lists(monkeypatch):
    from engine import ranking

    generator = torch.Generator().manual_seed(0)
    users, items = torch.randn(50, 8, generator=generator), torch.randn(400, 8, generator=generator)
    whole = [(c.users, c.items) for c in ranking.ranked_chunks(users, items, range(50), 10)]
    monkeypatch.setattr(ranking, "RANKING_SCORES", 400 * 7)  # room for 7 users' scores of 400 items
    chunks = list(ranking.ranked_chunks(users, items, range(50), 10))
    assert [len(c.users) for c in chunks] == [7] * 7 + [1] and all(c.scores.numel() <= 400 * 7 for c in chunks)
    assert torch.equal(torch.cat([c.items for c in chunks]), whole[0][1])
    monkeypatch.setattr(ranking, "RANKING_SCORES", 10)  # fewer than one user's scores: still one user a chunk
    assert [len(c.users) for c in ranking.ranked_chunks(users, items, range(3), 10)] == [1, 1, 1]

"""Model-specific checks with hand-computed answers: losses, sparse helpers, inductive fold-ins, curriculum."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from engine.graph import InteractionGraph
from engine.loader import LinkBatchLoader, build_recommender
from engine.models import MODELS, LinkBatch
from engine.models.losses import bpr_loss, l2_penalty, max_margin_loss
from engine.models.sparse import csr_pair, spmm


@pytest.fixture(scope="module")
def graph() -> InteractionGraph:
    users = np.array([0, 0, 0, 1, 1, 2, 3, 3])
    items = np.array([0, 1, 2, 1, 3, 4, 0, 4])
    return InteractionGraph(users, items, 5, 6, name="small")  # user 4 and item 5 have no edges


def test_bpr_and_max_margin_losses_by_hand():
    pos, neg = torch.tensor([2.0, 0.0]), torch.tensor([[1.0, 3.0], [0.0, -1.0]])
    expected = -np.mean([math.log(1 / (1 + math.exp(-d))) for d in (1.0, -1.0, 0.0, 1.0)])
    assert bpr_loss(pos, neg).item() == pytest.approx(expected, rel=1e-6)
    # hinge max(0, neg - pos + 0.5): 0, 1.5, 0.5, 0
    assert max_margin_loss(pos, neg, 0.5).item() == pytest.approx(0.5)
    assert l2_penalty(torch.ones(2, 3), torch.ones(2, 1)).item() == pytest.approx((6 + 2) / 4)


def test_spmm_forward_and_gradient_match_dense():
    rows, cols, values = torch.tensor([0, 0, 2]), torch.tensor([1, 2, 0]), torch.tensor([0.5, 2.0, -1.0])
    adj, adj_t = csr_pair(rows, cols, values, (3, 3))
    dense = torch.zeros(3, 3).index_put_((rows, cols), values)
    x = torch.randn(3, 4, requires_grad=True)
    out = spmm(adj, adj_t, x)
    assert torch.allclose(out, dense @ x)
    out.pow(2).sum().backward()
    grad = x.grad.clone()
    x.grad = None
    (dense @ x).pow(2).sum().backward()
    assert torch.allclose(grad, x.grad)


def test_mf_loss_by_hand(graph):
    cls = MODELS["mf"]
    model = cls(graph, 2, cls.Params(reg=0.5), seed=0)
    with torch.no_grad():
        model.user_emb.weight.copy_(torch.tensor([[1.0, 0.0]] * 5))
        model.item_emb.weight.copy_(torch.tensor([[2.0, 0.0], [0.0, 1.0]] * 3))
    one = torch.tensor([0])
    loss = model.loss(LinkBatch(epoch=1, index=0, edges=one, users=one, positives=one, negatives=torch.tensor([[1]])))
    # score gap 2 - 0; penalty 0.5 * (1 + 4 + 1) / 2
    assert loss.item() == pytest.approx(-math.log(1 / (1 + math.exp(-2.0))) + 0.5 * 3.0, rel=1e-6)


def test_lightgcn_fold_in_of_a_training_user_misses_only_its_layer_zero(graph):
    cls = MODELS["lightgcn"]
    model = cls(graph, 8, cls.Params(num_layers=3), seed=1)
    user_emb, _ = model.embeddings()
    folded = model.embed_new_user(graph.user_csr.neighbors(0))
    assert torch.allclose(folded + model.emb[0].detach() / 4, user_emb[0], atol=1e-6)


def test_graphsage_fold_in_is_exact_without_id_vectors_or_user_metadata(graph):
    cls = MODELS["graphsage"]
    model = cls(graph, 8, cls.Params(id_embeddings=False), seed=2)
    user_emb, _ = model.embeddings()
    for user in (0, 1, 3):
        assert torch.allclose(model.embed_new_user(graph.user_csr.neighbors(user)), user_emb[user], atol=1e-5)


def test_pinsage_fold_in_is_exact_without_free_vectors(graph):
    cls = MODELS["pinsage"]
    model = build_recommender(cls, graph, 8, cls.Params(id_embeddings=False, num_walks=20), seed=3)
    user_emb, _ = model.embeddings()
    for user in (0, 1, 3):
        assert torch.allclose(model.embed_new_user(graph.user_csr.neighbors(user)), user_emb[user], atol=1e-5)


def test_pinsage_hard_negative_curriculum_is_capped(graph):
    cls = MODELS["pinsage"]
    model = build_recommender(cls, graph, 8, cls.Params(max_hard_negatives=2), seed=0)
    assert [model.num_hard_negatives(epoch) for epoch in range(1, 6)] == [0, 1, 2, 2, 2]
    assert all(MODELS[name](graph, 8, MODELS[name].Params()).num_hard_negatives(7) == 0 for name in ("mf", "lightgcn"))


def test_the_trainer_draws_pinsage_hard_negatives_from_the_models_band(monkeypatch, tmp_path):
    import engine.loader.link
    from engine.runs.config import TrainConfig
    from engine.training import train

    drawn = []
    real = engine.loader.link.hard_negatives

    def recording(graph, queries, num_negatives, band, seed):
        drawn.append((num_negatives, band))
        return real(graph, queries, num_negatives, band, seed=seed)

    monkeypatch.setattr(engine.loader.link, "hard_negatives", recording)
    params = {"max_hard_negatives": 2, "hard_band_lo": 0.1, "hard_band_hi": 0.4, "num_walks": 5}
    config = TrainConfig(dataset="synthetic", model="pinsage", params=params, epochs=3, batch_size=25_000)
    train(config, runs_dir=tmp_path, progress=False)
    assert drawn and {band for _, band in drawn} == {(0.1, 0.4)}
    assert sorted({count for count, _ in drawn}) == [1, 2]  # none in epoch 1, then the curriculum's 1 and 2


@pytest.mark.parametrize("lo, hi", [(0.2, 0.2), (0.5, 0.1)])
def test_pinsage_refuses_an_empty_hard_negative_band(lo, hi):
    with pytest.raises(ValueError, match=r"hard_band_lo \(.*\) must be below hard_band_hi"):
        MODELS["pinsage"].Params(hard_band_lo=lo, hard_band_hi=hi)


def test_pinsage_leaves_the_positive_out_of_its_users_pool(graph):
    cls = MODELS["pinsage"]
    model = build_recommender(cls, graph, 8, cls.Params(), seed=0)
    seen = model._is_seen(torch.tensor([0, 0, 1, 4, 3]), torch.tensor([2, 3, 3, 0, 4]))
    assert seen.tolist() == [1.0, 0.0, 1.0, 0.0, 1.0]


def test_pinsage_neighborhoods_are_redrawn_for_training_only(graph):
    cls = MODELS["pinsage"]
    model = build_recommender(cls, graph, 8, cls.Params(num_walks=5, top_t=2, minibatch=False), seed=0)
    before = model.embeddings()
    inference = model.neighborhood.weights.to_dense()
    batch = LinkBatchLoader(graph, 4, 2, seed=11, sampling=model.sampling(model.params)).batch(3, 0)
    model.loss(batch).backward()
    assert torch.equal(model.neighborhood.weights.to_dense(), inference)
    assert all(torch.equal(a, b) for a, b in zip(before, model.embeddings(), strict=True))
    rows = batch.neighborhood.weights.to_dense().sum(1)  # (I,) visit weights are L1-normalised per item
    assert torch.allclose(rows[rows > 0], torch.ones(int((rows > 0).sum())))
    assert not torch.equal(batch.neighborhood.weights.to_dense(), inference), "training redraws the walks"

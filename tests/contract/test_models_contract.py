"""The one contract every recommender passes (implicit's shared-test idea), on a graph with a known answer.

Two taste groups: users 0-3 interact with items 0-4, users 4-7 with items 5-9, each user missing one item
of its group; item 10 has no interaction at all. After a short training every user's best unseen item
must be the missing item of its own group, and a new user built from group items must prefer the group.
Every model is built and trained the way the trainer does it: built by ``build_recommender`` and fed the batches
a ``LinkBatchLoader`` makes from what the model's ``sampling`` asks for.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.graph import InteractionGraph
from engine.loader import LinkBatchLoader, build_recommender
from engine.models import MODELS, FanoutSpec, InductiveNotSupported, Recommender
from engine.models.base import TrainDefaults
from engine.training.optimizers import TableAdam
from engine.training.trainer import train_epoch

NUM_USERS, NUM_ITEMS, DIM = 8, 11, 16
GROUP_ITEMS = [list(range(0, 5)), list(range(5, 10))]
TRAIN_STEPS = 150
NUM_NEGATIVES = 8  # uniform negatives per positive; every user has 7 items it never saw
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def group_of(user: int) -> int:
    return user // 4


def missing_item(user: int) -> int:
    return GROUP_ITEMS[group_of(user)][user % 4]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tensors here are tiny: one intra-op thread avoids waiting on a busy second core at every op."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def graph() -> InteractionGraph:
    users, items = [], []
    for user in range(NUM_USERS):
        for item in GROUP_ITEMS[group_of(user)]:
            if item != missing_item(user):
                users.append(user)
                items.append(item)
    return InteractionGraph(np.array(users), np.array(items), NUM_USERS, NUM_ITEMS, name="two-groups")


FANOUT_BATCHES = 4  # batches per epoch for a fanout model


def full_batch_loader(model: Recommender, graph: InteractionGraph) -> LinkBatchLoader:
    """Every epoch is one batch of all training edges, with what the model asks to have sampled.

    A fanout model's blocks leave out their own batch's edges (no target leakage), so one batch of every edge
    would leave it no graph to pass messages on: its epoch is split into ``FANOUT_BATCHES`` batches instead.
    """
    sampling = model.sampling(model.params)
    batch_size = graph.num_edges
    if isinstance(sampling, FanoutSpec):
        batch_size = -(-graph.num_edges // FANOUT_BATCHES)
    return LinkBatchLoader(graph, batch_size, NUM_NEGATIVES, seed=0, sampling=sampling, device=model.device)


def build(name: str, graph: InteractionGraph, seed: int = 0) -> Recommender:
    cls = MODELS[name]
    return build_recommender(cls, graph, DIM, cls.Params(), seed)


def train(model: Recommender, graph: InteractionGraph, steps: int = TRAIN_STEPS) -> list[float]:
    """Full-batch steps of the trainer's optimiser, one loader epoch per step; returns the loss of every step."""
    loader = full_batch_loader(model, graph)
    optimizer = TableAdam(model, lr=0.01)
    losses = [train_epoch(model, optimizer, loader, epoch) for epoch in range(1, steps + 1)]
    model.eval()
    return losses


@pytest.fixture(scope="module")
def trained(graph) -> dict[str, Recommender]:
    models = {}
    for name in MODELS:
        models[name] = build(name, graph)
        train(models[name], graph)
    return models


def test_registry_names_and_contract_attributes():
    assert sorted(MODELS) == ["graphsage", "lightgcn", "mf", "pinsage"]
    for name, cls in MODELS.items():
        assert cls.name == name and issubclass(cls, Recommender)
        assert isinstance(cls.supports_inductive, bool) and isinstance(cls.inductive_is_approximate, bool)
        assert isinstance(cls.default_train, TrainDefaults)
        for field in cls.Params.__dataclass_fields__.values():
            assert {"help", "min", "max"} <= set(field.metadata), f"{name}.{field.name} lacks form metadata"


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(MODELS))
def test_shapes(name, device, graph):
    model = build(name, graph).to(device)
    user_emb, item_emb = model.embeddings()
    assert user_emb.shape == (NUM_USERS, DIM) and item_emb.shape == (NUM_ITEMS, DIM)
    assert user_emb.device.type == device and not user_emb.requires_grad
    assert torch.isfinite(user_emb).all() and torch.isfinite(item_emb).all()
    loss = model.loss(full_batch_loader(model, graph).batch(1, 0))
    assert loss.dim() == 0 and torch.isfinite(loss)
    items, scores = model.recommend(np.array([0, 5, 7]), k=4)
    assert items.shape == (3, 4) and items.dtype == np.int64
    assert scores.shape == (3, 4) and scores.dtype == np.float32
    assert (np.diff(scores, axis=1) <= 0).all(), "recommendations must come best first"
    assert model.num_hard_negatives(1) == 0


def test_models_take_tensors_and_never_import_the_samplers():
    code = "import sys, engine.models; print(sorted(m for m in sys.modules if m.startswith('engine.sampling')))"
    root = Path(__file__).resolve().parents[2]
    imported = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert imported.stdout.strip() == "[]"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_seen_items_are_masked(name, graph):
    model = build(name, graph)
    users = np.arange(NUM_USERS)
    items, scores = model.recommend(users, k=NUM_ITEMS)
    for user in users:
        seen = set(graph.user_csr.neighbors(user).tolist())
        unseen = NUM_ITEMS - len(seen)
        assert not seen & set(items[user, :unseen].tolist())
        assert set(items[user, unseen:].tolist()) == seen and np.isneginf(scores[user, unseen:]).all()
    items, scores = model.recommend(users, k=NUM_ITEMS, exclude_seen=False)
    assert np.isfinite(scores).all()
    assert all(sorted(row) == list(range(NUM_ITEMS)) for row in items.tolist())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_deterministic_by_seed(name, graph):
    first, second, other = build(name, graph, seed=3), build(name, graph, seed=3), build(name, graph, seed=4)
    assert all(torch.equal(a, b) for a, b in zip(first.embeddings(), second.embeddings(), strict=True))
    assert not torch.equal(first.embeddings()[1], other.embeddings()[1])
    train(first, graph, steps=20)
    train(second, graph, steps=20)
    assert all(torch.equal(a, b) for a, b in zip(first.embeddings(), second.embeddings(), strict=True))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_loss_decreases(name, graph):
    losses = train(build(name, graph), graph, steps=30)
    assert np.mean(losses[-5:]) < 0.8 * losses[0], losses


@pytest.mark.parametrize("name", sorted(MODELS))
def test_known_answer_best_unseen_item_is_the_missing_group_item(name, trained):
    items, _ = trained[name].recommend(np.arange(NUM_USERS), k=1)
    assert items[:, 0].tolist() == [missing_item(user) for user in range(NUM_USERS)]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_state_dict_round_trip(name, graph, trained):
    model = trained[name]
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    assert not {"seen_indptr", "seen_items"} & set(state), "graph-derived buffers must stay out of checkpoints"
    rebuilt = build(name, graph)
    assert not torch.equal(rebuilt.embeddings()[1], model.embeddings()[1])
    rebuilt.load_state_dict(state)
    rebuilt.eval()
    assert all(torch.equal(a, b) for a, b in zip(rebuilt.embeddings(), model.embeddings(), strict=True))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_inductive_new_user_or_clear_refusal(name, trained):
    model = trained[name]
    if not model.supports_inductive:
        with pytest.raises(InductiveNotSupported, match="cannot embed a user") as error:
            model.embed_new_user([0, 1, 2])
        assert isinstance(error.value, ValueError)
        assert all(other in str(error.value) for other, cls in MODELS.items() if cls.supports_inductive)
        return
    _, item_emb = model.embeddings()
    for group, chosen in ((0, [0, 1, 2]), (1, [6, 7, 8])):
        user = model.embed_new_user(chosen)
        assert user.shape == (DIM,) and torch.isfinite(user).all() and not user.requires_grad
        scores = item_emb @ user  # (I,)
        scores[chosen] = float("-inf")
        assert int(scores.argmax()) in GROUP_ITEMS[group]


@pytest.mark.parametrize("name", sorted(MODELS))
def test_bad_input_is_refused_with_the_value(name, graph):
    cls = MODELS[name]
    for dim in (0, -3, 2.5):
        with pytest.raises(ValueError, match="'dim' must be a positive integer"):
            cls(graph, dim, cls.Params())
    with pytest.raises(TypeError, match=cls.Params.__qualname__):
        cls(graph, DIM, {"reg": 0.1})
    model = build(name, graph)
    for k in (0, NUM_ITEMS + 1):
        with pytest.raises(ValueError, match=f"'k' must be an integer in \\[1, {NUM_ITEMS}\\]"):
            model.recommend([0], k=k)
    with pytest.raises(ValueError, match=r"user ids must lie in \[0, 8\)"):
        model.recommend([0, NUM_USERS], k=2)
    with pytest.raises(ValueError, match="user ids must be integers"):
        model.recommend(np.array([0.5]), k=2)
    if cls.supports_inductive:
        with pytest.raises(ValueError, match="non-empty list"):
            model.embed_new_user([])
        with pytest.raises(ValueError, match=r"item ids must lie in \[0, 11\)"):
            model.embed_new_user([1, NUM_ITEMS])


@pytest.mark.parametrize("name", sorted(MODELS))
def test_a_model_that_draws_hard_negatives_names_their_band(name, graph):
    model = build(name, graph)
    band = model.hard_negative_band()
    if band is None:  # the loader then uses the hard-negative sampler's own band
        return
    low, high = band
    assert 0 <= low < high <= 1


@pytest.mark.parametrize("name", sorted(MODELS))
def test_params_out_of_range_name_the_field(name, graph):
    cls = MODELS[name]
    field = next(iter(cls.Params.__dataclass_fields__.values()))
    too_big = field.metadata["max"] + 1
    with pytest.raises(ValueError, match=f"'{field.name}' of {cls.Params.__qualname__} must lie in"):
        cls(graph, DIM, cls.Params(**{field.name: too_big}))

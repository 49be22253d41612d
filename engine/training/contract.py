"""The model contract as checks any ``Recommender`` subclass can run (``python -m engine check-model``).

The same checks the project's own models pass in ``tests/contract``, on the same graph with a known answer: two
taste groups, users 0-3 with items 0-4 and users 4-7 with items 5-9, each user missing one item of its group, item
10 never seen. Each check gives one sentence: what was expected, and what the class did instead.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from engine.graph import InteractionGraph
from engine.loader import LinkBatchLoader, build_recommender
from engine.models import FanoutSpec, InductiveNotSupported, Recommender
from engine.models.registry import class_problems, load_class
from engine.training.optimizers import TableAdam
from engine.training.trainer import train_epoch

NUM_USERS, NUM_ITEMS, DIM = 8, 11, 16
GROUP_ITEMS = [list(range(0, 5)), list(range(5, 10))]
TRAIN_STEPS = 150
NUM_NEGATIVES = 8
FANOUT_BATCHES = 4


@dataclass
class Check:
    """One check of the contract: its name, whether it passed, and what happened."""

    name: str
    passed: bool
    message: str


def missing_item(user: int) -> int:
    return GROUP_ITEMS[user // 4][user % 4]


def two_groups() -> InteractionGraph:
    """The contract's graph; every user's best unseen item is the one item of its group it misses."""
    pairs = [(u, i) for u in range(NUM_USERS) for i in GROUP_ITEMS[u // 4] if i != missing_item(u)]
    users, items = (np.array(side) for side in zip(*pairs, strict=True))
    return InteractionGraph(users, items, NUM_USERS, NUM_ITEMS, name="two-groups")


def check_model(name: str) -> list[Check]:
    """Run the contract on the class ``package.module:ClassName`` (or a built-in model's name) names.

    Raises:
        ValueError: ``name`` names no class that can be imported.
    """
    from engine.models import MODELS

    cls = MODELS[name] if name in MODELS else load_class(name)  # ValueError: nothing to check
    problems = class_problems(cls)
    if problems:
        return [Check("class", False, problem) for problem in problems]
    graph = two_groups()
    checks = [Check("class", True, f"{cls.__name__} is a Recommender with name {cls.name!r}, Params and defaults")]
    try:
        model = build_recommender(cls, graph, DIM, cls.Params(), seed=0)
    except Exception as error:
        return [*checks, _raised("builds", f"{cls.__name__}(graph, dim, Params(), seed)", error)]
    checks.append(Check("builds", True, f"{cls.__name__}(graph, {DIM}, Params(), seed=0) built"))
    for check in CHECKS:
        try:
            result = check(cls, graph, model)
        except Exception as error:
            result = _raised(check.__name__.strip("_"), check.__doc__ or check.__name__, error)
        checks.append(result)
        if not result.passed and check in (_embeddings, _loss):
            break
    return checks


def _raised(name: str, what: str, error: Exception) -> Check:
    return Check(name, False, f"{what.strip().rstrip('.')}: raised {type(error).__name__}: {error}")


def _loader(model: Recommender, graph: InteractionGraph) -> LinkBatchLoader:
    """Full-batch epochs (fanout models: a quarter of the edges, so their blocks keep a graph to pass messages on)."""
    sampling = model.sampling(model.params)
    size = -(-graph.num_edges // FANOUT_BATCHES) if isinstance(sampling, FanoutSpec) else graph.num_edges
    return LinkBatchLoader(graph, size, NUM_NEGATIVES, seed=0, sampling=sampling, device=model.device)


def _train(model: Recommender, graph: InteractionGraph, steps: int) -> list[float]:
    loader = _loader(model, graph)
    optimizer = TableAdam(model, lr=0.01)  # the trainer's: Adam for dense layers, row-sparse Adam for sparse tables
    losses = [train_epoch(model, optimizer, loader, epoch) for epoch in range(1, steps + 1)]
    model.eval()
    return losses


def _embeddings(cls, graph, model) -> Check:
    """embeddings() returns (user (U, d), item (I, d)) finite tensors without gradients."""
    result = model.embeddings()
    if not (isinstance(result, tuple) and len(result) == 2 and all(isinstance(t, torch.Tensor) for t in result)):
        return Check("embeddings", False, f"embeddings() must return (user_emb, item_emb) tensors (got {result!r:.80})")
    user, item = result
    if user.shape != (NUM_USERS, DIM) or item.shape != (NUM_ITEMS, DIM):
        return Check(
            "embeddings",
            False,
            f"embeddings() must be ({NUM_USERS}, {DIM}) and ({NUM_ITEMS}, {DIM}) for "
            f"{NUM_USERS} users, {NUM_ITEMS} items, dim {DIM} (got {tuple(user.shape)} and {tuple(item.shape)})",
        )
    if user.requires_grad or item.requires_grad:
        return Check("embeddings", False, "embeddings() must be computed without gradients (use torch.no_grad)")
    if not (torch.isfinite(user).all() and torch.isfinite(item).all()):
        return Check("embeddings", False, "embeddings() hold NaN or infinity")
    return Check("embeddings", True, "embeddings() returns finite (U, d) and (I, d) tensors without gradients")


def _loss(cls, graph, model) -> Check:
    """loss(batch) is a finite scalar whose gradient reaches the parameters."""
    loss = model.loss(_loader(model, graph).batch(1, 0))
    if not isinstance(loss, torch.Tensor) or loss.dim() != 0 or not torch.isfinite(loss):
        return Check("loss", False, f"loss(batch) must be a finite scalar tensor (got {loss!r:.80})")
    if not loss.requires_grad:
        return Check("loss", False, "loss(batch) has no gradient: it must be computed from the model's parameters")
    loss.backward()
    if not any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters()):
        return Check("loss", False, "loss(batch).backward() reaches no parameter of the model")
    model.zero_grad(set_to_none=True)
    return Check("loss", True, "loss(batch) is a finite scalar with gradients on the parameters")


def _masks_seen(cls, graph, model) -> Check:
    """recommend() ranks every unseen item before the user's training items."""
    items, _ = model.recommend(np.arange(NUM_USERS), k=NUM_ITEMS)
    for user in range(NUM_USERS):
        seen = set(graph.user_csr.neighbors(user).tolist())
        if seen & set(items[user, : NUM_ITEMS - len(seen)].tolist()):
            return Check("masks seen", False, f"recommend() ranked a training item of user {user} among unseen ones")
    return Check("masks seen", True, "recommend() never ranks a training item before an unseen one")


def _deterministic(cls, graph, model) -> Check:
    """Two builds with one seed give the same embeddings."""
    first, second = (build_recommender(cls, graph, DIM, cls.Params(), seed=3) for _ in range(2))
    if not all(torch.equal(a, b) for a, b in zip(first.embeddings(), second.embeddings(), strict=True)):
        return Check(
            "deterministic", False, "two builds with seed 3 differ: draw initial weights from self.generator()"
        )
    return Check("deterministic", True, "two builds with one seed give the same embeddings")


def _learns(cls, graph, model) -> Check:
    """After 150 full-batch Adam steps the loss has fallen and every user's top item is its group's missing item."""
    losses = _train(model, graph, TRAIN_STEPS)
    if not np.mean(losses[-5:]) < 0.8 * losses[0]:
        return Check(
            "learns",
            False,
            f"the loss did not fall by 20% in {TRAIN_STEPS} steps ({losses[0]:.4f} -> "
            f"{losses[-1]:.4f}); check that loss() trains the embeddings that embeddings() returns",
        )
    items, _ = model.recommend(np.arange(NUM_USERS), k=1)
    wrong = [user for user in range(NUM_USERS) if items[user, 0] != missing_item(user)]
    if wrong:
        return Check(
            "learns",
            False,
            f"after training, users {wrong} do not get the one item of their taste group "
            "they miss as their top recommendation",
        )
    return Check("learns", True, f"loss {losses[0]:.4f} -> {losses[-1]:.4f}; every user's top item is the right one")


def _round_trip(cls, graph, model) -> Check:
    """state_dict() saved and loaded with weights_only=True into a fresh build gives the same embeddings."""
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    rebuilt = build_recommender(cls, graph, DIM, cls.Params(), seed=0)
    rebuilt.load_state_dict(torch.load(buffer, weights_only=True))
    rebuilt.eval()
    if not all(torch.equal(a, b) for a, b in zip(rebuilt.embeddings(), model.embeddings(), strict=True)):
        return Check(
            "checkpoint",
            False,
            "a fresh build loading the trained state_dict gives other embeddings: keep "
            "every learned tensor in parameters or persistent buffers",
        )
    return Check("checkpoint", True, "the state_dict restores the trained embeddings (weights_only=True)")


def _inductive(cls, graph, model) -> Check:
    """embed_new_user() embeds a user from items, or refuses with InductiveNotSupported."""
    try:
        user = model.embed_new_user([0, 1, 2])
    except InductiveNotSupported:
        if cls.supports_inductive:
            return Check(
                "cold start", False, "supports_inductive is True but embed_new_user raised InductiveNotSupported"
            )
        return Check("cold start", True, "embed_new_user() refuses clearly (supports_inductive is False)")
    if not isinstance(user, torch.Tensor) or user.shape != (DIM,) or not torch.isfinite(user).all():
        return Check("cold start", False, f"embed_new_user() must return a finite ({DIM},) tensor (got {user!r:.80})")
    return Check("cold start", True, "embed_new_user() returns a finite (d,) vector")


# In order: a model whose embeddings or loss fail is not trained (the later checks need both).
CHECKS: tuple[Callable[..., Check], ...] = (
    _embeddings, _loss, _masks_seen, _deterministic, _learns, _round_trip, _inductive,
)  # fmt: skip

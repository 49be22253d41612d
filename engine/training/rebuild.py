"""A run's device, split and model, rebuilt from its config the same way when training, resuming and loading."""

from __future__ import annotations

from typing import Any

import torch

from engine.graph import InteractionGraph
from engine.training.config import TrainConfig, model_params


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA when torch sees a GPU, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def build_model(config: TrainConfig, train_graph: InteractionGraph) -> torch.nn.Module:
    """``MODELS[name](train_graph, dim, Params(**params), seed)`` with its inference inputs drawn on ``train_graph``
    (:func:`engine.loader.build_recommender`) — the one way a model is built or rebuilt."""
    from engine.loader import build_recommender
    from engine.models import MODELS

    params = model_params(config.model, config.params)
    return build_recommender(MODELS[config.model], train_graph, config.dim, params, config.seed)


def make_split(config: TrainConfig, graph: InteractionGraph) -> Any:
    """The run's split of ``graph``: same config, same edges, every time (training, resuming, loading)."""
    from engine.splits import split_interactions

    return split_interactions(
        graph,
        method=config.split,
        test_ratio=config.test_ratio,
        val_ratio=config.val_ratio,
        seed=config.seed,
        min_rating=config.min_rating,
        k_core=config.k_core,
    )

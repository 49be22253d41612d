"""A run's device, data, split and model, rebuilt from its config the same way when training, resuming and loading."""

from __future__ import annotations

from typing import Any

import numpy as np
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


def load_split(config: TrainConfig) -> Any:
    """The run's dataset split, checked to be trainable: every data mistake surfaces here, before a run directory
    exists or a stopped run changes state.

    Raises:
        ValueError: Naming what the data lacks and the setting to change.
    """
    from engine.datasets import load_dataset

    graph = load_dataset(config.dataset, config.data_dir)
    split = make_split(config, graph)
    check_trainable(config, split)
    return split


def check_trainable(config: TrainConfig, split: Any) -> None:
    """``ValueError`` when training ``config`` on ``split`` could only fail later: no training or test interactions,
    more negatives per positive than items, or a user with no item left to draw as a negative."""
    train, report = split.train, split.report
    name = config.dataset
    if report["train_interactions"] == 0:
        raise ValueError(
            f"no training interactions are left of the {report['interactions']:,} in dataset {name!r} after "
            f"min_rating={config.min_rating} and k_core={config.k_core}; lower --min-rating or --k-core"
        )
    if report["test_interactions"] == 0:
        raise ValueError(
            f"the {config.split} split of dataset {name!r} holds out no test interaction (of "
            f"{report['train_interactions']:,} left): a user needs at least two interactions to be tested; use more "
            "data, or lower --min-rating or --k-core"
        )
    if config.num_negatives >= train.num_items:
        raise ValueError(
            f"'num_negatives' ({config.num_negatives}) must be below the {train.num_items} items of dataset {name!r}"
        )
    saturated = np.flatnonzero(train.user_degree() >= train.num_items)
    if saturated.size:
        names = ", ".join(train.node_name(int(user)) for user in saturated[:5])
        raise ValueError(
            f"{saturated.size} user(s) of dataset {name!r} interacted with every item in training ({names}), so no "
            "negative item can be drawn for them; add items or leave those users out of the data"
        )

"""Build a model together with the sampled inputs its inference needs, and the loader a run trains it with, the same
way every time (training, resuming, replaying)."""

from __future__ import annotations

from typing import Any

import torch

from engine.graph import InteractionGraph
from engine.loader.link import LinkBatchLoader
from engine.loader.neighborhoods import item_neighborhood, make_sampler
from engine.models import Recommender
from engine.models.inputs import RandomWalkSpec
from engine.runs.config import TrainConfig


def build_recommender(
    model_cls: type[Recommender], graph: InteractionGraph, dim: int, params: Any, seed: int = 0
) -> Recommender:
    """``model_cls(graph, dim, params, seed)``, handed what :meth:`~Recommender.sampling` says inference needs.

    A :class:`~engine.models.inputs.RandomWalkSpec` model (PinSage) gets the item neighborhood drawn on ``graph``
    with the model seed, so a model rebuilt from its config in another process computes the same embeddings.

    Args:
        model_cls (type[Recommender]): The model class, e.g. ``MODELS["pinsage"]``.
        graph (InteractionGraph): The train graph.
        dim (int): Embedding size.
        params: An instance of ``model_cls.Params``.
        seed (int): Model seed: initialisation and inference inputs. (default: ``0``)
    """
    model_cls.check_arguments(graph, dim, params)
    spec = model_cls.sampling(params)
    if isinstance(spec, RandomWalkSpec):
        return model_cls(graph, dim, params, seed, neighborhood=item_neighborhood(make_sampler(spec, graph), seed))
    return model_cls(graph, dim, params, seed)


def run_loader(
    model, train_graph, config: TrainConfig, device: torch.device, prefetch: int = 2, rank: int = 0, world_size: int = 1
) -> LinkBatchLoader:
    """The loader a run of ``config`` trains ``model`` with: its batches, negatives, the model's hard-negative
    curriculum and what the model asks to have sampled, ``prefetch`` batches ahead of the step; in a data-parallel
    group, rank ``rank``'s shard of each epoch."""
    return LinkBatchLoader(
        train_graph,
        config.batch_size,
        config.num_negatives,
        config.seed,
        sampling=model.sampling(model.params),
        num_hard_negatives=model.num_hard_negatives,
        hard_band=model.hard_negative_band(),
        prefetch=prefetch,
        device=device,
        rank=rank,
        world_size=world_size,
    )

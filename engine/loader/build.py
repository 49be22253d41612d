"""Build a model together with the sampled inputs its inference needs, the same way every time."""

from __future__ import annotations

from typing import Any

from engine.graph import InteractionGraph
from engine.loader.neighborhoods import item_neighborhood, make_sampler
from engine.models import Recommender
from engine.models.inputs import RandomWalkSpec


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

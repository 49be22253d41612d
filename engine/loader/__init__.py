"""Loader: between the samplers and the models, as PyG's loaders (batches from ``(seed, epoch, batch)``); reopen a run.

:class:`LinkBatchLoader` shuffles the train graph's edges, draws every batch's negatives and what the model's
:meth:`~engine.models.Recommender.sampling` asks for, and samples ahead in a background thread (:class:`Prefetcher`)
while the model steps. :func:`build_recommender` builds a model with the inputs its inference needs.
"""

from engine.loader.build import build_recommender
from engine.loader.link import LinkBatchLoader
from engine.loader.neighborhoods import (
    item_computation_graph,
    item_neighborhood,
    item_walks,
    make_sampler,
    message_flow,
)
from engine.loader.prefetch import Prefetcher

__all__ = [
    "LinkBatchLoader",
    "Prefetcher",
    "build_recommender",
    "item_computation_graph",
    "item_neighborhood",
    "item_walks",
    "make_sampler",
    "message_flow",
]

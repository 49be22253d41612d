"""Models: recommenders behind one contract (:class:`Recommender`): MF, LightGCN, GraphSAGE, PinSage."""

from engine.models.base import InductiveNotSupported, Recommender, params_help
from engine.models.graphsage import GraphSAGE
from engine.models.inputs import (
    FanoutSpec,
    ItemComputationGraph,
    ItemNeighborhood,
    LinkBatch,
    MessageFlow,
    RandomWalkSpec,
    SamplingSpec,
)
from engine.models.lightgcn import LightGCN
from engine.models.mf import MatrixFactorization
from engine.models.pinsage import PinSage
from engine.models.registry import MODELS, is_tracked, model_class

__all__ = [
    "MODELS",
    "FanoutSpec",
    "GraphSAGE",
    "InductiveNotSupported",
    "ItemComputationGraph",
    "ItemNeighborhood",
    "LightGCN",
    "LinkBatch",
    "MatrixFactorization",
    "MessageFlow",
    "PinSage",
    "RandomWalkSpec",
    "Recommender",
    "SamplingSpec",
    "is_tracked",
    "model_class",
    "params_help",
]

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
from engine.models.registry import is_tracked, model_class

MODELS: dict[str, type[Recommender]] = {cls.name: cls for cls in (MatrixFactorization, LightGCN, GraphSAGE, PinSage)}

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

"""Recommenders behind one contract (:class:`Recommender`): MF, LightGCN, GraphSAGE, PinSage."""

from engine.models.base import InductiveNotSupported, Recommender, params_help
from engine.models.lightgcn import LightGCN
from engine.models.mf import MatrixFactorization

MODELS: dict[str, type[Recommender]] = {cls.name: cls for cls in (MatrixFactorization, LightGCN)}

__all__ = ["MODELS", "InductiveNotSupported", "LightGCN", "MatrixFactorization", "Recommender", "params_help"]

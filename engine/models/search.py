"""The shapes of a hyper-parameter search space, as data: each model declares its own beside its ``Params``
(``Recommender.search_space``), and :mod:`engine.tuning` turns them into Optuna distributions.

A name in a space is a field of the model's ``Params`` (``reg``, ``num_layers``, ``fanout``, ``top_t``, …) or one
of the trainer settings of :class:`~engine.models.base.TrainDefaults` (``lr``, ``batch_size``, ``num_negatives``).
Whether a range is of integers or reals follows that field's type. Epochs are not searched: pruning and early
stopping end a trial, and its best epoch is what a refit trains for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Range:
    """Values in ``[low, high]``, sampled on a log scale when ``log`` (learning rates, L2 penalties)."""

    low: float
    high: float
    log: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "log": self.log}


@dataclass(frozen=True)
class Choices:
    """One of a few values (batch sizes, booleans)."""

    values: tuple[Any, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"choices": list(self.values)}


Dimension = Range | Choices


def dimension_from_dict(values: dict[str, Any]) -> Dimension:
    """The inverse of ``to_dict``, for a space read back from a study."""
    if "choices" in values:
        return Choices(tuple(values["choices"]))
    return Range(values["low"], values["high"], bool(values.get("log", False)))

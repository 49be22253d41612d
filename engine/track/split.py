"""The edges a logged run trains, validates and is tested on: an engine run's split (:func:`split_of`) or edges the
user gives, by the dataset's raw ids, checked against the dataset before anything is written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from engine.graph import InteractionGraph
from engine.runs.names import SPLIT_PARTS

# Config fields an external run copies from the engine run whose split it uses, so that `compare` pairs the two
# (engine.experiments.results.SPLIT_FIELDS, the seed, and the evaluation's cut-offs and monitor).
COPIED_FIELDS = ("split", "test_ratio", "val_ratio", "min_rating", "k_core", "seed", "ks", "monitor")


class TrackError(ValueError):
    """A call of :mod:`engine.track` that cannot be honoured; nothing of the run was lost or changed by it."""


@dataclass
class Split:
    """Train, validation and test edges as pairs of raw ids ``(users (n,), items (n,))``.

    Args:
        train (tuple): The edges the model trained on; its items are masked when it is evaluated.
        test (tuple): The held-out edges the run is tested on.
        val (tuple, optional): A validation slice (masked at test too). (default: none)
        source (str, optional): The engine run the edges come from (:func:`split_of`). (default: ``None``)
        dataset (str, optional): That run's dataset. (default: ``None``)
        data_dir (str, optional): That run's data folder. (default: ``None``)
        settings (dict): That run's config fields of :data:`COPIED_FIELDS`. (default: ``{}``)
    """

    train: tuple[Any, Any]
    test: tuple[Any, Any]
    val: tuple[Any, Any] | None = None
    source: str | None = None
    dataset: str | None = None
    data_dir: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def parts(self) -> dict[str, tuple[Any, Any]]:
        empty = (np.array([], dtype=str), np.array([], dtype=str))
        return {"train": self.train, "val": self.val if self.val is not None else empty, "test": self.test}


def split_of(run_dir: str | Path) -> Split:
    """The train, validation and test edges of an engine run, by raw ids, with the settings that define them.

    Args:
        run_dir (str | Path): A run directory written by ``python -m engine train`` (or another logged run).

    Raises:
        TrackError: Not a run, or its split cannot be read (the message says why).
    """
    from engine.loader.reopen import open_run_graph

    try:
        run_graph = open_run_graph(run_dir)
    except ValueError as error:
        raise TrackError(f"cannot take the split of {run_dir}: {error}") from None
    user_ids = run_graph.dataset.users["user_id"].astype(str).to_numpy(dtype=str)
    item_ids = run_graph.dataset.items["item_id"].astype(str).to_numpy(dtype=str)
    parts = {name: (user_ids[user], item_ids[item]) for name, (user, item) in run_graph.parts.items()}
    config = run_graph.config.to_dict()
    return Split(
        train=parts["train"],
        test=parts["test"],
        val=parts["val"],
        source=run_graph.run_id,
        dataset=run_graph.config.dataset,
        data_dir=run_graph.config.data_dir,
        settings={name: config[name] for name in COPIED_FIELDS},
    )


def internal_split(split: Split, graph: InteractionGraph) -> dict[str, np.ndarray]:
    """The arrays ``split.npz`` holds for ``split`` on ``graph`` (internal ids; see :mod:`engine.runs.rundir`).

    Raises:
        TrackError: A part that is not two equally long 1-D id lists, an id the dataset lacks, a pair that is not
            an interaction of the dataset, an edge in two parts, or no test edge.
    """
    arrays: dict[str, np.ndarray] = {}
    keys: dict[str, np.ndarray] = {}
    for part, pair in split.parts().items():
        user, item = _pair(part, pair)
        arrays[f"{part}_user"] = _internal(graph.users["user_id"], user, part, "user")
        arrays[f"{part}_item"] = _internal(graph.items["item_id"], item, part, "item")
        keys[part] = arrays[f"{part}_user"] * graph.num_items + arrays[f"{part}_item"]
        _check_interactions(graph, keys[part], part)
    if keys["test"].size == 0:
        raise TrackError("the split has no test edge: give split.test = (users, items), at least one pair")
    for first, second in (("train", "test"), ("train", "val"), ("val", "test")):
        shared = np.intersect1d(keys[first], keys[second])
        if shared.size:
            user, item = divmod(int(shared[0]), graph.num_items)
            raise TrackError(
                f"{shared.size} edge(s) are both {first} and {second} edges (first: {graph.node_name(user)}, "
                f"{graph.node_name(graph.num_users + item)}); each edge belongs to one part"
            )
    arrays["user_ids"] = graph.users["user_id"].astype(str).to_numpy(dtype=str)
    arrays["item_ids"] = graph.items["item_id"].astype(str).to_numpy(dtype=str)
    return arrays


def whole_dataset(graph: InteractionGraph) -> dict[str, np.ndarray]:
    """``split.npz`` of a run logged without a split: every interaction is a training edge, none held out."""
    empty = np.array([], dtype=np.int64)
    return {
        "train_user": graph.user.astype(np.int64),
        "train_item": graph.item.astype(np.int64),
        **{f"{part}_{side}": empty for part in SPLIT_PARTS[1:] for side in ("user", "item")},
        "user_ids": graph.users["user_id"].astype(str).to_numpy(dtype=str),
        "item_ids": graph.items["item_id"].astype(str).to_numpy(dtype=str),
    }


def _pair(part: str, pair: Any) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(pair, (tuple, list)) or len(pair) != 2:
        raise TrackError(f"split.{part} must be a pair (users, items) of raw id lists (got {type(pair).__name__})")
    user, item = (np.asarray(ids) for ids in pair)
    if user.ndim != 1 or item.ndim != 1 or user.shape != item.shape:
        raise TrackError(
            f"split.{part} must be two 1-D id lists of one length (got shapes {user.shape} and {item.shape})"
        )
    return user, item


def _internal(raw_ids: pd.Series, ids: np.ndarray, part: str, kind: str) -> np.ndarray:
    index = pd.Index(raw_ids.astype(str))
    found = index.get_indexer(ids.astype(str)) if ids.size else np.array([], dtype=np.int64)
    missing = ids[found < 0]
    if missing.size:
        shown = ", ".join(map(str, missing[:3]))
        raise TrackError(
            f"split.{part} names {missing.size} {kind} id(s) the dataset does not have (first: {shown}); give the "
            f"dataset's raw {kind} ids (run.{kind}_ids lists them)"
        )
    return found.astype(np.int64)


def _check_interactions(graph: InteractionGraph, wanted: np.ndarray, part: str) -> None:
    key = np.sort(graph.user.astype(np.int64) * graph.num_items + graph.item)
    position = np.minimum(np.searchsorted(key, wanted), max(key.size - 1, 0))
    absent = wanted.size - int(np.count_nonzero(key[position] == wanted)) if key.size else wanted.size
    if absent:
        raise TrackError(
            f"{absent} of the {wanted.size} split.{part} edges are not interactions of dataset {graph.name!r}; "
            "a split holds the dataset's own (user, item) pairs"
        )


def check_numbers(values: Mapping[str, Any], what: str) -> dict[str, float]:
    """``values`` as ``{name: float}``, refusing names that are not text and values that are not finite numbers."""
    if not isinstance(values, Mapping):
        raise TrackError(f"{what} must be a dict of name -> number (got {type(values).__name__})")
    checked = {}
    for name, value in values.items():
        if not isinstance(name, str) or not name.strip():
            raise TrackError(f"{what}: every name must be non-empty text (got {name!r})")
        number = _number(value)
        if number is None:
            raise TrackError(f"{what}[{name!r}] must be a finite number (got {value!r}); nothing was logged")
        checked[name] = number
    return checked


def _number(value: Any) -> float | None:
    if callable(getattr(value, "item", None)):  # a numpy scalar, a 0-d array or a one-element tensor
        try:
            value = value.item()
        except (ValueError, RuntimeError):
            return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if np.isfinite(value) else None

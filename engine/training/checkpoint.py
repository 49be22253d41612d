"""Checkpoints that load without executing pickled code (``torch.load(weights_only=True)``).

A checkpoint is a dict of tensors and plain data: the model's ``state_dict``, optionally the optimiser state, the
epoch, the torch RNG state, the run's config and a fingerprint of the training graph. A model is rebuilt from the
config by :func:`~engine.loader.reopen.build_model` (inputs its inference samples, such as PinSage's
neighborhood, are redrawn with the model seed) and then loads the weights, so a checkpoint never has to hold
code. Anything else — a truncated file, another program's ``.pt``, a checkpoint of a different model or data —
is refused with a :class:`CheckpointError` that says what to do.
"""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engine.graph import InteractionGraph
from engine.runs.jsonio import write_atomic

FORMAT = "gnn-recsys-explorer/checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot be used: unreadable, not ours, or made for another model or dataset."""


def fingerprint(graph: InteractionGraph) -> dict[str, int | str]:
    """What must match between the graph a checkpoint was trained on and the one it is loaded against."""
    digest = hashlib.sha1(np.ascontiguousarray(graph.user).tobytes())
    digest.update(np.ascontiguousarray(graph.item).tobytes())
    return {
        "num_users": graph.num_users,
        "num_items": graph.num_items,
        "num_train_edges": graph.num_edges,
        "train_edges_sha1": digest.hexdigest(),
    }


def save_checkpoint(path: Path, contents: dict[str, Any]) -> None:
    """Write ``contents`` plus the format marker atomically (a reader never sees half a checkpoint)."""
    write_atomic(path, lambda stream: torch.save({"format": FORMAT, "version": VERSION, **contents}, stream))


def load_checkpoint(
    path: Path, model: str, graph: InteractionGraph, map_location: torch.device | str = "cpu"
) -> dict[str, Any]:
    """Read a checkpoint of ``model`` and check it was trained on ``graph``.

    Args:
        path (Path): A run's ``RunDir.checkpoint_path`` or ``RunDir.best_path``.
        model (str): The model name the run's config names.
        graph (InteractionGraph): The training graph rebuilt from the run's config.
        map_location (torch.device | str): Where tensors are loaded. (default: ``"cpu"``)

    Raises:
        CheckpointError: With the path and the reason.
    """
    contents = read_checkpoint(path, model, map_location)
    expected, found = fingerprint(graph), contents.get("data")
    if found != expected:
        raise CheckpointError(
            f"checkpoint {path} was trained on other data than the run's dataset and split now give "
            f"(saved {found}, now {expected}); the dataset files changed since training"
        )
    return contents


def read_checkpoint(path: Path, model: str, map_location: torch.device | str = "cpu") -> dict[str, Any]:
    """Read a checkpoint and check it is one of ours, for ``model``; cheap enough to run before any other work."""
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    try:
        contents = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(
            f"checkpoint {path} holds objects that cannot be loaded safely with weights_only=True ({first_line}); "
            "it was not written by this engine"
        ) from None
    except Exception as error:  # torch raises many types on damaged files (EOFError, IndexError, RuntimeError, ...)
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CheckpointError(
            f"checkpoint {path} is unreadable ({reason}); "
            "it is probably truncated or corrupt: delete it to retrain, or restore it from a copy"
        ) from None
    if not isinstance(contents, dict) or contents.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is not a GNN RecSys Explorer checkpoint (it has no format marker {FORMAT!r}); "
            "only checkpoints written by `python -m engine train` can be loaded"
        )
    if contents.get("version") != VERSION:
        raise CheckpointError(f"checkpoint {path} has version {contents.get('version')!r}; this engine reads {VERSION}")
    if contents.get("model") != model:
        raise CheckpointError(
            f"checkpoint {path} holds model {contents.get('model')!r} but the run's config names {model!r}"
        )
    return contents


def restore_model(model: torch.nn.Module, contents: dict[str, Any], path: Path) -> None:
    """Load the checkpoint's weights into ``model``, turning shape or key mismatches into a :class:`CheckpointError`."""
    try:
        model.load_state_dict(contents["model_state"])
    except (KeyError, RuntimeError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise CheckpointError(f"checkpoint {path} does not fit the model its run describes ({reason})") from None

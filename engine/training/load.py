"""Open a finished (or stopped) run as a ready model: what the dashboard's Embeddings and Recommend pages use."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.graph import InteractionGraph
from engine.loader.reopen import build_model, make_split, recorded_split, resolve_device
from engine.models.registry import is_tracked
from engine.runs.config import TrainConfig, resolve
from engine.runs.names import CONFIG
from engine.runs.rundir import RunDir, RunInfo
from engine.training.checkpoint import CheckpointError, load_checkpoint, read_checkpoint, restore_model


@dataclass
class LoadedRun:
    """A run's model in eval mode with the data it was trained on.

    Attributes:
        model: The :class:`~engine.models.Recommender`, weights of the selected epoch (best on validation when the
            run had a validation slice, else the last checkpointed epoch).
        graph: The full dataset (train, validation and test edges).
        split: The run's split, rebuilt from its config (same seed, same edges); a run logged with
            :mod:`engine.track`: as its ``split.npz`` recorded it.
        config: The run's :class:`TrainConfig`.
        run: What the run directory says (status, metrics, summary).
        epoch: The epoch whose weights were loaded.
    """

    model: Any
    graph: InteractionGraph
    split: Any
    config: TrainConfig
    run: RunInfo
    epoch: int


def load_run(run_dir: str | Path, device: str = "cpu") -> LoadedRun:
    """Rebuild a run's model and data from its directory.

    Args:
        run_dir (str | Path): The run directory.
        device (str): ``cpu``, ``cuda`` or ``auto``. (default: ``"cpu"``)

    Raises:
        CheckpointError: When the run has no usable checkpoint (not trained an epoch yet, corrupt, or foreign).
        ValueError: When its config is missing or invalid.
    """
    from engine.datasets import load_dataset

    run = RunDir(run_dir)
    info = run.read()
    # A config field of the wrong type is dropped by the reader; its default must not stand in for it.
    config_damage = [problem for problem in info.damaged if problem.startswith(CONFIG)]
    if not info.config or config_damage:
        problems = config_damage or info.damaged
        raise ValueError(f"cannot open run {info.path}: {'; '.join(problems) or 'its config is empty'}")
    config = resolve(dataclasses.replace(TrainConfig.from_dict(info.config), device=device))
    path = run.best_path if run.best_path.exists() else run.checkpoint_path
    if not path.exists():
        raise CheckpointError(f"run {info.run_id} has no checkpoint yet: it has not finished its first epoch")
    target = resolve_device(device)
    read_checkpoint(path, config.model)
    graph = load_dataset(config.dataset, config.data_dir)
    # A logged run's edges may be the user's own, which no config rebuilds; the engine's rebuild theirs (a config
    # edited since then is caught by the checkpoint's data fingerprint).
    split = (recorded_split(run, graph) if is_tracked(config.model) else None) or make_split(config, graph)
    contents = load_checkpoint(path, config.model, split.train, map_location=target)
    model = build_model(config, split.train).to(target)
    restore_model(model, contents, path)
    model.eval()
    return LoadedRun(model, graph, split, config, info, int(contents["epoch"]))

"""Refit: once a run has chosen its settings and best epoch on the validation slice, train them again on
train ∪ validation for that many epochs, with the same seed and test set, and read the test split once.

This is how a validation-selected result is held against a paper that trained on all of its training split:
the selection stays honest (made on validation), and the final model loses no training data to it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from engine.runs.config import TrainConfig, resolve
from engine.runs.names import PROTOCOLS
from engine.runs.rundir import RunDir


def refit_config(run_dir: str | Path) -> TrainConfig:
    """The config of the refit of ``run_dir``: its own, trained for its best epoch on train + validation, without
    early stopping, with ``refit_of`` naming it.

    Raises:
        ValueError: The run has not finished, or chose nothing on validation (no validation slice).
    """
    info = RunDir(run_dir).read()
    summary = info.summary or {}
    if info.state != "finished" or not info.config:
        raise ValueError(f"cannot refit run {info.run_id}: it is {info.state}, and only a finished run chose an epoch")
    if info.protocol != PROTOCOLS[0] or not summary.get("best_epoch") or info.config.get("refit_of"):
        raise ValueError(
            f"cannot refit run {info.run_id}: it chose no epoch on a validation slice ({info.protocol}); "
            "train with --val-ratio above 0"
        )
    config = TrainConfig.from_dict(info.config)
    return resolve(
        dataclasses.replace(config, epochs=int(summary["best_epoch"]), patience=0, refit_of=info.run_id, trial=None)
    )


def refit(run_dir: str | Path, run_id: str | None = None, progress: bool = True) -> Path:
    """Train the refit of ``run_dir`` (:func:`refit_config`) beside it in the same runs directory; its directory.

    Its summary holds the refit's ``test`` metrics, and under ``validation`` and ``refit`` the selected run's
    validation metrics and epoch, saying which is which.
    """
    from engine.training.trainer import train

    run_dir = Path(run_dir)
    return train(refit_config(run_dir), run_dir.parent, run_id or f"{run_dir.name}-refit", progress=progress)

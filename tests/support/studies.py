"""Tiny Optuna studies really run by the tune command's engine (``engine.tuning.runner.run_study``) on the sample
data: a few trials of a few epochs with 16-d embeddings, for the tuned comparison's and the Tune view's tests."""

from __future__ import annotations

from pathlib import Path

import optuna

from engine.runs.config import TrainConfig
from engine.tuning import StudyInfo
from engine.tuning.runner import TuneSettings, run_study


def tune_sample_study(runs_dir: Path, name: str, model: str, trials: int, epochs: int = 2, **base: object) -> StudyInfo:
    """Run study ``name`` of ``model`` on ``synthetic`` until it holds ``trials`` trials (continuing it when it
    exists); ``base`` sets more of the trials' shared :class:`TrainConfig` (``split``, ``dim`` …)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    config = TrainConfig(dataset="synthetic", model=model, epochs=epochs, **{"dim": 16, **base})
    settings = TuneSettings(name=name, base=config, trials=trials, pruner_startup=trials)  # tiny: nothing pruned
    return run_study(settings, runs_dir, report=lambda line: None)

"""Studies as the rest of the engine and the dashboard read them: their settings, budget spent, best trial and its
runs (:func:`list_studies`, :func:`study_info`), and the best configuration as a :class:`TrainConfig`
(:func:`best_config`).

A study records, in its user attrs, ``meta`` (the settings every trial shares: dataset, model, split flags,
epochs, seed, metric and search space; a second ``tune`` with the same name and other settings is refused) and,
once refit, ``refit_run``; each trial records ``run_id`` (its run directory's name), ``cpu_seconds`` and
``best_epoch``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from engine.runs.config import TrainConfig, resolve
from engine.tuning.space import apply
from engine.tuning.storage import load_study, read_meta, storage_label, study_names

META_KEYS = ("dataset", "data_dir", "model", "metric", "space", "split", "test_ratio", "val_ratio", "ks", "epochs")
META_KEYS += ("seed", "min_rating", "k_core", "dim", "patience", "eval_every")


@dataclass
class StudyInfo:
    """One study at a glance.

    Attributes:
        name (str): The study's name.
        meta (dict): The settings its trials share (:data:`META_KEYS`), ``space`` as plain data.
        done, pruned, running, failed (int): Trials in each state (failed includes those stopped by Ctrl-C).
        cpu_seconds (float): CPU time (user + system) the finished and pruned trials spent, refit excluded.
        best_value (float, optional): The best trial's validation ``metric``.
        best_params (dict): The best trial's sampled values.
        best_trial (int, optional): Its number.
        best_run (str, optional): Its run directory's name in the runs directory (of the machine that ran it).
        best_epoch (int, optional): The epoch its validation metric peaked at (what a refit trains for).
        refit_run (str, optional): The refit run's name, once ``tune --refit`` made it.
        storage (str): Where it lives: its journal file, or its database URL with the password hidden.
        error (str, optional): Why the study could not be read (then the counts are zero).
    """

    name: str
    meta: dict[str, Any] = field(default_factory=dict)
    done: int = 0
    pruned: int = 0
    running: int = 0
    failed: int = 0
    cpu_seconds: float = 0.0
    best_value: float | None = None
    best_params: dict[str, Any] = field(default_factory=dict)
    best_trial: int | None = None
    best_run: str | None = None
    best_epoch: int | None = None
    refit_run: str | None = None
    storage: str = ""
    error: str | None = None

    @property
    def dataset(self) -> str | None:
        return self.meta.get("dataset")

    @property
    def model(self) -> str | None:
        return self.meta.get("model")

    @property
    def metric(self) -> str | None:
        return self.meta.get("metric")

    @property
    def space(self) -> dict[str, Any]:
        return dict(self.meta.get("space") or {})

    @property
    def trials(self) -> int:
        """Trials that count towards the budget: finished and pruned."""
        return self.done + self.pruned

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "trials": self.trials}


def describe(name: str, study: optuna.Study) -> StudyInfo:
    """:class:`StudyInfo` of an opened study."""
    trials = study.get_trials(deepcopy=False)
    counted = [t for t in trials if not t.user_attrs.get("surplus")]
    count = {state: sum(t.state == state for t in counted) for state in TrialState}
    info = StudyInfo(
        name=name,
        meta=read_meta(study),
        done=count[TrialState.COMPLETE],
        pruned=count[TrialState.PRUNED],
        running=count[TrialState.RUNNING] + count[TrialState.WAITING],
        failed=count[TrialState.FAIL],
        cpu_seconds=sum(float(t.user_attrs.get("cpu_seconds", 0.0)) for t in counted),
        refit_run=study.user_attrs.get("refit_run"),
    )
    if info.done:
        best = study.best_trial
        info.best_value, info.best_params, info.best_trial = best.value, dict(best.params), best.number
        info.best_run, info.best_epoch = best.user_attrs.get("run_id"), best.user_attrs.get("best_epoch")
    return info


def study_info(runs_dir: str | Path, name: str) -> StudyInfo:
    """:class:`StudyInfo` of study ``name`` of ``runs_dir``.

    Raises:
        ValueError: No such study, or its storage cannot be read.
    """
    info = describe(name, load_study(runs_dir, name))
    info.storage = storage_label(runs_dir, name)
    return info


def list_studies(runs_dir: str | Path) -> list[StudyInfo]:
    """Every study of ``runs_dir``, by name; one that cannot be read (a database that does not answer) is listed
    with its ``error`` rather than hiding the others."""
    infos = []
    for name in study_names(runs_dir):
        try:
            infos.append(study_info(runs_dir, name))
        except (ValueError, OSError, RuntimeError) as error:
            reason = " ".join(str(error).split())
            infos.append(StudyInfo(name=name, storage=storage_label(runs_dir, name), error=reason))
    return infos


def base_config(meta: dict[str, Any]) -> TrainConfig:
    """The config every trial of a study starts from (before its sampled values), from the study's ``meta``."""
    shared = {key: meta[key] for key in META_KEYS if key not in ("metric", "space") and key in meta}
    return TrainConfig(**shared, monitor=meta["metric"].split("@")[0])


def best_config(runs_dir: str | Path, name: str) -> TrainConfig:
    """The resolved :class:`TrainConfig` of study ``name``'s best trial: its shared settings and sampled values,
    ``study``/``trial`` cleared (a run trained with it is not a trial) and ``epochs`` the study's.

    Raises:
        ValueError: No such study, or it has no finished trial yet.
    """
    study = load_study(runs_dir, name)
    info = describe(name, study)
    if info.best_trial is None:
        raise ValueError(f"study {name!r} has no finished trial yet; run `python -m engine tune --name {name} …`")
    return resolve(apply(base_config(info.meta), info.best_params))

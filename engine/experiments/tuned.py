"""A tuned comparison (``python -m engine experiment --tuned STUDY1,STUDY2,…``): every model runs its Optuna study's
best configuration over the seeds, and the experiment records what each study spent.

The studies must be of one dataset, split, metric and shared training settings, one study per model; their budgets
(:mod:`engine.experiments.budgets`) must agree within 20% unless the caller allows otherwise, and then the comparison
says so loudly. Each model's best configuration becomes its one grid point, so the experiment runs, resumes and
compares as any other; ``spec.tuned`` keeps each model's study and budget, which the comparison states.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.experiments.budgets import budget_problem
from engine.experiments.spec import ExperimentSpec, _integers
from engine.tuning import StudyInfo, best_config, study_info, study_names

# Study settings the compared studies must share (the model, space, seed and epochs are each study's own)
SHARED_SETTINGS = ("dataset", "data_dir", "split", "test_ratio", "val_ratio", "ks", "min_rating", "k_core", "metric")
SHARED_SETTINGS += ("dim", "patience", "eval_every")


def study_budget(info: StudyInfo) -> dict[str, Any]:
    """What ``info``'s study spent and found, as :attr:`ExperimentSpec.tuned` keeps it per model."""
    return {
        "study": info.name,
        "trials": info.trials,
        "pruned": info.pruned,
        "failed": info.failed,
        "cpu_minutes": round(info.cpu_seconds / 60, 2),
        "metric": f"validation {info.metric}",
        "best_value": info.best_value,
        "best_trial": info.best_trial,
        "best_run": info.best_run,
    }


def parse_studies(text: str) -> list[str]:
    """``"mf-ml, lightgcn-ml"`` -> ``["mf-ml", "lightgcn-ml"]``.

    Raises:
        ValueError: No name, or a name given twice.
    """
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ValueError(f"--tuned expects comma-separated study names such as mf-ml,lightgcn-ml (got {text!r})")
    if len(set(names)) != len(names):
        raise ValueError(f"--tuned names a study twice ({text!r}); name each study once")
    return names


def tuned_studies(runs_dir: str | Path, names: Sequence[str]) -> list[StudyInfo]:
    """The studies ``names`` of ``runs_dir``, checked to be comparable: each exists and has a finished trial, one per
    model, all sharing :data:`SHARED_SETTINGS`.

    Raises:
        ValueError: Naming the study that is unknown (and the known ones), unfinished, a second study of one model,
            or the setting two studies differ in.
    """
    known = study_names(runs_dir)
    for name in names:
        if name not in known:
            there = f"studies there: {', '.join(known)}" if known else "it has none"
            raise ValueError(
                f"no study {name!r} in {Path(runs_dir) / 'studies'} ({there}); start it with "
                f"`python -m engine tune --name {name} --model MODEL`"
            )
    infos = [study_info(runs_dir, name) for name in names]
    by_model: dict[str, str] = {}
    for info in infos:
        if info.best_trial is None:
            raise ValueError(
                f"study {info.name!r} has no finished trial yet ({info.running} running, {info.pruned} pruned, "
                f"{info.failed} failed); let `python -m engine tune --name {info.name}` finish one first"
            )
        if info.model in by_model:
            raise ValueError(
                f"studies {by_model[info.model]!r} and {info.name!r} both tune {info.model}; a tuned comparison "
                "takes one study per model"
            )
        by_model[str(info.model)] = info.name
    first = infos[0]
    for info in infos[1:]:
        for setting in SHARED_SETTINGS:
            if info.meta.get(setting) != first.meta.get(setting):
                raise ValueError(
                    f"studies {first.name!r} and {info.name!r} differ in {setting} ({first.meta.get(setting)!r} vs "
                    f"{info.meta.get(setting)!r}); models are compared on one dataset, split and metric: tune them "
                    "with the same flags but --model"
                )
    return infos


def tuned_spec(
    runs_dir: str | Path,
    name: str,
    studies: str | Sequence[str],
    seeds: str = "0,1,2",
    allow_unequal_budgets: bool = False,
    device: str | None = None,
    refit: bool = False,
) -> ExperimentSpec:
    """The experiment running each study's best configuration over ``seeds``: its model's one grid point is the
    study's best sampled values and epochs, ``base`` the settings the studies share, ``tuned`` their budgets; with
    ``refit``, each member is refit on train + validation for its best epoch and the refits are compared.

    Raises:
        ValueError: Bad study names or seeds (:func:`tuned_studies`), or budgets more than 20% apart without
            ``allow_unequal_budgets``, naming the models and what each got.
    """
    names = parse_studies(studies) if isinstance(studies, str) else list(studies)
    seed_list = _integers(seeds, "--seeds")
    infos = tuned_studies(runs_dir, names)
    budgets = {str(info.model): study_budget(info) for info in infos}
    problem = budget_problem(budgets)
    if problem and not allow_unequal_budgets:
        raise ValueError(
            f"unequal tuning budgets: {problem}. Continue the smaller studies (`python -m engine tune --name STUDY "
            "--trials N` resumes one) or pass --allow-unequal-budgets to compare anyway (the comparison then warns)"
        )
    grid = {}
    for info in infos:
        config = best_config(runs_dir, info.name)
        point = {**info.best_params, "epochs": config.epochs}
        grid[str(info.model)] = {setting: [value] for setting, value in point.items()}
    meta = infos[0].meta  # the settings every study shares (checked above)
    base = {setting: meta[setting] for setting in SHARED_SETTINGS[1:] if meta.get(setting) is not None}
    base["monitor"] = str(base.pop("metric")).split("@")[0]  # "ndcg@20" -> ndcg, at the largest K of ks
    if device is not None:
        base["device"] = device
    return ExperimentSpec(
        name=name,
        dataset=str(meta["dataset"]),
        models=list(budgets),
        seeds=seed_list,
        grid=grid,
        base=base,
        refit=refit,
        tuned=budgets,
    )

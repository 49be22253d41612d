"""What an experiment is: models x seeds x grid points on one dataset, and the member runs that make it up.

Every model gets the same tuning budget (the same number of grid points); a grid point is chosen on the validation
slice (mean over seeds of the monitored metric) and only then are its seeds' test figures reported.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.runs.config import TrainConfig, model_params, resolve
from engine.runs.names import check_run_id, experiment_path

# TrainConfig fields a grid may vary besides the model's own Params
GRID_TRAIN_FIELDS = {"lr": float, "dim": int, "batch_size": int, "num_negatives": int, "epochs": int}


@dataclass
class Member:
    """One run of an experiment: a model at one grid point and one seed."""

    run_id: str
    model: str
    seed: int
    grid_point: int  # index into the model's grid points
    settings: dict[str, Any]  # the grid point's values, e.g. {"lr": 0.01, "num_layers": 2}
    config: TrainConfig  # resolved

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "model": self.model,
            "seed": self.seed,
            "grid_point": self.grid_point,
            "settings": self.settings,
        }


@dataclass
class ExperimentSpec:
    """The settings of an experiment; two invocations with equal specs are the same experiment (and resume it).

    Args:
        name (str): Folder name under ``<runs-dir>/experiments``; the member run ids start with it.
        dataset (str): Dataset name or ``csv:PATH``.
        models (list[str]): Models compared, in order.
        seeds (list[int]): Seeds each model (and grid point) runs with; seed s of every model shares split s.
        grid (dict): ``{model: {param: [values]}}``; a model without an entry runs at its defaults.
        epochs (int, optional): Every member's epochs. (default: each model's own)
        base (dict): Other :class:`TrainConfig` fields every member shares (e.g. ``data_dir``, ``ks``).
        refit (bool): Refit each model's chosen grid point on train + validation, per seed, and compare those.
            (default: ``False``)
        tuned (dict): ``{model: budget}`` when each model runs its Optuna study's best configuration (its one grid
            point): the study and what it spent (:func:`engine.experiments.tuned.tuned_spec`). (default: ``{}``)
    """

    name: str
    dataset: str
    models: list[str]
    seeds: list[int]
    grid: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    epochs: int | None = None
    base: dict[str, Any] = field(default_factory=dict)
    refit: bool = False
    tuned: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_options(
        cls,
        name: str,
        dataset: str,
        models: str,
        seeds: str,
        grid: list[str] | None = None,
        epochs: int | None = None,
        ks: list[int] | None = None,
        refit: bool = False,
        **base: Any,
    ) -> ExperimentSpec:
        """The experiment ``python -m engine experiment`` describes with these flags' values (the Experiment form
        builds it the same way): comma-separated ``models`` and ``seeds``, ``MODEL.PARAM=V1,V2`` grid lines, and the
        shared settings in ``base`` (``data_dir``, ``split``, ...); only the settings given (not ``None``) enter
        ``base``, so equal commands give equal specs.

        Raises:
            ValueError: No model, seeds that are not whole numbers, or a bad grid line.
        """
        model_list = [model.strip() for model in models.split(",") if model.strip()]
        if not model_list:
            raise ValueError(f"--models expects comma-separated model names such as mf,lightgcn (got {models!r})")
        shared = {key: value for key, value in base.items() if value is not None}
        if ks:
            shared["ks"] = sorted(set(ks))
        return cls(
            name=name,
            dataset=dataset,
            models=model_list,
            seeds=_integers(seeds, "--seeds"),
            grid=parse_grid(list(grid or []), model_list),
            epochs=epochs,
            base=shared,
            refit=bool(refit),
        )

    def to_dict(self) -> dict[str, Any]:
        values = dataclasses.asdict(self)
        if not self.refit:  # an experiment saved before --refit existed stays the same experiment
            del values["refit"]
        if not values["tuned"]:
            del values["tuned"]  # an experiment saved before tuned comparisons existed keeps resuming
        return values

    def path(self, runs_dir: str | Path) -> Path:
        return experiment_path(runs_dir, self.name)

    def grid_points(self, model: str) -> list[dict[str, Any]]:
        """The cartesian product of the model's grid, in the order given; ``[{}]`` without one."""
        axes = self.grid.get(model, {})
        return [dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())]

    def members(self) -> list[Member]:
        """Every run of the experiment with its resolved config, checked before anything trains.

        Raises:
            ValueError: A bad name, an unknown model, a value a model refuses, or an unequal tuning budget.
        """
        from engine.models import MODELS

        experiment_path(".", self.name)  # a bad name is refused as such, before it becomes part of run ids
        unknown = [model for model in [*self.models, *self.grid] if model not in MODELS]
        if unknown:
            raise ValueError(f"unknown model {unknown[0]!r}: choose among {', '.join(sorted(MODELS))}")
        outside = sorted(set(self.grid) - set(self.models))
        if outside:
            raise ValueError(f"--grid names model {outside[0]!r}, which is not in --models {','.join(self.models)}")
        if len(set(self.models)) != len(self.models) or len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"--models and --seeds must not repeat (got {self.models} and {self.seeds})")
        budgets = {model: len(self.grid_points(model)) for model in self.models}
        if len(set(budgets.values())) > 1:
            raise ValueError(
                "every model must get the same tuning budget, but the grid gives "
                + ", ".join(f"{model} {count} point(s)" for model, count in budgets.items())
                + "; give each model as many values (e.g. --grid mf.lr=0.01,0.001 beside --grid lightgcn.lr=...)"
            )
        if max(budgets.values()) > 1 and self.base.get("val_ratio") == 0:
            raise ValueError("a grid point is chosen on the validation slice, and --val-ratio 0 leaves none")
        if self.refit and self.base.get("val_ratio") == 0:
            raise ValueError("--refit retrains the epoch chosen on validation, so it needs --val-ratio above 0")
        members = []
        for model in self.models:
            for index, point in enumerate(self.grid_points(model)):
                train_fields = {name: value for name, value in point.items() if name in GRID_TRAIN_FIELDS}
                params = {name: value for name, value in point.items() if name not in GRID_TRAIN_FIELDS}
                for seed in self.seeds:
                    values = {**self.base, "dataset": self.dataset, "model": model, "seed": seed}
                    if self.epochs is not None:
                        values["epochs"] = self.epochs
                    config = resolve(TrainConfig(**{**values, **train_fields, "params": params}))
                    run_id = check_run_id(f"{self.name}-{model}-g{index}-s{seed}")
                    members.append(Member(run_id, model, seed, index, point, config))
        return members


def parse_grid(entries: list[str], models: list[str]) -> dict[str, dict[str, list[Any]]]:
    """``["lightgcn.num_layers=2,3", "mf.lr=0.01,0.001"]`` -> ``{model: {param: [values]}}``, values converted.

    Raises:
        ValueError: Syntax other than ``MODEL.PARAM=V1,V2``, a model not in ``models``, a parameter neither the
            model's nor one of :data:`GRID_TRAIN_FIELDS`, or a value of the wrong type.
    """
    from engine.models import MODELS

    grid: dict[str, dict[str, list[Any]]] = {}
    for entry in entries:
        target, sep, values_text = entry.partition("=")
        model, dot, param = target.strip().partition(".")
        values = [value.strip() for value in values_text.split(",")]
        if not sep or not dot or not model or not param or not all(values):
            raise ValueError(
                f"--grid expects MODEL.PARAM=V1,V2,... (got {entry!r}), e.g. --grid lightgcn.num_layers=2,3"
            )
        if model not in MODELS:
            raise ValueError(f"--grid {entry!r}: unknown model {model!r}; choose among {', '.join(sorted(MODELS))}")
        if model not in models:
            raise ValueError(f"--grid {entry!r}: model {model!r} is not in --models {','.join(models)}")
        params = {f.name for f in dataclasses.fields(MODELS[model].Params)}
        if param in GRID_TRAIN_FIELDS:
            converted = [_train_value(entry, param, value) for value in values]
        elif param in params:
            converted = [getattr(model_params(model, {param: value}), param) for value in values]
        else:
            known = ", ".join([*sorted(GRID_TRAIN_FIELDS), *sorted(params)])
            raise ValueError(f"--grid {entry!r}: {model} has no parameter {param!r}; a grid can vary: {known}")
        if param in grid.get(model, {}):
            raise ValueError(f"--grid gives {model}.{param} twice; list all its values in one --grid")
        if len(set(converted)) != len(converted):
            raise ValueError(f"--grid {entry!r} repeats a value")
        grid.setdefault(model, {})[param] = converted
    return grid


def _train_value(entry: str, param: str, text: str) -> Any:
    kind = GRID_TRAIN_FIELDS[param]
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"--grid {entry!r}: {param} must be {'an integer' if kind is int else 'a number'}") from None


def _integers(text: str, flag: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(f"{flag} expects comma-separated whole numbers such as 0,1,2 (got {text!r})") from None
    if any(value < 0 for value in values):
        raise ValueError(f"{flag} must not be negative (got {text!r})")
    return values

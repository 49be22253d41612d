"""One typed configuration per training run, saved in the run directory (``RunDir.config_path``).

Everything needed to reproduce a run lives here: data, split, model and its hyper-parameters, optimisation and
evaluation settings. The same object is built from CLI flags, from a ``--config`` JSON file, from the dashboard's
Train page (through :func:`train_command`) and from a run directory when resuming.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEVICES = ("auto", "cpu", "cuda")
SPLITS = ("random", "leave-one-out", "temporal")
METRIC_NAMES = ("recall", "ndcg", "precision", "hit", "mrr", "coverage")


@dataclass
class TrainConfig:
    """Settings of one training run (saved at ``RunDir.config_path``).

    Args:
        dataset (str): Dataset name (``python -m engine datasets``) or ``csv:PATH``. (default: ``"synthetic"``)
        data_dir (str, optional): Folder holding the dataset's files. (default: ``None``, the dataset's own place)
        model (str): ``mf``, ``lightgcn``, ``graphsage`` or ``pinsage``. (default: ``"lightgcn"``)
        params (dict): Model hyper-parameters, fields of the model's ``Params``; missing ones take the model's
            defaults. (default: ``{}``)

    The remaining fields carry one-line comments below. ``epochs``, ``lr`` and ``batch_size`` left at ``None`` take
    the model's ``default_train`` values when :meth:`validate` runs, so a saved config is always concrete.
    """

    dataset: str = "synthetic"  # dataset name or csv:PATH
    data_dir: str | None = None  # folder with the dataset's files; None = the dataset's default place
    model: str = "lightgcn"  # key of engine.models.MODELS
    params: dict[str, Any] = field(default_factory=dict)  # model Params fields; missing = the model's default
    epochs: int | None = None  # total training epochs (early stopping may end sooner); None = the model's default
    dim: int = 64  # embedding dimension d
    lr: float | None = None  # Adam learning rate; None = the model's default
    batch_size: int | None = None  # training edges (user, positive item) per step; None = the model's default
    num_negatives: int | None = None  # uniform negatives per positive (hard ones come on top); None = the model's
    split: str = "random"  # random (per-user holdout) | leave-one-out | temporal
    test_ratio: float = 0.2  # share of each user's interactions held out for testing
    val_ratio: float = 0.0  # share held out for validation; > 0 enables best-epoch selection and early stopping
    min_rating: float | None = None  # keep only interactions rated at least this (implicit feedback); None = all
    k_core: int = 0  # drop users and items with fewer interactions than this, repeatedly; 0 = no filter
    ks: list[int] = field(default_factory=lambda: [10, 20])  # cut-offs K of the ranking metrics
    monitor: str = "ndcg"  # metric, at the largest K, that picks the best epoch on the validation slice
    eval_every: int = 1  # evaluate every N epochs (the last epoch is always evaluated)
    patience: int = 5  # evaluations without validation improvement before stopping early; 0 = never stop
    seed: int = 0  # seeds the split, the model, batches and negatives
    device: str = "auto"  # auto | cpu | cuda
    max_snapshots: int = 10  # embedding snapshots kept per run, evenly spaced over evaluated epochs
    eval_batch_size: int = 1024  # users scored at once during evaluation

    # ------------------------------------------------------------------ validation
    def validate(self) -> TrainConfig:
        """Check every value before any work starts; raises ``ValueError`` naming the field and what to do."""
        from engine.models import MODELS

        if self.model not in MODELS:
            raise ValueError(f"unknown model {self.model!r}: choose one of {', '.join(sorted(MODELS))}")
        if not isinstance(self.dataset, str) or not self.dataset.strip():
            raise ValueError("'dataset' must be a dataset name such as 'synthetic' or 'csv:PATH'")
        model_defaults = getattr(MODELS[self.model], "default_train", {})
        for name in ("epochs", "lr", "batch_size", "num_negatives"):
            if getattr(self, name) is None:
                if name not in model_defaults:
                    raise ValueError(f"model {self.model!r} declares no default {name!r}; pass it explicitly")
                setattr(self, name, model_defaults[name])
        _positive_int(self, "epochs", "training needs at least one epoch")
        _positive_int(self, "dim", "e.g. --dim 64")
        _positive_int(self, "batch_size", "e.g. --batch-size 2048")
        _positive_int(self, "eval_every", "e.g. --eval-every 1")
        _positive_int(self, "max_snapshots", "e.g. --max-snapshots 10")
        _positive_int(self, "eval_batch_size", "e.g. 1024")
        _positive_int(self, "num_negatives", "e.g. --negatives 1")
        _non_negative_int(self, "patience")
        _non_negative_int(self, "k_core")
        if self.min_rating is not None and not isinstance(self.min_rating, (int, float)):
            raise ValueError(f"'min_rating' must be a number or None (got {self.min_rating!r})")
        _non_negative_int(self, "seed")
        if not isinstance(self.lr, (int, float)) or not 0 < self.lr < 10:
            raise ValueError(f"'lr' must be a learning rate in (0, 10) (got {self.lr!r}); e.g. --lr 0.005")
        if not self.ks or not all(isinstance(k, int) and not isinstance(k, bool) and k > 0 for k in self.ks):
            raise ValueError(f"every K must be a positive integer (got {self.ks!r}); e.g. --k 10 20")
        self.ks = sorted(set(self.ks))
        if self.split not in SPLITS:
            raise ValueError(f"unknown split {self.split!r}: choose one of {', '.join(SPLITS)}")
        for name in ("test_ratio", "val_ratio"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise ValueError(f"'{name}' must lie in [0, 1) (got {value!r})")
        if not 0 < self.test_ratio:
            raise ValueError(f"'test_ratio' must be positive: metrics need held-out items (got {self.test_ratio})")
        if self.test_ratio + self.val_ratio >= 1:
            raise ValueError(
                f"test_ratio + val_ratio must leave training data (got {self.test_ratio} + {self.val_ratio} >= 1)"
            )
        if self.monitor not in METRIC_NAMES:
            raise ValueError(f"unknown monitor metric {self.monitor!r}: choose one of {', '.join(METRIC_NAMES)}")
        if self.device not in DEVICES:
            raise ValueError(f"unknown device {self.device!r}: choose one of {', '.join(DEVICES)}")
        if self.device == "cuda":
            import torch

            if not torch.cuda.is_available():
                raise ValueError("device 'cuda' was requested but torch sees no CUDA GPU; use --device cpu or auto")
        self.params = dataclasses.asdict(model_params(self.model, self.params))
        return self

    @property
    def monitor_key(self) -> str:
        """The metrics key that picks the best epoch, e.g. ``ndcg@20``."""
        return self.monitor if self.monitor == "mrr" else f"{self.monitor}@{max(self.ks)}"

    # ------------------------------------------------------------- (de)serialising
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """Build a config from plain data; unknown keys are an error (a typo must not be silently ignored)."""
        if not isinstance(values, dict):
            raise ValueError(f"a training config must be a JSON object (got {type(values).__name__})")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown config key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}")
        return cls(**values)

    @classmethod
    def from_file(cls, path: str | Path) -> TrainConfig:
        """Read a config saved as JSON (for example another run's, at ``RunDir.config_path``)."""
        path = Path(path)
        try:
            values = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"config file {path} does not exist") from None
        except json.JSONDecodeError as error:
            raise ValueError(f"config file {path} is not valid JSON ({error.msg} at line {error.lineno})") from None
        return cls.from_dict(values)


def model_params(model: str, values: dict[str, Any]) -> Any:
    """The model's ``Params`` dataclass filled from ``values`` (strings are converted), checked against its bounds."""
    from engine.models import MODELS
    from engine.models.base import check_params

    params_class = MODELS[model].Params
    fields = {f.name: f for f in dataclasses.fields(params_class)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {', '.join(unknown)} for model {model!r}; "
            f"its parameters are: {', '.join(fields) or '(none)'}"
        )
    hints = typing.get_type_hints(params_class, globalns=vars(sys.modules[params_class.__module__]))
    converted = {name: _convert(model, name, value, hints[name]) for name, value in values.items()}
    params = params_class(**converted)
    check_params(params)
    return params


def _convert(model: str, name: str, value: Any, hint: Any) -> Any:
    target = next((t for t in (bool, int, float, str) if hint is t or t in typing.get_args(hint)), None)
    if target is None or isinstance(value, target) and not (target is int and isinstance(value, bool)):
        return value
    try:
        if target is bool:
            if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
                return value.lower() in ("true", "1", "yes")
            raise ValueError
        if target is int and isinstance(value, float) and not value.is_integer():
            raise ValueError
        if target in (int, float) and isinstance(value, bool):
            raise ValueError
        return target(value)
    except (TypeError, ValueError):
        raise ValueError(f"parameter {name!r} of model {model!r} must be {target.__name__} (got {value!r})") from None


def _positive_int(config: TrainConfig, name: str, hint: str) -> None:
    value = getattr(config, name)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"'{name}' must be a positive integer (got {value!r}); {hint}")


def _non_negative_int(config: TrainConfig, name: str) -> None:
    value = getattr(config, name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"'{name}' must be a non-negative integer (got {value!r})")

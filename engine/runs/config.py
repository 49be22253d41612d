"""One typed configuration per training run, saved in the run directory (``RunDir.config_path``).

Everything needed to reproduce a run lives here: data, split, model and its hyper-parameters, optimisation and
evaluation settings. The same object is built from CLI flags, from a ``--config`` JSON file, from the dashboard's
Train page (through :func:`train_command`) and from a run directory when resuming.

Every default lives once: in a field below, or, for the fields left at ``None``, in the model's
:attr:`~engine.models.Recommender.default_train` and ``Params``. :func:`resolve` fills those in and returns a new,
complete config; :meth:`TrainConfig.validate` only checks one.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.splits import SPLIT_METHODS

DEVICES = ("auto", "cpu", "cuda")
METRIC_NAMES = ("recall", "ndcg", "precision", "hit", "mrr", "coverage")
MAX_K = 10_000  # largest metric cut-off K


def _bounds(low: float, high: float) -> dict[str, float]:
    return {"min": low, "max": high}


@dataclass
class TrainConfig:
    """Settings of one training run (saved at ``RunDir.config_path``).

    Args:
        dataset (str): Dataset name (``python -m engine datasets``) or ``csv:PATH``. (default: ``"synthetic"``)
        data_dir (str, optional): Folder holding the dataset's files. (default: ``None``, the dataset's own place)
        model (str): ``mf``, ``lightgcn``, ``graphsage`` or ``pinsage``. (default: ``"lightgcn"``)
        params (dict): Model hyper-parameters, fields of the model's ``Params``; missing ones take the model's
            defaults. (default: ``{}``)

    The remaining fields carry one-line comments below. Numbers carry inclusive bounds (``metadata["min"]`` and
    ``["max"]``, which the Train page's inputs use too): a value outside them can only be a mistake, such as a
    10**9-wide embedding that asks for terabytes, and is refused before any work starts.
    """

    dataset: str = "synthetic"  # dataset name or csv:PATH
    data_dir: str | None = None  # folder with the dataset's files; None = the dataset's default place
    model: str = "lightgcn"  # key of engine.models.MODELS, or package.module:ClassName (engine.models.registry)
    params: dict[str, Any] = field(default_factory=dict)  # model Params fields; missing = the model's default
    # total training epochs (early stopping may end sooner); None = the model's
    epochs: int | None = field(default=None, metadata=_bounds(1, 10_000))
    dim: int = field(default=64, metadata=_bounds(1, 4096))  # embedding dimension d
    lr: float | None = field(default=None, metadata=_bounds(1e-9, 1.0))  # Adam learning rate; None = the model's
    # training edges (user, positive item) per step; None = the model's
    batch_size: int | None = field(default=None, metadata=_bounds(1, 1_000_000))
    # uniform negatives per positive (hard ones come on top); None = the model's
    num_negatives: int | None = field(default=None, metadata=_bounds(1, 1000))
    split: str = "random"  # one of engine.splits.SPLIT_METHODS
    # share of each user's interactions held out for testing
    test_ratio: float = field(default=0.2, metadata=_bounds(0.01, 0.9))
    # share of each user's interactions taken from training for validation, which alone drives the curves, the
    # best epoch and early stopping (the test split is read once, at the end); 0 = none: curves and the last epoch
    # are on the test split, and the run is marked test-selected
    val_ratio: float = field(default=0.1, metadata=_bounds(0.0, 0.9))
    min_rating: float | None = None  # keep only interactions rated at least this (implicit feedback); None = all
    # drop users and items with fewer interactions than this, repeatedly; 0 = no filter
    k_core: int = field(default=0, metadata=_bounds(0, 10_000))
    ks: list[int] = field(default_factory=lambda: [10, 20])  # cut-offs K of the ranking metrics, each <= MAX_K
    monitor: str = "ndcg"  # metric, at the largest K, that picks the best epoch on the validation slice
    # evaluate every N epochs (the last epoch is always evaluated)
    eval_every: int = field(default=1, metadata=_bounds(1, 10_000))
    # evaluations without validation improvement before stopping early; 0 = never stop
    patience: int = field(default=5, metadata=_bounds(0, 10_000))
    # seeds the split, the model, batches and negatives
    seed: int = field(default=0, metadata=_bounds(0, 2**32 - 1))
    device: str = "auto"  # auto | cpu | cuda
    # torch CPU threads; a run repeats bit for bit with the same count; None = this process's count, which resolve
    # records (an old config.json without the field trains with it)
    threads: int | None = field(default=None, metadata=_bounds(1, 1024))
    # kernels that add in a fixed order (torch.use_deterministic_algorithms); False = torch's defaults, with which two
    # runs of one config on several CPU threads differ from the first step
    deterministic: bool = True
    # embedding snapshots kept per run, evenly spaced over evaluated epochs
    max_snapshots: int = field(default=10, metadata=_bounds(1, 1000))
    # users scored at once during evaluation
    eval_batch_size: int = field(default=1024, metadata=_bounds(1, 65_536))
    # processes that trained the run together (torchrun --nproc-per-node x --nnodes); recorded, not a flag
    world_size: int = field(default=1, metadata=_bounds(1, 65_536))
    # the Optuna study (python -m engine tune) this run is a trial of, and its trial number; recorded, not a flag
    study: str | None = None
    trial: int | None = None
    # run id of the validation-selected run whose settings and best epoch this run repeats on train + validation,
    # testing once at the end (--refit); None = an ordinary run
    refit_of: str | None = None

    # ------------------------------------------------------------------ validation
    def validate(self) -> None:
        """Check a resolved config; raises ``ValueError`` naming the field, the value and what to do.

        It changes nothing: :func:`resolve` is what fills in the model's defaults.
        """
        from engine.models.registry import model_class
        from engine.sampling.negatives import MAX_NEGATIVES

        model_class(self.model)
        if not isinstance(self.dataset, str) or not self.dataset.strip():
            raise ValueError(
                f"'dataset' must be a dataset name such as 'synthetic' or 'csv:PATH' (got {self.dataset!r})"
            )
        if self.data_dir is not None and (not isinstance(self.data_dir, str) or not self.data_dir.strip()):
            raise ValueError(
                f"'data_dir' must be the path of a folder, or null for the dataset's own place (got {self.data_dir!r})"
            )
        hints = typing.get_type_hints(TrainConfig)
        for spec in dataclasses.fields(self):
            if "min" in spec.metadata:
                _check_number(self, spec, float in typing.get_args(hints[spec.name]) or hints[spec.name] is float)
        if self.min_rating is not None and not _is_real(self.min_rating):
            raise ValueError(
                f"'min_rating' must be a finite number, or null to keep every rating (got {self.min_rating!r})"
            )
        if not isinstance(self.ks, list) or not self.ks or not all(_is_int(k) and 1 <= k <= MAX_K for k in self.ks):
            raise ValueError(f"every K must be an integer in [1, {MAX_K}] (got {self.ks!r}); e.g. --k 10 20")
        for name, what, choices in (
            ("split", "split", SPLIT_METHODS),
            ("monitor", "monitor metric", METRIC_NAMES),
            ("device", "device", DEVICES),
        ):
            if not isinstance(getattr(self, name), str) or getattr(self, name) not in choices:
                raise ValueError(f"unknown {what} {getattr(self, name)!r}: choose one of {', '.join(choices)}")
        if not isinstance(self.deterministic, bool):
            raise ValueError(f"'deterministic' must be true or false (got {self.deterministic!r})")
        if self.refit_of is not None and (not isinstance(self.refit_of, str) or self.val_ratio <= 0):
            raise ValueError(
                f"'refit_of' ({self.refit_of!r}) names the validation-selected run a refit repeats on train + "
                f"validation, so it needs a run id and a validation slice (val_ratio > 0, got {self.val_ratio})"
            )
        if self.test_ratio + self.val_ratio >= 1:
            raise ValueError(
                f"test_ratio + val_ratio must leave training data (got {self.test_ratio} + {self.val_ratio} >= 1)"
            )
        if self.batch_size * self.num_negatives > MAX_NEGATIVES:
            raise ValueError(
                f"batch_size x num_negatives = {self.batch_size} x {self.num_negatives} exceeds the {MAX_NEGATIVES:,} "
                "negatives one step may draw; lower --batch-size or --negatives"
            )
        if self.device == "cuda":
            import torch

            if not torch.cuda.is_available():
                raise ValueError("device 'cuda' was requested but torch sees no CUDA GPU; use --device cpu or auto")
        model_params(self.model, self.params)

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
        except IsADirectoryError:
            raise ValueError(
                f"config file {path} is a folder; pass a JSON file such as runs/<run-id>/config.json"
            ) from None
        except UnicodeDecodeError:
            raise ValueError(f"config file {path} is not UTF-8 text; pass a JSON file") from None
        except json.JSONDecodeError as error:
            raise ValueError(f"config file {path} is not valid JSON ({error.msg} at line {error.lineno})") from None
        return cls.from_dict(values)


def resolve(config: TrainConfig) -> TrainConfig:
    """A new, complete config: the model's ``default_train`` for the fields left at ``None``, every model
    parameter present (the model's default for the missing ones) and the cut-offs sorted and unique.

    Args:
        config (TrainConfig): The settings as given; left unchanged.

    Returns:
        TrainConfig: The resolved config, already checked by :meth:`TrainConfig.validate`, with ``data_dir``
        made absolute (relative to the current folder).

    Raises:
        ValueError: Naming the field, the value and what to do.
    """
    from engine.models.registry import model_class

    defaults = model_class(config.model).default_train
    values: dict[str, Any] = {
        spec.name: getattr(defaults, spec.name)
        for spec in dataclasses.fields(defaults)
        if getattr(config, spec.name) is None
    }
    values["params"] = dataclasses.asdict(model_params(config.model, config.params))
    if config.threads is None:
        values["threads"] = default_threads()
    if isinstance(config.data_dir, str) and config.data_dir.strip():
        # Absolute, so that config.json and the `--resume` command it prints work from any folder (a relative
        # "../shared/data/..." only worked from the folder the run was started in).
        values["data_dir"] = str(Path(config.data_dir).expanduser().resolve())
    if isinstance(config.ks, list) and all(_is_int(k) for k in config.ks):
        values["ks"] = sorted(set(config.ks))
    resolved = dataclasses.replace(config, **values)
    resolved.validate()
    return resolved


def model_params(model: str, values: dict[str, Any]) -> Any:
    """The model's ``Params`` dataclass filled from ``values`` (strings are converted), checked against its bounds."""
    from engine.models.base import check_params
    from engine.models.registry import model_class

    params_class = model_class(model).Params
    fields = {f.name: f for f in dataclasses.fields(params_class)}
    if not isinstance(values, dict):
        raise ValueError(
            f"'params' must map parameter names of model {model!r} ({', '.join(fields)}) to values (got {values!r})"
        )
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


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_number(config: TrainConfig, spec: dataclasses.Field, real: bool) -> None:
    """``ValueError`` unless the field is an integer (a finite number when ``real``) within its metadata bounds."""
    value, low, high = getattr(config, spec.name), spec.metadata["min"], spec.metadata["max"]
    if value is None:
        raise ValueError(f"'{spec.name}' is None: resolve(config) fills it with the model's default")
    if not (_is_real(value) if real else _is_int(value)) or not low <= value <= high:
        kind = "a number" if real else "an integer"
        default = spec.default if spec.default is not None else _model_default(config.model, spec.name)
        raise ValueError(f"'{spec.name}' must be {kind} in [{low}, {high}] (got {value!r}); the default is {default!r}")


def _model_default(model: str, name: str) -> Any:
    from engine.models.registry import model_class

    if name == "threads":
        return default_threads()
    return getattr(model_class(model).default_train, name)


def default_threads() -> int:
    """This process's torch CPU threads: what a run without a recorded ``threads`` trains with."""
    import torch  # deferred: reading and checking a config must not import torch (seconds) for every page

    return torch.get_num_threads()
